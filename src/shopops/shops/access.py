"""Permission checks for endpoints and pages.

    @router.get("/shops/{shop_id}/orders", auth=api_auth)
    @shop_permission("orders.view")
    def list_orders(request, shop_id: int): ...

A user who is not a member of the shop gets 404, as if the shop did not exist (no probing of other
merchants' ids); a member without the permission gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from shopops.core.errors import NotAuthenticated, NotFound, PermissionDenied
from shopops.shops import selectors


def ensure_shop_perm(user: Any, shop_id: int, perm: str) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if not selectors.is_shop_member(user, shop_id):
        raise NotFound(resource="shop", id=shop_id)
    if not selectors.has_shop_perm(user, shop_id, perm):
        raise PermissionDenied(permission=perm)


def ensure_platform_perm(user: Any, perm: str) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if not selectors.has_platform_perm(user, perm):
        raise PermissionDenied(permission=perm)


def shop_permission(perm: str, *, shop_arg: str = "shop_id") -> Callable:
    """Decorate an endpoint whose path carries the shop id."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            ensure_shop_perm(
                request.auth if hasattr(request, "auth") else request.user, kwargs[shop_arg], perm
            )
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return wrapper

    return decorator


def platform_permission(perm: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            ensure_platform_perm(request.auth if hasattr(request, "auth") else request.user, perm)
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return wrapper

    return decorator
