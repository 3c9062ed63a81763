"""The one seam through which inventory reads catalog data (SKUs, products, categories).

Inventory never writes catalog rows. Keeping every catalog query here means a change in the catalog's
models (or a move to catalog selectors) touches one small file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db.models import Q, QuerySet


def _sku_model():
    return apps.get_model("catalog", "Sku")


def _category_model():
    return apps.get_model("catalog", "Category")


@dataclass(frozen=True)
class SkuLabel:
    sku_id: int
    code: str
    title: str
    options: str
    product_id: int
    cost: Decimal | None

    @property
    def display(self) -> str:
        return f"{self.title} · {self.options}" if self.options else self.title


def sku_shop_ids(sku_ids: Iterable[int]) -> dict[int, int]:
    """{sku_id: shop_id} for the SKUs that exist."""
    return dict(_sku_model().objects.filter(id__in=set(sku_ids)).values_list("id", "shop_id"))


def skus_of_shop(shop_id: int, sku_ids: Iterable[int]) -> set[int]:
    """The subset of `sku_ids` that belong to the shop (the rest are unknown or another shop's)."""
    return set(_sku_model().objects.filter(shop_id=shop_id, id__in=set(sku_ids)).values_list("id", flat=True))


def all_sku_ids_of_shop(shop_id: int) -> QuerySet:
    return _sku_model().objects.filter(shop_id=shop_id).order_by("id").values_list("id", flat=True)


def sku_ids_of_product(product_id: int) -> list[int]:
    return list(
        _sku_model().objects.filter(product_id=product_id).order_by("id").values_list("id", flat=True)
    )


def sku_category_paths(*, shop_id: int, sku_ids: Iterable[int] | None = None) -> dict[int, str]:
    """{sku_id: materialised path of its product's category} (ancestors' paths are its prefixes)."""
    qs = _sku_model().objects.filter(shop_id=shop_id)
    if sku_ids is not None:
        qs = qs.filter(id__in=set(sku_ids))
    return dict(qs.values_list("id", "product__category__path"))


def category_path(category_id: int) -> str | None:
    return _category_model().objects.filter(id=category_id).values_list("path", flat=True).first()


def category_labels(category_ids: Iterable[int]) -> dict[int, str]:
    return dict(_category_model().objects.filter(id__in=set(category_ids)).values_list("id", "name"))


def sku_ids_in_category_tree(*, shop_id: int, path: str) -> list[int]:
    return list(
        _sku_model()
        .objects.filter(shop_id=shop_id, product__category__path__startswith=path)
        .values_list("id", flat=True)
    )


def sku_labels(sku_ids: Iterable[int]) -> dict[int, SkuLabel]:
    ids = set(sku_ids)
    if not ids:
        return {}
    Sku = _sku_model()
    options: dict[int, list[str]] = {}
    rows = (
        Sku.option_values.through.objects.filter(sku_id__in=ids)
        .order_by("sku_id", "id")
        .values_list("sku_id", "value__value")
    )
    for sku_id, value in rows:
        options.setdefault(sku_id, []).append(value)
    return {
        sku_id: SkuLabel(
            sku_id=sku_id,
            code=code,
            title=title,
            options=" / ".join(options.get(sku_id, [])),
            product_id=product_id,
            cost=cost,
        )
        for sku_id, code, title, product_id, cost in Sku.objects.filter(id__in=ids).values_list(
            "id", "code", "product__title", "product_id", "cost"
        )
    }


def search_sku_ids(shop_id: int, text: str) -> QuerySet:
    """SKU ids of the shop whose code, barcode or product title contains `text` (console filters)."""
    text = text.strip()
    return (
        _sku_model()
        .objects.filter(shop_id=shop_id)
        .filter(Q(code__icontains=text) | Q(barcode=text) | Q(product__title__icontains=text))
        .values_list("id", flat=True)
    )


def sku_ids_by_code(shop_id: int, codes: Iterable[str]) -> dict[str, int]:
    """{code: sku_id} for the shop's SKUs among `codes` (codes are unique per shop)."""
    return dict(_sku_model().objects.filter(shop_id=shop_id, code__in=set(codes)).values_list("code", "id"))


def shop_sku_costs(shop_id: int) -> list[tuple[int, Decimal | None, Decimal]]:
    """[(sku_id, cost, price)] of every SKU of the shop, in id order (demo data, supplier prices)."""
    return list(
        _sku_model().objects.filter(shop_id=shop_id).order_by("id").values_list("id", "cost", "price")
    )
