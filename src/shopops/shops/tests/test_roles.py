"""Editing what a role may do: platform-only, validated, audited, effective at once."""

from __future__ import annotations

import pytest

from shopops.core.models import AuditLog
from shopops.shops import services
from shopops.shops.errors import RoleNotEditable
from shopops.shops.models import PermissionDef, Role
from shopops.shops.permissions import (
    ALL_PERMISSIONS,
    ANALYST,
    DEFAULT_ROLES,
    PLATFORM_ADMIN,
    SHOP_OWNER,
    SHOPPER,
)
from shopops.shops.tests.factories import api_as, make_member, make_user
from shopops.shops.tests.matrix import build_world

ANALYST_PERMS = sorted(next(p for code, _, _, _, p in DEFAULT_ROLES if code == ANALYST))


@pytest.fixture
def world(db):
    return build_world()


def _put(client, user, code, permissions):
    return api_as(client, user).put(f"/shops/roles/{code}/permissions", {"permissions": permissions})


def test_anyone_signed_in_can_read_the_role_catalogue(client, world):
    body = api_as(client, world.users[SHOPPER]).get("/shops/roles").json()
    assert {r["code"] for r in body["roles"]} >= {SHOP_OWNER, ANALYST, PLATFORM_ADMIN}
    assert {p["code"] for p in body["permissions"]} == set(ALL_PERMISSIONS)


def test_a_role_edit_is_audited_and_applies_on_the_next_request(client, world):
    analyst = world.users[ANALYST]
    audit_path = f"/shops/{world.shop_a.id}/audit"
    assert api_as(client, analyst).get(audit_path).status_code == 403
    response = _put(client, world.users[PLATFORM_ADMIN], ANALYST, [*ANALYST_PERMS, "audit.view"])
    assert response.status_code == 200
    assert "audit.view" in response.json()["permissions"]
    assert api_as(client, analyst).get(audit_path).status_code == 200
    entry = AuditLog.objects.get(action="role.permissions_change")
    assert entry.actor == world.users[PLATFORM_ADMIN]
    assert entry.before == {"code": ANALYST, "permissions": ANALYST_PERMS}
    assert entry.after == {"code": ANALYST, "permissions": sorted([*ANALYST_PERMS, "audit.view"])}
    # ...and taking it away is just as immediate.
    _put(client, world.users[PLATFORM_ADMIN], ANALYST, ANALYST_PERMS)
    assert api_as(client, analyst).get(audit_path).status_code == 403


@pytest.mark.parametrize(
    "role", [SHOP_OWNER, ANALYST, "merchant_staff", "customer_service", "warehouse", "marketing"]
)
def test_merchants_cannot_edit_roles(client, world, role):
    caller = world.users[role] if role in world.users else make_member(world.shop_a, role).user
    response = _put(client, caller, SHOP_OWNER, ["shop.view"])
    assert response.status_code == 403
    assert Role.objects.get(code=SHOP_OWNER).permissions == sorted(
        next(p for code, _, _, _, p in DEFAULT_ROLES if code == SHOP_OWNER)
    )
    assert not AuditLog.objects.filter(action="role.permissions_change").exists()


def test_unknown_permission_codes_are_refused_and_change_nothing(client, world):
    response = _put(
        client, world.users[PLATFORM_ADMIN], ANALYST, [*ANALYST_PERMS, "orders.delete_everything"]
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_permission"
    assert response.json()["details"]["unknown"] == ["orders.delete_everything"]
    assert Role.objects.get(code=ANALYST).permissions == ANALYST_PERMS


def test_shop_roles_cannot_hold_platform_permissions(client, world):
    response = _put(client, world.users[PLATFORM_ADMIN], SHOP_OWNER, ["shop.view", "platform.shops"])
    assert response.status_code == 422
    assert response.json()["details"]["not_shop_scoped"] == ["platform.shops"]


def test_the_shopper_role_is_not_editable(client, world):
    response = _put(client, world.users[PLATFORM_ADMIN], SHOPPER, ["orders.view"])
    assert response.status_code == 409


def test_an_unknown_role_is_404(client, world):
    assert _put(client, world.users[PLATFORM_ADMIN], "nope", []).status_code == 404


def test_the_platform_cannot_lock_itself_out_of_role_management(client, world):
    everything_but_roles = sorted(c for c in ALL_PERMISSIONS if c != "platform.roles")
    response = _put(client, world.users[PLATFORM_ADMIN], PLATFORM_ADMIN, everything_but_roles)
    assert response.status_code == 409 and response.json()["code"] == "last_platform_admin"
    assert "platform.roles" in Role.objects.get(code=PLATFORM_ADMIN).permissions


def test_with_a_superuser_around_the_admin_role_may_drop_role_management(client, world):
    make_user("root", is_superuser=True, is_staff=True)
    everything_but_roles = sorted(c for c in ALL_PERMISSIONS if c != "platform.roles")
    assert _put(client, world.users[PLATFORM_ADMIN], PLATFORM_ADMIN, everything_but_roles).status_code == 200


def test_a_custom_role_can_be_created_granted_and_deleted_when_unused(world):
    admin = world.users[PLATFORM_ADMIN]
    finance = services.create_role(
        actor=admin,
        code="finance",
        name="财务",
        name_en="Finance",
        scope="shop",
        permissions=["shop.view", "orders.view"],
    )
    member = make_member(world.shop_a, ANALYST)
    services.assign_roles(
        actor=world.users[SHOP_OWNER],
        shop_id=world.shop_a.pk,
        membership_id=member.pk,
        role_codes=["finance"],
    )
    with pytest.raises(RoleNotEditable):
        services.delete_role(actor=admin, role_code="finance")
    services.assign_roles(
        actor=world.users[SHOP_OWNER], shop_id=world.shop_a.pk, membership_id=member.pk, role_codes=[ANALYST]
    )
    services.delete_role(actor=admin, role_code="finance")
    assert not Role.objects.filter(pk=finance.pk).exists()
    actions = list(AuditLog.objects.filter(object_type="shops.role").values_list("action", flat=True))
    assert sorted(actions) == ["role.create", "role.delete"]


def test_system_roles_cannot_be_deleted(world):
    with pytest.raises(RoleNotEditable):
        services.delete_role(actor=world.users[PLATFORM_ADMIN], role_code=ANALYST)


def test_sync_grants_a_new_permission_code_to_the_default_roles_that_list_it(world):
    # Pretend "audit.view" is new: the table does not know it and the owner role lacks it.
    PermissionDef.objects.filter(code="audit.view").delete()
    owner = Role.objects.get(code=SHOP_OWNER)
    owner.permissions = [c for c in owner.permissions if c != "audit.view"]
    owner.save()
    analyst = Role.objects.get(code=ANALYST)
    assert services.sync_permissions() == ["audit.view"]
    assert "audit.view" in Role.objects.get(code=SHOP_OWNER).permissions
    assert Role.objects.get(code=ANALYST).permissions == analyst.permissions  # not in its defaults


def test_sync_keeps_an_admins_edits_to_existing_codes(world):
    services.update_role_permissions(
        actor=world.users[PLATFORM_ADMIN], role_code=ANALYST, permissions=["shop.view"]
    )
    assert services.sync_permissions() == []
    assert Role.objects.get(code=ANALYST).permissions == ["shop.view"]


def test_sync_removes_codes_dropped_from_the_catalogue(world):
    PermissionDef.objects.create(code="legacy.thing", description="old", scope="shop")
    role = Role.objects.get(code=ANALYST)
    role.permissions = [*role.permissions, "legacy.thing"]
    role.save()
    services.sync_permissions()
    assert not PermissionDef.objects.filter(code="legacy.thing").exists()
    assert "legacy.thing" not in Role.objects.get(code=ANALYST).permissions
