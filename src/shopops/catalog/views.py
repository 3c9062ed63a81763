"""Storefront pages of the catalog: category navigation, category and search results with facets,
and the product page with its SKU selector. Thin: they read through search/presenters/selectors
(the same cached data as the public API)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shopops.catalog import cache, presenters, search, selectors
from shopops.catalog.errors import ProductNotFound
from shopops.catalog.models import Category
from shopops.core.errors import NotFound

PAGE_SIZE = 24
SORT_LABELS = [
    ("relevance", _("综合")),
    ("sales", _("销量")),
    ("newest", _("新品")),
    ("price_asc", _("价格从低到高")),
    ("price_desc", _("价格从高到低")),
]


def _ints(values: list[str]) -> list[int]:
    result = []
    for value in values[:30]:
        try:
            result.append(int(value))
        except ValueError:
            continue
    return result


def _decimal(value: str | None) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and 0 <= amount <= 100_000_000 else None


def _page(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def _params_from(request: HttpRequest, *, category: Category | None) -> search.SearchParams:
    get = request.GET
    sort = get.get("sort", "relevance")
    return search.SearchParams(
        q=get.get("q", "")[:100].strip(),
        category=category,
        brand_ids=_ints(get.getlist("brand")),
        value_ids=_ints(get.getlist("value")),
        price_min=_decimal(get.get("price_min")),
        price_max=_decimal(get.get("price_max")),
        sort=sort if sort in search.SORTS else "relevance",
        page=_page(get.get("page")),
        page_size=PAGE_SIZE,
        with_facets=True,
    )


def _url(base: QueryDict, **changes: Any) -> str:
    """The current query string with `changes` applied (None removes a key); page resets to 1."""
    query = base.copy()
    query.pop("page", None)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        elif isinstance(value, list):
            query.setlist(key, [str(v) for v in value])
        else:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _toggle(base: QueryDict, key: str, value: int) -> str:
    current = _ints(base.getlist(key))
    new = [v for v in current if v != value] if value in current else [*current, value]
    return _url(base, **{key: new or None})


def _decorate_facets(
    result: dict[str, Any], request: HttpRequest, category: Category | None
) -> dict[str, Any]:
    """Add the link each facet choice leads to (pages work without JavaScript)."""
    get = request.GET
    facets = result.get("facets") or {}
    for brand in facets.get("brands", []):
        brand["url"] = _toggle(get, "brand", brand["id"])
    for attribute in facets.get("attributes", []):
        for value in attribute["values"]:
            value["url"] = _toggle(get, "value", value["id"])
    for bucket in facets.get("price_ranges", []):
        bucket["url"] = (
            _url(get, price_min=None, price_max=None)
            if bucket["selected"]
            else _url(get, price_min=bucket["min"], price_max=bucket["max"])
        )
        bucket["label"] = (
            f"¥{bucket['min']}–{bucket['max']}"
            if bucket["max"]
            else gettext("¥%(min)s 以上") % {"min": bucket["min"]}
        )
    # Category facet: the children of the current category (or the top level), with counts.
    depth = category.depth + 1 if category else 1
    prefix = category.path if category else ""
    facets["child_categories"] = [
        {**c, "url": f"/c/{c['slug']}/{_url(get, category=None)}"}
        for c in facets.get("categories", [])
        if c["depth"] == depth and c["path"].startswith(prefix)
    ]
    return facets


def _listing_context(request: HttpRequest, *, category: Category | None) -> dict[str, Any]:
    params = _params_from(request, category=category)
    result = cache.listing("page", params.cache_key_params(), lambda: search.search(params))
    result = json.loads(json.dumps(result))  # a private copy: decorating must not touch the cache
    facets = _decorate_facets(result, request, category)
    get = request.GET
    has_filters = any(get.getlist(k) for k in ("brand", "value", "price_min", "price_max"))
    return {
        "result": result,
        "facets": facets,
        "params": params,
        "sorts": [
            {"key": k, "label": label, "url": _url(get, sort=k), "active": params.sort == k}
            for k, label in SORT_LABELS
        ],
        "clear_url": _url(get, brand=None, value=None, price_min=None, price_max=None),
        "has_filters": has_filters,
        "pages": _pagination(get, result["page"], result["pages"]),
        "tree": _tree(),
    }


def _pagination(get: QueryDict, page: int, pages: int) -> dict[str, Any]:
    def link(n: int) -> str:
        query = get.copy()
        query["page"] = str(n)
        return "?" + query.urlencode()

    window = [n for n in range(max(1, page - 2), min(pages, page + 2) + 1)]
    return {
        "page": page,
        "pages": pages,
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
        "window": [{"n": n, "url": link(n), "current": n == page} for n in window],
    }


def _tree() -> list[dict[str, Any]]:
    return cache.listing("tree-data", {}, selectors.category_tree)


def search_page(request: HttpRequest) -> HttpResponse:
    context = _listing_context(request, category=None)
    context["query"] = context["params"].q
    return render(request, "catalog/search.html", context)


def category_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        category = selectors.category_by_slug(slug)
    except NotFound:
        raise Http404("category") from None
    context = _listing_context(request, category=category)
    context["category"] = category
    context["breadcrumbs"] = selectors.category_breadcrumbs(category)
    context["query"] = context["params"].q
    return render(request, "catalog/category.html", context)


def categories_page(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/categories.html", {"tree": _tree()})


def product_page(request: HttpRequest, product_id: int) -> HttpResponse:
    try:
        detail = presenters.with_availability(presenters.public_product_detail(product_id))
    except ProductNotFound:
        raise Http404("product") from None
    skus = detail["skus"]
    prices = sorted(Decimal(s["price"]) for s in skus) or [Decimal(0)]
    selector_data = {
        "axes": [{"code": a["code"], "name": a["name"]} for a in detail["axes"]],
        "skus": [
            {
                "id": s["id"],
                "options": s["options"],
                "price": s["price"],
                "market_price": s["market_price"],
                "available": s["available"],
                "label": s["label"],
            }
            for s in skus
        ],
    }
    # Preselect when there is a single SKU: nothing to choose.
    only = skus[0] if len(skus) == 1 else None
    return render(
        request,
        "catalog/product.html",
        {
            "p": detail,
            "selector_json": selector_data,
            "price_low": prices[0],
            "price_high": prices[-1],
            "only_sku": only,
            "in_stock": any(s["available"] is None or s["available"] > 0 for s in skus),
            "json_ld": _json_ld(request, detail, prices),
        },
    )


def _json_ld(request: HttpRequest, detail: dict[str, Any], prices: list[Decimal]) -> str:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": detail["title"],
        "description": detail["subtitle"] or detail["title"],
        "image": [request.build_absolute_uri(i["url"]) for i in detail["images"][:5]],
        "offers": {
            "@type": "AggregateOffer",
            "priceCurrency": "CNY",
            "lowPrice": str(prices[0]),
            "highPrice": str(prices[-1]),
            "offerCount": len(detail["skus"]),
        },
    }
    if detail["brand"]:
        data["brand"] = {"@type": "Brand", "name": detail["brand"]["name"]}
    if detail["rating_count"]:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": detail["rating_avg"],
            "reviewCount": detail["rating_count"],
        }
    # Escape "<" so a title can never close the script element.
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def home_products(*, sort: str, limit: int = 10, category: Category | None = None) -> list[dict[str, Any]]:
    params = search.SearchParams(sort=sort, page=1, page_size=limit, category=category, with_facets=False)
    return cache.listing("home", params.cache_key_params(), lambda: search.search(params))["items"]


def search_suggest_url(query: str) -> str:
    return "/search/?" + urlencode({"q": query})
