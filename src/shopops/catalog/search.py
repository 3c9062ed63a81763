"""Shopper search and browsing: Chinese full-text (jieba tokens in a PostgreSQL tsvector with a GIN
index; substring matching on SQLite), filters, disjunctive facet counts, sorting and pagination.

Facets are disjunctive, as shoppers expect: the counts of one facet (say brand) are computed with
every filter applied except that facet's own, so picking 华为 still shows how many 小米 there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value

from shopops.catalog.models import (
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    ProductFacet,
    ProductImage,
    ProductStatus,
)
from shopops.catalog.text import QueryTerm, query_terms, tsquery_source

# What a product card needs: loading only these keeps the shop's encrypted columns (contact phone,
# settlement account) out of every search result, undecrypted.
CARD_FIELDS = (
    "id", "title", "subtitle", "shop_id", "shop__name", "brand_id", "brand__name", "category_id", "min_price",
    "max_price", "rating_avg", "rating_count", "sales_count", "published_at",
)  # fmt: skip
SORTS = ("relevance", "price_asc", "price_desc", "sales", "newest")
MAX_PAGE_SIZE = 60
# Price facet buckets in yuan: [low, high) with None for open-ended.
PRICE_BUCKETS: list[tuple[Decimal, Decimal | None]] = [
    (Decimal(0), Decimal(50)),
    (Decimal(50), Decimal(100)),
    (Decimal(100), Decimal(200)),
    (Decimal(200), Decimal(500)),
    (Decimal(500), Decimal(1000)),
    (Decimal(1000), Decimal(3000)),
    (Decimal(3000), Decimal(8000)),
    (Decimal(8000), None),
]


@dataclass
class SearchParams:
    q: str = ""
    category: Category | None = None
    # Alternative to `category` for callers that have only the id (the cached API path resolves it
    # only when the answer is not in the cache, so a cache hit never touches the database).
    category_id: int | None = None
    brand_ids: list[int] = field(default_factory=list)
    value_ids: list[int] = field(default_factory=list)
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    shop_id: int | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    with_facets: bool = True

    def cache_key_params(self) -> dict[str, Any]:
        return {
            "q": self.q.strip(),
            "c": self.category.id if self.category else self.category_id,
            "b": sorted(set(self.brand_ids)),
            "v": sorted(set(self.value_ids)),
            "pmin": str(self.price_min) if self.price_min is not None else None,
            "pmax": str(self.price_max) if self.price_max is not None else None,
            "s": self.shop_id,
            "o": self.sort,
            "p": self.page,
            "n": self.page_size,
            "f": self.with_facets,
        }


@dataclass
class _Filters:
    """The filter parts, kept apart so each facet can leave its own out."""

    base: QuerySet[Product]
    category: Q | None
    brand: Q | None
    values_by_attribute: dict[int, Q]
    price: Q | None

    def apply(self, *, skip: str = "", skip_attribute: int | None = None) -> QuerySet[Product]:
        qs = self.base
        if self.category is not None and skip != "category":
            qs = qs.filter(self.category)
        if self.brand is not None and skip != "brand":
            qs = qs.filter(self.brand)
        for attribute_id, condition in self.values_by_attribute.items():
            if attribute_id != skip_attribute:
                qs = qs.filter(condition)
        if self.price is not None and skip != "price":
            qs = qs.filter(self.price)
        return qs


def _text_condition(qs: QuerySet[Product], terms: list[QueryTerm], *, any_term: bool) -> QuerySet[Product]:
    if connection.vendor == "postgresql":
        # search_type="raw": our own to_tsquery source built from \w+ tokens (see text.tsquery_source),
        # bound as a parameter. Cover-density rank, normalised by document length (1).
        query = SearchQuery(tsquery_source(terms, any_term=any_term), search_type="raw", config="simple")
        return qs.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query, cover_density=True, normalization=Value(1))
        )
    combined = Q()
    for term in terms:
        word = Q(search_document__icontains=term.word)
        if term.parts:
            parts = Q()
            for part in term.parts:
                parts &= Q(search_document__icontains=part)
            word |= parts
        combined = (combined | word) if any_term else (combined & word)
    return qs.filter(combined)


def public_products() -> QuerySet[Product]:
    return Product.objects.filter(status=ProductStatus.ON_SALE, shop__status="active")


def _filters(params: SearchParams, base: QuerySet[Product]) -> _Filters:
    by_attribute: dict[int, list[int]] = {}
    if params.value_ids:
        values = _labels()["values"]
        for value_id in params.value_ids:
            if value_id in values:
                by_attribute.setdefault(values[value_id]["attribute_id"], []).append(value_id)
    price = Q()
    if params.price_min is not None:
        price &= Q(min_price__gte=params.price_min)
    if params.price_max is not None:
        price &= Q(min_price__lte=params.price_max)
    return _Filters(
        base=base,
        category=Q(category__path__startswith=params.category.path) if params.category else None,
        brand=Q(brand_id__in=params.brand_ids) if params.brand_ids else None,
        values_by_attribute={
            attribute_id: Q(id__in=ProductFacet.objects.filter(value_id__in=ids).values("product_id"))
            for attribute_id, ids in by_attribute.items()
        },
        price=price if (params.price_min is not None or params.price_max is not None) else None,
    )


def _ordered(qs: QuerySet[Product], sort: str, has_text: bool) -> QuerySet[Product]:
    if sort == "price_asc":
        return qs.order_by("min_price", "-sales_count", "-id")
    if sort == "price_desc":
        return qs.order_by("-min_price", "-sales_count", "-id")
    if sort == "sales":
        return qs.order_by("-sales_count", "-id")
    if sort == "newest":
        return qs.order_by("-published_at", "-id")
    if has_text and connection.vendor == "postgresql":
        return qs.order_by("-rank", "-sales_count", "-id")
    return qs.order_by("-sales_count", "-id")


def search(params: SearchParams) -> dict[str, Any]:
    """One page of on-sale products with total count and facets (plain data, cacheable as is).
    An unknown or inactive category id answers NotFound.

    The count and the facets depend on the query and filters but not on the sort or the page, so
    they are computed once per query+filters and cached (with the lists' version token): paging
    and re-sorting a result only costs the one query that fetches the page's rows.
    """
    if params.category is None and params.category_id is not None:
        from shopops.catalog.selectors import get_category

        params.category = get_category(params.category_id)
    base = public_products()
    if params.shop_id:
        base = base.filter(shop_id=params.shop_id)
    terms = query_terms(params.q) if params.q.strip() else []
    summary = _summary(params, base, terms)
    filters = _filters(params, _text_condition(base, terms, any_term=summary["relaxed"]) if terms else base)
    page_size = max(1, min(params.page_size, MAX_PAGE_SIZE))
    page = max(1, params.page)
    offset = (page - 1) * page_size
    count = summary["count"]
    rows = []
    if offset < count:
        rows = list(
            _ordered(filters.apply(), params.sort if params.sort in SORTS else "relevance", bool(terms))
            .select_related("shop", "brand")
            .only(*CARD_FIELDS)
            .annotate(thumb=Subquery(_first_thumbnail()))[offset : offset + page_size]
        )
    result: dict[str, Any] = {
        "items": [product_card(p) for p in rows],
        "count": count,
        "page": page,
        "page_size": page_size,
        "pages": (count + page_size - 1) // page_size,
        "query": params.q.strip(),
        "terms": [t.word for t in terms],
        "relaxed": summary["relaxed"],
        "sort": params.sort,
    }
    if params.with_facets:
        result["facets"] = summary["facets"]
    return result


def _summary(params: SearchParams, base: QuerySet[Product], terms: list[QueryTerm]) -> dict[str, Any]:
    """{"count", "relaxed", "facets"} of a query and its filters, whatever the sort and page."""
    from shopops.catalog import cache

    key = {k: v for k, v in params.cache_key_params().items() if k not in ("o", "p", "n")}

    def counted(any_term: bool) -> tuple[_Filters, int, dict[str, Any]]:
        filters = _filters(params, _text_condition(base, terms, any_term=any_term) if terms else base)
        if not params.with_facets:
            return filters, filters.apply().count(), {}
        if filters.category is None and filters.brand is None and filters.price is None:
            # No filter a facet would leave out: count, category, brand and price buckets in one scan.
            count, grouped = _grouped_counts(filters.apply())
            return filters, count, grouped
        count, price_totals = _count_and_prices(filters.apply(), filters.price is None)
        return filters, count, {"price": price_totals} if price_totals is not None else {}

    def build() -> dict[str, Any]:
        relaxed = False
        filters, count, grouped = counted(False)
        if count == 0 and len(terms) > 1:
            # Nothing has every word: show what matches any of them, best first, and say so.
            relaxed = True
            filters, count, grouped = counted(True)
        summary: dict[str, Any] = {"count": count, "relaxed": relaxed}
        if params.with_facets:
            summary["facets"] = facets(filters, params, grouped=grouped)
        return summary

    return cache.listing("summary", key, build)


def _bucket_aggregates() -> dict[str, Count]:
    aggregates = {}
    for index, (low, high) in enumerate(PRICE_BUCKETS):
        condition = Q(min_price__gte=low) & (Q(min_price__lt=high) if high is not None else Q())
        aggregates[f"b{index}"] = Count("id", filter=condition)
    return aggregates


def _count_and_prices(qs: QuerySet[Product], with_prices: bool) -> tuple[int, dict[str, int] | None]:
    if not with_prices:
        return qs.count(), None
    totals = qs.order_by().aggregate(n=Count("id"), **_bucket_aggregates())
    return totals.pop("n"), totals


def _grouped_counts(qs: QuerySet[Product]) -> tuple[int, dict[str, Any]]:
    """(total, {"category": {id: n}, "brand": {id: n}, "price": {"b0": n, ...}}) in one statement:
    GROUPING SETS over the matching rows (PostgreSQL; elsewhere the same figures from 3 queries)."""
    if connection.vendor != "postgresql":
        count, price = _count_and_prices(qs, True)
        categories = dict(qs.order_by().values_list("category_id").annotate(n=Count("id")))
        brands = dict(qs.exclude(brand_id=None).order_by().values_list("brand_id").annotate(n=Count("id")))
        return count, {"category": categories, "brand": brands, "price": price}
    inner_sql, params = qs.order_by().values("category_id", "brand_id", "min_price").query.sql_with_params()
    bucket_cases = " ".join(
        f"WHEN i.min_price < {high} THEN {index}" for index, (_low, high) in enumerate(PRICE_BUCKETS) if high
    )
    # Interpolated: the ORM's own compiled SQL (its values stay bound parameters) and constant
    # bucket bounds from PRICE_BUCKETS; nothing from the request.
    sql = (
        "SELECT GROUPING(m.category_id, m.brand_id, m.bucket), m.category_id, m.brand_id, m.bucket, COUNT(*) "  # noqa: S608
        f"FROM (SELECT i.category_id, i.brand_id, CASE {bucket_cases} ELSE {len(PRICE_BUCKETS) - 1} END "
        f"AS bucket FROM ({inner_sql}) AS i) AS m "
        "GROUP BY GROUPING SETS ((m.category_id), (m.brand_id), (m.bucket), ())"
    )
    categories: dict[int, int] = {}
    brands: dict[int, int] = {}
    price = {f"b{index}": 0 for index in range(len(PRICE_BUCKETS))}
    total = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for grouping, category_id, brand_id, bucket, n in cursor.fetchall():
            if grouping == 0b011:
                categories[category_id] = n
            elif grouping == 0b101 and brand_id is not None:
                brands[brand_id] = n
            elif grouping == 0b110:
                price[f"b{bucket}"] = n
            elif grouping == 0b111:
                total = n
    return total, {"category": categories, "brand": brands, "price": price}


def _first_thumbnail() -> QuerySet[ProductImage]:
    return (
        ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "id").values("thumbnail")[:1]
    )


def media_url(name: str | None) -> str:
    if not name:
        return ""
    from django.core.files.storage import default_storage

    return default_storage.url(name)


def product_card(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "title": product.title,
        "subtitle": product.subtitle,
        "url": f"/p/{product.id}/",
        "shop": {"id": product.shop_id, "name": product.shop.name},
        "brand": product.brand.name if product.brand_id else "",
        "category_id": product.category_id,
        "min_price": str(product.min_price) if product.min_price is not None else None,
        "max_price": str(product.max_price) if product.max_price is not None else None,
        "thumbnail": media_url(getattr(product, "thumb", None)),
        "rating_avg": str(product.rating_avg),
        "rating_count": product.rating_count,
        "sales_count": product.sales_count,
    }


def facets(
    filters: _Filters, params: SearchParams, *, grouped: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Facet counts; `grouped` holds those already counted together (see _grouped_counts)."""
    grouped = grouped or {}
    price_totals = grouped.get("price")
    if price_totals is None:
        price_totals = filters.apply(skip="price").order_by().aggregate(**_bucket_aggregates())
    per_category = grouped.get("category")
    if per_category is None:
        per_category = dict(
            filters.apply(skip="category").order_by().values_list("category_id").annotate(n=Count("id"))
        )
    per_brand = grouped.get("brand")
    if per_brand is None:
        qs = filters.apply(skip="brand").exclude(brand_id=None).order_by()
        per_brand = dict(qs.values_list("brand_id").annotate(n=Count("id")).order_by())
    return {
        "categories": _category_facet(per_category, params.category),
        "brands": _brand_facet(per_brand, set(params.brand_ids)),
        "attributes": _attribute_facets(filters, set(params.value_ids)),
        "price_ranges": _price_facet(price_totals, params),
    }


def _labels() -> dict[str, dict[int, dict[str, Any]]]:
    """Brand and attribute value labels for facets, cached with the lists (brand, attribute and
    value edits bump them), so a cold search does not query them every time."""
    from shopops.catalog import cache

    def build() -> dict[str, dict[int, dict[str, Any]]]:
        brands = {row["id"]: row for row in Brand.objects.values("id", "name", "name_en")}
        values = {}
        for value in AttributeValue.objects.select_related("attribute").order_by(
            "attribute__position", "attribute_id", "position", "id"
        ):
            attribute: Attribute = value.attribute
            values[value.id] = {
                "id": value.id,
                "value": value.value,
                "value_en": value.value_en,
                "swatch": value.swatch,
                "attribute_id": attribute.id,
                "attribute": {
                    "id": attribute.id,
                    "code": attribute.code,
                    "name": attribute.name,
                    "name_en": attribute.name_en,
                    "filterable": attribute.is_filterable,
                },
            }
        return {"brands": brands, "values": values}

    return cache.listing("facet-labels", {}, build)


def _category_nodes() -> dict[int, dict[str, Any]]:
    """{category id: its fields}, cached with the lists (every category change bumps them)."""
    from shopops.catalog import cache

    def build() -> dict[int, dict[str, Any]]:
        fields = ("id", "path", "name", "name_en", "slug", "depth", "is_active")
        return {row["id"]: row for row in Category.objects.values(*fields)}

    return cache.listing("category-nodes", {}, build)


def _category_facet(per_category: dict[int, int], selected: Category | None) -> list[dict[str, Any]]:
    """Counts per category, rolled up to every ancestor, so the tree can show 服装 (120) > 女装 (80).
    Counted by category id (no join); names and paths come from the cached category map."""
    nodes = _category_nodes()
    by_path = {node["path"]: node for node in nodes.values()}
    steplen = Category.steplen
    totals: dict[str, int] = {}
    for category_id, n in per_category.items():
        node = nodes.get(category_id)
        if node is None:
            continue
        path = node["path"]
        for end in range(steplen, len(path) + 1, steplen):
            totals[path[:end]] = totals.get(path[:end], 0) + n
    result = []
    for path in sorted(totals):
        node = by_path.get(path)
        if node is None or not node["is_active"]:
            continue
        result.append(
            {
                "id": node["id"],
                "name": node["name"],
                "name_en": node["name_en"],
                "slug": node["slug"],
                "depth": node["depth"],
                "parent_path": path[:-steplen],
                "path": path,
                "count": totals[path],
                "selected": bool(selected and selected.id == node["id"]),
            }
        )
    return result


def _brand_facet(counts: dict[int, int], selected: set[int]) -> list[dict[str, Any]]:
    labels = _labels()["brands"]
    result = [
        {**labels[brand_id], "count": counts.get(brand_id, 0), "selected": brand_id in selected}
        for brand_id in counts.keys() | selected
        if brand_id in labels
    ]
    return sorted(result, key=lambda b: (-b["count"], b["name"]))


def _value_counts(qs: QuerySet[Product]) -> dict[int, int]:
    return dict(
        ProductFacet.objects.filter(product__in=qs.order_by().values("id"))
        .values_list("value_id")
        .annotate(n=Count("product_id"))
        .order_by()
    )


def _attribute_facets(filters: _Filters, selected: set[int]) -> list[dict[str, Any]]:
    labels = _labels()["values"]
    counts = _value_counts(filters.apply())
    # An attribute with a selection counts its own values without its own filter (disjunctive).
    for attribute_id in filters.values_by_attribute:
        own = _value_counts(filters.apply(skip_attribute=attribute_id))
        for value_id in [v for v, label in labels.items() if label["attribute_id"] == attribute_id]:
            counts.pop(value_id, None)
            if value_id in own:
                counts[value_id] = own[value_id]
    if not counts and not selected:
        return []
    grouped: dict[int, dict[str, Any]] = {}
    wanted = counts.keys() | selected
    for value_id, label in labels.items():  # in display order (attribute, then value position)
        if value_id not in wanted or not label["attribute"]["filterable"]:
            continue
        attribute = label["attribute"]
        entry = grouped.setdefault(
            attribute["id"],
            {k: attribute[k] for k in ("id", "code", "name", "name_en")} | {"values": []},
        )
        entry["values"].append(
            {
                "id": value_id,
                "value": label["value"],
                "value_en": label["value_en"],
                "swatch": label["swatch"],
                "count": counts.get(value_id, 0),
                "selected": value_id in selected,
            }
        )
    return list(grouped.values())


def _price_facet(totals: dict[str, int], params: SearchParams) -> list[dict[str, Any]]:
    result = []
    for index, (low, high) in enumerate(PRICE_BUCKETS):
        n = totals[f"b{index}"]
        if n:
            result.append(
                {
                    "min": str(low),
                    "max": str(high) if high is not None else None,
                    "count": n,
                    "selected": params.price_min == low and params.price_max == high,
                }
            )
    return result
