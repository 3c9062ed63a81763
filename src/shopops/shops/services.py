"""Writes for shops, staff, invitations and roles.

Each public function is one transaction, checks the actor's permission itself (the API decorators
are a first gate, but the admin and other apps call these functions directly), and writes an audit
row with the state before and after. Secrets never reach the audit log: phone and bank account
numbers are masked in every snapshot.

Concurrency: every change to a shop's memberships first locks the shop row, so two owners demoting
each other at the same moment are serialised and the "last owner" rule cannot be raced. Platform
role changes serialise on the platform_admin role row for the same reason.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from shopops.core import audit
from shopops.core.errors import (
    IllegalTransition,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Throttled,
)
from shopops.core.masking import mask_email, mask_phone
from shopops.shops import selectors
from shopops.shops.errors import (
    AlreadyMember,
    ApplicationPending,
    CannotDisableSelf,
    ContactNotVerified,
    GrantExceedsOwnPermissions,
    InvitationExpired,
    InvitationNotFound,
    InvitationRevoked,
    InvitationUsed,
    InvitationWrongUser,
    LastOwner,
    LastPlatformAdmin,
    RoleNotAssignable,
    RoleNotEditable,
    ShopNameTaken,
    ShopSuspended,
    UnknownPermission,
)
from shopops.shops.models import (
    Invitation,
    InvitationStatus,
    Membership,
    MembershipStatus,
    PermissionDef,
    Role,
    RoleScope,
    Shop,
    ShopStatus,
)
from shopops.shops.permissions import (
    DEFAULT_ROLES,
    PLATFORM_ADMIN,
    PLATFORM_PERMISSIONS,
    SHOP_OWNER,
    SHOP_PERMISSIONS,
    SHOPPER,
)

INVITATION_TTL = timedelta(days=7)
# Each invitation sends an email from our domain: a cap keeps a compromised owner account from
# turning the platform into a spam relay. Generous for real hiring (a big shop onboarding a team).
INVITATIONS_PER_SHOP_PER_DAY = 50
# China's Consumer Rights Protection Law (art. 25) gives online buyers seven days to return goods
# without a reason, so no shop may offer less; the upper bound keeps settlement holds sane.
MIN_AFTERSALES_DAYS = 7
MAX_AFTERSALES_DAYS = 90
MIN_SETTLEMENT_CYCLE_DAYS = 1
MAX_SETTLEMENT_CYCLE_DAYS = 90
ACCOUNT_NUMBER_RE = re.compile(r"^\d{8,30}$")
ROLE_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

# The shop life cycle. Suspending a pending shop is how an application is turned down.
TRANSITIONS: dict[tuple[str, str], str] = {
    (ShopStatus.PENDING, "approve"): ShopStatus.ACTIVE,
    (ShopStatus.PENDING, "suspend"): ShopStatus.SUSPENDED,
    (ShopStatus.ACTIVE, "suspend"): ShopStatus.SUSPENDED,
    (ShopStatus.SUSPENDED, "reactivate"): ShopStatus.ACTIVE,
}

PROFILE_FIELDS = [
    "name",
    "description",
    "contact_name",
    "contact_phone",
    "contact_email",
    "aftersales_window_days",
]
SETTLEMENT_FIELDS = [
    "settlement_account_name",
    "settlement_bank",
    "settlement_account_number",
    "settlement_cycle_days",
]


# --- Small shared rules -----------------------------------------------------------------------------


def _require_signed_in(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotAuthenticated()


def _require_shop_perm(actor: Any, shop_id: int, perm: str) -> None:
    """The same answer the API gives: non-member 404, member without the permission 403."""
    _require_signed_in(actor)
    if not selectors.is_shop_member(actor, shop_id):
        raise NotFound(resource="shop", id=shop_id)
    if not selectors.has_shop_perm(actor, shop_id, perm):
        raise PermissionDenied(permission=perm)


def _require_platform_perm(actor: Any, perm: str) -> None:
    _require_signed_in(actor)
    if not selectors.has_platform_perm(actor, perm):
        raise PermissionDenied(permission=perm)


def _lock_shop(shop_id: int) -> Shop:
    shop = Shop.objects.select_for_update().filter(pk=shop_id).first()
    if shop is None:
        raise NotFound(resource="shop", id=shop_id)
    return shop


def _lock_shop_as(actor: Any, shop_id: int, perm: str) -> Shop:
    """Lock the shop, then re-check the actor's permission against committed data.

    The first check (before the lock) turns strangers away cheaply; the second closes the window in
    which a concurrent change (someone demoting this actor) committed while we waited for the lock.
    """
    _require_shop_perm(actor, shop_id, perm)
    shop = _lock_shop(shop_id)
    selectors.forget_permissions(actor)
    _require_shop_perm(actor, shop_id, perm)
    return shop


def _ensure_writable(shop: Shop, actor: Any) -> None:
    """A suspended shop is frozen for its own staff; platform staff may still repair it."""
    if shop.status == ShopStatus.SUSPENDED and not selectors.is_platform_admin(actor):
        raise ShopSuspended(shop_id=shop.pk)


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(fields={field: [message]})


def _clean_text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise _invalid(field, "必填 / Required")
    if len(text) > max_length:
        raise _invalid(field, f"最多 {max_length} 个字符 / At most {max_length} characters")
    return text


def _clean_phone(value: str, *, field: str) -> str:
    from shopops.accounts.validators import validate_phone

    try:
        return validate_phone(value or "")
    except ValidationError as exc:
        raise _invalid(field, str(exc.messages[0])) from exc


def _clean_email(value: str | None, *, field: str, required: bool = False) -> str:
    email = (value or "").strip().lower()
    if not email:
        if required:
            raise _invalid(field, "必填 / Required")
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise _invalid(field, "邮箱格式不正确 / Enter a valid email address") from exc
    return email


def _clean_days(value: int, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _invalid(field, f"须在 {low}-{high} 天之间 / Must be between {low} and {high} days")
    return value


def sync_staff_flag(user: Any) -> bool:
    """Keep user.is_staff (Django admin sign-in) true exactly while the user has an active membership."""
    should = selectors.should_be_staff(user)
    if user.is_staff != should:
        get_user_model().objects.filter(pk=user.pk).update(is_staff=should)
        user.is_staff = should
    return should


# --- Audit snapshots (masked) -----------------------------------------------------------------------


def _profile_snapshot(shop: Shop) -> dict[str, Any]:
    return {
        "name": shop.name,
        "description": shop.description,
        "contact_name": shop.contact_name,
        "contact_phone": mask_phone(shop.contact_phone),
        "contact_email": mask_email(shop.contact_email),
        "aftersales_window_days": shop.aftersales_window_days,
    }


def _settlement_snapshot(shop: Shop) -> dict[str, Any]:
    return {
        "settlement_account_name": shop.settlement_account_name,
        "settlement_bank": shop.settlement_bank,
        "settlement_account_number": shop.masked_settlement_account,
        "settlement_cycle_days": shop.settlement_cycle_days,
    }


def _shop_snapshot(shop: Shop) -> dict[str, Any]:
    return {
        "status": shop.status,
        "slug": shop.slug,
        "owner_id": shop.owner_id,
        **_profile_snapshot(shop),
        **_settlement_snapshot(shop),
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _membership_snapshot(membership: Membership, codes: Iterable[str] | None = None) -> dict[str, Any]:
    return {
        "user_id": membership.user_id,
        "status": membership.status,
        "roles": sorted(codes if codes is not None else selectors.role_codes(membership)),
    }


# --- Shops ------------------------------------------------------------------------------------------


def _slug_for(name: str) -> str:
    """A readable, unique slug: pinyin for Chinese names ("优品生活" -> "you-pin-sheng-huo")."""
    from pypinyin import lazy_pinyin

    base = slugify("-".join(lazy_pinyin(name)))[:60].strip("-") or "shop"
    slug, n = base, 1
    while Shop.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def apply_for_shop(
    *,
    user: Any,
    name: str,
    contact_name: str,
    contact_phone: str,
    contact_email: str = "",
    description: str = "",
    request: HttpRequest | None = None,
) -> Shop:
    """Any signed-in user applies to open a shop; it stays pending until the platform approves it.

    The applicant becomes the shop's owner at once (so they can complete settlement details while
    waiting). One pending application per user at a time.
    """
    _require_signed_in(user)
    name = _clean_text(name, field="name", max_length=80, required=True)
    if len(name) < 2:
        raise _invalid("name", "至少 2 个字符 / At least 2 characters")
    values = {
        "description": _clean_text(description, field="description", max_length=2000),
        "contact_name": _clean_text(contact_name, field="contact_name", max_length=40, required=True),
        "contact_phone": _clean_phone(contact_phone, field="contact_phone"),
        "contact_email": _clean_email(contact_email, field="contact_email"),
    }
    # Lock the applicant so two simultaneous applications cannot both pass the "one pending" check.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if Shop.objects.filter(owner=user, status=ShopStatus.PENDING).exists():
        raise ApplicationPending()
    if Shop.objects.filter(name__iexact=name).exists():
        raise ShopNameTaken(name=name)
    try:
        with transaction.atomic():
            shop = Shop.objects.create(name=name, slug=_slug_for(name), owner=user, **values)
    except IntegrityError as exc:  # a concurrent application took the name or slug first
        raise ShopNameTaken(name=name) from exc
    membership = Membership.objects.create(user=user, shop=shop)
    membership.roles.set([selectors.role_by_code(SHOP_OWNER)])
    sync_staff_flag(user)
    selectors.forget_permissions(user)
    audit.record(
        actor=user,
        action="shop.apply",
        obj=shop,
        shop_id=shop.pk,
        after=_shop_snapshot(shop),
        request=request,
    )
    return shop


def _transition(*, actor: Any, shop_id: int, action: str, reason: str, request: HttpRequest | None) -> Shop:
    _require_platform_perm(actor, "platform.shops")
    reason = _clean_text(reason, field="reason", max_length=255, required=(action == "suspend"))
    shop = _lock_shop(shop_id)
    target = TRANSITIONS.get((shop.status, action))
    if target is None:
        raise IllegalTransition(status=shop.status, action=action)
    before = {"status": shop.status}
    shop.status = target
    shop.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        action=f"shop.{action}",
        obj=shop,
        shop_id=shop.pk,
        before=before,
        after={"status": shop.status},
        reason=reason,
        request=request,
    )
    from shopops.shops import tasks

    transaction.on_commit(lambda: tasks.notify_shop_status.delay(shop.pk, action, reason))
    return shop


@transaction.atomic
def approve_shop(*, actor: Any, shop_id: int, reason: str = "", request: HttpRequest | None = None) -> Shop:
    """pending -> active: the shop opens for trading."""
    return _transition(actor=actor, shop_id=shop_id, action="approve", reason=reason, request=request)


@transaction.atomic
def suspend_shop(*, actor: Any, shop_id: int, reason: str, request: HttpRequest | None = None) -> Shop:
    """active -> suspended (or pending -> suspended: application refused). A reason is required.

    What suspension means: the storefront hides the shop and other apps refuse new business for it
    (selectors.shop_is_trading); its staff keep signing in with read access to serve existing
    orders and after-sales; changes that reshape the shop (profile, settlement account, inviting,
    granting roles) are refused until the platform reactivates it. Cutting access (disabling a
    member) always stays possible.
    """
    return _transition(actor=actor, shop_id=shop_id, action="suspend", reason=reason, request=request)


@transaction.atomic
def reactivate_shop(
    *, actor: Any, shop_id: int, reason: str = "", request: HttpRequest | None = None
) -> Shop:
    """suspended -> active."""
    return _transition(actor=actor, shop_id=shop_id, action="reactivate", reason=reason, request=request)


@transaction.atomic
def update_shop_profile(
    *,
    actor: Any,
    shop_id: int,
    name: str | None = None,
    description: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    contact_email: str | None = None,
    aftersales_window_days: int | None = None,
    request: HttpRequest | None = None,
) -> Shop:
    """Change the fields given (None leaves a field as it is). Needs shop.manage."""
    shop = _lock_shop_as(actor, shop_id, "shop.manage")
    _ensure_writable(shop, actor)
    before = _profile_snapshot(shop)
    if name is not None:
        name = _clean_text(name, field="name", max_length=80, required=True)
        if len(name) < 2:
            raise _invalid("name", "至少 2 个字符 / At least 2 characters")
        if Shop.objects.filter(name__iexact=name).exclude(pk=shop.pk).exists():
            raise ShopNameTaken(name=name)
        shop.name = name
    if description is not None:
        shop.description = _clean_text(description, field="description", max_length=2000)
    if contact_name is not None:
        shop.contact_name = _clean_text(contact_name, field="contact_name", max_length=40, required=True)
    phone_changed = False
    if contact_phone is not None:
        new_phone = _clean_phone(contact_phone, field="contact_phone")
        phone_changed = new_phone != shop.contact_phone
        shop.contact_phone = new_phone
    if contact_email is not None:
        shop.contact_email = _clean_email(contact_email, field="contact_email")
    if aftersales_window_days is not None:
        shop.aftersales_window_days = _clean_days(
            aftersales_window_days,
            field="aftersales_window_days",
            low=MIN_AFTERSALES_DAYS,
            high=MAX_AFTERSALES_DAYS,
        )
    changed_before, changed_after = _changed(before, _profile_snapshot(shop))
    if phone_changed and "contact_phone" not in changed_after:
        # Same first three and last four digits: the masks match, but the number did change.
        changed_before["contact_phone"] = before["contact_phone"]
        changed_after["contact_phone"] = _profile_snapshot(shop)["contact_phone"] + " (changed)"
    if not changed_after:
        return shop
    try:
        with transaction.atomic():
            shop.save()
    except IntegrityError as exc:
        raise ShopNameTaken(name=shop.name) from exc
    audit.record(
        actor=actor,
        action="shop.update_profile",
        obj=shop,
        shop_id=shop.pk,
        before=changed_before,
        after=changed_after,
        request=request,
    )
    return shop


@transaction.atomic
def update_settlement(
    *,
    actor: Any,
    shop_id: int,
    account_name: str,
    bank: str,
    account_number: str,
    cycle_days: int | None = None,
    request: HttpRequest | None = None,
) -> Shop:
    """Replace where the shop's takings are paid. Needs shop.manage; the cycle is the platform's to set.

    The account number is stored encrypted and only ever shown or audited masked (6222********1234).
    """
    shop = _lock_shop_as(actor, shop_id, "shop.manage")
    _ensure_writable(shop, actor)
    number = re.sub(r"[\s-]", "", account_number or "")
    if not ACCOUNT_NUMBER_RE.match(number):
        raise _invalid("account_number", "账号应为 8-30 位数字 / The account number must be 8-30 digits")
    if cycle_days is not None and cycle_days != shop.settlement_cycle_days:
        # The settlement cycle is part of the platform's contract with the merchant.
        _require_platform_perm(actor, "platform.shops")
        shop.settlement_cycle_days = _clean_days(
            cycle_days,
            field="cycle_days",
            low=MIN_SETTLEMENT_CYCLE_DAYS,
            high=MAX_SETTLEMENT_CYCLE_DAYS,
        )
    before = _settlement_snapshot(shop)
    number_changed = number != (shop.settlement_account_number or "")
    shop.settlement_account_name = _clean_text(
        account_name, field="account_name", max_length=80, required=True
    )
    shop.settlement_bank = _clean_text(bank, field="bank", max_length=80, required=True)
    shop.settlement_account_number = number
    shop.save()
    changed_before, changed_after = _changed(before, _settlement_snapshot(shop))
    if number_changed and "settlement_account_number" not in changed_after:
        # Same first/last four digits: the masks match, but the account did change; say so.
        changed_before["settlement_account_number"] = before["settlement_account_number"]
        changed_after["settlement_account_number"] = shop.masked_settlement_account + " (changed)"
    if changed_after:
        audit.record(
            actor=actor,
            action="shop.update_settlement",
            obj=shop,
            shop_id=shop.pk,
            before=changed_before,
            after=changed_after,
            request=request,
        )
    return shop


# --- Roles: who may grant what ----------------------------------------------------------------------


def _roles_for(codes: Iterable[str], *, scope: str, allow_empty: bool = False) -> list[Role]:
    wanted = sorted(set(codes or []))
    if not wanted and not allow_empty:
        raise RoleNotAssignable(roles=[], reason="at least one role is required")
    found = {r.code: r for r in Role.objects.filter(code__in=wanted, scope=scope)}
    bad = [code for code in wanted if code not in found or code == SHOPPER]
    if bad:
        raise RoleNotAssignable(roles=bad, scope=scope)
    return [found[code] for code in wanted]


def _permissions_of(roles: Iterable[Role]) -> set[str]:
    return {perm for role in roles for perm in (role.permissions or [])}


def _ensure_can_grant(actor: Any, shop_id: int | None, roles: Iterable[Role]) -> None:
    """No escalation: an actor hands out only permissions they hold themselves."""
    if shop_id is None:
        # Platform admins act with every shop permission everywhere, so those count as held too.
        held = selectors.platform_permissions(actor) | (
            frozenset(SHOP_PERMISSIONS) if selectors.is_platform_admin(actor) else frozenset()
        )
    else:
        held = selectors.shop_permissions(actor, shop_id)
    missing = sorted(_permissions_of(roles) - held)
    if missing:
        raise GrantExceedsOwnPermissions(missing=missing)


def _ensure_can_manage_member(actor: Any, membership: Membership) -> None:
    """A staff manager cannot act on a colleague who holds permissions the manager lacks."""
    _ensure_can_grant(actor, membership.shop_id, membership.roles.all())


def _other_active_owner_exists(shop_id: int, *, excluding: int) -> bool:
    return (
        Membership.objects.filter(
            shop_id=shop_id, status=MembershipStatus.ACTIVE, roles__code=SHOP_OWNER, user__is_active=True
        )
        .exclude(pk=excluding)
        .exists()
    )


def _lock_member(shop_id: int, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(pk=membership_id, shop_id=shop_id)
        .first()
    )
    if membership is None:
        raise NotFound(resource="membership", id=membership_id)
    return membership


# --- Staff: invitations -----------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def accept_url(token: str) -> str:
    """The absolute link to the accept page (shops.urls), for emails and for the inviter to share."""
    from django.urls import reverse

    path = reverse("shops:accept_invitation")
    return f"{settings.SITE_URL.rstrip('/')}{path}?{urlencode({'token': token})}"


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown once: only its hash is stored

    @property
    def accept_url(self) -> str:
        return accept_url(self.token)


@transaction.atomic
def invite_staff(
    *,
    actor: Any,
    shop_id: int,
    role_codes: Iterable[str],
    email: str = "",
    phone: str = "",
    request: HttpRequest | None = None,
) -> IssuedInvitation:
    """Invite someone by email or mobile number to join the shop with shop-scoped roles.

    The link is valid for 7 days and works only for the account whose verified email or phone
    matches, so a forwarded link is useless to anyone else. An earlier pending invitation to the
    same person is revoked. Email invitations are sent by a Celery task after commit; the inviter
    also gets the link (to share over a chat app, the usual route for phone invitations).
    """
    shop = _lock_shop_as(actor, shop_id, "staff.manage")
    _ensure_writable(shop, actor)
    email = _clean_email(email, field="email")
    phone = _clean_phone(phone, field="phone") if (phone or "").strip() else ""
    if bool(email) == bool(phone):
        raise _invalid("email", "请填写邮箱或手机号其中之一 / Give either an email address or a phone number")
    roles = _roles_for(role_codes, scope=RoleScope.SHOP)
    _ensure_can_grant(actor, shop_id, roles)

    from shopops.accounts.models import phone_digest

    digest = phone_digest(phone) if phone else ""
    members = Membership.objects.filter(shop=shop, status=MembershipStatus.ACTIVE)
    if (email and members.filter(user__email__iexact=email).exists()) or (
        digest and members.filter(user__phone_digest=digest).exists()
    ):
        raise AlreadyMember()
    since = timezone.now() - timedelta(days=1)
    if Invitation.objects.filter(shop=shop, created_at__gte=since).count() >= INVITATIONS_PER_SHOP_PER_DAY:
        raise Throttled(
            "今日邀请次数已达上限，请明天再试 / Too many invitations today; try again tomorrow",
            retry_after=3600,
            limit=INVITATIONS_PER_SHOP_PER_DAY,
        )
    earlier = Invitation.objects.filter(shop=shop, status=InvitationStatus.PENDING)
    earlier = earlier.filter(email=email) if email else earlier.filter(phone_digest=digest)
    earlier.update(status=InvitationStatus.REVOKED)

    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        shop=shop,
        email=email,
        phone_digest=digest,
        token_hash=hash_token(token),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_TTL,
    )
    invitation.roles.set(roles)
    audit.record(
        actor=actor,
        action="staff.invite",
        obj=invitation,
        shop_id=shop.pk,
        after={
            "contact": mask_email(email) if email else mask_phone(phone),
            "roles": sorted(r.code for r in roles),
            "expires_at": invitation.expires_at.isoformat(),
        },
        request=request,
    )
    if email:
        from shopops.shops import tasks

        transaction.on_commit(lambda: tasks.send_invitation_email.delay(invitation.pk, token))
    return IssuedInvitation(invitation=invitation, token=token)


@transaction.atomic
def revoke_invitation(
    *, actor: Any, shop_id: int, invitation_id: int, request: HttpRequest | None = None
) -> Invitation:
    _require_shop_perm(actor, shop_id, "staff.manage")
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id, shop_id=shop_id).first()
    if invitation is None:
        raise NotFound(resource="invitation", id=invitation_id)
    if invitation.status != InvitationStatus.PENDING:
        raise IllegalTransition(status=invitation.status, action="revoke")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="staff.invitation_revoke",
        obj=invitation,
        shop_id=shop_id,
        before={"status": InvitationStatus.PENDING},
        after={"status": InvitationStatus.REVOKED},
        request=request,
    )
    return invitation


def _invitation_is_for(invitation: Invitation, user: Any) -> bool:
    if invitation.email:
        return (user.email or "").lower() == invitation.email
    return bool(invitation.phone_digest) and user.phone_digest == invitation.phone_digest


def _contact_verified(invitation: Invitation, user: Any) -> bool:
    if invitation.email:
        return user.email_verified_at is not None
    return user.phone_verified_at is not None


@transaction.atomic
def accept_invitation(*, user: Any, token: str, request: HttpRequest | None = None) -> Membership:
    """The signed-in invitee joins the shop (or rejoins, if they were disabled) with the invited roles."""
    _require_signed_in(user)
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=hash_token((token or "").strip())).first()
    )
    if invitation is None:
        raise InvitationNotFound()
    if invitation.status == InvitationStatus.ACCEPTED:
        raise InvitationUsed()
    if invitation.status == InvitationStatus.REVOKED:
        raise InvitationRevoked()
    if invitation.expires_at <= timezone.now():
        raise InvitationExpired(expired_at=invitation.expires_at.isoformat())
    if not _invitation_is_for(invitation, user):
        raise InvitationWrongUser()
    if not _contact_verified(invitation, user):
        raise ContactNotVerified(channel="email" if invitation.email else "phone")
    shop = _lock_shop(invitation.shop_id)
    if shop.status == ShopStatus.SUSPENDED:
        raise ShopSuspended(shop_id=shop.pk)

    invited_roles = list(invitation.roles.all())
    membership = Membership.objects.select_for_update().filter(user=user, shop=shop).first()
    if membership is None:
        membership = Membership.objects.create(user=user, shop=shop, invited_by=invitation.invited_by)
        before = None
        new_roles = invited_roles
    else:
        before = _membership_snapshot(membership)
        # An active member keeps what they had and gains the invited roles; a returning (disabled)
        # member gets exactly what this invitation offers, not whatever they held before.
        kept = list(membership.roles.all()) if membership.status == MembershipStatus.ACTIVE else []
        new_roles = list({r.pk: r for r in [*kept, *invited_roles]}.values())
        membership.status = MembershipStatus.ACTIVE
        membership.invited_by = invitation.invited_by
        membership.save(update_fields=["status", "invited_by"])
    membership.roles.set(new_roles)

    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.save(update_fields=["status", "accepted_by"])
    sync_staff_flag(user)
    selectors.forget_permissions(user)
    audit.record(
        actor=user,
        action="staff.join",
        obj=membership,
        shop_id=shop.pk,
        before=before,
        after={
            **_membership_snapshot(membership, [r.code for r in new_roles]),
            "invitation_id": invitation.pk,
        },
        request=request,
    )
    return membership


# --- Staff: roles and status ------------------------------------------------------------------------


@transaction.atomic
def assign_roles(
    *,
    actor: Any,
    shop_id: int,
    membership_id: int,
    role_codes: Iterable[str],
    request: HttpRequest | None = None,
) -> Membership:
    """Replace a member's shop roles. Needs staff.manage.

    Only shop-scoped roles; no granting beyond one's own permissions; a shop always keeps at least
    one active shop_owner. To take every role away, disable the member instead.
    """
    shop = _lock_shop_as(actor, shop_id, "staff.manage")
    _ensure_writable(shop, actor)
    membership = _lock_member(shop_id, membership_id)
    roles = _roles_for(role_codes, scope=RoleScope.SHOP)
    old_roles = list(membership.roles.all())
    old_codes = {r.code for r in old_roles}
    new_codes = {r.code for r in roles}
    if old_codes == new_codes:
        return membership
    _ensure_can_manage_member(actor, membership)
    _ensure_can_grant(actor, shop_id, [r for r in roles if r.code not in old_codes])
    if (
        SHOP_OWNER in old_codes
        and SHOP_OWNER not in new_codes
        and membership.status == MembershipStatus.ACTIVE
        and not _other_active_owner_exists(shop.pk, excluding=membership.pk)
    ):
        raise LastOwner(shop_id=shop.pk)
    membership.roles.set(roles)
    selectors.forget_permissions(membership.user)
    selectors.forget_permissions(actor)
    audit.record(
        actor=actor,
        action="staff.roles_change",
        obj=membership,
        shop_id=shop.pk,
        before=_membership_snapshot(membership, old_codes),
        after=_membership_snapshot(membership, new_codes),
        request=request,
    )
    return membership


@transaction.atomic
def disable_member(
    *,
    actor: Any,
    shop_id: int,
    membership_id: int,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Membership:
    """Cut a member's access to the shop at once (allowed even while the shop is suspended)."""
    shop = _lock_shop_as(actor, shop_id, "staff.manage")
    membership = _lock_member(shop_id, membership_id)
    if membership.status == MembershipStatus.DISABLED:
        raise IllegalTransition(status=membership.status, action="disable")
    if membership.user_id == actor.pk:
        raise CannotDisableSelf()
    _ensure_can_manage_member(actor, membership)
    codes = selectors.role_codes(membership)
    if SHOP_OWNER in codes and not _other_active_owner_exists(shop.pk, excluding=membership.pk):
        raise LastOwner(shop_id=shop.pk)
    before = _membership_snapshot(membership, codes)
    membership.status = MembershipStatus.DISABLED
    membership.save(update_fields=["status"])
    sync_staff_flag(membership.user)
    selectors.forget_permissions(membership.user)
    audit.record(
        actor=actor,
        action="staff.disable",
        obj=membership,
        shop_id=shop.pk,
        before=before,
        after=_membership_snapshot(membership, codes),
        reason=_clean_text(reason, field="reason", max_length=255),
        request=request,
    )
    return membership


@transaction.atomic
def enable_member(
    *,
    actor: Any,
    shop_id: int,
    membership_id: int,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Membership:
    """Restore a disabled member with the roles they had. Needs staff.manage; not while suspended."""
    shop = _lock_shop_as(actor, shop_id, "staff.manage")
    _ensure_writable(shop, actor)
    membership = _lock_member(shop_id, membership_id)
    if membership.status == MembershipStatus.ACTIVE:
        raise IllegalTransition(status=membership.status, action="enable")
    _ensure_can_manage_member(actor, membership)
    codes = selectors.role_codes(membership)
    before = _membership_snapshot(membership, codes)
    membership.status = MembershipStatus.ACTIVE
    membership.save(update_fields=["status"])
    sync_staff_flag(membership.user)
    selectors.forget_permissions(membership.user)
    audit.record(
        actor=actor,
        action="staff.enable",
        obj=membership,
        shop_id=shop.pk,
        before=before,
        after=_membership_snapshot(membership, codes),
        reason=_clean_text(reason, field="reason", max_length=255),
        request=request,
    )
    return membership


# --- Platform roles ---------------------------------------------------------------------------------


def _someone_else_can_manage_roles() -> bool:
    if get_user_model().objects.filter(is_superuser=True, is_active=True).exists():
        return True
    return bool(selectors.users_with_platform_perm("platform.roles"))


@transaction.atomic
def grant_platform_role(
    *,
    actor: Any,
    user_id: int,
    role_codes: Iterable[str],
    request: HttpRequest | None = None,
) -> Membership | None:
    """Set a user's platform roles (an empty list withdraws platform access). Needs platform.roles."""
    _require_platform_perm(actor, "platform.roles")
    # Serialise platform role changes so the "someone can still manage roles" check cannot race.
    Role.objects.select_for_update().filter(code=PLATFORM_ADMIN).first()
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(resource="user", id=user_id)
    roles = _roles_for(role_codes, scope=RoleScope.PLATFORM, allow_empty=True)
    _ensure_can_grant(actor, None, roles)
    membership = Membership.objects.select_for_update().filter(user=user, shop__isnull=True).first()
    old_codes = set(selectors.role_codes(membership)) if membership else set()
    old_status = membership.status if membership else None
    new_codes = {r.code for r in roles}
    new_status = MembershipStatus.ACTIVE if roles else MembershipStatus.DISABLED
    if old_codes == new_codes and (membership is None or old_status == new_status):
        return membership
    before = _membership_snapshot(membership, old_codes) if membership else None
    if membership is None:
        membership = Membership.objects.create(user=user, shop=None, invited_by=actor)
    membership.status = new_status
    membership.save(update_fields=["status"])
    membership.roles.set(roles)
    selectors.forget_permissions(user)
    if not _someone_else_can_manage_roles():
        raise LastPlatformAdmin()
    sync_staff_flag(user)
    audit.record(
        actor=actor,
        action="platform.roles_change",
        obj=membership,
        before=before,
        after=_membership_snapshot(membership, new_codes),
        request=request,
    )
    return membership


@transaction.atomic
def update_role_permissions(
    *,
    actor: Any,
    role_code: str,
    permissions: Iterable[str],
    request: HttpRequest | None = None,
) -> Role:
    """Replace the permission codes a role grants. Takes effect on every holder's next request."""
    _require_platform_perm(actor, "platform.roles")
    role = Role.objects.select_for_update().filter(code=role_code).first()
    if role is None:
        raise NotFound(resource="role", id=role_code)
    if role.code == SHOPPER:
        # Shoppers hold no membership, so permissions on this role would never apply to anyone.
        raise RoleNotEditable(role=role.code)
    wanted = sorted(set(permissions or []))
    _validate_codes_for_scope(wanted, role.scope)
    before = sorted(role.permissions or [])
    if wanted == before:
        return role
    role.permissions = wanted
    role.save(update_fields=["permissions"])
    if "platform.roles" in before and "platform.roles" not in wanted and not _someone_else_can_manage_roles():
        raise LastPlatformAdmin()
    selectors.forget_permissions(actor)
    audit.record(
        actor=actor,
        action="role.permissions_change",
        obj=role,
        before={"code": role.code, "permissions": before},
        after={"code": role.code, "permissions": wanted},
        request=request,
    )
    return role


def _validate_codes_for_scope(codes: list[str], scope: str) -> None:
    known = (
        set(PermissionDef.objects.values_list("code", flat=True))
        | set(SHOP_PERMISSIONS)
        | set(PLATFORM_PERMISSIONS)
    )
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise UnknownPermission(unknown=unknown)
    if scope == RoleScope.SHOP:
        # A shop role is granted by shop owners; platform powers there would be an escalation path.
        not_shop = [c for c in codes if c not in SHOP_PERMISSIONS]
        if not_shop:
            raise UnknownPermission(not_shop_scoped=not_shop)


@transaction.atomic
def create_role(
    *,
    actor: Any,
    code: str,
    name: str,
    scope: str,
    permissions: Iterable[str],
    name_en: str = "",
    request: HttpRequest | None = None,
) -> Role:
    """A custom role (e.g. "财务 / Finance"). Needs platform.roles."""
    _require_platform_perm(actor, "platform.roles")
    code = (code or "").strip()
    if not ROLE_CODE_RE.match(code):
        raise _invalid("code", "2-40 位小写字母、数字或下划线 / 2-40 lowercase letters, digits or _")
    if scope not in RoleScope.values:
        raise _invalid("scope", "shop / platform")
    if Role.objects.filter(code=code).exists():
        raise InvalidInput(fields={"code": ["已存在 / Already exists"]})
    wanted = sorted(set(permissions or []))
    _validate_codes_for_scope(wanted, scope)
    role = Role.objects.create(
        code=code,
        name=_clean_text(name, field="name", max_length=40, required=True),
        name_en=_clean_text(name_en, field="name_en", max_length=40),
        scope=scope,
        permissions=wanted,
        is_system=False,
    )
    audit.record(
        actor=actor,
        action="role.create",
        obj=role,
        after={"code": role.code, "scope": role.scope, "permissions": wanted},
        request=request,
    )
    return role


@transaction.atomic
def rename_role(
    *, actor: Any, role_code: str, name: str, name_en: str = "", request: HttpRequest | None = None
) -> Role:
    """Change a role's display names (its code never changes: permissions checks do not use names)."""
    _require_platform_perm(actor, "platform.roles")
    role = Role.objects.select_for_update().filter(code=role_code).first()
    if role is None:
        raise NotFound(resource="role", id=role_code)
    before = {"name": role.name, "name_en": role.name_en}
    role.name = _clean_text(name, field="name", max_length=40, required=True)
    role.name_en = _clean_text(name_en, field="name_en", max_length=40)
    after = {"name": role.name, "name_en": role.name_en}
    if after == before:
        return role
    role.save(update_fields=["name", "name_en"])
    audit.record(actor=actor, action="role.rename", obj=role, before=before, after=after, request=request)
    return role


@transaction.atomic
def delete_role(*, actor: Any, role_code: str, request: HttpRequest | None = None) -> None:
    """Remove a custom role nobody holds. System roles stay."""
    _require_platform_perm(actor, "platform.roles")
    role = Role.objects.select_for_update().filter(code=role_code).first()
    if role is None:
        raise NotFound(resource="role", id=role_code)
    if role.is_system or role.memberships.exists():
        raise RoleNotEditable(role=role.code, reason="system role or still assigned")
    snapshot = {"code": role.code, "scope": role.scope, "permissions": sorted(role.permissions or [])}
    audit.record(
        actor=actor,
        action="role.delete",
        object_type=role._meta.label_lower,
        object_id=role.pk,
        before=snapshot,
        request=request,
    )
    role.delete()


# --- Permission catalogue ---------------------------------------------------------------------------


@transaction.atomic
def sync_permissions() -> list[str]:
    """Make the permission table and system roles match the code's catalogue (runs after migrate).

    A permission code new to the database is granted to the default roles that list it; a role an
    admin has edited keeps its edits for codes that already existed. Codes removed from the
    catalogue are removed from the table and from every role. Returns the new codes.
    """
    catalogue = {**SHOP_PERMISSIONS, **PLATFORM_PERMISSIONS}
    known = set(PermissionDef.objects.values_list("code", flat=True))
    new_codes: list[str] = []
    for code, description in catalogue.items():
        scope = RoleScope.SHOP if code in SHOP_PERMISSIONS else RoleScope.PLATFORM
        PermissionDef.objects.update_or_create(
            code=code, defaults={"description": str(description)[:120], "scope": scope}
        )
        if code not in known:
            new_codes.append(code)
    stale = known - set(catalogue)
    if stale:
        PermissionDef.objects.filter(code__in=stale).delete()
    for code, name, name_en, scope, perms in DEFAULT_ROLES:
        role, created = Role.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "scope": scope,
                "permissions": sorted(perms),
                "is_system": True,
            },
        )
        if not created:
            additions = {c for c in new_codes if c in perms} - set(role.permissions)
            if additions:
                role.permissions = sorted(set(role.permissions) | additions)
                role.save(update_fields=["permissions"])
    if stale:
        for role in Role.objects.all():
            kept = [c for c in role.permissions or [] if c not in stale]
            if kept != list(role.permissions or []):
                role.permissions = kept
                role.save(update_fields=["permissions"])
    return new_codes


def sync_permissions_after_migrate(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("using", "default") == "default":
        sync_permissions()
