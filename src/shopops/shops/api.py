"""Shops API (/api/v1/shops): shops, staff, invitations, roles and audit.

Thin: each endpoint checks access with a decorator from shops.access, calls one service or
selector, and shapes the answer. Paths use int converters so "/shops/roles" can never be read as
a shop id.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from shopops.accounts.auth import api_auth
from shopops.core.pagination import PageNumberPagination
from shopops.shops import selectors, services
from shopops.shops.access import platform_permission, shop_permission, signed_in
from shopops.shops.models import PermissionDef
from shopops.shops.schemas import (
    AcceptIn,
    AuditFilter,
    AuditOut,
    InvitationIn,
    InvitationIssuedOut,
    InvitationOut,
    MemberOut,
    PlatformAuditFilter,
    PlatformRolesIn,
    ReasonIn,
    RoleOut,
    RolePermissionsIn,
    RolesCatalogueOut,
    RolesIn,
    SettlementIn,
    SettlementOut,
    ShopApplyIn,
    ShopOut,
    ShopUpdateIn,
)

router = Router(tags=["shops"], auth=api_auth)


def _member(shop_id: int, membership_id: int):
    return selectors.shop_member(shop_id, membership_id)


# --- Shops (self-service) ---------------------------------------------------------------------------


@router.post("", response={201: ShopOut}, summary="Apply to open a shop (pending until approved)")
@signed_in("Any signed-in user may apply; the applicant becomes the new shop's owner.")
def apply_for_shop(request: HttpRequest, payload: ShopApplyIn):
    shop = services.apply_for_shop(user=request.auth, request=request, **payload.dict())
    return Status(201, shop)


@router.get("", response=list[ShopOut], summary="Shops I work in (every shop for platform admins)")
@paginate(PageNumberPagination)
@signed_in("Lists only the caller's own shops (their memberships).")
def list_my_shops(request: HttpRequest):
    return selectors.shops_visible_to(request.auth).order_by("id")


# --- Roles and the permission catalogue -------------------------------------------------------------


@router.get("/roles", response=RolesCatalogueOut, summary="Roles and the permissions each grants")
@signed_in("The role catalogue is the same for everyone and holds no shop or personal data.")
def list_roles(request: HttpRequest):
    return {
        "roles": list(selectors.roles()),
        "permissions": list(PermissionDef.objects.order_by("scope", "code")),
    }


@router.put("/roles/{code}/permissions", response=RoleOut, summary="Change the permissions a role grants")
@platform_permission("platform.roles")
def update_role_permissions(request: HttpRequest, code: str, payload: RolePermissionsIn):
    return services.update_role_permissions(
        actor=request.auth, role_code=code, permissions=payload.permissions, request=request
    )


@router.get("/platform-staff", response=list[MemberOut], summary="Platform staff and their roles")
@paginate(PageNumberPagination)
@platform_permission("platform.roles")
def list_platform_staff(request: HttpRequest):
    return selectors.platform_members()


@router.put(
    "/platform-staff/{int:user_id}/roles", response={200: MemberOut, 204: None}, summary="Set platform roles"
)
@platform_permission("platform.roles")
def set_platform_roles(request: HttpRequest, user_id: int, payload: PlatformRolesIn):
    membership = services.grant_platform_role(
        actor=request.auth, user_id=user_id, role_codes=payload.roles, request=request
    )
    if membership is None:
        return Status(204, None)
    return Status(200, selectors.platform_members().get(pk=membership.pk))


# --- Invitations (invitee side) ---------------------------------------------------------------------


@router.post("/invitations/accept", response=MemberOut, summary="Accept a staff invitation")
@signed_in("Acts only for the caller; the service checks the invitation was sent to them.")
def accept_invitation(request: HttpRequest, payload: AcceptIn):
    membership = services.accept_invitation(user=request.auth, token=payload.token, request=request)
    return selectors.shop_member(membership.shop_id, membership.pk)


# --- Platform audit ---------------------------------------------------------------------------------


@router.get("/audit", response=list[AuditOut], summary="The whole audit log (platform)")
@paginate(PageNumberPagination)
@platform_permission("platform.audit")
def platform_audit(request: HttpRequest, filters: Query[PlatformAuditFilter]):
    return selectors.audit_entries(**filters.dict())


# --- One shop ---------------------------------------------------------------------------------------


@router.get("/{int:shop_id}", response=ShopOut, summary="A shop's profile")
@shop_permission("shop.view")
def get_shop(request: HttpRequest, shop_id: int):
    return selectors.get_shop(shop_id)


@router.patch("/{int:shop_id}", response=ShopOut, summary="Change a shop's profile")
@shop_permission("shop.manage")
def update_shop(request: HttpRequest, shop_id: int, payload: ShopUpdateIn):
    return services.update_shop_profile(
        actor=request.auth, shop_id=shop_id, request=request, **payload.dict(exclude_unset=True)
    )


@router.get("/{int:shop_id}/settlement", response=SettlementOut, summary="Settlement details (masked)")
@shop_permission("shop.manage")
def get_settlement(request: HttpRequest, shop_id: int):
    return SettlementOut.from_shop(selectors.get_shop(shop_id))


@router.put("/{int:shop_id}/settlement", response=SettlementOut, summary="Replace settlement details")
@shop_permission("shop.manage")
def update_settlement(request: HttpRequest, shop_id: int, payload: SettlementIn):
    shop = services.update_settlement(actor=request.auth, shop_id=shop_id, request=request, **payload.dict())
    return SettlementOut.from_shop(shop)


@router.post("/{int:shop_id}/approve", response=ShopOut, summary="Approve a pending shop (platform)")
@platform_permission("platform.shops")
def approve_shop(request: HttpRequest, shop_id: int, payload: ReasonIn | None = None):
    reason = payload.reason if payload else ""
    return services.approve_shop(actor=request.auth, shop_id=shop_id, reason=reason, request=request)


@router.post("/{int:shop_id}/suspend", response=ShopOut, summary="Suspend a shop (platform)")
@platform_permission("platform.shops")
def suspend_shop(request: HttpRequest, shop_id: int, payload: ReasonIn):
    return services.suspend_shop(actor=request.auth, shop_id=shop_id, reason=payload.reason, request=request)


@router.post("/{int:shop_id}/reactivate", response=ShopOut, summary="Reactivate a suspended shop (platform)")
@platform_permission("platform.shops")
def reactivate_shop(request: HttpRequest, shop_id: int, payload: ReasonIn | None = None):
    reason = payload.reason if payload else ""
    return services.reactivate_shop(actor=request.auth, shop_id=shop_id, reason=reason, request=request)


# --- Staff ------------------------------------------------------------------------------------------


@router.get("/{int:shop_id}/staff", response=list[MemberOut], summary="The shop's staff")
@paginate(PageNumberPagination)
@shop_permission("staff.view")
def list_staff(request: HttpRequest, shop_id: int):
    return selectors.shop_members(shop_id)


@router.put("/{int:shop_id}/staff/{int:membership_id}/roles", response=MemberOut, summary="Set roles")
@shop_permission("staff.manage")
def assign_roles(request: HttpRequest, shop_id: int, membership_id: int, payload: RolesIn):
    services.assign_roles(
        actor=request.auth,
        shop_id=shop_id,
        membership_id=membership_id,
        role_codes=payload.roles,
        request=request,
    )
    return _member(shop_id, membership_id)


@router.post("/{int:shop_id}/staff/{int:membership_id}/disable", response=MemberOut, summary="Disable")
@shop_permission("staff.manage")
def disable_member(request: HttpRequest, shop_id: int, membership_id: int, payload: ReasonIn | None = None):
    services.disable_member(
        actor=request.auth,
        shop_id=shop_id,
        membership_id=membership_id,
        reason=payload.reason if payload else "",
        request=request,
    )
    return _member(shop_id, membership_id)


@router.post("/{int:shop_id}/staff/{int:membership_id}/enable", response=MemberOut, summary="Enable")
@shop_permission("staff.manage")
def enable_member(request: HttpRequest, shop_id: int, membership_id: int, payload: ReasonIn | None = None):
    services.enable_member(
        actor=request.auth,
        shop_id=shop_id,
        membership_id=membership_id,
        reason=payload.reason if payload else "",
        request=request,
    )
    return _member(shop_id, membership_id)


@router.get("/{int:shop_id}/invitations", response=list[InvitationOut], summary="The shop's invitations")
@paginate(PageNumberPagination)
@shop_permission("staff.view")
def list_invitations(request: HttpRequest, shop_id: int):
    return selectors.shop_invitations(shop_id)


@router.post("/{int:shop_id}/invitations", response={201: InvitationIssuedOut}, summary="Invite staff")
@shop_permission("staff.manage")
def invite_staff(request: HttpRequest, shop_id: int, payload: InvitationIn):
    issued = services.invite_staff(
        actor=request.auth,
        shop_id=shop_id,
        email=payload.email,
        phone=payload.phone,
        role_codes=payload.roles,
        request=request,
    )
    invitation = issued.invitation
    invitation.accept_url = issued.accept_url  # shown in this answer only; never stored
    return Status(201, invitation)


@router.post(
    "/{int:shop_id}/invitations/{int:invitation_id}/revoke", response=InvitationOut, summary="Revoke"
)
@shop_permission("staff.manage")
def revoke_invitation(request: HttpRequest, shop_id: int, invitation_id: int):
    return services.revoke_invitation(
        actor=request.auth, shop_id=shop_id, invitation_id=invitation_id, request=request
    )


# --- Shop audit -------------------------------------------------------------------------------------


@router.get("/{int:shop_id}/audit", response=list[AuditOut], summary="The shop's audit log")
@paginate(PageNumberPagination)
@shop_permission("audit.view")
def shop_audit(request: HttpRequest, shop_id: int, filters: Query[AuditFilter]):
    return selectors.audit_entries(shop_id=shop_id, **filters.dict())
