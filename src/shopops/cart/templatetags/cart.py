"""`{% cart_count %}`: units in the visitor's cart, for the header badge (0 without a cart)."""

from __future__ import annotations

from django import template

from shopops.cart.identity import cart_owner
from shopops.cart.selectors import cart_count as count_for

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_count(context: template.Context) -> int:
    request = context.get("request")
    if request is None:
        return 0
    cached = getattr(request, "_shopops_cart_count", None)
    if cached is None:
        cached = count_for(cart_owner(request))
        request._shopops_cart_count = cached
    return cached


_PRODUCT_ROUTES = ("catalog:product", "catalog:product_detail", "catalog:product-detail")


@register.filter
def product_url(product_id: int | None) -> str:
    """The storefront page of a product, or "" while the catalog app has no such page."""
    from django.urls import NoReverseMatch, reverse

    if not product_id:
        return ""
    for name in _PRODUCT_ROUTES:
        try:
            return reverse(name, args=[product_id])
        except NoReverseMatch:
            continue
    return ""
