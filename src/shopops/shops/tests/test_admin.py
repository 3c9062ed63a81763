"""The admin shows each merchant only their own shop, staff and audit rows; edits go through services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from shopops.core.models import AuditLog
from shopops.shops import services
from shopops.shops.models import Membership, Role, Shop
from shopops.shops.permissions import ANALYST, DEFAULT_ROLES, PLATFORM_ADMIN, SHOP_OWNER, SHOPPER, WAREHOUSE
from shopops.shops.tests.factories import SESSION_BACKEND, make_user
from shopops.shops.tests.matrix import build_world


@pytest.fixture
def world(db):
    w = build_world()
    services.update_shop_profile(actor=w.users[SHOP_OWNER], shop_id=w.shop_a.pk, description="甲店简介")
    services.update_shop_profile(actor=w.owner_b, shop_id=w.shop_b.pk, description="乙店简介")
    return w


def signed_in(client, user):
    client.force_login(user, backend=SESSION_BACKEND)
    return client


def test_a_merchant_sees_only_their_own_shop(client, world):
    page = signed_in(client, world.users[SHOP_OWNER]).get("/admin/shops/shop/")
    assert page.status_code == 200
    assert world.shop_a.name in page.content.decode()
    assert world.shop_b.name not in page.content.decode()
    other = client.get(f"/admin/shops/shop/{world.shop_b.id}/change/")
    assert other.status_code == 302  # "does not exist", back to the index
    assert world.shop_b.name not in client.get(other.url, follow=True).content.decode()


def test_a_merchant_edits_their_shop_in_the_admin_through_the_service(client, world):
    shop = world.shop_a
    data = {
        "name": shop.name,
        "description": "后台修改的简介",
        "contact_name": shop.contact_name,
        "contact_phone": "13700001111",
        "contact_email": shop.contact_email,
        "aftersales_window_days": 15,
        "settlement_account_name": shop.settlement_account_name,
        "settlement_bank": shop.settlement_bank,
        "new_settlement_account_number": "6222 0000 1111 2222",
        "_save": "Save",
    }
    response = signed_in(client, world.users[SHOP_OWNER]).post(f"/admin/shops/shop/{shop.id}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    shop.refresh_from_db()
    assert (shop.description, shop.aftersales_window_days) == ("后台修改的简介", 15)
    assert shop.settlement_account_number == "6222000011112222"
    assert AuditLog.objects.filter(action="shop.update_profile", shop_id=shop.id).count() == 2
    assert AuditLog.objects.get(action="shop.update_settlement").after["settlement_account_number"] == (
        "6222********2222"
    )


def test_an_invalid_admin_edit_shows_the_services_error_and_changes_nothing(client, world):
    shop = world.shop_a
    data = {
        "name": shop.name,
        "description": shop.description,
        "contact_name": shop.contact_name,
        "contact_phone": shop.contact_phone,
        "contact_email": shop.contact_email,
        "aftersales_window_days": 3,
        "settlement_account_name": shop.settlement_account_name,
        "settlement_bank": shop.settlement_bank,
        "new_settlement_account_number": "",
        "_save": "Save",
    }
    response = signed_in(client, world.users[SHOP_OWNER]).post(f"/admin/shops/shop/{shop.id}/change/", data)
    assert response.status_code == 200
    assert "7-90" in response.content.decode()
    shop.refresh_from_db()
    assert shop.aftersales_window_days == 7


def test_staff_without_shop_manage_see_the_shop_read_only(client, world):
    page = signed_in(client, world.users[ANALYST]).get(f"/admin/shops/shop/{world.shop_a.id}/change/")
    assert page.status_code == 200
    assert 'name="description"' not in page.content.decode()


def test_merchants_see_only_their_own_staff(client, world):
    page = signed_in(client, world.users[SHOP_OWNER]).get("/admin/shops/membership/").content.decode()
    assert world.users[ANALYST].username in page
    assert world.owner_b.username not in page
    assert world.users[PLATFORM_ADMIN].username not in page  # platform memberships are not theirs


def test_changing_roles_in_the_admin_is_audited(client, world):
    member = Membership.objects.get(user=world.users[ANALYST], shop=world.shop_a)
    analyst, warehouse = Role.objects.get(code=ANALYST), Role.objects.get(code=WAREHOUSE)
    response = signed_in(client, world.users[SHOP_OWNER]).post(
        f"/admin/shops/membership/{member.id}/change/",
        {"roles": [analyst.pk, warehouse.pk], "status": "active", "_save": "Save"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(r.code for r in member.roles.all()) == sorted([ANALYST, WAREHOUSE])
    entry = AuditLog.objects.get(action="staff.roles_change")
    assert entry.before["roles"] == [ANALYST] and entry.after["roles"] == sorted([ANALYST, WAREHOUSE])


def test_roles_and_the_permission_catalogue_are_for_the_platform_only(client, world):
    signed_in(client, world.users[SHOP_OWNER])
    assert client.get("/admin/shops/role/").status_code == 403
    assert client.get("/admin/shops/permissiondef/").status_code == 403
    signed_in(client, world.users[PLATFORM_ADMIN])
    assert client.get("/admin/shops/role/").status_code == 200
    assert client.get("/admin/shops/permissiondef/").status_code == 200
    assert client.get("/admin/shops/permissiondef/add/").status_code == 403


def test_editing_a_roles_permissions_in_the_admin_is_audited(client, world):
    role = Role.objects.get(code=ANALYST)
    wanted = sorted([*role.permissions, "audit.view"])
    response = signed_in(client, world.users[PLATFORM_ADMIN]).post(
        f"/admin/shops/role/{role.id}/change/",
        {"name": role.name, "name_en": role.name_en, "permissions": wanted, "_save": "Save"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Role.objects.get(pk=role.pk).permissions == wanted
    entry = AuditLog.objects.get(action="role.permissions_change")
    assert entry.after["permissions"] == wanted


def test_the_role_form_refuses_platform_codes_on_a_shop_role(client, world):
    role = Role.objects.get(code=ANALYST)
    response = signed_in(client, world.users[PLATFORM_ADMIN]).post(
        f"/admin/shops/role/{role.id}/change/",
        {
            "name": role.name,
            "name_en": role.name_en,
            "permissions": ["shop.view", "platform.shops"],
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    original = next(p for code, _, _, _, p in DEFAULT_ROLES if code == ANALYST)
    assert Role.objects.get(pk=role.pk).permissions == sorted(original)


def test_shop_owners_read_their_shops_audit_rows_only(client, world):
    page = signed_in(client, world.users[SHOP_OWNER]).get("/admin/core/auditlog/")
    assert page.status_code == 200
    rows = page.context["cl"].result_list
    assert {row.shop_id for row in rows} == {world.shop_a.id}
    assert client.get("/admin/core/auditlog/add/").status_code == 403


def test_staff_without_audit_view_cannot_open_the_audit_log(client, world):
    assert signed_in(client, world.users[ANALYST]).get("/admin/core/auditlog/").status_code == 403


def test_platform_auditors_read_every_row(client, world):
    page = signed_in(client, world.users[PLATFORM_ADMIN]).get("/admin/core/auditlog/")
    assert {row.shop_id for row in page.context["cl"].result_list} >= {world.shop_a.id, world.shop_b.id}


def test_people_without_staff_access_are_sent_to_the_admin_login(client, world):
    response = signed_in(client, world.users[SHOPPER]).get("/admin/shops/shop/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_the_admin_index_offers_a_merchant_only_their_modules(client, world):
    page = signed_in(client, world.users[SHOP_OWNER]).get("/admin/")
    assert page.status_code == 200
    models = {m["object_name"] for app in page.context["app_list"] for m in app["models"]}
    assert {"Shop", "Membership", "Invitation", "AuditLog"} <= models
    assert not {"Role", "PermissionDef"} & models


def test_shop_choices_in_forms_are_limited_to_shops_the_user_manages(world):
    request = RequestFactory().get("/admin/")
    request.user = world.users[SHOP_OWNER]
    model_admin = admin.site._registry[Membership]
    field = model_admin.formfield_for_foreignkey(Membership._meta.get_field("shop"), request)
    assert list(field.queryset) == [world.shop_a]
    request.user = world.users[PLATFORM_ADMIN]
    field = model_admin.formfield_for_foreignkey(Membership._meta.get_field("shop"), request)
    assert set(field.queryset) == set(Shop.objects.all())


def test_a_superuser_sees_everything(client, world):
    root = make_user("root", is_superuser=True, is_staff=True)
    page = signed_in(client, root).get("/admin/shops/shop/")
    assert world.shop_a.name in page.content.decode() and world.shop_b.name in page.content.decode()


def test_the_platform_approves_shops_with_an_admin_action(client, world):
    from shopops.shops.models import ShopStatus
    from shopops.shops.tests.factories import ShopFactory

    pending = ShopFactory(status=ShopStatus.PENDING)
    response = signed_in(client, world.users[PLATFORM_ADMIN]).post(
        "/admin/shops/shop/", {"action": "approve", "_selected_action": [pending.pk]}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ShopStatus.ACTIVE
    assert AuditLog.objects.filter(action="shop.approve", shop_id=pending.pk).exists()


def test_merchants_are_not_offered_the_platform_actions(client, world):
    page = signed_in(client, world.users[SHOP_OWNER]).get("/admin/shops/shop/")
    form = page.context["action_form"]  # None when no action is offered at all
    choices = [value for value, _ in form.fields["action"].choices] if form is not None else []
    assert not {"approve", "suspend", "reactivate"} & set(choices)
    response = client.post("/admin/shops/shop/", {"action": "suspend", "_selected_action": [world.shop_a.pk]})
    world.shop_a.refresh_from_db()
    assert world.shop_a.status == "active"
    assert response.status_code in (200, 302)
