"""Reads about shops and who may do what in them. Every permission check in the project lands here."""

from __future__ import annotations

from django.db.models import QuerySet

from shopops.shops.models import Membership, MembershipStatus, Role, Shop

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
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def platform_permissions(user) -> frozenset[str]:
    return _permission_map(user).get(None, frozenset())


def has_platform_perm(user, perm: str) -> bool:
    return perm in platform_permissions(user) or bool(getattr(user, "is_superuser", False) and user.is_active)


def is_platform_admin(user) -> bool:
    return has_platform_perm(user, "platform.shops")


def shop_permissions(user, shop_id: int) -> frozenset[str]:
    if is_platform_admin(user):
        from shopops.shops.permissions import ALL_PERMISSIONS

        return frozenset(ALL_PERMISSIONS)
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


def role_by_code(code: str) -> Role:
    return Role.objects.get(code=code)


def active_shops() -> QuerySet[Shop]:
    return Shop.objects.filter(status="active")
