"""Reads of the catalog, for the API, pages and other apps (orders read SKUs and prices here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from shopops.catalog.errors import ProductNotFound
from shopops.catalog.models import (
    Attribute,
    Category,
    CategoryAttribute,
    Product,
    ProductImage,
    ProductStatus,
    Sku,
    SkuOptionValue,
)
from shopops.core.errors import NotFound

# The shop's encrypted columns: never needed to show a product, so never loaded (or decrypted) with one.
SHOP_SECRETS = ("shop__contact_phone", "shop__settlement_account_number")


@dataclass(frozen=True)
class CategoryAttributeInfo:
    attribute: Attribute
    is_required: bool
    is_variant: bool
    position: int
    defined_on: int  # category id the link is declared on (the category or an ancestor)


def get_category(category_id: int) -> Category:
    try:
        return Category.objects.get(id=category_id)
    except Category.DoesNotExist:
        raise NotFound("类目不存在 / Category not found", code="category_not_found", id=category_id) from None


def category_by_slug(slug: str) -> Category:
    try:
        return Category.objects.get(slug=slug, is_active=True)
    except Category.DoesNotExist:
        raise NotFound("类目不存在 / Category not found", code="category_not_found", slug=slug) from None


def ancestor_paths(category: Category) -> list[str]:
    steplen = Category.steplen
    return [category.path[:end] for end in range(steplen, len(category.path) + 1, steplen)]


def category_breadcrumbs(category: Category) -> list[Category]:
    return list(Category.objects.filter(path__in=ancestor_paths(category)).order_by("depth"))


def effective_category_attributes(category: Category) -> list[CategoryAttributeInfo]:
    """The attributes offered on a category: its own links plus those inherited from its ancestors
    (the nearest declaration wins), in display order."""
    links = (
        CategoryAttribute.objects.filter(category__path__in=ancestor_paths(category))
        .select_related("attribute", "attribute__group", "category")
        .order_by("-category__depth")
    )
    chosen: dict[int, CategoryAttributeInfo] = {}
    for link in links:
        if link.attribute_id not in chosen:
            chosen[link.attribute_id] = CategoryAttributeInfo(
                attribute=link.attribute,
                is_required=link.is_required,
                is_variant=link.is_variant,
                position=link.position,
                defined_on=link.category_id,
            )
    return sorted(
        chosen.values(), key=lambda info: (info.position, info.attribute.position, info.attribute.id)
    )


def category_tree(*, active_only: bool = True) -> list[dict[str, Any]]:
    """The whole tree as nested dicts (3 levels at most, a few hundred nodes: one query)."""
    qs = Category.objects.order_by("path")
    if active_only:
        qs = qs.filter(is_active=True)
    nodes: dict[str, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    steplen = Category.steplen
    for cat in qs:
        node = {
            "id": cat.id,
            "name": cat.name,
            "name_en": cat.name_en,
            "slug": cat.slug,
            "depth": cat.depth,
            "position": cat.position,
            "is_active": cat.is_active,
            "children": [],
        }
        nodes[cat.path] = node
        parent = nodes.get(cat.path[:-steplen]) if cat.depth > 1 else None
        if cat.depth == 1:
            roots.append(node)
        elif parent is not None:
            parent["children"].append(node)
        # A child of an inactive (filtered out) parent is hidden along with it.
    return roots


def products_for_shop(
    shop_id: int,
    *,
    status: str | None = None,
    q: str = "",
    category_id: int | None = None,
) -> QuerySet[Product]:
    qs = Product.objects.filter(shop_id=shop_id).select_related("category", "brand")
    if status:
        qs = qs.filter(status=status)
    if category_id:
        category = get_category(category_id)
        qs = qs.filter(category__path__startswith=category.path)
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(spu_code__iexact=q) | Q(skus__code__iexact=q) | Q(skus__barcode=q)
        ).distinct()
    return qs.order_by("-id")


def _product_prefetches() -> list[Any]:
    return [
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        Prefetch(
            "skus",
            queryset=Sku.objects.order_by("position", "id").prefetch_related(
                Prefetch("options", queryset=SkuOptionValue.objects.select_related("attribute", "value"))
            ),
        ),
        "variant_axes__attribute",
        "attribute_values__attribute",
        "attribute_values__value",
    ]


def product_for_shop(shop_id: int, product_id: int) -> Product:
    """A shop's product with everything the editor shows; another shop's id answers 404."""
    product = (
        Product.objects.filter(id=product_id, shop_id=shop_id)
        .select_related("category", "brand", "shop")
        .defer(*SHOP_SECRETS)
        .prefetch_related(*_product_prefetches())
        .first()
    )
    if product is None:
        raise ProductNotFound(id=product_id)
    return product


def public_product(product_id: int) -> Product:
    """An on-sale product for shoppers (drafts and off-sale products do not exist for them)."""
    product = (
        Product.objects.filter(id=product_id, status=ProductStatus.ON_SALE, shop__status="active")
        .select_related("category", "brand", "shop")
        .defer(*SHOP_SECRETS)
        .prefetch_related(*_product_prefetches())
        .first()
    )
    if product is None:
        raise ProductNotFound(id=product_id)
    return product


def sku_for_shop(shop_id: int, sku_id: int) -> Sku:
    sku = Sku.objects.filter(id=sku_id, shop_id=shop_id).select_related("product").first()
    if sku is None:
        raise NotFound("SKU 不存在 / SKU not found", code="sku_not_found", id=sku_id)
    return sku


# What a shopper can buy now: an active SKU of an on-sale product of an active shop.
SELLABLE = Q(is_active=True, product__status=ProductStatus.ON_SALE, product__shop__status="active")


@dataclass(frozen=True)
class SkuCard:
    """What a cart line, a checkout line or an order snapshot shows of a SKU, read in two queries
    for any number of SKUs (`sku_cards`), without model instances or prefetch machinery: the cart
    and checkout answer on every add and submit."""

    sku_id: int
    shop_id: int
    shop_name: str
    product_id: int
    title: str
    code: str
    price: Decimal
    weight_grams: int
    sellable: bool  # active SKU of an on-sale product of an active shop
    image_url: str  # the product's first picture (its thumbnail when there is one), or ""
    label: str  # e.g. "红色 / M", in axis order
    attributes: dict[str, str]  # {attribute name: value}


def sku_cards(sku_ids: Iterable[int]) -> dict[int, SkuCard]:
    """{sku_id: SkuCard} for the SKUs that exist (sellable or not: see `SkuCard.sellable`)."""
    ids = {int(i) for i in sku_ids}
    if not ids:
        return {}
    first_image = ProductImage.objects.filter(product_id=OuterRef("product_id")).order_by("position", "id")
    rows = (
        Sku.objects.filter(id__in=ids)
        .annotate(
            image=Subquery(first_image.values("image")[:1]),
            thumbnail=Subquery(first_image.values("thumbnail")[:1]),
            title=F("product__title"),
            shop_name=F("product__shop__name"),
            sellable=ExpressionWrapper(SELLABLE, output_field=BooleanField()),
        )
        .values(
            "id", "shop_id", "product_id", "code", "price", "weight_grams", "title", "shop_name",
            "sellable", "image", "thumbnail",
        )
    )  # fmt: skip
    options: dict[int, list[tuple[str, str]]] = {}
    for sku_id, name, value in (
        SkuOptionValue.objects.filter(sku_id__in=ids)
        .order_by("id")
        .values_list("sku_id", "attribute__name", "value__value")
    ):
        options.setdefault(sku_id, []).append((name, value))
    return {row["id"]: _card(row, options.get(row["id"], [])) for row in rows}


def _card(row: dict[str, Any], options: list[tuple[str, str]]) -> SkuCard:
    return SkuCard(
        sku_id=row["id"],
        shop_id=row["shop_id"],
        shop_name=row["shop_name"],
        product_id=row["product_id"],
        title=row["title"],
        code=row["code"],
        price=row["price"],
        weight_grams=row["weight_grams"] or 0,
        sellable=bool(row["sellable"]),
        image_url=_picture_url(row["thumbnail"] or row["image"]),
        label=" / ".join(value for _, value in options),
        attributes=dict(options),
    )


def _picture_url(name: str | None) -> str:
    if not name:
        return ""
    try:
        return ProductImage._meta.get_field("thumbnail").storage.url(name)
    except ValueError:
        return ""


def sellable_sku_ids(sku_ids: Iterable[int]) -> set[int]:
    """The subset of `sku_ids` a shopper can buy now (`SELLABLE`)."""
    return set(Sku.objects.filter(SELLABLE, id__in=set(sku_ids)).values_list("id", flat=True))


def available_by_sku(sku_ids: list[int]) -> dict[int, int | None]:
    """Units available per SKU from the inventory app; None per SKU while inventory is not installed."""
    try:
        from shopops.inventory.selectors import available_by_sku as inventory_available
    except ImportError:
        return dict.fromkeys(sku_ids)
    found = inventory_available(list(sku_ids))
    return {sku_id: int(found.get(sku_id, 0)) for sku_id in sku_ids}


def product_skus(product_id: int, *, active_only: bool = True) -> list[Sku]:
    """The SKUs of one product with their options (for sku_label), in display order; e.g. the sizes
    and colours an after-sales exchange may switch to."""
    skus = Sku.objects.filter(product_id=product_id).select_related("product")
    if active_only:
        skus = skus.filter(is_active=True, product__status=ProductStatus.ON_SALE)
    return list(skus.prefetch_related("options__value").order_by("position", "id"))


def sku_label(sku: Sku) -> str:
    """e.g. "红色 / M" from the prefetched options, in axis order."""
    return " / ".join(option.value.value for option in sku.options.all())
