"""Access declarations the shops app does not offer: a shop endpoint open to holders of any of
several permissions (analytics is for analysts and for order staff alike)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from shopops.core.errors import PermissionDenied
from shopops.shops import selectors
from shopops.shops.access import _keep_signature, ensure_shop_perm, ensure_signed_in
from shopops.shops.permissions import SHOP_PERMISSIONS


def shop_permission_any(primary: str, *others: str, shop_arg: str = "shop_id") -> Callable:
    """Like @shop_permission(primary), also letting holders of `others` in. Non-members get 404.

    The declaration the permission matrix reads is `primary`; its case lists the extra roles that
    succeed through `others`.
    """
    for code in (primary, *others):
        if code not in SHOP_PERMISSIONS:
            raise ValueError(f"{code!r} is not a shop permission")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            user = getattr(request, "auth", None) or getattr(request, "user", None)
            shop_id = kwargs[shop_arg]
            ensure_signed_in(user)
            holds_other = any(selectors.has_shop_perm(user, shop_id, code) for code in others)
            if holds_other and selectors.is_shop_member(user, shop_id):
                return view(request, *args, **kwargs)
            try:
                ensure_shop_perm(user, shop_id, primary)
            except PermissionDenied as exc:
                raise PermissionDenied(permission=" | ".join((primary, *others))) from exc
            return view(request, *args, **kwargs)

        # As shops.access does: ninja must see the view's evaluated annotations, not strings.
        _keep_signature(wrapper, view)
        wrapper.access_policy = "shop"  # type: ignore[attr-defined]
        wrapper.required_permission = primary  # type: ignore[attr-defined]
        wrapper.permission_scope = "shop"  # type: ignore[attr-defined]
        wrapper.access_note = f"also: {', '.join(others)}"  # type: ignore[attr-defined]
        wrapper.shop_arg = shop_arg  # type: ignore[attr-defined]
        return wrapper

    return decorator
