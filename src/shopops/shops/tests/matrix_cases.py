"""Permission-matrix cases for the shops API (see matrix.py for how cases work)."""

from __future__ import annotations

import uuid

from shopops.shops.models import ShopStatus
from shopops.shops.permissions import ANALYST, DEFAULT_ROLES, MERCHANT_STAFF, PLATFORM_ADMIN
from shopops.shops.tests.factories import make_invitation
from shopops.shops.tests.matrix import Call, World, case


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


# --- signed in ----------------------------------------------------------------------------------------


@case("POST", "/shops")
def apply_for_shop(w: World) -> Call:
    body = {"name": _unique("新店"), "contact_name": "李四", "contact_phone": "13912345678"}
    return Call("POST", "/shops", body, ok=201)


@case("GET", "/shops")
def list_my_shops(w: World) -> Call:
    return Call("GET", "/shops")


@case("GET", "/shops/roles")
def list_roles(w: World) -> Call:
    return Call("GET", "/shops/roles")


@case("POST", "/shops/invitations/accept")
def accept_invitation(w: World) -> Call:
    # An invitation to the caller's own (verified) email, from the other shop.
    _, token = make_invitation(w.shop_b, email=w.caller.email, roles=(ANALYST,))
    return Call("POST", "/shops/invitations/accept", {"token": token})


# --- platform -----------------------------------------------------------------------------------------


@case("PUT", "/shops/roles/{code}/permissions")
def update_role_permissions(w: World) -> Call:
    analyst = next(perms for code, _, _, _, perms in DEFAULT_ROLES if code == ANALYST)
    body = {"permissions": sorted(analyst | {"audit.view"})}
    return Call("PUT", f"/shops/roles/{ANALYST}/permissions", body)


@case("GET", "/shops/platform-staff")
def list_platform_staff(w: World) -> Call:
    return Call("GET", "/shops/platform-staff")


@case("PUT", "/shops/platform-staff/{user_id}/roles")
def set_platform_roles(w: World) -> Call:
    target = w.new_user()
    return Call("PUT", f"/shops/platform-staff/{target.id}/roles", {"roles": [PLATFORM_ADMIN]})


@case("GET", "/shops/audit")
def platform_audit(w: World) -> Call:
    return Call("GET", "/shops/audit", query={"action": "shop."})


@case("POST", "/shops/{shop_id}/approve")
def approve_shop(w: World) -> Call:
    pending = w.new_shop(ShopStatus.PENDING)
    return Call("POST", f"/shops/{pending.id}/approve", {"reason": "资料齐全"})


@case("POST", "/shops/{shop_id}/suspend")
def suspend_shop(w: World) -> Call:
    return Call("POST", f"/shops/{w.shop.id}/suspend", {"reason": "售假投诉"})


@case("POST", "/shops/{shop_id}/reactivate")
def reactivate_shop(w: World) -> Call:
    suspended = w.new_shop(ShopStatus.SUSPENDED)
    return Call("POST", f"/shops/{suspended.id}/reactivate", {"reason": "整改完成"})


# --- shop -------------------------------------------------------------------------------------------


@case("GET", "/shops/{shop_id}")
def get_shop(w: World) -> Call:
    return Call("GET", f"/shops/{w.shop.id}")


@case("PATCH", "/shops/{shop_id}")
def update_shop(w: World) -> Call:
    return Call("PATCH", f"/shops/{w.shop.id}", {"description": "新的店铺简介"})


@case("GET", "/shops/{shop_id}/settlement")
def get_settlement(w: World) -> Call:
    return Call("GET", f"/shops/{w.shop.id}/settlement")


@case("PUT", "/shops/{shop_id}/settlement")
def update_settlement(w: World) -> Call:
    body = {"account_name": "新户名有限公司", "bank": "工商银行", "account_number": "6222020200112233445"}
    return Call("PUT", f"/shops/{w.shop.id}/settlement", body)


@case("GET", "/shops/{shop_id}/staff")
def list_staff(w: World) -> Call:
    return Call("GET", f"/shops/{w.shop.id}/staff")


@case("PUT", "/shops/{shop_id}/staff/{membership_id}/roles")
def assign_roles(w: World) -> Call:
    member = w.new_member(w.object_shop, MERCHANT_STAFF)
    return Call("PUT", f"/shops/{w.shop.id}/staff/{member.id}/roles", {"roles": [ANALYST]})


@case("POST", "/shops/{shop_id}/staff/{membership_id}/disable")
def disable_member(w: World) -> Call:
    member = w.new_member(w.object_shop, MERCHANT_STAFF)
    return Call("POST", f"/shops/{w.shop.id}/staff/{member.id}/disable", {"reason": "离职"})


@case("POST", "/shops/{shop_id}/staff/{membership_id}/enable")
def enable_member(w: World) -> Call:
    member = w.new_member(w.object_shop, MERCHANT_STAFF)
    member.status = "disabled"
    member.save(update_fields=["status"])
    return Call("POST", f"/shops/{w.shop.id}/staff/{member.id}/enable")


@case("GET", "/shops/{shop_id}/invitations")
def list_invitations(w: World) -> Call:
    return Call("GET", f"/shops/{w.shop.id}/invitations")


@case("POST", "/shops/{shop_id}/invitations")
def invite_staff(w: World) -> Call:
    body = {"email": f"{_unique('new')}@example.com", "roles": [MERCHANT_STAFF]}
    return Call("POST", f"/shops/{w.shop.id}/invitations", body, ok=201)


@case("POST", "/shops/{shop_id}/invitations/{invitation_id}/revoke")
def revoke_invitation(w: World) -> Call:
    invitation, _ = make_invitation(w.object_shop)
    return Call("POST", f"/shops/{w.shop.id}/invitations/{invitation.id}/revoke")


@case("GET", "/shops/{shop_id}/audit")
def shop_audit(w: World) -> Call:
    return Call("GET", f"/shops/{w.shop.id}/audit")
