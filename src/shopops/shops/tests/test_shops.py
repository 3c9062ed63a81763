"""Opening, approving, suspending and editing shops, as merchants and the platform see it."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.db import connection

from shopops.core.models import AuditLog
from shopops.shops import selectors, services
from shopops.shops.models import Membership, Shop, ShopStatus
from shopops.shops.permissions import ANALYST, MERCHANT_STAFF, PLATFORM_ADMIN, SHOP_OWNER
from shopops.shops.tests.factories import ShopFactory, api_as, make_member, make_user
from shopops.shops.tests.matrix import build_world

APPLICATION = {"name": "优品生活馆", "contact_name": "王芳", "contact_phone": "+86 139-1234-5678"}


def _audit_text() -> str:
    return json.dumps(list(AuditLog.objects.values("before", "after", "reason")), ensure_ascii=False)


@pytest.fixture
def world(db):
    return build_world()


# --- Applying ---------------------------------------------------------------------------------------


def test_a_shopper_applies_and_becomes_owner_of_a_pending_shop(client, world):
    shopper = make_user("applicant")
    assert not shopper.is_staff
    response = api_as(client, shopper).post("/shops", APPLICATION)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["slug"] == "you-pin-sheng-huo-guan"
    assert body["contact_phone_masked"] == "139****5678"
    assert "shop.manage" in body["my_permissions"]
    shop = Shop.objects.get(pk=body["id"])
    assert shop.contact_phone == "13912345678"  # normalised
    membership = Membership.objects.get(user=shopper, shop=shop)
    assert [r.code for r in membership.roles.all()] == [SHOP_OWNER]
    shopper.refresh_from_db()
    assert shopper.is_staff  # may now sign in to the console
    entry = AuditLog.objects.get(action="shop.apply", object_id=str(shop.pk))
    assert entry.actor == shopper and entry.shop_id == shop.pk
    assert entry.after["contact_phone"] == "139****5678"
    assert "13912345678" not in _audit_text()


def test_a_pending_shop_is_not_on_the_storefront(world):
    shop = ShopFactory(status=ShopStatus.PENDING)
    assert shop not in selectors.active_shops()
    assert not selectors.shop_is_trading(shop.pk)


def test_one_pending_application_at_a_time(client, world):
    applicant = api_as(client, make_user())
    assert applicant.post("/shops", APPLICATION).status_code == 201
    second = applicant.post("/shops", {**APPLICATION, "name": "另一家店"})
    assert second.status_code == 409
    assert second.json()["code"] == "application_pending"


def test_shop_names_are_unique_regardless_of_case(client, world):
    ShopFactory(name="Acme 旗舰店")
    response = api_as(client, make_user()).post("/shops", {**APPLICATION, "name": "acme 旗舰店"})
    assert response.status_code == 409
    assert response.json()["code"] == "shop_name_taken"


def test_slugs_stay_unique_when_names_sound_alike(client, world):
    first = api_as(client, make_user()).post("/shops", {**APPLICATION, "name": "花花"}).json()
    second = api_as(client, make_user()).post("/shops", {**APPLICATION, "name": "华华"}).json()
    assert first["slug"] == "hua-hua"
    assert second["slug"] == "hua-hua-2"


@pytest.mark.parametrize(
    "bad",
    [
        {"contact_phone": "12345"},
        {"contact_phone": "2391234567800"},
        {"name": " "},
        {"contact_email": "not-an-email"},
        {"contact_name": ""},
    ],
)
def test_bad_applications_are_refused_and_create_nothing(client, world, bad):
    before = Shop.objects.count()
    response = api_as(client, make_user()).post("/shops", {**APPLICATION, **bad})
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"code", "message", "details"}
    assert Shop.objects.count() == before


def test_signed_out_visitors_cannot_apply(client, world):
    assert api_as(client).post("/shops", APPLICATION).status_code == 401


# --- Platform review --------------------------------------------------------------------------------


def test_platform_approves_a_pending_shop_and_the_owner_is_told(
    client, world, django_capture_on_commit_callbacks
):
    owner = make_user("merchant", email="merchant@example.com")
    shop = services.apply_for_shop(user=owner, **APPLICATION)
    admin = api_as(client, world.users[PLATFORM_ADMIN])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/shops/{shop.pk}/approve", {"reason": "资质齐全"})
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert shop in selectors.active_shops()
    entry = AuditLog.objects.get(action="shop.approve")
    assert (entry.before, entry.after, entry.reason) == (
        {"status": "pending"},
        {"status": "active"},
        "资质齐全",
    )
    assert mail.outbox[-1].to == ["merchant@example.com"]
    assert "approved" in mail.outbox[-1].subject


def test_life_cycle_follows_the_transition_table(client, world):
    admin = api_as(client, world.users[PLATFORM_ADMIN])
    shop = world.shop_a
    assert admin.post(f"/shops/{shop.id}/approve").json()["code"] == "illegal_transition"
    assert admin.post(f"/shops/{shop.id}/reactivate").status_code == 409
    assert admin.post(f"/shops/{shop.id}/suspend", {"reason": "售假"}).json()["status"] == "suspended"
    assert admin.post(f"/shops/{shop.id}/suspend", {"reason": "again"}).status_code == 409
    assert admin.post(f"/shops/{shop.id}/reactivate").json()["status"] == "active"
    actions = list(AuditLog.objects.filter(shop_id=shop.id).order_by("id").values_list("action", flat=True))
    assert actions == ["shop.suspend", "shop.reactivate"]


def test_suspending_needs_a_reason(client, world):
    response = api_as(client, world.users[PLATFORM_ADMIN]).post(
        f"/shops/{world.shop_a.id}/suspend", {"reason": ""}
    )
    assert response.status_code == 422
    world.shop_a.refresh_from_db()
    assert world.shop_a.status == ShopStatus.ACTIVE


def test_refusing_an_application_suspends_the_pending_shop(client, world):
    shop = ShopFactory(status=ShopStatus.PENDING)
    response = api_as(client, world.users[PLATFORM_ADMIN]).post(
        f"/shops/{shop.id}/suspend", {"reason": "资料不全"}
    )
    assert response.json()["status"] == "suspended"


def test_an_unknown_shop_is_404_for_the_platform_too(client, world):
    assert api_as(client, world.users[PLATFORM_ADMIN]).post("/shops/987654/approve").status_code == 404


# --- Suspended shops --------------------------------------------------------------------------------


@pytest.fixture
def suspended(world):
    services.suspend_shop(actor=world.users[PLATFORM_ADMIN], shop_id=world.shop_a.pk, reason="违规")
    world.shop_a.refresh_from_db()
    return world


def test_a_suspended_shop_disappears_from_the_storefront(suspended):
    assert suspended.shop_a not in selectors.active_shops()
    assert not selectors.shop_is_trading(suspended.shop_a.pk)


def test_staff_of_a_suspended_shop_keep_read_access(client, suspended):
    shop_id = suspended.shop_a.id
    analyst = api_as(client, suspended.users[ANALYST])
    assert analyst.get(f"/shops/{shop_id}").json()["status"] == "suspended"
    owner = api_as(client, suspended.users[SHOP_OWNER])
    assert owner.get(f"/shops/{shop_id}/staff").status_code == 200
    assert owner.get(f"/shops/{shop_id}/settlement").status_code == 200
    assert owner.get(f"/shops/{shop_id}/audit").status_code == 200


def test_a_suspended_shop_cannot_reshape_itself(client, suspended):
    shop_id = suspended.shop_a.id
    owner = api_as(client, suspended.users[SHOP_OWNER])
    staff = suspended.member(MERCHANT_STAFF)
    refused = [
        owner.patch(f"/shops/{shop_id}", {"name": "换个名字"}),
        owner.put(
            f"/shops/{shop_id}/settlement",
            {"account_name": "跑路有限公司", "bank": "某银行", "account_number": "6222000011112222"},
        ),
        owner.post(f"/shops/{shop_id}/invitations", {"email": "new@example.com", "roles": [ANALYST]}),
        owner.put(f"/shops/{shop_id}/staff/{staff.id}/roles", {"roles": [SHOP_OWNER]}),
    ]
    assert [r.json()["code"] for r in refused] == ["shop_suspended"] * 4
    shop = Shop.objects.get(pk=shop_id)
    assert shop.settlement_account_number == "6225880123456789"


def test_staff_can_still_be_cut_off_while_suspended(client, suspended):
    staff = suspended.member(MERCHANT_STAFF)
    owner = api_as(client, suspended.users[SHOP_OWNER])
    response = owner.post(f"/shops/{suspended.shop_a.id}/staff/{staff.id}/disable", {"reason": "离职"})
    assert response.status_code == 200
    assert response.json()["status"] == "disabled"


def test_the_platform_can_still_repair_a_suspended_shop(client, suspended):
    admin = api_as(client, suspended.users[PLATFORM_ADMIN])
    response = admin.patch(f"/shops/{suspended.shop_a.id}", {"description": "已整改"})
    assert response.status_code == 200
    assert response.json()["description"] == "已整改"


# --- Profile ----------------------------------------------------------------------------------------


def test_owner_edits_the_profile_and_only_changes_are_audited(client, world):
    owner = api_as(client, world.users[SHOP_OWNER])
    response = owner.patch(
        f"/shops/{world.shop_a.id}",
        {"description": "全新简介", "contact_phone": "13711112222", "name": world.shop_a.name},
    )
    assert response.status_code == 200
    assert response.json()["contact_phone_masked"] == "137****2222"
    entry = AuditLog.objects.get(action="shop.update_profile")
    assert set(entry.after) == {"description", "contact_phone"}
    assert entry.before["contact_phone"] == "138****8000"
    assert "13711112222" not in _audit_text()


def test_an_edit_that_changes_nothing_leaves_no_audit_entry(client, world):
    owner = api_as(client, world.users[SHOP_OWNER])
    assert owner.patch(f"/shops/{world.shop_a.id}", {"contact_phone": "13800138000"}).status_code == 200
    assert not AuditLog.objects.filter(action="shop.update_profile").exists()


@pytest.mark.parametrize("days", [6, 91, 0])
def test_aftersales_window_respects_the_seven_day_return_law(client, world, days):
    response = api_as(client, world.users[SHOP_OWNER]).patch(
        f"/shops/{world.shop_a.id}", {"aftersales_window_days": days}
    )
    assert response.status_code == 422
    world.shop_a.refresh_from_db()
    assert world.shop_a.aftersales_window_days == 7


def test_renaming_to_another_shops_name_is_refused(client, world):
    response = api_as(client, world.users[SHOP_OWNER]).patch(
        f"/shops/{world.shop_a.id}", {"name": world.shop_b.name}
    )
    assert response.status_code == 409


# --- Settlement -------------------------------------------------------------------------------------


SETTLEMENT = {
    "account_name": "优品商贸有限公司",
    "bank": "中国工商银行杭州分行",
    "account_number": "6222 0212 3456 7890 123",
}


def test_settlement_account_is_shown_masked_and_stored_encrypted(client, world):
    owner = api_as(client, world.users[SHOP_OWNER])
    response = owner.put(f"/shops/{world.shop_a.id}/settlement", SETTLEMENT)
    assert response.status_code == 200, response.content
    assert response.json()["account_number_masked"] == "6222***********0123"
    assert "6222021234567890123" not in response.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT settlement_account_number FROM shops_shop WHERE id = %s", [world.shop_a.id])
        raw = cursor.fetchone()[0]
    assert raw.startswith("enc1:") and "6222021234567890123" not in raw
    assert Shop.objects.get(pk=world.shop_a.id).settlement_account_number == "6222021234567890123"


def test_settlement_changes_are_audited_masked(client, world):
    api_as(client, world.users[SHOP_OWNER]).put(f"/shops/{world.shop_a.id}/settlement", SETTLEMENT)
    entry = AuditLog.objects.get(action="shop.update_settlement")
    assert entry.before["settlement_account_number"] == "6225********6789"
    assert entry.after["settlement_account_number"] == "6222***********0123"
    text = _audit_text()
    assert "6222021234567890123" not in text and "6225880123456789" not in text


def test_a_new_account_with_the_same_mask_is_still_audited_as_a_change(client, world):
    same_ends = {
        **SETTLEMENT,
        "account_number": "6225889999996789",
        "account_name": "测试商贸有限公司",
        "bank": "招商银行上海分行",
    }
    api_as(client, world.users[SHOP_OWNER]).put(f"/shops/{world.shop_a.id}/settlement", same_ends)
    entry = AuditLog.objects.get(action="shop.update_settlement")
    assert entry.after["settlement_account_number"].endswith("(changed)")


def test_merchants_cannot_change_their_settlement_cycle_but_the_platform_can(client, world):
    path = f"/shops/{world.shop_a.id}/settlement"
    refused = api_as(client, world.users[SHOP_OWNER]).put(path, {**SETTLEMENT, "cycle_days": 1})
    assert refused.status_code == 403
    allowed = api_as(client, world.users[PLATFORM_ADMIN]).put(path, {**SETTLEMENT, "cycle_days": 14})
    assert allowed.json()["cycle_days"] == 14


@pytest.mark.parametrize("number", ["1234", "6222-abc-1234567", "1" * 31])
def test_bad_account_numbers_are_refused(client, world, number):
    response = api_as(client, world.users[SHOP_OWNER]).put(
        f"/shops/{world.shop_a.id}/settlement", {**SETTLEMENT, "account_number": number}
    )
    assert response.status_code == 422
    assert Shop.objects.get(pk=world.shop_a.id).settlement_account_number == "6225880123456789"


def test_staff_without_shop_manage_do_not_see_settlement(client, world):
    response = api_as(client, world.users[ANALYST]).get(f"/shops/{world.shop_a.id}/settlement")
    assert response.status_code == 403
    body = api_as(client, world.users[ANALYST]).get(f"/shops/{world.shop_a.id}").json()
    assert not any("settlement_account" in key for key in body)


# --- Audit API --------------------------------------------------------------------------------------


def test_shop_audit_shows_only_that_shops_rows_and_filters(client, world):
    services.update_shop_profile(actor=world.users[SHOP_OWNER], shop_id=world.shop_a.pk, description="甲")
    services.update_shop_profile(actor=world.owner_b, shop_id=world.shop_b.pk, description="乙")
    make_member(world.shop_a, ANALYST)
    owner = api_as(client, world.users[SHOP_OWNER])
    rows = owner.get(f"/shops/{world.shop_a.id}/audit").json()
    assert rows["count"] == 1
    assert {r["shop_id"] for r in rows["items"]} == {world.shop_a.id}
    assert rows["items"][0]["actor_label"] == world.users[SHOP_OWNER].username
    assert owner.get(f"/shops/{world.shop_a.id}/audit", action="staff.").json()["count"] == 0


def test_platform_audit_sees_every_shop_and_filters_by_shop(client, world):
    services.update_shop_profile(actor=world.users[SHOP_OWNER], shop_id=world.shop_a.pk, description="甲")
    services.update_shop_profile(actor=world.owner_b, shop_id=world.shop_b.pk, description="乙")
    admin = api_as(client, world.users[PLATFORM_ADMIN])
    assert admin.get("/shops/audit").json()["count"] == 2
    only_b = admin.get("/shops/audit", shop_id=world.shop_b.id).json()
    assert [r["shop_id"] for r in only_b["items"]] == [world.shop_b.id]


def test_audit_pagination_bounds_are_validated(client, world):
    admin = api_as(client, world.users[PLATFORM_ADMIN])
    assert admin.get("/shops/audit", page_size=1000).status_code == 422
    assert admin.get("/shops/audit", page=0).status_code == 422


def test_mobile_clients_with_a_bearer_token_get_the_same_answers(client, world):
    from shopops.accounts.tokens import issue_tokens

    def call(user, path):
        token = issue_tokens(user).access
        return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}").status_code

    client.logout()
    assert call(world.users[SHOP_OWNER], f"/shops/{world.shop_a.id}/settlement") == 200
    assert call(world.users[ANALYST], f"/shops/{world.shop_a.id}/settlement") == 403
    assert call(world.users[ANALYST], f"/shops/{world.shop_b.id}") == 404
