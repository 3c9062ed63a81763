"""Request and response shapes for the shops API. Outputs never carry an unmasked phone or account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from ninja import Field, Schema

from shopops.core.masking import mask_email, mask_phone
from shopops.shops import selectors
from shopops.shops.models import Invitation, InvitationStatus, Membership, Shop


def _request_user(context: Any) -> Any:
    request = (context or {}).get("request")
    return getattr(request, "auth", None) if request is not None else None


# --- Shops ------------------------------------------------------------------------------------------


class ShopApplyIn(Schema):
    name: str = Field(..., min_length=2, max_length=80)
    contact_name: str = Field(..., min_length=1, max_length=40)
    contact_phone: str = Field(..., min_length=11, max_length=20, description="中国大陆手机号")
    contact_email: str = Field("", max_length=254)
    description: str = Field("", max_length=2000)


class ShopUpdateIn(Schema):
    name: str | None = Field(None, min_length=2, max_length=80)
    contact_name: str | None = Field(None, min_length=1, max_length=40)
    contact_phone: str | None = Field(None, min_length=11, max_length=20)
    contact_email: str | None = Field(None, max_length=254)
    description: str | None = Field(None, max_length=2000)
    aftersales_window_days: int | None = Field(None, ge=7, le=90)


class ShopOut(Schema):
    id: int
    name: str
    slug: str
    status: str
    status_label: str
    description: str
    contact_name: str
    contact_phone_masked: str
    contact_email: str
    aftersales_window_days: int
    settlement_cycle_days: int
    owner_id: int
    created_at: datetime
    my_permissions: list[str] = Field(..., description="The caller's permission codes in this shop")

    @staticmethod
    def resolve_status_label(obj: Shop) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_contact_phone_masked(obj: Shop) -> str:
        return mask_phone(obj.contact_phone)

    @staticmethod
    def resolve_my_permissions(obj: Shop, context: Any) -> list[str]:
        user = _request_user(context)
        return sorted(selectors.shop_permissions(user, obj.pk)) if user is not None else []


class SettlementIn(Schema):
    account_name: str = Field(..., min_length=1, max_length=80)
    bank: str = Field(..., min_length=1, max_length=80)
    account_number: str = Field(..., min_length=8, max_length=40, description="银行账号（仅数字）")
    cycle_days: int | None = Field(None, ge=1, le=90, description="平台设定；商家修改会被拒绝")


class SettlementOut(Schema):
    shop_id: int
    account_name: str
    bank: str
    account_number_masked: str
    cycle_days: int

    @staticmethod
    def from_shop(shop: Shop) -> SettlementOut:
        return SettlementOut(
            shop_id=shop.pk,
            account_name=shop.settlement_account_name,
            bank=shop.settlement_bank,
            account_number_masked=shop.masked_settlement_account,
            cycle_days=shop.settlement_cycle_days,
        )


class ReasonIn(Schema):
    reason: str = Field("", max_length=255)


# --- Staff ------------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    shop_id: int | None
    user_id: int
    username: str
    display_name: str
    phone_masked: str
    email_masked: str
    roles: list[str]
    status: str
    is_principal: bool = Field(..., description="The account that applied for (legally owns) the shop")
    invited_by_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_username(obj: Membership) -> str:
        return obj.user.username

    @staticmethod
    def resolve_display_name(obj: Membership) -> str:
        return obj.user.display_name

    @staticmethod
    def resolve_phone_masked(obj: Membership) -> str:
        return mask_phone(obj.user.phone)

    @staticmethod
    def resolve_email_masked(obj: Membership) -> str:
        return mask_email(obj.user.email)

    @staticmethod
    def resolve_roles(obj: Membership) -> list[str]:
        return selectors.role_codes(obj)

    @staticmethod
    def resolve_is_principal(obj: Membership) -> bool:
        return obj.shop is not None and obj.shop.owner_id == obj.user_id


class RolesIn(Schema):
    roles: list[str] = Field(..., max_length=20)


class InvitationIn(Schema):
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=20)
    roles: list[str] = Field(..., min_length=1, max_length=20)


class InvitationOut(Schema):
    id: int
    shop_id: int
    contact_masked: str
    channel: str
    roles: list[str]
    status: str
    expires_at: datetime
    created_at: datetime
    invited_by_id: int
    accepted_by_id: int | None

    @staticmethod
    def resolve_contact_masked(obj: Invitation) -> str:
        return mask_email(obj.email) if obj.email else "手机号邀请 / phone"

    @staticmethod
    def resolve_channel(obj: Invitation) -> str:
        return "email" if obj.email else "phone"

    @staticmethod
    def resolve_roles(obj: Invitation) -> list[str]:
        return sorted(role.code for role in obj.roles.all())

    @staticmethod
    def resolve_status(obj: Invitation) -> str:
        if obj.status == InvitationStatus.PENDING and obj.expires_at <= timezone.now():
            return "expired"
        return obj.status


class InvitationIssuedOut(InvitationOut):
    accept_url: str = Field(..., description="Shown once; works only for the invited, verified account")


class AcceptIn(Schema):
    token: str = Field(..., min_length=10, max_length=200)


# --- Roles ------------------------------------------------------------------------------------------


class RoleOut(Schema):
    code: str
    name: str
    name_en: str
    scope: str
    permissions: list[str]
    is_system: bool


class RolePermissionsIn(Schema):
    permissions: list[str] = Field(..., max_length=200)


class PermissionOut(Schema):
    code: str
    description: str
    scope: str


class RolesCatalogueOut(Schema):
    roles: list[RoleOut]
    permissions: list[PermissionOut]


class PlatformRolesIn(Schema):
    roles: list[str] = Field(..., max_length=20, description="Empty withdraws platform access")


# --- Audit ------------------------------------------------------------------------------------------


class AuditOut(Schema):
    id: int
    created_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    shop_id: int | None
    before: Any = None
    after: Any = None
    reason: str
    ip_address: str | None

    @staticmethod
    def resolve_actor_label(obj: Any) -> str:
        return obj.actor.label if obj.actor is not None else "system"


class AuditFilter(Schema):
    action: str | None = Field(None, max_length=80, description='Exact code, or a prefix ending in "."')
    object_type: str | None = Field(None, max_length=80)
    object_id: str | None = Field(None, max_length=64)
    actor_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


class PlatformAuditFilter(AuditFilter):
    shop_id: int | None = None
