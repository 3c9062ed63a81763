"""Reads about shops and who may do what in them. Every permission check in the project lands here.

Permissions are computed from the database on each request (cached on the user object for that
request only), so a role edit or a disabled membership takes effect on the very next request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from shopops.core.errors import NotFound
from shopops.core.models import AuditLog
from shopops.shops.models import (
    Invitation,
    Membership,
    MembershipStatus,
    Role,
    RoleScope,
    Shop,
    ShopStatus,
)
from shopops.shops.permissions import SHOPPER

_CACHE_ATTR = "_shopops_perm_cache"


def _permission_map(user) -> dict[int | None, frozenset[str]]:
    """{shop_id or None (platform): permission codes}, computed once per user object (i.e. per request)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    result: dict[int | None, set[str]] = {}
    if user is not None and getattr(user, "is_authenticated", False) and user.is_active:
        memberships = Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE)
        for shop_id, perms in memberships.values_list("shop_id", "roles__permissions"):
            result.setdefault(shop_id, set()).update(perms or [])
    frozen = {k: frozenset(v) for k, v in result.items()}
    if user is not None:
        setattr(user, _CACHE_ATTR, frozen)
    return frozen


def forget_permissions(user) -> None:
    """Drop the per-object cache after a role change within the same request."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def platform_permissions(user) -> frozenset[str]:
    if getattr(user, "is_superuser", False) and user.is_active:
        # A superuser holds every permission, so it can bootstrap the first platform admin role.
        from shopops.shops.permissions import ALL_PERMISSIONS

        return frozenset(ALL_PERMISSIONS)
    return _permission_map(user).get(None, frozenset())


def has_platform_perm(user, perm: str) -> bool:
    return perm in platform_permissions(user)


def is_platform_admin(user) -> bool:
    """Platform staff who run every shop ("platform.shops") act with every shop permission everywhere."""
    return has_platform_perm(user, "platform.shops")


def shop_permissions(user, shop_id: int) -> frozenset[str]:
    if is_platform_admin(user):
        from shopops.shops.permissions import SHOP_PERMISSIONS

        return frozenset(SHOP_PERMISSIONS)
    return _permission_map(user).get(shop_id, frozenset())


def has_shop_perm(user, shop_id: int, perm: str) -> bool:
    return perm in shop_permissions(user, shop_id)


def is_shop_member(user, shop_id: int) -> bool:
    return is_platform_admin(user) or shop_id in _permission_map(user)


def shop_ids_with_perm(user, perm: str) -> list[int] | None:
    """Shops where the user holds `perm`; None means every shop (platform admin)."""
    if is_platform_admin(user):
        return None
    return [
        shop_id for shop_id, perms in _permission_map(user).items() if shop_id is not None and perm in perms
    ]


def shops_visible_to(user) -> QuerySet[Shop]:
    if is_platform_admin(user):
        return Shop.objects.all()
    ids = [sid for sid in _permission_map(user) if sid is not None]
    return Shop.objects.filter(id__in=ids)


def is_staff_anywhere(user) -> bool:
    return bool(_permission_map(user)) or bool(getattr(user, "is_superuser", False))


def should_be_staff(user) -> bool:
    """The rule behind user.is_staff (Django admin access): superuser, or any active membership."""
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).exists()


# --- Shops ------------------------------------------------------------------------------------------


def get_shop(shop_id: int) -> Shop:
    shop = Shop.objects.filter(pk=shop_id).first()
    if shop is None:
        raise NotFound(resource="shop", id=shop_id)
    return shop


def active_shops() -> QuerySet[Shop]:
    """Shops open for trading: what the storefront lists. Pending and suspended shops never show."""
    return Shop.objects.filter(status=ShopStatus.ACTIVE)


def shop_is_trading(shop_id: int) -> bool:
    """Other apps ask this before accepting new business (orders, listings, campaigns) for a shop."""
    return Shop.objects.filter(pk=shop_id, status=ShopStatus.ACTIVE).exists()


# --- Roles and members ------------------------------------------------------------------------------


def role_by_code(code: str) -> Role:
    return Role.objects.get(code=code)


def roles() -> QuerySet[Role]:
    return Role.objects.order_by("scope", "id")


def assignable_shop_roles() -> QuerySet[Role]:
    return Role.objects.filter(scope=RoleScope.SHOP).order_by("id")


def assignable_platform_roles() -> QuerySet[Role]:
    # "shopper" is what every signed-in user is without any membership; nobody is granted it.
    return Role.objects.filter(scope=RoleScope.PLATFORM).exclude(code=SHOPPER).order_by("id")


def role_codes(membership: Membership) -> list[str]:
    return sorted(role.code for role in membership.roles.all())


def shop_members(shop_id: int) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(shop_id=shop_id)
        .select_related("user", "shop")
        .prefetch_related("roles")
        .order_by("id")
    )


def shop_member(shop_id: int, membership_id: int) -> Membership:
    """A membership of this shop; a membership of any other shop is simply not found (no IDOR)."""
    membership = shop_members(shop_id).filter(pk=membership_id).first()
    if membership is None:
        raise NotFound(resource="membership", id=membership_id)
    return membership


def platform_members() -> QuerySet[Membership]:
    return (
        Membership.objects.filter(shop__isnull=True)
        .select_related("user")
        .prefetch_related("roles")
        .order_by("id")
    )


def users_with_platform_perm(perm: str) -> list[int]:
    """Ids of active users holding a platform permission through a membership (superusers not included).

    Platform memberships are few, so this filters in Python: JSON containment lookups are not
    portable to the SQLite development database.
    """
    holders = Membership.objects.filter(
        shop__isnull=True, status=MembershipStatus.ACTIVE, user__is_active=True
    ).values_list("user_id", "roles__permissions")
    return sorted({user_id for user_id, perms in holders if perms and perm in perms})


def shop_invitations(shop_id: int) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(shop_id=shop_id)
        .select_related("invited_by", "accepted_by")
        .prefetch_related("roles")
        .order_by("-created_at", "-id")
    )


# --- Audit ------------------------------------------------------------------------------------------


def audit_entries(
    *,
    shop_id: int | None = None,
    shop_ids: list[int] | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditLog]:
    """Audit rows, newest first. `shop_ids` (when not None) limits to those shops."""
    filters: dict[str, Any] = {}
    if shop_id is not None:
        filters["shop_id"] = shop_id
    if action:
        # "staff." matches every staff action; an exact code matches itself.
        key = "action__startswith" if action.endswith(".") else "action"
        filters[key] = action
    if object_type:
        filters["object_type"] = object_type
    if object_id:
        filters["object_id"] = object_id
    if actor_id is not None:
        filters["actor_id"] = actor_id
    if since is not None:
        filters["created_at__gte"] = since
    if until is not None:
        filters["created_at__lt"] = until
    queryset = AuditLog.objects.filter(**filters).select_related("actor")
    if shop_ids is not None:
        queryset = queryset.filter(Q(shop_id__in=shop_ids))
    return queryset.order_by("-created_at", "-id")
