"""Storefront cart pages: the cart, and the small POST endpoints its buttons use.

Each POST answers an htmx request with the re-rendered cart fragment and a plain browser POST with a
redirect (post/redirect/get), so the page works with and without JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shopops.cart import selectors, services
from shopops.cart.identity import cart_owner
from shopops.cart.models import MAX_LINE_QUANTITY
from shopops.core.errors import DomainError


def _int(value: object, default: int | None = None) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def _render_cart(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    view = selectors.cart_view(cart_owner(request))
    template = "cart/partials/cart_body.html" if request.htmx else "cart/cart.html"
    return render(
        request,
        template,
        {"cart": view, "max_quantity": MAX_LINE_QUANTITY, "checkout_url": reverse("orders:checkout")},
        status=status,
    )


def _after_post(request: HttpRequest, error: DomainError | None = None) -> HttpResponse:
    if error is not None:
        messages.error(request, str(error.message))
    if request.htmx:
        return _render_cart(request, status=200)
    return redirect("cart:cart")


@require_GET
def cart_page(request: HttpRequest) -> HttpResponse:
    return _render_cart(request)


@require_POST
def add(request: HttpRequest) -> HttpResponse:
    """Add to cart (from a product page or the cart itself). With buy_now, go straight to checkout
    with only this item, as "立即购买" does."""
    sku_id = _int(request.POST.get("sku_id"))
    quantity = _int(request.POST.get("quantity"), 1)
    next_url = request.POST.get("next", "")
    if sku_id is None:
        messages.error(request, _("请选择商品规格 / Choose an option first"))
        return _back(request, next_url)
    if request.POST.get("buy_now"):
        query = urlencode({"buy": sku_id, "qty": quantity})
        if not request.user.is_authenticated:
            return redirect(f"{reverse('storefront:login')}?{urlencode({'next': f'/checkout/?{query}'})}")
        return HttpResponseRedirect(f"{reverse('orders:checkout')}?{query}")
    try:
        services.add_item(owner=cart_owner(request, create=True), sku_id=sku_id, quantity=quantity or 1)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back(request, next_url)
    messages.success(request, _("已加入购物车"))
    if request.htmx and request.POST.get("fragment") == "cart":
        return _render_cart(request)
    return _back(request, next_url)


def _back(request: HttpRequest, next_url: str) -> HttpResponse:
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(next_url)
    return redirect("cart:cart")


@require_POST
def update(request: HttpRequest, sku_id: int) -> HttpResponse:
    quantity = _int(request.POST.get("quantity"))
    try:
        services.set_quantity(
            owner=cart_owner(request), sku_id=sku_id, quantity=quantity if quantity is not None else -1
        )
    except DomainError as exc:
        return _after_post(request, exc)
    return _after_post(request)


@require_POST
def remove(request: HttpRequest, sku_id: int) -> HttpResponse:
    services.remove_items(owner=cart_owner(request), sku_ids=[sku_id])
    return _after_post(request)


@require_POST
def select(request: HttpRequest) -> HttpResponse:
    """Tick or untick lines: `sku_id` for one line, none for every line (the "select all" box)."""
    selected = request.POST.get("selected") in ("1", "true", "on")
    sku_ids = [i for i in (_int(v) for v in request.POST.getlist("sku_id")) if i is not None]
    try:
        services.set_selected(owner=cart_owner(request), sku_ids=sku_ids, selected=selected)
    except DomainError as exc:
        return _after_post(request, exc)
    return _after_post(request)


@require_POST
def remove_unavailable(request: HttpRequest) -> HttpResponse:
    owner = cart_owner(request)
    view = selectors.cart_view(owner)
    services.remove_items(owner=owner, sku_ids=[line.sku_id for line in view.unavailable])
    return _after_post(request)
