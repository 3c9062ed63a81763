"""Writes to platform catalog data: the category tree, attribute groups, attributes and their managed
values, brands. Callers are platform staff with `catalog.manage` (checked by the API/admin layer)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from shopops.catalog import cache, indexing
from shopops.catalog.errors import (
    AttributeInUse,
    BrandInUse,
    CategoryInUse,
    CategoryMoveInvalid,
    CategoryTooDeep,
    DuplicateAttributeValue,
    DuplicateBrand,
    InvalidAttributeInput,
    SlugTaken,
    UnknownAttributeValue,
    UnknownBrand,
)
from shopops.catalog.models import (
    MAX_CATEGORY_DEPTH,
    Attribute,
    AttributeGroup,
    AttributeKind,
    AttributeValue,
    Brand,
    Category,
    CategoryAttribute,
    ProductAttributeValue,
    ProductFacet,
    ProductImage,
    ProductVariantAxis,
    SkuOptionValue,
)
from shopops.catalog.text import clean_label, make_slug, normalize_label
from shopops.core import audit
from shopops.core.errors import InvalidInput, NotFound

CATEGORY_FIELDS = ["name", "name_en", "slug", "position", "is_active", "seo_title", "seo_description"]


# --- categories -----------------------------------------------------------------------------------


def _unique_slug(model: type, wanted: str, *, fallback: str, exclude_id: int | None = None) -> str:
    base = make_slug(wanted) or make_slug(fallback) or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exclude(id=exclude_id).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_explicit_slug(model: type, slug: str, *, exclude_id: int | None = None) -> str:
    clean = make_slug(slug)
    if not clean or clean != slug.strip().lower():
        raise InvalidInput(
            "标识只能包含小写字母、数字和连字符 / A slug may hold lowercase letters, digits and hyphens",
            code="invalid_slug",
            slug=slug,
        )
    if model.objects.filter(slug=clean).exclude(id=exclude_id).exists():
        raise SlugTaken(slug=clean)
    return clean


def _subtree_height(node: Category) -> int:
    deepest = Category.objects.filter(path__startswith=node.path).aggregate(d=Max("depth"))["d"]
    return (deepest or node.depth) - node.depth + 1


def _get_category(category_id: int, *, lock: bool = False) -> Category:
    qs = Category.objects.select_for_update() if lock else Category.objects
    try:
        return qs.get(id=category_id)
    except Category.DoesNotExist:
        raise NotFound("类目不存在 / Category not found", code="category_not_found", id=category_id) from None


def _lock_siblings_of(parent: Category | None) -> None:
    """Serialise concurrent inserts under one parent: treebeard computes the next path from the last
    sibling, so two unserialised inserts would collide on the unique path."""
    if parent is not None:
        Category.objects.select_for_update().filter(id=parent.id).first()
    else:
        list(Category.objects.select_for_update().filter(depth=1).values_list("id", flat=True))


@transaction.atomic
def create_category(
    *,
    actor: Any,
    name: str,
    name_en: str = "",
    parent_id: int | None = None,
    slug: str = "",
    position: int = 0,
    is_active: bool = True,
    seo_title: str = "",
    seo_description: str = "",
) -> Category:
    name = clean_label(name)
    if not name:
        raise InvalidInput("类目名称不能为空 / The category name is required", code="name_required")
    parent = _get_category(parent_id, lock=True) if parent_id else None
    if parent is not None and parent.depth >= MAX_CATEGORY_DEPTH:
        raise CategoryTooDeep(parent_id=parent.id, max_depth=MAX_CATEGORY_DEPTH)
    _lock_siblings_of(parent)
    fields = {
        "name": name,
        "name_en": clean_label(name_en),
        "slug": _check_explicit_slug(Category, slug)
        if slug
        else _unique_slug(Category, name_en, fallback=name),
        "position": position,
        "is_active": is_active,
        "seo_title": seo_title,
        "seo_description": seo_description,
    }
    category = Category.objects.add_child(parent, fields) if parent else Category.objects.add_root(fields)
    audit.record(actor=actor, action="catalog.category.create", obj=category, after=fields)
    cache.invalidate_lists()
    return category


def _reposition(category: Category) -> None:
    """Put the node where node_order_by says among its siblings (after a position/name change)."""
    parent = Category.objects.get_parent(category)
    if parent is not None:
        Category.objects.move(category, parent, "sorted-child")
    else:
        Category.objects.move(category, Category.objects.get_first_root_node(), "sorted-sibling")


@transaction.atomic
def update_category(*, actor: Any, category_id: int, **changes: Any) -> Category:
    category = _get_category(category_id, lock=True)
    unknown = set(changes) - set(CATEGORY_FIELDS)
    if unknown:
        raise InvalidInput(code="unknown_fields", fields=sorted(unknown))
    before = audit.snapshot(category, CATEGORY_FIELDS)
    if "name" in changes:
        changes["name"] = clean_label(changes["name"])
        if not changes["name"]:
            raise InvalidInput("类目名称不能为空 / The category name is required", code="name_required")
    if "slug" in changes:
        changes["slug"] = _check_explicit_slug(Category, changes["slug"], exclude_id=category.id)
    for field, value in changes.items():
        setattr(category, field, value)
    category.save()
    if {"position", "name"} & set(changes):
        _reposition(category)
        category.refresh_from_db()
    if {"name", "name_en"} & set(changes):
        # Category names are part of every product's search document in the subtree.
        indexing.refresh_products(indexing.products_in_categories([category.path]))
    audit.record(
        actor=actor,
        action="catalog.category.update",
        obj=category,
        before=before,
        after=audit.snapshot(category, CATEGORY_FIELDS),
    )
    cache.invalidate_lists()
    return category


@transaction.atomic
def move_category(
    *, actor: Any, category_id: int, parent_id: int | None, position: int | None = None
) -> Category:
    """Move a category (with its subtree and all their products) under another parent, or to the top.

    Products keep pointing at the same category rows: only the materialised paths change.
    """
    category = _get_category(category_id, lock=True)
    parent = _get_category(parent_id, lock=True) if parent_id else None
    if parent is not None and (parent.id == category.id or parent.path.startswith(category.path)):
        raise CategoryMoveInvalid(category_id=category.id, parent_id=parent.id)
    new_depth = (parent.depth + 1) if parent else 1
    deepest = new_depth + _subtree_height(category) - 1
    if deepest > MAX_CATEGORY_DEPTH:
        raise CategoryTooDeep(category_id=category.id, resulting_depth=deepest, max_depth=MAX_CATEGORY_DEPTH)
    old_parent = Category.objects.get_parent(category)
    old_path = category.path
    if position is not None:
        Category.objects.filter(id=category.id).update(position=position)
        category.position = position
    if parent is not None:
        Category.objects.move(category, parent, "sorted-child")
    else:
        Category.objects.move(category, Category.objects.get_first_root_node(), "sorted-sibling")
    category.refresh_from_db()
    indexing.refresh_products(indexing.products_in_categories([category.path]))
    audit.record(
        actor=actor,
        action="catalog.category.move",
        obj=category,
        before={"parent_id": old_parent.id if old_parent else None, "path": old_path},
        after={"parent_id": parent.id if parent else None, "path": category.path},
    )
    cache.invalidate_lists()
    return category


@transaction.atomic
def delete_category(*, actor: Any, category_id: int) -> None:
    category = _get_category(category_id, lock=True)
    from shopops.catalog.models import Product

    products = Product.objects.filter(category__path__startswith=category.path).count()
    if products or Category.objects.get_children_count(category):
        raise CategoryInUse(
            category_id=category.id, products=products, children=Category.objects.get_children_count(category)
        )
    audit.record(actor=actor, action="catalog.category.delete", obj=category, before={"name": category.name})
    category.delete()
    cache.invalidate_lists()


@transaction.atomic
def link_attribute(
    *,
    actor: Any,
    category_id: int,
    attribute_id: int,
    is_required: bool = False,
    is_variant: bool = False,
    position: int = 0,
) -> CategoryAttribute:
    category = _get_category(category_id)
    attribute = get_attribute(attribute_id)
    if is_variant and attribute.kind != AttributeKind.SINGLE:
        raise InvalidAttributeInput(
            "只有单选属性可以作为销售规格 / Only single-choice attributes can be variant axes",
            attribute=attribute.code,
        )
    link, _created = CategoryAttribute.objects.update_or_create(
        category=category,
        attribute=attribute,
        defaults={"is_required": is_required, "is_variant": is_variant, "position": position},
    )
    audit.record(
        actor=actor,
        action="catalog.category.link_attribute",
        obj=category,
        after={"attribute": attribute.code, "is_required": is_required, "is_variant": is_variant},
    )
    cache.invalidate_lists()
    return link


@transaction.atomic
def unlink_attribute(*, actor: Any, category_id: int, attribute_id: int) -> None:
    category = _get_category(category_id)
    used = (
        ProductAttributeValue.objects.filter(
            attribute_id=attribute_id, product__category__path__startswith=category.path
        ).exists()
        or ProductVariantAxis.objects.filter(
            attribute_id=attribute_id, product__category__path__startswith=category.path
        ).exists()
    )
    if used:
        raise AttributeInUse(category_id=category_id, attribute_id=attribute_id)
    deleted, _ = CategoryAttribute.objects.filter(category=category, attribute_id=attribute_id).delete()
    if not deleted:
        raise NotFound(code="attribute_link_not_found", category_id=category_id, attribute_id=attribute_id)
    audit.record(
        actor=actor,
        action="catalog.category.unlink_attribute",
        obj=category,
        before={"attribute_id": attribute_id},
    )
    cache.invalidate_lists()


# --- attribute groups and attributes --------------------------------------------------------------


def get_attribute(attribute_id: int) -> Attribute:
    try:
        return Attribute.objects.get(id=attribute_id)
    except Attribute.DoesNotExist:
        raise NotFound(
            "属性不存在 / Attribute not found", code="attribute_not_found", id=attribute_id
        ) from None


@transaction.atomic
def create_attribute_group(
    *, actor: Any, code: str, name: str, name_en: str = "", position: int = 0
) -> AttributeGroup:
    code = make_slug(code)
    if not code:
        raise InvalidInput(code="invalid_code")
    if AttributeGroup.objects.filter(code=code).exists():
        raise SlugTaken("分组代码已存在 / This group code is already used", code="duplicate_code", value=code)
    group = AttributeGroup.objects.create(
        code=code, name=clean_label(name), name_en=name_en, position=position
    )
    audit.record(actor=actor, action="catalog.attribute_group.create", obj=group, after={"code": code})
    return group


@transaction.atomic
def create_attribute(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    name_en: str = "",
    unit: str = "",
    group_id: int | None = None,
    is_filterable: bool = True,
    position: int = 0,
    values: list[str] | None = None,
) -> Attribute:
    clean_code = make_slug(code).replace("-", "_")
    if not clean_code:
        raise InvalidInput("属性代码无效 / Invalid attribute code", code="invalid_code", value=code)
    if kind not in AttributeKind.values:
        raise InvalidInput(code="invalid_kind", kind=kind, allowed=AttributeKind.values)
    if unit and kind != AttributeKind.NUMBER:
        raise InvalidAttributeInput("只有数值属性可以有单位 / Only number attributes take a unit", unit=unit)
    if Attribute.objects.filter(code=clean_code).exists():
        raise SlugTaken(
            "属性代码已存在 / This attribute code is already used", code="duplicate_code", value=clean_code
        )
    if group_id and not AttributeGroup.objects.filter(id=group_id).exists():
        raise NotFound(code="attribute_group_not_found", id=group_id)
    attribute = Attribute.objects.create(
        code=clean_code,
        name=clean_label(name),
        name_en=clean_label(name_en),
        kind=kind,
        unit=unit.strip(),
        group_id=group_id,
        is_filterable=is_filterable,
        position=position,
    )
    for index, value in enumerate(values or []):
        add_attribute_value(actor=actor, attribute_id=attribute.id, value=value, position=index)
    audit.record(
        actor=actor,
        action="catalog.attribute.create",
        obj=attribute,
        after={"code": clean_code, "kind": kind},
    )
    return attribute


ATTRIBUTE_FIELDS = ["name", "name_en", "unit", "group_id", "is_filterable", "position"]


@transaction.atomic
def update_attribute(*, actor: Any, attribute_id: int, **changes: Any) -> Attribute:
    attribute = get_attribute(attribute_id)
    unknown = set(changes) - set(ATTRIBUTE_FIELDS)
    if unknown:
        # The kind is fixed once created: products' stored values depend on it.
        raise InvalidInput(code="unknown_fields", fields=sorted(unknown))
    if changes.get("unit") and attribute.kind != AttributeKind.NUMBER:
        raise InvalidAttributeInput("只有数值属性可以有单位 / Only number attributes take a unit")
    before = audit.snapshot(attribute, ATTRIBUTE_FIELDS)
    for field, value in changes.items():
        setattr(attribute, field, clean_label(value) if field in ("name", "name_en") else value)
    attribute.save()
    audit.record(
        actor=actor,
        action="catalog.attribute.update",
        obj=attribute,
        before=before,
        after=audit.snapshot(attribute, ATTRIBUTE_FIELDS),
    )
    indexing.refresh_products(
        ProductAttributeValue.objects.filter(attribute=attribute).values_list("product_id", flat=True)
    )
    cache.invalidate_lists()
    return attribute


@transaction.atomic
def delete_attribute(*, actor: Any, attribute_id: int) -> None:
    attribute = get_attribute(attribute_id)
    used = (
        ProductAttributeValue.objects.filter(attribute=attribute).exists()
        or SkuOptionValue.objects.filter(attribute=attribute).exists()
        or ProductVariantAxis.objects.filter(attribute=attribute).exists()
    )
    if used:
        raise AttributeInUse(attribute_id=attribute.id)
    audit.record(
        actor=actor, action="catalog.attribute.delete", obj=attribute, before={"code": attribute.code}
    )
    attribute.delete()
    cache.invalidate_lists()


# --- attribute values -----------------------------------------------------------------------------


def _taken_keys(attribute_id: int, *, exclude_id: int | None = None) -> dict[str, int]:
    """{normalised value or alias: value id} of an attribute."""
    keys: dict[str, int] = {}
    for vid, normalized, aliases in (
        AttributeValue.objects.filter(attribute_id=attribute_id)
        .exclude(id=exclude_id)
        .values_list("id", "normalized", "aliases")
    ):
        keys[normalized] = vid
        for alias in aliases or []:
            keys[normalize_label(alias)] = vid
    return keys


_SWATCH = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _clean_swatch(swatch: str) -> str:
    swatch = (swatch or "").strip()
    if swatch and not _SWATCH.match(swatch):
        raise InvalidInput(
            "色块须为 #RGB 或 #RRGGBB / A swatch is #RGB or #RRGGBB", code="invalid_swatch", value=swatch
        )
    return swatch


def _clean_aliases(aliases: list[str] | None, own_key: str) -> list[str]:
    result: list[str] = []
    for alias in aliases or []:
        key = normalize_label(alias)
        if key and key != own_key and key not in result:
            result.append(key)
    return result


@transaction.atomic
def add_attribute_value(
    *,
    actor: Any,
    attribute_id: int,
    value: str,
    value_en: str = "",
    aliases: list[str] | None = None,
    swatch: str = "",
    position: int = 0,
) -> AttributeValue:
    attribute = Attribute.objects.select_for_update().filter(id=attribute_id).first()
    if attribute is None:
        raise NotFound("属性不存在 / Attribute not found", code="attribute_not_found", id=attribute_id)
    if not attribute.has_choices:
        raise InvalidAttributeInput(
            "数值和文本属性没有可选值 / Number and text attributes have no managed values",
            attribute=attribute.code,
        )
    display = clean_label(value)
    key = normalize_label(value)
    if not key:
        raise InvalidInput("属性值不能为空 / The value is required", code="value_required")
    alias_keys = _clean_aliases(aliases, key)
    taken = _taken_keys(attribute.id)
    clashes = [k for k in [key, *alias_keys] if k in taken]
    if clashes:
        raise DuplicateAttributeValue(
            attribute=attribute.code, value=display, clashes=clashes, existing_id=taken[clashes[0]]
        )
    try:
        with transaction.atomic():
            attr_value = AttributeValue.objects.create(
                attribute=attribute,
                value=display,
                value_en=clean_label(value_en),
                normalized=key,
                aliases=alias_keys,
                swatch=_clean_swatch(swatch),
                position=position,
            )
    except IntegrityError:
        raise DuplicateAttributeValue(attribute=attribute.code, value=display) from None
    audit.record(
        actor=actor, action="catalog.attribute_value.create", obj=attr_value, after={"value": display}
    )
    cache.invalidate_lists()
    return attr_value


@transaction.atomic
def update_attribute_value(
    *,
    actor: Any,
    value_id: int,
    value: str | None = None,
    value_en: str | None = None,
    aliases: list[str] | None = None,
    swatch: str | None = None,
    position: int | None = None,
) -> AttributeValue:
    attr_value = AttributeValue.objects.select_for_update().filter(id=value_id).first()
    if attr_value is None:
        raise NotFound(code="attribute_value_not_found", id=value_id)
    before = {"value": attr_value.value, "aliases": attr_value.aliases}
    if value is not None:
        attr_value.value = clean_label(value)
        attr_value.normalized = normalize_label(value)
        if not attr_value.normalized:
            raise InvalidInput("属性值不能为空 / The value is required", code="value_required")
    if aliases is not None:
        attr_value.aliases = _clean_aliases(aliases, attr_value.normalized)
    taken = _taken_keys(attr_value.attribute_id, exclude_id=attr_value.id)
    clashes = [k for k in [attr_value.normalized, *attr_value.aliases] if k in taken]
    if clashes:
        raise DuplicateAttributeValue(value=attr_value.value, clashes=clashes, existing_id=taken[clashes[0]])
    if value_en is not None:
        attr_value.value_en = clean_label(value_en)
    if swatch is not None:
        attr_value.swatch = _clean_swatch(swatch)
    if position is not None:
        attr_value.position = position
    attr_value.save()
    indexing.refresh_products(
        ProductFacet.objects.filter(value=attr_value).values_list("product_id", flat=True)
    )
    audit.record(
        actor=actor,
        action="catalog.attribute_value.update",
        obj=attr_value,
        before=before,
        after={"value": attr_value.value, "aliases": attr_value.aliases},
    )
    cache.invalidate_lists()
    return attr_value


@transaction.atomic
def delete_attribute_value(*, actor: Any, value_id: int) -> None:
    attr_value = AttributeValue.objects.filter(id=value_id).first()
    if attr_value is None:
        raise NotFound(code="attribute_value_not_found", id=value_id)
    if (
        ProductAttributeValue.objects.filter(value=attr_value).exists()
        or SkuOptionValue.objects.filter(value=attr_value).exists()
    ):
        raise AttributeInUse(value_id=value_id)
    audit.record(
        actor=actor,
        action="catalog.attribute_value.delete",
        obj=attr_value,
        before={"value": attr_value.value},
    )
    attr_value.delete()
    cache.invalidate_lists()


@transaction.atomic
def merge_attribute_values(*, actor: Any, source_id: int, target_id: int) -> AttributeValue:
    """Fold a duplicate value into another ("红" into "红色"): every product and SKU using the source
    now uses the target, and the source's spelling becomes an alias of the target."""
    from shopops.catalog.models import Sku
    from shopops.catalog.services.products import combination_key

    values = {
        v.id: v for v in AttributeValue.objects.select_for_update().filter(id__in=[source_id, target_id])
    }
    source, target = values.get(source_id), values.get(target_id)
    if source is None or target is None or source_id == target_id:
        raise NotFound(code="attribute_value_not_found", ids=[source_id, target_id])
    if source.attribute_id != target.attribute_id:
        raise InvalidAttributeInput(
            "只能合并同一属性的值 / Only values of the same attribute can be merged",
            source_attribute=source.attribute_id,
            target_attribute=target.attribute_id,
        )
    product_ids = set(ProductFacet.objects.filter(value=source).values_list("product_id", flat=True))
    # A product using both values keeps one row.
    ProductAttributeValue.objects.filter(value=source, product__attribute_values__value=target).delete()
    ProductAttributeValue.objects.filter(value=source).update(value=target)
    sku_ids = list(SkuOptionValue.objects.filter(value=source).values_list("sku_id", flat=True))
    SkuOptionValue.objects.filter(value=source).update(value=target)
    ProductImage.objects.filter(value=source).update(value=target)
    for sku in Sku.objects.filter(id__in=sku_ids).prefetch_related("options"):
        sku.combination_key = combination_key([o.value_id for o in sku.options.all()])
        try:
            with transaction.atomic():
                sku.save(update_fields=["combination_key"])
        except IntegrityError:
            raise DuplicateAttributeValue(
                "合并后同一商品会出现重复规格 / Merging would give a product two identical SKUs",
                code="merge_creates_duplicate_sku",
                sku=sku.code,
            ) from None
    target.aliases = _clean_aliases([*target.aliases, source.normalized, *source.aliases], target.normalized)
    target.save(update_fields=["aliases"])
    source.delete()
    indexing.refresh_products(product_ids)
    audit.record(
        actor=actor,
        action="catalog.attribute_value.merge",
        obj=target,
        before={"source_id": source_id, "source": source.value},
        after={"target": target.value},
    )
    cache.invalidate_lists()
    return target


class ValueResolver:
    """Resolves labels to managed values and brands, loading each attribute's values once (an import
    of 10,000 rows asks the database once per attribute, not once per cell)."""

    def __init__(self) -> None:
        self._values: dict[int, dict[str, AttributeValue]] = {}
        self._by_id: dict[int, dict[int, AttributeValue]] = {}
        self._brands: dict[str, Brand] | None = None

    def _load(self, attribute: Attribute) -> None:
        keys: dict[str, AttributeValue] = {}
        by_id: dict[int, AttributeValue] = {}
        for value in AttributeValue.objects.filter(attribute=attribute):
            by_id[value.id] = value
            if value.value_en:
                keys.setdefault(normalize_label(value.value_en), value)
            for alias in value.aliases or []:
                keys[normalize_label(alias)] = value
        for value in by_id.values():
            keys[value.normalized] = value  # the value itself wins over an alias or English name
        self._values[attribute.id] = keys
        self._by_id[attribute.id] = by_id

    def value(self, attribute: Attribute, raw: Any) -> AttributeValue:
        if attribute.id not in self._values:
            self._load(attribute)
        if isinstance(raw, int) and not isinstance(raw, bool):
            found = self._by_id[attribute.id].get(raw)
        else:
            found = self._values[attribute.id].get(normalize_label(str(raw)))
        if found is None:
            raise UnknownAttributeValue(attribute=attribute.code, value=raw)
        return found

    def brand(self, raw: Any) -> Brand:
        if isinstance(raw, int) and not isinstance(raw, bool):
            brand = Brand.objects.filter(id=raw, is_active=True).first()
            if brand is None:
                raise UnknownBrand(brand=raw)
            return brand
        if self._brands is None:
            self._brands = {}
            for brand in Brand.objects.filter(is_active=True):
                for key in (brand.slug, normalize_label(brand.name_en), brand.normalized):
                    if key:
                        self._brands[key] = brand
        found = self._brands.get(normalize_label(str(raw)))
        if found is None:
            raise UnknownBrand(brand=raw)
        return found


def resolve_value(attribute: Attribute, raw: Any) -> AttributeValue:
    """A managed value of `attribute` from an id or a label (value, English value or alias)."""
    return ValueResolver().value(attribute, raw)


def resolve_brand(raw: Any) -> Brand:
    """An active brand from an id, name (Chinese or English, normalised) or slug."""
    return ValueResolver().brand(raw)


def parse_number(attribute: Attribute, raw: Any) -> Decimal:
    try:
        number = Decimal(str(raw).strip().removesuffix(attribute.unit).strip())
    except (InvalidOperation, ValueError):
        raise InvalidAttributeInput(attribute=attribute.code, value=raw, expected="number") from None
    if not number.is_finite() or abs(number) >= Decimal("1e10"):
        raise InvalidAttributeInput(attribute=attribute.code, value=raw, expected="number")
    return number


# --- brands ---------------------------------------------------------------------------------------


BRAND_FIELDS = ["name", "name_en", "slug", "description", "is_active", "position"]


@transaction.atomic
def create_brand(
    *,
    actor: Any,
    name: str,
    name_en: str = "",
    slug: str = "",
    description: str = "",
    is_active: bool = True,
    position: int = 0,
) -> Brand:
    display = clean_label(name)
    key = normalize_label(name)
    if not key:
        raise InvalidInput("品牌名不能为空 / The brand name is required", code="name_required")
    if Brand.objects.filter(normalized=key).exists():
        raise DuplicateBrand(name=display)
    brand = Brand.objects.create(
        name=display,
        name_en=clean_label(name_en),
        normalized=key,
        slug=_check_explicit_slug(Brand, slug) if slug else _unique_slug(Brand, name_en, fallback=display),
        description=description,
        is_active=is_active,
        position=position,
    )
    audit.record(actor=actor, action="catalog.brand.create", obj=brand, after={"name": display})
    cache.invalidate_lists()
    return brand


@transaction.atomic
def update_brand(*, actor: Any, brand_id: int, **changes: Any) -> Brand:
    brand = Brand.objects.select_for_update().filter(id=brand_id).first()
    if brand is None:
        raise NotFound("品牌不存在 / Brand not found", code="brand_not_found", id=brand_id)
    unknown = set(changes) - set(BRAND_FIELDS)
    if unknown:
        raise InvalidInput(code="unknown_fields", fields=sorted(unknown))
    before = audit.snapshot(brand, BRAND_FIELDS)
    if "name" in changes:
        key = normalize_label(changes["name"])
        if not key:
            raise InvalidInput("品牌名不能为空 / The brand name is required", code="name_required")
        if Brand.objects.filter(normalized=key).exclude(id=brand.id).exists():
            raise DuplicateBrand(name=changes["name"])
        brand.normalized = key
        changes["name"] = clean_label(changes["name"])
    if "slug" in changes:
        changes["slug"] = _check_explicit_slug(Brand, changes["slug"], exclude_id=brand.id)
    for field, value in changes.items():
        setattr(brand, field, value)
    brand.save()
    if {"name", "name_en"} & set(changes):
        indexing.refresh_products(brand.products.values_list("id", flat=True))
    audit.record(
        actor=actor,
        action="catalog.brand.update",
        obj=brand,
        before=before,
        after=audit.snapshot(brand, BRAND_FIELDS),
    )
    cache.invalidate_lists()
    return brand


@transaction.atomic
def delete_brand(*, actor: Any, brand_id: int) -> None:
    brand = Brand.objects.filter(id=brand_id).first()
    if brand is None:
        raise NotFound("品牌不存在 / Brand not found", code="brand_not_found", id=brand_id)
    if brand.products.exists():
        raise BrandInUse(brand_id=brand.id)
    audit.record(actor=actor, action="catalog.brand.delete", obj=brand, before={"name": brand.name})
    brand.delete()
    cache.invalidate_lists()
