"""Template helpers for catalog pages and for other apps' pages that show products.

{% load catalog %}
{% home_product_sections %}                  the home page's product sections
{% category_nav %}                           the category strip (used by the base layout slot)
{{ card.min_price|yuan }}                    ¥1,299.00
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from shopops.catalog import cache, selectors

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return f"¥{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return ""


@register.inclusion_tag("catalog/partials/category_strip.html", takes_context=True)
def category_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    current = ""
    if request is not None and request.path.startswith("/c/"):
        current = request.path.split("/")[2]
    return {"tree": cache.listing("tree-data", {}, selectors.category_tree), "current": current}


@register.inclusion_tag("catalog/partials/product_sections.html")
def home_product_sections(limit: int = 10) -> dict[str, Any]:
    from shopops.catalog.views import home_products

    tree = cache.listing("tree-data", {}, selectors.category_tree)
    sections = [
        {
            "title": _("热销榜单"),
            "subtitle": "Best sellers",
            "items": home_products(sort="sales", limit=limit),
            "url": "/search/?sort=sales",
        },
        {
            "title": _("新品上架"),
            "subtitle": "New arrivals",
            "items": home_products(sort="newest", limit=limit),
            "url": "/search/?sort=newest",
        },
    ]
    for node in tree[:4]:
        category = selectors.get_category(node["id"])
        items = home_products(sort="sales", limit=limit, category=category)
        if items:
            sections.append(
                {
                    "title": node["name"],
                    "subtitle": node["name_en"],
                    "items": items,
                    "url": f"/c/{node['slug']}/",
                }
            )
    return {"sections": [s for s in sections if s["items"]]}
