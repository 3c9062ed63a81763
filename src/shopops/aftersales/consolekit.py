"""Small helpers shared by the console pages of after-sales, reviews and customer service.

Who sees what follows the shop roles, as in the API: a queue lists objects of the shops where the
user holds the page's permission (every shop for platform staff); an object of any other shop is
"not found"; the services check the permission again when acting.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from shopops.shops import selectors as shop_selectors


def shop_ids(user: Any, perm: str) -> list[int] | None:
    """Shops where `user` holds `perm`; None means every shop (platform staff, superusers)."""
    if user.is_superuser or shop_selectors.is_platform_admin(user):
        return None
    return sorted(shop_selectors.shop_ids_with_perm(user, perm) or [])


def gate(request: HttpRequest, perm: str) -> tuple[list[int] | None, HttpResponse | None]:
    """(visible shop ids, None) for a staff user holding `perm` somewhere; else a login redirect
    for the signed out, PermissionDenied (403) for the rest."""
    user = request.user
    if not user.is_authenticated:
        return [], redirect_to_login(request.get_full_path(), reverse("admin:login"))
    ids = shop_ids(user, perm)
    if ids is not None and not ids:
        raise PermissionDenied
    return ids, None


def ensure_visible(ids: list[int] | None, shop_id: int) -> None:
    if ids is not None and shop_id not in ids:
        raise Http404  # another merchant's object: it does not exist for this user


def chosen_shop(request: HttpRequest, ids: list[int] | None) -> int | None:
    raw = request.GET.get("shop") or ""
    if not raw:
        return None
    try:
        shop_id = int(raw)
    except ValueError as exc:
        raise Http404 from exc
    ensure_visible(ids, shop_id)
    return shop_id


def shops_for(ids: list[int] | None):
    from shopops.shops.models import Shop

    qs = Shop.objects.order_by("id")
    return qs if ids is None else qs.filter(id__in=ids)


def context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), **extra}


def query_without(request: HttpRequest, *keys: str) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in request.GET.items() if k not in keys and k != "page"})
