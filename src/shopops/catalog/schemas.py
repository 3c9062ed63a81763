"""Request and response shapes of the catalog API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator

Money = Decimal

# --- taxonomy -------------------------------------------------------------------------------------


class CategoryIn(Schema):
    name: str = Field(..., min_length=1, max_length=60)
    name_en: str = Field("", max_length=80)
    parent_id: int | None = None
    slug: str = Field("", max_length=100)
    position: int = Field(0, ge=0, le=1_000_000)
    is_active: bool = True
    seo_title: str = Field("", max_length=120)
    seo_description: str = Field("", max_length=255)


class CategoryPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=60)
    name_en: str | None = Field(None, max_length=80)
    slug: str | None = Field(None, max_length=100)
    position: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool | None = None
    seo_title: str | None = Field(None, max_length=120)
    seo_description: str | None = Field(None, max_length=255)


class CategoryMoveIn(Schema):
    parent_id: int | None = Field(None, description="New parent; null moves the category to the top level")
    position: int | None = Field(None, ge=0, le=1_000_000)


class CategoryOut(Schema):
    id: int
    name: str
    name_en: str
    slug: str
    depth: int
    position: int
    is_active: bool
    seo_title: str
    seo_description: str
    parent_id: int | None = None

    @staticmethod
    def resolve_parent_id(obj: Any) -> int | None:
        parent = type(obj).objects.get_parent(obj) if hasattr(obj, "get_parent") else None
        return parent.id if parent else None


class CategoryNode(Schema):
    id: int
    name: str
    name_en: str
    slug: str
    depth: int
    position: int
    is_active: bool
    children: list[CategoryNode]


class CategoryAttributeLinkIn(Schema):
    attribute_id: int
    is_required: bool = False
    is_variant: bool = False
    position: int = Field(0, ge=0, le=1_000_000)


class AttributeValueOut(Schema):
    id: int
    value: str
    value_en: str
    aliases: list[str]
    swatch: str
    position: int


class AttributeOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    unit: str
    group_id: int | None
    is_filterable: bool
    position: int
    values: list[AttributeValueOut]

    @staticmethod
    def resolve_values(obj: Any) -> list[Any]:
        return list(obj.values.all())


class CategoryAttributeOut(Schema):
    attribute: AttributeOut
    is_required: bool
    is_variant: bool
    position: int
    defined_on: int


class CategoryDetailOut(Schema):
    category: CategoryOut
    breadcrumbs: list[CategoryOut]
    children: list[CategoryOut]
    attributes: list[CategoryAttributeOut]


class AttributeGroupIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=40)
    name_en: str = Field("", max_length=60)
    position: int = Field(0, ge=0)


class AttributeGroupOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    position: int


class AttributeIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=40)
    name_en: str = Field("", max_length=60)
    kind: Literal["single", "multi", "number", "text"]
    unit: str = Field("", max_length=16)
    group_id: int | None = None
    is_filterable: bool = True
    position: int = Field(0, ge=0)
    values: list[str] = Field(default_factory=list, max_length=500)


class AttributePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=40)
    name_en: str | None = Field(None, max_length=60)
    unit: str | None = Field(None, max_length=16)
    group_id: int | None = None
    is_filterable: bool | None = None
    position: int | None = Field(None, ge=0)


class AttributeValueIn(Schema):
    value: str = Field(..., min_length=1, max_length=60)
    value_en: str = Field("", max_length=80)
    aliases: list[str] = Field(default_factory=list, max_length=20)
    swatch: str = Field("", max_length=16)
    position: int = Field(0, ge=0)


class AttributeValuePatch(Schema):
    value: str | None = Field(None, min_length=1, max_length=60)
    value_en: str | None = Field(None, max_length=80)
    aliases: list[str] | None = Field(None, max_length=20)
    swatch: str | None = Field(None, max_length=16)
    position: int | None = Field(None, ge=0)


class MergeIn(Schema):
    into: int = Field(..., description="The value that remains; the merged one becomes its alias")


class BrandIn(Schema):
    name: str = Field(..., min_length=1, max_length=60)
    name_en: str = Field("", max_length=80)
    slug: str = Field("", max_length=100)
    description: str = Field("", max_length=5000)
    is_active: bool = True
    position: int = Field(0, ge=0)


class BrandPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=60)
    name_en: str | None = Field(None, max_length=80)
    slug: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=5000)
    is_active: bool | None = None
    position: int | None = Field(None, ge=0)


class BrandOut(Schema):
    id: int
    name: str
    name_en: str
    slug: str
    is_active: bool
    position: int


# --- products -------------------------------------------------------------------------------------

AttributeInput = str | int | Decimal | list[str | int]


class SkuIn(Schema):
    code: str = Field("", max_length=64, description="Unique in the shop; generated when empty")
    barcode: str = Field("", max_length=32)
    # Plain strings/numbers so the service answers "negative price" with its own clear error code.
    price: Decimal
    market_price: Decimal | None = None
    cost: Decimal | None = None
    weight_grams: int = Field(0, ge=0, le=1_000_000)
    is_active: bool = True
    options: dict[str, str | int] = Field(
        default_factory=dict, description='e.g. {"color": "红色", "size": "M"}'
    )


class SkuPatch(Schema):
    code: str | None = Field(None, max_length=64)
    barcode: str | None = Field(None, max_length=32)
    price: Decimal | None = None
    market_price: Decimal | None = None
    cost: Decimal | None = None
    weight_grams: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool | None = None
    position: int | None = Field(None, ge=0)
    options: dict[str, str | int] | None = None


class ProductIn(Schema):
    category_id: int
    title: str = Field(..., min_length=1, max_length=120)
    subtitle: str = Field("", max_length=200)
    description: str = Field("", max_length=100_000, description="HTML; sanitised on save")
    brand: str | int | None = Field(None, description="Brand id or name")
    spu_code: str = Field("", max_length=64)
    attributes: dict[str, AttributeInput] = Field(default_factory=dict)
    variant_axes: list[str] = Field(default_factory=list, max_length=3)
    skus: list[SkuIn] = Field(default_factory=list, max_length=600)
    scheduled_on_sale_at: datetime | None = None
    scheduled_off_sale_at: datetime | None = None


class ProductPatch(Schema):
    category_id: int | None = None
    title: str | None = Field(None, min_length=1, max_length=120)
    subtitle: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=100_000)
    brand: str | int | None = None
    spu_code: str | None = Field(None, max_length=64)
    attributes: dict[str, AttributeInput] | None = None
    scheduled_on_sale_at: datetime | None = None
    scheduled_off_sale_at: datetime | None = None


class AxesIn(Schema):
    axes: list[str] = Field(..., max_length=3)


class ScheduleIn(Schema):
    on_sale_at: datetime | None = None
    off_sale_at: datetime | None = None


class UnpublishIn(Schema):
    reason: str = Field("", max_length=200)


class ImageOrderIn(Schema):
    image_ids: list[int] = Field(..., max_length=20)


class ImagePatch(Schema):
    alt: str | None = Field(None, max_length=120)
    value_id: int | None = None


class ImageOut(Schema):
    id: int
    url: str
    thumbnail: str
    alt: str
    width: int
    height: int
    size_bytes: int
    position: int
    value_id: int | None

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return obj.image.url if obj.image else ""

    @staticmethod
    def resolve_thumbnail(obj: Any) -> str:
        return obj.thumbnail.url if obj.thumbnail else ""


class SkuOut(Schema):
    id: int
    product_id: int
    code: str
    barcode: str
    price: Money
    market_price: Money | None
    cost: Money | None
    weight_grams: int
    is_active: bool
    position: int
    options: dict[str, int]
    label: str

    @staticmethod
    def resolve_options(obj: Any) -> dict[str, int]:
        return {o.attribute.code: o.value_id for o in obj.options.all()}

    @staticmethod
    def resolve_label(obj: Any) -> str:
        return " / ".join(o.value.value for o in obj.options.all())


class ProductListOut(Schema):
    id: int
    title: str
    spu_code: str
    status: str
    category_id: int
    brand_id: int | None
    min_price: Money | None
    max_price: Money | None
    sales_count: int
    rating_avg: Decimal
    rating_count: int
    scheduled_on_sale_at: datetime | None
    scheduled_off_sale_at: datetime | None
    published_at: datetime | None
    updated_at: datetime


class ProductOut(Schema):
    """The merchant's view of a product (everything the editor needs)."""

    id: int
    shop_id: int
    title: str
    subtitle: str
    description: str
    spu_code: str
    status: str
    category_id: int
    brand_id: int | None
    min_price: Money | None
    max_price: Money | None
    rating_avg: Decimal
    rating_count: int
    sales_count: int
    scheduled_on_sale_at: datetime | None
    scheduled_off_sale_at: datetime | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    variant_axes: list[str]
    attributes: list[dict[str, Any]]
    skus: list[SkuOut]
    images: list[ImageOut]

    @staticmethod
    def resolve_variant_axes(obj: Any) -> list[str]:
        return [axis.attribute.code for axis in obj.variant_axes.all()]

    @staticmethod
    def resolve_attributes(obj: Any) -> list[dict[str, Any]]:
        from shopops.catalog.presenters import _attribute_rows

        return _attribute_rows(obj)

    @staticmethod
    def resolve_skus(obj: Any) -> list[Any]:
        return list(obj.skus.all())

    @staticmethod
    def resolve_images(obj: Any) -> list[Any]:
        return list(obj.images.all())


class ReadinessOut(Schema):
    ready: bool
    problems: list[dict[str, Any]]


# --- import / export ------------------------------------------------------------------------------


class ImportJobOut(Schema):
    id: int
    file_name: str
    file_format: str
    mode: str
    status: str
    total_rows: int
    valid_rows: int
    products_created: int
    products_updated: int
    skus_created: int
    skus_updated: int
    errors: list[dict[str, Any]]
    duration_ms: int
    created_at: datetime


# --- public search --------------------------------------------------------------------------------


class ListingQuery(Schema):
    category: int | None = Field(None, description="Category id (its whole subtree)")
    brand: list[int] = Field(default_factory=list, description="Brand ids (any of)")
    value: list[int] = Field(
        default_factory=list, description="Attribute value ids (any within an attribute)"
    )
    price_min: Decimal | None = Field(None, ge=0, le=100_000_000)
    price_max: Decimal | None = Field(None, ge=0, le=100_000_000)
    shop: int | None = None
    sort: Literal["relevance", "price_asc", "price_desc", "sales", "newest"] = "relevance"
    page: int = Field(1, ge=1, le=1000)
    page_size: int = Field(20, ge=1, le=60)


class SearchQuery(ListingQuery):
    q: str = Field("", max_length=100)
    facets: bool = True

    @field_validator("q")
    @classmethod
    def strip_q(cls, value: str) -> str:
        return value.strip()


class ProductCard(Schema):
    id: int
    title: str
    subtitle: str
    url: str
    shop: dict[str, Any]
    brand: str
    category_id: int
    min_price: str | None
    max_price: str | None
    thumbnail: str
    rating_avg: str
    rating_count: int
    sales_count: int


class SearchOut(Schema):
    items: list[ProductCard]
    count: int
    page: int
    page_size: int
    pages: int
    query: str
    terms: list[str]
    relaxed: bool
    sort: str
    facets: dict[str, Any] | None = None
