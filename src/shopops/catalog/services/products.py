"""Writes to a shop's products and SKUs, and the listing lifecycle (draft -> on sale <-> off sale).

Inputs are plain values so the API, the console, the import and other apps call the same code:
- attributes: {attribute code or name: value}. Single choice: a label or value id; multiple choice:
  a list of them; number: a number (the attribute's unit optional); text: a string.
- variant_axes: attribute codes the SKUs vary by, e.g. ["color", "size"].
- skus: [{"code", "barcode", "price", "market_price", "cost", "weight_grams", "is_active",
  "options": {"color": "红色", "size": "M"}}].
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, ProtectedError, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from shopops.catalog import cache, indexing
from shopops.catalog.errors import (
    AttributeNotInCategory,
    CategoryNotLeaf,
    DuplicateSkuCode,
    DuplicateSpuCode,
    InvalidAttributeInput,
    InvalidPrice,
    InvalidVariants,
    NotReadyForSale,
    ProductNotFound,
    SkuInUse,
)
from shopops.catalog.models import (
    Attribute,
    AttributeKind,
    Category,
    Product,
    ProductAttributeValue,
    ProductStatus,
    ProductVariantAxis,
    Sku,
    SkuOptionValue,
)
from shopops.catalog.selectors import CategoryAttributeInfo, effective_category_attributes
from shopops.catalog.services.taxonomy import ValueResolver, parse_number
from shopops.catalog.text import clean_label, normalize_label, sanitize_html
from shopops.core import audit
from shopops.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from shopops.core.money import MoneyError, to_money

MAX_SKUS_PER_PRODUCT = 600
MAX_VARIANT_AXES = 3
MAX_PRICE = Decimal("99999999.99")
_CODE = re.compile(r"^[^\s]{1,64}$")
_BARCODE = re.compile(r"^\d{8,14}$")

PRODUCT_FIELDS = [
    "title",
    "subtitle",
    "description",
    "category_id",
    "brand_id",
    "spu_code",
    "scheduled_on_sale_at",
    "scheduled_off_sale_at",
]
SKU_FIELDS = ["code", "barcode", "price", "market_price", "cost", "weight_grams", "is_active", "position"]

# The listing state machine: (current status, action) -> new status.
TRANSITIONS: dict[tuple[str, str], str] = {
    (ProductStatus.DRAFT, "publish"): ProductStatus.ON_SALE,
    (ProductStatus.OFF_SALE, "publish"): ProductStatus.ON_SALE,
    (ProductStatus.ON_SALE, "unpublish"): ProductStatus.OFF_SALE,
}


def combination_key(value_ids: list[int]) -> str:
    return "-".join(str(v) for v in sorted(value_ids))


# --- validation helpers (shared with the import) --------------------------------------------------


def money_or_error(raw: Any, *, field_name: str, required: bool) -> Decimal | None:
    if raw is None or raw == "":
        if required:
            raise InvalidPrice(field=field_name, value=raw, reason="required")
        return None
    if isinstance(raw, float):
        raw = repr(raw)  # from JSON or a spreadsheet cell: its shortest decimal spelling, never binary noise
    try:
        amount = to_money(str(raw).strip().lstrip("¥￥"))
    except MoneyError:
        raise InvalidPrice(field=field_name, value=raw, reason="not_a_number") from None
    if amount < 0:
        raise InvalidPrice(field=field_name, value=str(raw), reason="negative")
    if amount > MAX_PRICE:
        raise InvalidPrice(field=field_name, value=str(raw), reason="too_large")
    return amount


@dataclass
class CleanSku:
    code: str
    price: Decimal
    barcode: str = ""
    market_price: Decimal | None = None
    cost: Decimal | None = None
    weight_grams: int = 0
    is_active: bool = True
    position: int = 0
    option_values: dict[int, int] = field(default_factory=dict)  # attribute id -> value id


def clean_sku_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Check the scalar SKU fields present in `data`; returns them cleaned."""
    cleaned: dict[str, Any] = {}
    if "code" in data:
        code = str(data["code"] or "").strip()
        if code and not _CODE.match(code):
            raise InvalidInput(
                "SKU 编码须为 1-64 个非空白字符 / A SKU code is 1-64 characters without spaces",
                code="invalid_sku_code",
                value=code,
            )
        cleaned["code"] = code
    if "barcode" in data:
        barcode = str(data["barcode"] or "").strip()
        if barcode and not _BARCODE.match(barcode):
            raise InvalidInput(
                "条码须为 8-14 位数字 / A barcode is 8 to 14 digits", code="invalid_barcode", value=barcode
            )
        cleaned["barcode"] = barcode
    if "price" in data:
        cleaned["price"] = money_or_error(data["price"], field_name="price", required=True)
    for name in ("market_price", "cost"):
        if name in data:
            cleaned[name] = money_or_error(data[name], field_name=name, required=False)
    if "weight_grams" in data:
        try:
            weight = int(data["weight_grams"] or 0)
        except (TypeError, ValueError):
            weight = -1
        if not 0 <= weight <= 1_000_000:
            raise InvalidInput(
                "重量须为 0-1000000 克 / Weight must be 0 to 1,000,000 grams",
                code="invalid_weight",
                value=data["weight_grams"],
            )
        cleaned["weight_grams"] = weight
    for name in ("is_active",):
        if name in data:
            cleaned[name] = bool(data[name])
    if "position" in data:
        cleaned["position"] = max(0, int(data["position"] or 0))
    return cleaned


def check_market_price(price: Decimal | None, market_price: Decimal | None, code: str = "") -> None:
    if price is not None and market_price is not None and market_price < price:
        raise InvalidPrice(
            "划线价不能低于售价 / The market (list) price cannot be below the selling price",
            code="market_price_below_price",
            sku=code,
            price=price,
            market_price=market_price,
        )


def leaf_category(category_id: int) -> Category:
    category = Category.objects.filter(id=category_id).first()
    if category is None:
        raise NotFound("类目不存在 / Category not found", code="category_not_found", id=category_id)
    if not category.is_active:
        raise InvalidInput("类目已停用 / The category is disabled", code="category_inactive", id=category_id)
    if not category.is_leaf():
        raise CategoryNotLeaf(category_id=category_id, category=category.name)
    return category


def _attribute_lookup(infos: list[CategoryAttributeInfo]) -> dict[str, CategoryAttributeInfo]:
    lookup: dict[str, CategoryAttributeInfo] = {}
    for info in infos:
        for key in (
            info.attribute.code,
            normalize_label(info.attribute.name),
            normalize_label(info.attribute.name_en),
        ):
            if key:
                lookup.setdefault(key, info)
        lookup[str(info.attribute.id)] = info
    return lookup


def find_category_attribute(
    lookup: dict[str, CategoryAttributeInfo], key: Any, category: Category
) -> CategoryAttributeInfo:
    info = lookup.get(str(key)) or lookup.get(normalize_label(str(key)))
    if info is None:
        raise AttributeNotInCategory(attribute=key, category=category.name)
    return info


def clean_attribute_values(
    category: Category,
    attributes: dict[str, Any],
    *,
    resolver: ValueResolver,
    infos: list[CategoryAttributeInfo] | None = None,
    axis_ids: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[ProductAttributeValue]:
    """Unsaved ProductAttributeValue rows for `attributes`, every value checked against its type."""
    lookup = _attribute_lookup(infos if infos is not None else effective_category_attributes(category))
    rows: list[ProductAttributeValue] = []
    seen: set[int] = set()
    for key, raw in (attributes or {}).items():
        attribute = find_category_attribute(lookup, key, category).attribute
        if attribute.id in axis_ids:
            raise InvalidAttributeInput(
                "规格属性由 SKU 决定，不能另填 / A variant attribute is set per SKU, not on the product",
                attribute=attribute.code,
            )
        if attribute.id in seen:
            raise InvalidAttributeInput(attribute=attribute.code, reason="given twice")
        seen.add(attribute.id)
        if raw is None or raw == "" or raw == []:
            continue
        rows.extend(_attribute_rows(attribute, raw, resolver))
    return rows


def _attribute_rows(attribute: Attribute, raw: Any, resolver: ValueResolver) -> list[ProductAttributeValue]:
    if attribute.kind == AttributeKind.SINGLE:
        if isinstance(raw, list | tuple):
            raise InvalidAttributeInput(attribute=attribute.code, value=raw, expected="one value")
        return [ProductAttributeValue(attribute=attribute, value=resolver.value(attribute, raw))]
    if attribute.kind == AttributeKind.MULTI:
        items = raw if isinstance(raw, list | tuple) else [raw]
        values = {resolver.value(attribute, item).id: resolver.value(attribute, item) for item in items}
        return [ProductAttributeValue(attribute=attribute, value=value) for value in values.values()]
    if attribute.kind == AttributeKind.NUMBER:
        return [ProductAttributeValue(attribute=attribute, number=parse_number(attribute, raw))]
    text = clean_label(str(raw))
    if len(text) > 255:
        raise InvalidAttributeInput(attribute=attribute.code, reason="longer than 255 characters")
    return [ProductAttributeValue(attribute=attribute, text=text)]


def clean_axes(
    category: Category, axes: list[Any], infos: list[CategoryAttributeInfo] | None = None
) -> list[Attribute]:
    lookup = _attribute_lookup(infos if infos is not None else effective_category_attributes(category))
    result: list[Attribute] = []
    for key in axes or []:
        info = find_category_attribute(lookup, key, category)
        if not info.is_variant:
            raise InvalidVariants(
                "该属性在此类目不是销售规格 / This attribute is not a variant axis in the category",
                attribute=info.attribute.code,
            )
        if info.attribute in result:
            raise InvalidVariants(attribute=info.attribute.code, reason="given twice")
        result.append(info.attribute)
    if len(result) > MAX_VARIANT_AXES:
        raise InvalidVariants(reason="too many axes", max_axes=MAX_VARIANT_AXES)
    return result


def clean_sku(
    data: dict[str, Any], *, axes: list[Attribute], resolver: ValueResolver, position: int = 0
) -> CleanSku:
    fields = clean_sku_fields({**data, "price": data.get("price")})
    check_market_price(fields["price"], fields.get("market_price"), fields.get("code", ""))
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise InvalidVariants(reason="options must map attribute to value")
    by_key = {}
    for axis in axes:
        for key in (axis.code, normalize_label(axis.name), normalize_label(axis.name_en), str(axis.id)):
            if key:
                by_key[key] = axis
    chosen: dict[int, int] = {}
    for key, raw in options.items():
        axis = by_key.get(str(key)) or by_key.get(normalize_label(str(key)))
        if axis is None:
            raise InvalidVariants(
                "规格不属于该商品 / The option is not one of the product's variant axes",
                option=key,
                axes=[a.code for a in axes],
            )
        chosen[axis.id] = resolver.value(axis, raw).id
    missing = [axis.code for axis in axes if axis.id not in chosen]
    if missing:
        raise InvalidVariants("每个规格都要选一个值 / Every variant axis needs a value", missing=missing)
    return CleanSku(
        code=fields.get("code", ""),
        price=fields["price"],
        barcode=fields.get("barcode", ""),
        market_price=fields.get("market_price"),
        cost=fields.get("cost"),
        weight_grams=fields.get("weight_grams", 0),
        is_active=fields.get("is_active", True),
        position=fields.get("position", position),
        option_values=chosen,
    )


# --- products -------------------------------------------------------------------------------------


def _get_product(shop_id: int, product_id: int, *, lock: bool = False) -> Product:
    qs = Product.objects.select_for_update() if lock else Product.objects
    product = qs.filter(id=product_id, shop_id=shop_id).first()
    if product is None:
        raise ProductNotFound(id=product_id)
    return product


def _clean_title(title: str) -> str:
    title = clean_label(title)
    if not title:
        raise InvalidInput("商品标题不能为空 / The product title is required", code="title_required")
    if len(title) > 120:
        raise InvalidInput("商品标题最多 120 字 / The title is at most 120 characters", code="title_too_long")
    return title


def _check_spu_code(shop_id: int, spu_code: str, exclude_id: int | None = None) -> str:
    spu_code = (spu_code or "").strip()
    if spu_code and not _CODE.match(spu_code):
        raise InvalidInput(code="invalid_spu_code", value=spu_code)
    if (
        spu_code
        and Product.objects.filter(shop_id=shop_id, spu_code=spu_code).exclude(id=exclude_id).exists()
    ):
        raise DuplicateSpuCode(spu_code=spu_code)
    return spu_code


def _check_schedule(on_at: datetime | None, off_at: datetime | None) -> None:
    if on_at and off_at and off_at <= on_at:
        raise InvalidInput(
            "定时下架须晚于定时上架 / The off-sale time must be after the on-sale time",
            code="invalid_schedule",
        )


@transaction.atomic
def create_product(
    *,
    shop_id: int,
    actor: Any,
    category_id: int,
    title: str,
    subtitle: str = "",
    description: str = "",
    brand: Any = None,
    spu_code: str = "",
    attributes: dict[str, Any] | None = None,
    variant_axes: list[Any] | None = None,
    skus: list[dict[str, Any]] | None = None,
    scheduled_on_sale_at: datetime | None = None,
    scheduled_off_sale_at: datetime | None = None,
) -> Product:
    """A new draft product, with its attributes, variant axes and SKUs validated together."""
    resolver = ValueResolver()
    category = leaf_category(category_id)
    infos = effective_category_attributes(category)
    axes = clean_axes(category, variant_axes or [], infos)
    attribute_rows = clean_attribute_values(
        category, attributes or {}, resolver=resolver, infos=infos, axis_ids={a.id for a in axes}
    )
    clean_skus = [clean_sku(s, axes=axes, resolver=resolver, position=i) for i, s in enumerate(skus or [])]
    _check_schedule(scheduled_on_sale_at, scheduled_off_sale_at)
    product = Product.objects.create(
        shop_id=shop_id,
        category=category,
        brand=resolver.brand(brand) if brand not in (None, "") else None,
        title=_clean_title(title),
        subtitle=clean_label(subtitle)[:200],
        description=sanitize_html(description),
        spu_code=_check_spu_code(shop_id, spu_code),
        scheduled_on_sale_at=scheduled_on_sale_at,
        scheduled_off_sale_at=scheduled_off_sale_at,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    ProductVariantAxis.objects.bulk_create(
        [ProductVariantAxis(product=product, attribute=a, position=i) for i, a in enumerate(axes)]
    )
    for row in attribute_rows:
        row.product = product
    ProductAttributeValue.objects.bulk_create(attribute_rows)
    _insert_skus(product, clean_skus)
    indexing.refresh_products([product.id])
    audit.record(
        actor=actor,
        action="catalog.product.create",
        obj=product,
        shop_id=shop_id,
        after={"title": product.title, "skus": len(clean_skus)},
    )
    product.refresh_from_db()
    return product


def _insert_skus(product: Product, clean_skus: list[CleanSku]) -> list[Sku]:
    existing = product.skus.count()
    if existing + len(clean_skus) > MAX_SKUS_PER_PRODUCT:
        raise InvalidVariants(reason="too many SKUs", max_skus=MAX_SKUS_PER_PRODUCT)
    keys = [combination_key(list(s.option_values.values())) for s in clean_skus]
    if len(set(keys)) != len(keys):
        raise InvalidVariants(
            "同一规格组合只能有一个 SKU / Each combination of options can have only one SKU",
            code="duplicate_combination",
        )
    codes = [s.code for s in clean_skus if s.code]
    if len(set(codes)) != len(codes):
        raise DuplicateSkuCode(codes=sorted({c for c in codes if codes.count(c) > 1}))
    taken = list(Sku.objects.filter(shop_id=product.shop_id, code__in=codes).values_list("code", flat=True))
    if taken:
        raise DuplicateSkuCode(codes=taken)
    rows = []
    for index, clean in enumerate(clean_skus, start=existing + 1):
        rows.append(
            Sku(
                shop_id=product.shop_id,
                product=product,
                code=clean.code or _generated_code(product, index),
                barcode=clean.barcode,
                price=clean.price,
                market_price=clean.market_price,
                cost=clean.cost,
                weight_grams=clean.weight_grams,
                is_active=clean.is_active,
                position=clean.position,
                combination_key=combination_key(list(clean.option_values.values())),
            )
        )
    try:
        with transaction.atomic():
            created = Sku.objects.bulk_create(rows)
    except IntegrityError as exc:
        raise _sku_integrity_error(exc) from None
    SkuOptionValue.objects.bulk_create(
        [
            SkuOptionValue(sku=sku, attribute_id=attribute_id, value_id=value_id)
            for sku, clean in zip(created, clean_skus, strict=True)
            for attribute_id, value_id in clean.option_values.items()
        ]
    )
    return created


def _generated_code(product: Product, index: int) -> str:
    base = product.spu_code or f"P{product.id}"
    return f"{base}-{index:02d}"


def _sku_integrity_error(exc: IntegrityError) -> Exception:
    text = str(exc)
    if "catalog_sku_combination_once" in text:
        return InvalidVariants(
            "同一规格组合只能有一个 SKU / Each combination of options can have only one SKU",
            code="duplicate_combination",
        )
    return DuplicateSkuCode()


@transaction.atomic
def update_product(*, shop_id: int, product_id: int, actor: Any, **changes: Any) -> Product:
    """Change product fields; `attributes` (if given) replaces the descriptive attributes."""
    product = _get_product(shop_id, product_id, lock=True)
    attributes = changes.pop("attributes", None)
    if "brand" in changes:
        changes["brand_id"] = changes.pop("brand")
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise InvalidInput(code="unknown_fields", fields=sorted(unknown))
    before = audit.snapshot(product, PRODUCT_FIELDS)
    resolver = ValueResolver()
    category = product.category
    if "category_id" in changes and changes["category_id"] != product.category_id:
        category = leaf_category(changes["category_id"])
    infos = effective_category_attributes(category)
    axis_ids = set(product.variant_axes.values_list("attribute_id", flat=True))
    if category.id != product.category_id:
        # The variant axes must still be offered as axes by the new category.
        clean_axes(category, [str(a) for a in axis_ids], infos)
    if "title" in changes:
        changes["title"] = _clean_title(changes["title"])
    if "subtitle" in changes:
        changes["subtitle"] = clean_label(changes["subtitle"] or "")[:200]
    if "description" in changes:
        changes["description"] = sanitize_html(changes["description"] or "")
    if "spu_code" in changes:
        changes["spu_code"] = _check_spu_code(shop_id, changes["spu_code"], exclude_id=product.id)
    if "brand_id" in changes:
        raw = changes["brand_id"]
        changes["brand_id"] = resolver.brand(raw).id if raw not in (None, "") else None
    _check_schedule(
        changes.get("scheduled_on_sale_at", product.scheduled_on_sale_at),
        changes.get("scheduled_off_sale_at", product.scheduled_off_sale_at),
    )
    if attributes is not None:
        rows = clean_attribute_values(category, attributes, resolver=resolver, infos=infos, axis_ids=axis_ids)
    elif category.id != product.category_id:
        # Keep the current attributes, but each must be offered in the new category.
        current = {str(pav.attribute_id) for pav in product.attribute_values.all()}
        lookup = _attribute_lookup(infos)
        for key in current:
            find_category_attribute(lookup, key, category)
        rows = None
    else:
        rows = None
    for name, value in changes.items():
        setattr(product, name, value)
    product.save()
    if rows is not None:
        product.attribute_values.all().delete()
        for row in rows:
            row.product = product
        ProductAttributeValue.objects.bulk_create(rows)
    after_product_change(product, actor)
    audit.record(
        actor=actor,
        action="catalog.product.update",
        obj=product,
        shop_id=shop_id,
        before=before,
        after=audit.snapshot(product, PRODUCT_FIELDS),
    )
    product.refresh_from_db()
    return product


@transaction.atomic
def set_variant_axes(*, shop_id: int, product_id: int, actor: Any, axes: list[Any]) -> Product:
    """Choose what the SKUs vary by; only while the product has no SKUs (they would lose meaning)."""
    product = _get_product(shop_id, product_id, lock=True)
    if product.skus.exists():
        raise Conflict(
            "已有 SKU 的商品不能修改规格维度 / Variant axes cannot change once the product has SKUs",
            code="axes_locked",
        )
    attributes = clean_axes(product.category, axes)
    if product.attribute_values.filter(attribute__in=attributes).exists():
        raise InvalidAttributeInput(
            "规格属性已作为商品属性填写 / An axis is already set as a product attribute",
        )
    product.variant_axes.all().delete()
    ProductVariantAxis.objects.bulk_create(
        [ProductVariantAxis(product=product, attribute=a, position=i) for i, a in enumerate(attributes)]
    )
    audit.record(
        actor=actor,
        action="catalog.product.axes",
        obj=product,
        shop_id=shop_id,
        after={"axes": [a.code for a in attributes]},
    )
    return product


@transaction.atomic
def delete_product(*, shop_id: int, product_id: int, actor: Any) -> None:
    product = _get_product(shop_id, product_id, lock=True)
    if product.status == ProductStatus.ON_SALE:
        raise Conflict(
            "在售商品请先下架再删除 / Take the product off sale before deleting it", code="product_on_sale"
        )
    audit.record(
        actor=actor,
        action="catalog.product.delete",
        obj=product,
        shop_id=shop_id,
        before={"title": product.title},
    )
    product_id = product.id
    try:
        with transaction.atomic():
            product.delete()
    except ProtectedError:
        raise SkuInUse(
            "商品的 SKU 已有库存或订单记录，只能下架 / Its SKUs have stock or orders: keep it off sale",
            code="product_in_use",
        ) from None
    cache.invalidate_products([product_id])


# --- SKUs -----------------------------------------------------------------------------------------


@transaction.atomic
def add_sku(*, shop_id: int, product_id: int, actor: Any, **data: Any) -> Sku:
    product = _get_product(shop_id, product_id, lock=True)
    axes = [axis.attribute for axis in product.variant_axes.select_related("attribute")]
    clean = clean_sku(data, axes=axes, resolver=ValueResolver(), position=product.skus.count())
    (sku,) = _insert_skus(product, [clean])
    after_product_change(product, actor)
    audit.record(
        actor=actor,
        action="catalog.sku.create",
        obj=sku,
        shop_id=shop_id,
        after={"code": sku.code, "price": str(sku.price)},
    )
    return sku


@transaction.atomic
def update_sku(*, shop_id: int, sku_id: int, actor: Any, **changes: Any) -> Sku:
    sku = Sku.objects.select_for_update().filter(id=sku_id, shop_id=shop_id).select_related("product").first()
    if sku is None:
        raise NotFound("SKU 不存在 / SKU not found", code="sku_not_found", id=sku_id)
    options = changes.pop("options", None)
    unknown = set(changes) - set(SKU_FIELDS)
    if unknown:
        raise InvalidInput(code="unknown_fields", fields=sorted(unknown))
    before = audit.snapshot(sku, SKU_FIELDS)
    cleaned = clean_sku_fields(changes)
    if "code" in cleaned and not cleaned["code"]:
        raise InvalidInput("SKU 编码不能为空 / The SKU code is required", code="invalid_sku_code")
    check_market_price(
        cleaned.get("price", sku.price), cleaned.get("market_price", sku.market_price), sku.code
    )
    for name, value in cleaned.items():
        setattr(sku, name, value)
    if options is not None:
        axes = [axis.attribute for axis in sku.product.variant_axes.select_related("attribute")]
        clean = clean_sku({"price": sku.price, "options": options}, axes=axes, resolver=ValueResolver())
        sku.combination_key = combination_key(list(clean.option_values.values()))
        sku.options.all().delete()
        SkuOptionValue.objects.bulk_create(
            [SkuOptionValue(sku=sku, attribute_id=a, value_id=v) for a, v in clean.option_values.items()]
        )
    try:
        with transaction.atomic():
            sku.save()
    except IntegrityError as exc:
        raise _sku_integrity_error(exc) from None
    after_product_change(sku.product, actor)
    audit.record(
        actor=actor,
        action="catalog.sku.update",
        obj=sku,
        shop_id=shop_id,
        before=before,
        after=audit.snapshot(sku, SKU_FIELDS),
    )
    return sku


@transaction.atomic
def delete_sku(*, shop_id: int, sku_id: int, actor: Any) -> None:
    sku = Sku.objects.select_for_update().filter(id=sku_id, shop_id=shop_id).select_related("product").first()
    if sku is None:
        raise NotFound("SKU 不存在 / SKU not found", code="sku_not_found", id=sku_id)
    product = sku.product
    audit.record(
        actor=actor, action="catalog.sku.delete", obj=sku, shop_id=shop_id, before={"code": sku.code}
    )
    try:
        with transaction.atomic():
            sku.delete()
    except ProtectedError:
        raise SkuInUse(sku_id=sku_id, code_value=sku.code) from None
    after_product_change(product, actor)


# --- listing lifecycle ----------------------------------------------------------------------------


def readiness_problems(product: Product) -> list[dict[str, Any]]:
    """Why `product` cannot go on sale now (empty when it can)."""
    problems: list[dict[str, Any]] = []
    active = list(product.skus.filter(is_active=True).values_list("code", "price"))
    if not active:
        problems.append(
            {
                "code": "no_active_sku",
                "message": "至少需要一个启用的 SKU / At least one active SKU is required",
            }
        )
    unpriced = [code for code, price in active if price is None or price <= 0]
    if unpriced:
        problems.append(
            {
                "code": "price_missing",
                "message": "SKU 须设置大于 0 的价格 / Every active SKU needs a price above 0",
                "skus": unpriced,
            }
        )
    if not product.images.exists():
        problems.append(
            {"code": "image_missing", "message": "至少需要一张商品图片 / At least one image is required"}
        )
    category = product.category
    if not category.is_active:
        problems.append({"code": "category_inactive", "message": "类目已停用 / The category is disabled"})
    set_ids = set(product.attribute_values.values_list("attribute_id", flat=True)) | set(
        product.variant_axes.values_list("attribute_id", flat=True)
    )
    missing = [
        info.attribute.name
        for info in effective_category_attributes(category)
        if info.is_required and info.attribute.id not in set_ids
    ]
    if missing:
        problems.append(
            {
                "code": "missing_required_attribute",
                "message": "缺少必填属性 / Required attributes are missing",
                "attributes": missing,
            }
        )
    if product.shop.status != "active":
        problems.append({"code": "shop_not_active", "message": "店铺未营业 / The shop is not active"})
    return problems


def _transition(product: Product, action: str) -> str:
    target = TRANSITIONS.get((product.status, action))
    if target is None:
        raise IllegalTransition(status=product.status, action=action)
    return target


@transaction.atomic
def publish(*, shop_id: int, product_id: int, actor: Any) -> Product:
    """Put a product on sale; refuses with every reason at once when it is not ready."""
    product = _get_product(shop_id, product_id, lock=True)
    target = _transition(product, "publish")
    problems = readiness_problems(product)
    if problems:
        raise NotReadyForSale(product_id=product.id, reasons=problems)
    before = product.status
    product.status = target
    product.published_at = timezone.now()
    product.save(update_fields=["status", "published_at", "updated_at"])
    cache.invalidate_products([product.id])
    audit.record(
        actor=actor,
        action="catalog.product.publish",
        obj=product,
        shop_id=shop_id,
        before={"status": before},
        after={"status": target},
    )
    return product


@transaction.atomic
def unpublish(*, shop_id: int, product_id: int, actor: Any, reason: str = "") -> Product:
    product = _get_product(shop_id, product_id, lock=True)
    target = _transition(product, "unpublish")
    product.status = target
    product.save(update_fields=["status", "updated_at"])
    cache.invalidate_products([product.id])
    audit.record(
        actor=actor,
        action="catalog.product.unpublish",
        obj=product,
        shop_id=shop_id,
        before={"status": ProductStatus.ON_SALE},
        after={"status": target},
        reason=reason,
    )
    return product


@transaction.atomic
def schedule_listing(
    *,
    shop_id: int,
    product_id: int,
    actor: Any,
    on_sale_at: datetime | None,
    off_sale_at: datetime | None,
) -> Product:
    """Set (or clear, with None) the times the beat task puts the product on and off sale."""
    product = _get_product(shop_id, product_id, lock=True)
    _check_schedule(on_sale_at, off_sale_at)
    now = timezone.now()
    if off_sale_at and off_sale_at <= now:
        raise InvalidInput("定时下架时间已过 / The off-sale time is in the past", code="invalid_schedule")
    product.scheduled_on_sale_at = on_sale_at
    product.scheduled_off_sale_at = off_sale_at
    product.save(update_fields=["scheduled_on_sale_at", "scheduled_off_sale_at", "updated_at"])
    audit.record(
        actor=actor,
        action="catalog.product.schedule",
        obj=product,
        shop_id=shop_id,
        after={
            "on_sale_at": on_sale_at.isoformat() if on_sale_at else None,
            "off_sale_at": off_sale_at.isoformat() if off_sale_at else None,
        },
    )
    cache.invalidate_products([product.id])
    return product


def run_scheduled_listings(*, now: datetime | None = None) -> dict[str, int]:
    """Execute due on/off-sale times (the beat task). Each product in its own transaction, locked with
    SKIP LOCKED so two schedulers never handle the same product."""
    now = now or timezone.now()
    done = {"published": 0, "unpublished": 0, "failed": 0}
    due_on = Product.objects.filter(scheduled_on_sale_at__lte=now).values_list("id", flat=True)
    for product_id in list(due_on[:1000]):
        done[_run_scheduled_on(product_id, now)] += 1
    due_off = Product.objects.filter(scheduled_off_sale_at__lte=now).values_list("id", flat=True)
    for product_id in list(due_off[:1000]):
        if _run_scheduled_off(product_id, now):
            done["unpublished"] += 1
    return done


@transaction.atomic
def _run_scheduled_on(product_id: int, now: datetime) -> str:
    product = (
        Product.objects.select_for_update(skip_locked=True)
        .filter(id=product_id, scheduled_on_sale_at__lte=now)
        .select_related("shop", "category")
        .first()
    )
    if product is None:
        return "published"
    product.scheduled_on_sale_at = None
    if product.status == ProductStatus.ON_SALE:
        product.save(update_fields=["scheduled_on_sale_at"])
        return "published"
    problems = readiness_problems(product)
    if problems:
        # Cleared rather than retried every minute; the merchant sees why in the audit log.
        product.save(update_fields=["scheduled_on_sale_at"])
        audit.record(
            actor=None,
            action="catalog.product.schedule_failed",
            obj=product,
            shop_id=product.shop_id,
            after={"reasons": [p["code"] for p in problems]},
        )
        return "failed"
    product.status = ProductStatus.ON_SALE
    product.published_at = now
    product.save(update_fields=["status", "published_at", "scheduled_on_sale_at", "updated_at"])
    audit.record(
        actor=None, action="catalog.product.publish", obj=product, shop_id=product.shop_id, reason="scheduled"
    )
    cache.invalidate_products([product.id])
    return "published"


@transaction.atomic
def _run_scheduled_off(product_id: int, now: datetime) -> bool:
    product = (
        Product.objects.select_for_update(skip_locked=True)
        .filter(id=product_id, scheduled_off_sale_at__lte=now)
        .first()
    )
    if product is None:
        return False
    was_on_sale = product.status == ProductStatus.ON_SALE
    product.scheduled_off_sale_at = None
    if was_on_sale:
        product.status = ProductStatus.OFF_SALE
    product.save(update_fields=["status", "scheduled_off_sale_at", "updated_at"])
    if was_on_sale:
        audit.record(
            actor=None,
            action="catalog.product.unpublish",
            obj=product,
            shop_id=product.shop_id,
            reason="scheduled",
        )
        cache.invalidate_products([product.id])
    return was_on_sale


def after_product_change(product: Product, actor: Any) -> None:
    """Refresh derived data; an on-sale product that no longer qualifies is taken off sale."""
    indexing.refresh_products([product.id])
    if product.status == ProductStatus.ON_SALE:
        product.refresh_from_db()
        problems = readiness_problems(product)
        if problems:
            product.status = ProductStatus.OFF_SALE
            product.save(update_fields=["status", "updated_at"])
            audit.record(
                actor=actor,
                action="catalog.product.auto_unpublish",
                obj=product,
                shop_id=product.shop_id,
                after={"reasons": [p["code"] for p in problems]},
            )


# --- figures filled by other apps -----------------------------------------------------------------


def record_sales(*, product_id: int, quantity: int) -> None:
    """Add (or, for a refund, subtract) sold units; called by the orders app."""
    record_sales_many(quantities={product_id: quantity})


def record_sales_many(*, quantities: dict[int, int]) -> None:
    """`record_sales` for several products in one statement (never below zero)."""
    changes = {int(product_id): int(q) for product_id, q in quantities.items() if int(q)}
    if not changes:
        return
    delta = Case(*(When(id=product_id, then=Value(q)) for product_id, q in changes.items()), default=Value(0))
    Product.objects.filter(id__in=list(changes)).update(
        sales_count=Greatest(F("sales_count") + delta, Value(0))
    )
    cache.invalidate_product_details(sorted(changes))


def record_review_summary(*, product_id: int, rating_avg: Decimal, rating_count: int) -> None:
    """Store the review summary computed by the reviews app."""
    if not (Decimal(0) <= Decimal(rating_avg) <= Decimal(5)) or rating_count < 0:
        raise InvalidInput(code="invalid_rating", rating_avg=rating_avg, rating_count=rating_count)
    Product.objects.filter(id=product_id).update(
        rating_avg=Decimal(rating_avg).quantize(Decimal("0.01")), rating_count=rating_count
    )
    cache.invalidate_products([product_id])
