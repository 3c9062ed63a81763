"""Derived product data kept in step with the source rows: price range, facet values and the search
document (plus its PostgreSQL tsvector). One batched function serves a single edit and a bulk import.

The search document has four weighted sections, one per line:
  A title | B brand and category path | C attribute and option values (with aliases), subtitle |
  D the first part of the description text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import Max, Min

from shopops.catalog import cache
from shopops.catalog.models import (
    Category,
    Product,
    ProductAttributeValue,
    ProductFacet,
    Sku,
    SkuOptionValue,
)
from shopops.catalog.text import index_text, strip_tags

BATCH = 1000
DESCRIPTION_INDEX_CHARS = 1000
STEPLEN = Category.steplen

# PostgreSQL: one statement writes price range, document and tsvector for a whole batch (far
# cheaper than Django's bulk_update, which builds a CASE per column and row).
_UPDATE_SQL = """
UPDATE catalog_product AS p SET
    min_price = v.low,
    max_price = v.high,
    search_document = v.doc,
    search_vector =
        setweight(to_tsvector('simple', split_part(v.doc, E'\\n', 1)), 'A') ||
        setweight(to_tsvector('simple', split_part(v.doc, E'\\n', 2)), 'B') ||
        setweight(to_tsvector('simple', split_part(v.doc, E'\\n', 3)), 'C') ||
        setweight(to_tsvector('simple', split_part(v.doc, E'\\n', 4)), 'D')
FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::text[]) AS v(id, low, high, doc)
WHERE p.id = v.id
"""


def refresh_products(product_ids: Iterable[int], *, invalidate: bool = True) -> None:
    """Recompute price range, facets and search index of these products (call inside the write's
    transaction), and drop their cached pages after commit."""
    ids = sorted({int(pid) for pid in product_ids})
    for start in range(0, len(ids), BATCH):
        _refresh_batch(ids[start : start + BATCH])
    if invalidate and ids:
        cache.invalidate_products(ids)


def _refresh_batch(ids: list[int]) -> None:
    products = list(Product.objects.filter(id__in=ids).select_related("brand", "category"))
    prices = {
        row["product_id"]: (row["low"], row["high"])
        for row in Sku.objects.filter(product_id__in=ids, is_active=True)
        .values("product_id")
        .annotate(low=Min("price"), high=Max("price"))
    }
    facet_rows, value_texts = _facets_and_value_texts(ids)
    ProductFacet.objects.filter(product_id__in=ids).delete()
    ProductFacet.objects.bulk_create(
        [
            ProductFacet(product_id=pid, attribute_id=aid, value_id=vid)
            for pid, aid, vid in sorted(facet_rows)
        ],
        batch_size=5000,
    )
    category_names = _category_path_names({p.category.path for p in products})
    for product in products:
        product.min_price, product.max_price = prices.get(product.id, (None, None))
        product.search_document = _document(product, category_names, value_texts.get(product.id, []))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _UPDATE_SQL,
                [
                    [p.id for p in products],
                    [p.min_price for p in products],
                    [p.max_price for p in products],
                    [p.search_document for p in products],
                ],
            )
    else:
        Product.objects.bulk_update(products, ["min_price", "max_price", "search_document"], batch_size=500)


def _facets_and_value_texts(ids: list[int]) -> tuple[set[tuple[int, int, int]], dict[int, list[str]]]:
    facets: set[tuple[int, int, int]] = set()
    texts: dict[int, list[str]] = defaultdict(list)
    choice_rows = ProductAttributeValue.objects.filter(product_id__in=ids).values_list(
        "product_id",
        "attribute_id",
        "value_id",
        "value__value",
        "value__value_en",
        "value__aliases",
        "number",
        "text",
        "attribute__name",
        "attribute__unit",
    )
    for pid, aid, vid, value, value_en, aliases, number, text, attr_name, unit in choice_rows:
        if vid:
            facets.add((pid, aid, vid))
            texts[pid].extend([value, value_en, *(aliases or [])])
        elif number is not None:
            texts[pid].append(f"{attr_name} {number.normalize():f}{unit}")
        elif text:
            texts[pid].extend([attr_name, text])
    option_rows = SkuOptionValue.objects.filter(sku__product_id__in=ids, sku__is_active=True).values_list(
        "sku__product_id", "attribute_id", "value_id", "value__value", "value__value_en", "value__aliases"
    )
    for pid, aid, vid, value, value_en, aliases in option_rows:
        if (pid, aid, vid) not in facets:
            facets.add((pid, aid, vid))
            texts[pid].extend([value, value_en, *(aliases or [])])
    return facets, texts


def _category_path_names(paths: set[str]) -> dict[str, list[str]]:
    """{category path: names of it and its ancestors, zh and en}, from one query."""
    prefixes = {path[:end] for path in paths for end in range(STEPLEN, len(path) + 1, STEPLEN)}
    names = {
        path: [name, name_en]
        for path, name, name_en in Category.objects.filter(path__in=prefixes).values_list(
            "path", "name", "name_en"
        )
    }
    return {
        path: [n for end in range(STEPLEN, len(path) + 1, STEPLEN) for n in names.get(path[:end], [])]
        for path in paths
    }


def _document(product: Product, category_names: dict[str, list[str]], values: list[str]) -> str:
    brand = [product.brand.name, product.brand.name_en] if product.brand else []
    sections = [
        index_text(product.title),
        index_text(*brand, *category_names.get(product.category.path, [])),
        index_text(product.subtitle, *[v for v in values if v]),
        index_text(strip_tags(product.description)[:DESCRIPTION_INDEX_CHARS]),
    ]
    return "\n".join(sections)


def products_in_categories(category_paths: Iterable[str]) -> list[int]:
    ids: list[int] = []
    for path in category_paths:
        ids.extend(Product.objects.filter(category__path__startswith=path).values_list("id", flat=True))
    return ids
