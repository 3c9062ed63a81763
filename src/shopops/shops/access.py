"""Permission checks for endpoints and pages: every API endpoint declares who may call it.

    @router.get("/shops/{int:shop_id}/orders", auth=api_auth)
    @shop_permission("orders.view")
    def list_orders(request, shop_id: int): ...

A user who is not a member of the shop gets 404, as if the shop did not exist (no probing of other
merchants' ids); a member without the permission gets 403.

Four declarations exist, and the permission matrix test (shops/tests/test_permission_matrix.py)
fails for any endpoint that carries none of them:

- ``@shop_permission("code")``: the path carries a shop id; the caller needs ``code`` in that shop.
- ``@shop_permission_any("a", "b")``: the same, holding any one of the codes is enough.
- ``@platform_permission("code")``: the caller needs the platform permission ``code``.
- ``@signed_in("why")``: any signed-in user; the view itself limits what it touches to the
  caller's own objects (applying for a shop, one's own addresses, accepting an invitation).
- ``@public("why")``: no sign-in at all (login, registration, health).

The decorators set attributes on the view (``required_permission``, ``permission_scope``,
``access_policy``) that functools.wraps carries through outer decorators such as ninja's paginate,
so the matrix can read every operation's declaration from the ninja API object.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any, Literal

from shopops.core.errors import NotAuthenticated, NotFound, PermissionDenied
from shopops.shops import selectors

AccessPolicy = Literal["shop", "platform", "signed_in", "public"]


def _caller(request: Any) -> Any:
    # ninja sets request.auth to what the authenticator returned; plain Django views have request.user.
    user = getattr(request, "auth", None)
    return user if user is not None else getattr(request, "user", None)


def ensure_signed_in(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotAuthenticated()


def ensure_shop_perm(user: Any, shop_id: int, perm: str) -> None:
    ensure_signed_in(user)
    if not selectors.is_shop_member(user, shop_id):
        raise NotFound(resource="shop", id=shop_id)
    if not selectors.has_shop_perm(user, shop_id, perm):
        raise PermissionDenied(permission=perm)


def ensure_platform_perm(user: Any, perm: str) -> None:
    ensure_signed_in(user)
    if not selectors.has_platform_perm(user, perm):
        raise PermissionDenied(permission=perm)


def _keep_signature(wrapper: Callable, view: Callable) -> None:
    """Give the wrapper the view's signature with annotations already evaluated.

    ninja evaluates string annotations (from `from __future__ import annotations`) in the globals of
    the function it is handed, which for a wrapper is this module, not the view's: resolving them
    here, against the view's own module, keeps schemas named in the view resolvable.
    """
    # A forward reference not yet defined cannot be resolved now: leave the signature as it is.
    with contextlib.suppress(NameError, TypeError, ValueError):
        wrapper.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]


def _mark(wrapper: Callable, policy: AccessPolicy, perm: str | None, note: str = "") -> Callable:
    wrapper.access_policy = policy  # type: ignore[attr-defined]
    wrapper.required_permission = perm  # type: ignore[attr-defined]
    wrapper.permission_scope = policy if policy in ("shop", "platform") else None  # type: ignore[attr-defined]
    wrapper.access_note = note  # type: ignore[attr-defined]
    return wrapper


def shop_permission(perm: str, *, shop_arg: str = "shop_id") -> Callable:
    """Decorate an endpoint whose path carries the shop id (the `shop_arg` keyword)."""
    _check_known(perm, scope="shop")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            ensure_shop_perm(_caller(request), kwargs[shop_arg], perm)
            return view(request, *args, **kwargs)

        _keep_signature(wrapper, view)

        wrapper.shop_arg = shop_arg  # type: ignore[attr-defined]
        return _mark(wrapper, "shop", perm)

    return decorator


def shop_permission_any(*perms: str, shop_arg: str = "shop_id") -> Callable:
    """Like @shop_permission, but holding any one of `perms` is enough.

    For reads several roles legitimately need through different duties (order analytics for both
    "analytics.view" and "orders.view" holders). Non-members still get 404; members holding none
    of the codes get 403 naming all of them. The matrix expects success for a role holding any.
    """
    if not perms:
        raise ValueError("shop_permission_any() needs at least one permission code")
    for perm in perms:
        _check_known(perm, scope="shop")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            user = _caller(request)
            shop_id = kwargs[shop_arg]
            ensure_signed_in(user)
            if not selectors.is_shop_member(user, shop_id):
                raise NotFound(resource="shop", id=shop_id)
            if not any(selectors.has_shop_perm(user, shop_id, perm) for perm in perms):
                raise PermissionDenied(permission=" | ".join(perms))
            return view(request, *args, **kwargs)

        _keep_signature(wrapper, view)
        wrapper.shop_arg = shop_arg  # type: ignore[attr-defined]
        wrapper.any_of_permissions = tuple(perms)  # type: ignore[attr-defined]
        return _mark(wrapper, "shop", perms[0])

    return decorator


def declared_permissions(view: Callable) -> tuple[str, ...]:
    """Every code that admits a caller: one for @shop_permission, several for @shop_permission_any."""
    any_of = getattr(view, "any_of_permissions", None)
    if any_of:
        return tuple(any_of)
    _, perm = declared_access(view)
    return (perm,) if perm else ()


def platform_permission(perm: str) -> Callable:
    """Decorate an endpoint only platform staff holding `perm` may call."""
    _check_known(perm, scope="platform")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            ensure_platform_perm(_caller(request), perm)
            return view(request, *args, **kwargs)

        _keep_signature(wrapper, view)

        return _mark(wrapper, "platform", perm)

    return decorator


def platform_permission_any(*perms: str) -> Callable:
    """Like @platform_permission, but holding any one of `perms` is enough."""
    if not perms:
        raise ValueError("platform_permission_any() needs at least one permission code")
    for perm in perms:
        _check_known(perm, scope="platform")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            user = _caller(request)
            ensure_signed_in(user)
            if not any(selectors.has_platform_perm(user, perm) for perm in perms):
                raise PermissionDenied(permission=" | ".join(perms))
            return view(request, *args, **kwargs)

        _keep_signature(wrapper, view)
        wrapper.any_of_permissions = tuple(perms)  # type: ignore[attr-defined]
        return _mark(wrapper, "platform", perms[0])

    return decorator


def signed_in(note: str) -> Callable:
    """Any signed-in user; `note` says why no role is needed (the view only touches the caller's own data)."""
    if not note:
        raise ValueError("signed_in() needs a note saying why no permission is required")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            ensure_signed_in(_caller(request))
            return view(request, *args, **kwargs)

        _keep_signature(wrapper, view)

        return _mark(wrapper, "signed_in", None, note)

    return decorator


def public(note: str) -> Callable:
    """No sign-in needed; `note` says why that is safe. The view is returned unchanged but marked."""
    if not note:
        raise ValueError("public() needs a note saying why the endpoint is open")

    def decorator(view: Callable) -> Callable:
        return _mark(view, "public", None, note)

    return decorator


def declared_access(view: Callable) -> tuple[AccessPolicy | None, str | None]:
    """(policy, permission) declared on a view or on anything it wraps; (None, None) when undeclared."""
    seen = 0
    current: Any = view
    while current is not None and seen < 20:
        policy = getattr(current, "access_policy", None)
        if policy is not None:
            return policy, getattr(current, "required_permission", None)
        # Decorators written before this module only set required_permission.
        perm = getattr(current, "required_permission", None)
        if perm is not None:
            return ("platform" if perm in _platform_codes() else "shop"), perm
        current = getattr(current, "__wrapped__", None)
        seen += 1
    return None, None


def _platform_codes() -> set[str]:
    from shopops.shops.permissions import PLATFORM_PERMISSIONS

    return set(PLATFORM_PERMISSIONS)


def _check_known(perm: str, *, scope: str) -> None:
    """Fail at import time on a typo'd or mis-scoped code, not silently at request time."""
    from shopops.shops.permissions import PLATFORM_PERMISSIONS, SHOP_PERMISSIONS

    catalogue = SHOP_PERMISSIONS if scope == "shop" else PLATFORM_PERMISSIONS
    if perm not in catalogue:
        raise ValueError(f"{perm!r} is not a {scope} permission in shopops.shops.permissions")
