"""Plain-data shapes of catalog objects for shoppers (API and pages), cached as they are."""

from __future__ import annotations

from typing import Any

from shopops.catalog import cache, selectors
from shopops.catalog.models import Product
from shopops.catalog.search import media_url


def public_product_detail(product_id: int) -> dict[str, Any]:
    """The product page's data (cached, versioned per product); stock is added live by the caller."""
    payload = cache.product_detail(product_id, lambda: _build_detail(product_id))
    if payload is None:
        from shopops.catalog.errors import ProductNotFound

        raise ProductNotFound(id=product_id)
    return payload


def _build_detail(product_id: int) -> dict[str, Any] | None:
    from shopops.catalog.errors import ProductNotFound

    try:
        product = selectors.public_product(product_id)
    except ProductNotFound:
        return None
    return product_detail(product, public=True)


def product_detail(product: Product, *, public: bool) -> dict[str, Any]:
    skus = [s for s in product.skus.all() if s.is_active or not public]
    axes = [axis.attribute for axis in product.variant_axes.all()]
    used_values: dict[int, dict[int, Any]] = {a.id: {} for a in axes}
    for sku in skus:
        for option in sku.options.all():
            used_values.setdefault(option.attribute_id, {})[option.value_id] = option.value
    images = list(product.images.all())
    image_by_value = {img.value_id: media_url(img.image.name) for img in images if img.value_id}
    return {
        "id": product.id,
        "title": product.title,
        "subtitle": product.subtitle,
        "description": product.description,
        "status": product.status,
        "shop": {"id": product.shop_id, "name": product.shop.name, "slug": product.shop.slug},
        "brand": {"id": product.brand_id, "name": product.brand.name} if product.brand_id else None,
        "category": {"id": product.category_id, "name": product.category.name, "slug": product.category.slug},
        "breadcrumbs": [
            {"id": c.id, "name": c.name, "slug": c.slug}
            for c in selectors.category_breadcrumbs(product.category)
        ],
        "min_price": str(product.min_price) if product.min_price is not None else None,
        "max_price": str(product.max_price) if product.max_price is not None else None,
        "rating_avg": str(product.rating_avg),
        "rating_count": product.rating_count,
        "sales_count": product.sales_count,
        "images": [
            {
                "id": img.id,
                "url": media_url(img.image.name),
                "thumbnail": media_url(img.thumbnail.name),
                "alt": img.alt or product.title,
                "width": img.width,
                "height": img.height,
                "value_id": img.value_id,
            }
            for img in images
        ],
        "axes": [
            {
                "id": a.id,
                "code": a.code,
                "name": a.name,
                "name_en": a.name_en,
                "values": [
                    {
                        "id": v.id,
                        "value": v.value,
                        "value_en": v.value_en,
                        "swatch": v.swatch,
                        "image": image_by_value.get(v.id, ""),
                    }
                    for v in sorted(used_values.get(a.id, {}).values(), key=lambda v: (v.position, v.id))
                ],
            }
            for a in axes
        ],
        "skus": [
            {
                "id": s.id,
                "code": s.code,
                "label": selectors.sku_label(s),
                "price": str(s.price),
                "market_price": str(s.market_price) if s.market_price is not None else None,
                "options": {o.attribute.code: o.value_id for o in s.options.all()},
                "is_active": s.is_active,
                **(
                    {}
                    if public
                    else {"barcode": s.barcode, "cost": _str(s.cost), "weight_grams": s.weight_grams}
                ),
            }
            for s in skus
        ],
        "attributes": _attribute_rows(product),
    }


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _attribute_rows(product: Product) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for pav in product.attribute_values.all():
        attribute = pav.attribute
        row = rows.setdefault(
            attribute.id,
            {"code": attribute.code, "name": attribute.name, "name_en": attribute.name_en, "values": []},
        )
        if pav.value_id:
            row["values"].append(pav.value.value)
        elif pav.number is not None:
            row["values"].append(f"{pav.number.normalize():f}{attribute.unit}")
        elif pav.text:
            row["values"].append(pav.text)
    return [{**row, "display": "、".join(row["values"])} for row in rows.values()]


def with_availability(detail: dict[str, Any]) -> dict[str, Any]:
    """Detail plus live units available per SKU (never cached: stock moves by the second)."""
    available = selectors.available_by_sku([s["id"] for s in detail["skus"]])
    skus = [{**s, "available": available.get(s["id"])} for s in detail["skus"]]
    return {**detail, "skus": skus}
