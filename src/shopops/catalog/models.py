"""Catalog: the platform-wide category tree, typed attributes with centrally managed values, brands,
and each shop's products (SPU) with their SKUs and images.

Ownership (decided here, documented in docs/architecture.md by the lead):
- Categories, attribute groups, attributes, attribute values and brands are PLATFORM data, like
  Taobao's 类目/属性库: every shop lists its products in the same tree so shoppers can browse and
  filter across shops. Only platform staff holding `catalog.manage` on the platform manage them.
- Products, SKUs and images belong to one shop; its members with `catalog.manage` edit them.
- Stock is not stored here: the inventory app owns it per SKU per warehouse.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from shopops.core.money import MoneyField

MAX_CATEGORY_DEPTH = 3


class TsVectorField(SearchVectorField):
    """A tsvector on PostgreSQL (GIN-indexed, see migration 0001); plain text elsewhere, where it
    stays empty and search falls back to substring matching on `search_document`."""

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"


class Category(MP_Node):
    """A node of the category tree (at most MAX_CATEGORY_DEPTH levels, enforced in services).

    Why treebeard's materialised path (MP_Node) rather than a bare parent pointer: a storefront
    category page shows the products of the whole subtree, which with a path is one indexed
    `path LIKE '0001000A%'` instead of a recursive walk; and moving a subtree is one UPDATE of the
    paths below it while the rows (and so every product's category_id) stay the same, so products
    follow their category wherever it moves. Depth comes for free as a column for the 3-level rule.
    Siblings are ordered by `position` then Chinese name (node_order_by keeps the path order in step).
    """

    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    slug = models.SlugField(_("SEO 标识"), max_length=100, unique=True, allow_unicode=False)
    position = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    seo_title = models.CharField(_("SEO 标题"), max_length=120, blank=True)
    seo_description = models.CharField(_("SEO 描述"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    node_order_by = ["position", "name"]

    class Meta:
        verbose_name = _("类目")
        verbose_name_plural = _("类目")

    def __str__(self) -> str:
        return self.name


class AttributeGroup(models.Model):
    """A heading attributes are grouped under on filters and product pages (颜色, 尺码, 规格...)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("属性分组")
        verbose_name_plural = _("属性分组")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class AttributeKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTI = "multi", _("多选")
    NUMBER = "number", _("数值")
    TEXT = "text", _("文本")


class Attribute(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True)
    group = models.ForeignKey(
        AttributeGroup,
        verbose_name=_("分组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attributes",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=AttributeKind.choices)
    unit = models.CharField(_("单位"), max_length=16, blank=True, help_text=_("数值类型的单位，如 kg、mAh"))
    is_filterable = models.BooleanField(_("可筛选"), default=True)
    position = models.PositiveIntegerField(_("排序"), default=0)
    categories = models.ManyToManyField(
        Category, through="CategoryAttribute", related_name="attributes", blank=True
    )

    class Meta:
        verbose_name = _("属性")
        verbose_name_plural = _("属性")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name}{f' ({self.unit})' if self.unit else ''}"

    @property
    def has_choices(self) -> bool:
        return self.kind in (AttributeKind.SINGLE, AttributeKind.MULTI)


class CategoryAttribute(models.Model):
    """An attribute offered on a category (and inherited by its subcategories)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attribute_links")
    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="category_links")
    is_required = models.BooleanField(_("必填"), default=False)
    # Only single-choice attributes can span SKUs (颜色 x 尺码); enforced in services.
    is_variant = models.BooleanField(_("销售属性（规格）"), default=False)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("类目属性")
        verbose_name_plural = _("类目属性")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "attribute"], name="catalog_category_attribute_once")
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.attribute}"


class AttributeValue(models.Model):
    """A centrally managed choice of an attribute. `normalized` (NFKC, trimmed, case-folded, with the
    aliases such as 红 -> 红色 resolved by services) is unique per attribute, so filters never show
    "红色" beside "红"."""

    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="values")
    value = models.CharField(_("值"), max_length=60)
    value_en = models.CharField(_("英文值"), max_length=80, blank=True)
    normalized = models.CharField(max_length=80, editable=False)
    aliases = models.JSONField(_("别名"), default=list, blank=True)
    swatch = models.CharField(_("色块"), max_length=16, blank=True, help_text=_("颜色值，如 #d00000"))
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("属性值")
        verbose_name_plural = _("属性值")
        ordering = ["attribute_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "normalized"], name="catalog_attribute_value_unique")
        ]

    def __str__(self) -> str:
        return self.value


class Brand(models.Model):
    name = models.CharField(_("品牌名"), max_length=60)
    name_en = models.CharField(_("英文名"), max_length=80, blank=True)
    normalized = models.CharField(max_length=80, unique=True, editable=False)
    slug = models.SlugField(_("标识"), max_length=100, unique=True)
    logo = models.ImageField(_("标志"), upload_to="catalog/brands/", blank=True)
    description = models.TextField(_("介绍"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("品牌")
        verbose_name_plural = _("品牌")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ON_SALE = "on_sale", _("在售")
    OFF_SALE = "off_sale", _("已下架")


class Product(models.Model):
    """An SPU: what a shopper sees as one product; its SKUs are the purchasable variants."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="products")
    category = models.ForeignKey(
        Category, verbose_name=_("类目"), on_delete=models.PROTECT, related_name="products"
    )
    brand = models.ForeignKey(
        Brand,
        verbose_name=_("品牌"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    title = models.CharField(_("标题"), max_length=120)
    subtitle = models.CharField(_("副标题"), max_length=200, blank=True)
    spu_code = models.CharField(_("商品编码"), max_length=64, blank=True)
    description = models.TextField(_("详情（已净化 HTML）"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    scheduled_on_sale_at = models.DateTimeField(_("定时上架"), null=True, blank=True)
    scheduled_off_sale_at = models.DateTimeField(_("定时下架"), null=True, blank=True)
    published_at = models.DateTimeField(_("上架时间"), null=True, blank=True)
    # Denormalised from the active SKUs by services, for sorting, price facets and list pages.
    min_price = MoneyField(_("最低价"), null=True, blank=True)
    max_price = MoneyField(_("最高价"), null=True, blank=True)
    # Filled by the orders/reviews apps through services.record_review_summary / record_sales.
    rating_avg = models.DecimalField(_("评分"), max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(_("评价数"), default=0)
    sales_count = models.PositiveIntegerField(_("销量"), default=0)
    # jieba tokens of title, subtitle, brand, category path and attribute values, space separated;
    # the PostgreSQL tsvector `search_vector` is built from it (catalog.indexing), weights A-D.
    search_document = models.TextField(blank=True, editable=False)
    search_vector = TsVectorField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "category"], name="catalog_product_status_cat"),
            models.Index(fields=["shop", "status"], name="catalog_product_shop_status"),
            models.Index(fields=["status", "-sales_count"], name="catalog_product_sales"),
            models.Index(fields=["status", "min_price"], name="catalog_product_price"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(min_price__gte=0), name="catalog_product_min_price_gte_0"),
            models.UniqueConstraint(
                fields=["shop", "spu_code"],
                condition=~Q(spu_code=""),
                name="catalog_spu_code_unique_per_shop",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_on_sale(self) -> bool:
        return self.status == ProductStatus.ON_SALE


class ProductVariantAxis(models.Model):
    """An attribute the product's SKUs vary by (颜色, 尺码), in display order."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variant_axes")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["product", "attribute"], name="catalog_axis_once")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.attribute_id}"


class ProductAttributeValue(models.Model):
    """A descriptive (non-variant) attribute of a product: a choice, a number (with the attribute's
    unit) or free text. A multi-choice attribute has one row per chosen value."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="attribute_values")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    value = models.ForeignKey(
        AttributeValue, null=True, blank=True, on_delete=models.PROTECT, related_name="product_uses"
    )
    number = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    text = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["value", "product"], name="catalog_pav_value_product")]
        constraints = [
            models.UniqueConstraint(fields=["product", "attribute", "value"], name="catalog_pav_choice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.attribute_id}={self.value_id or self.number or self.text}"


class Sku(models.Model):
    """One purchasable variant: a combination of the product's variant attribute values."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="skus")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField(_("SKU 编码"), max_length=64)
    barcode = models.CharField(_("条码"), max_length=32, blank=True)
    price = MoneyField(_("售价"))
    market_price = MoneyField(_("划线价"), null=True, blank=True)
    cost = MoneyField(_("成本价"), null=True, blank=True)
    weight_grams = models.PositiveIntegerField(_("重量（克）"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveIntegerField(default=0)
    # Sorted attribute value ids joined by "-" ("" for a product without variants): one SKU per
    # combination, enforced by the unique constraint below.
    combination_key = models.CharField(max_length=200, blank=True, editable=False)
    option_values = models.ManyToManyField(AttributeValue, through="SkuOptionValue", related_name="skus")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKU")
        ordering = ["product_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "code"], name="catalog_sku_code_unique_per_shop"),
            models.UniqueConstraint(
                fields=["product", "combination_key"], name="catalog_sku_combination_once"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_sku_price_gte_0"),
            models.CheckConstraint(
                condition=Q(market_price__isnull=True) | Q(market_price__gte=0),
                name="catalog_sku_market_price_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="catalog_sku_cost_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class SkuOptionValue(models.Model):
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="options")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    value = models.ForeignKey(AttributeValue, on_delete=models.PROTECT, related_name="sku_options")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "attribute"], name="catalog_sku_one_value_per_axis")
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.value_id}"


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"catalog/products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        _("图片"), upload_to=product_image_path, width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(_("缩略图"), upload_to=product_image_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveIntegerField(default=0)
    alt = models.CharField(_("说明"), max_length=120, blank=True)
    position = models.PositiveIntegerField(_("排序"), default=0)
    # The image shown when the shopper picks this colour, if any.
    value = models.ForeignKey(
        AttributeValue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("商品图片")
        verbose_name_plural = _("商品图片")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.product_id} #{self.position}"


class ProductFacet(models.Model):
    """Denormalised (product, attribute value) pairs the search facets count and filter on.

    A product's facet values are its descriptive choice values plus the option values of its active
    SKUs (so a dress offered in 红色 and 黑色 counts under both colours). Kept by services whenever a
    product, its SKUs or its attributes change; one indexed join instead of two unions per query.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="facets")
    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="+")
    value = models.ForeignKey(AttributeValue, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "value"], name="catalog_facet_once")]
        indexes = [models.Index(fields=["value", "product"], name="catalog_facet_value_product")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.value_id}"


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("全部校验通过才导入")
    APPLY_VALID = "apply_valid", _("仅导入有效行")


class ImportStatus(models.TextChoices):
    APPLIED = "applied", _("已导入")
    PARTIAL = "partial", _("部分导入")
    REJECTED = "rejected", _("已拒绝（有错误行）")
    FAILED = "failed", _("文件无法读取")


class ImportJob(models.Model):
    """One bulk import of products and SKUs, kept with its per-row error report."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="catalog_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    file_format = models.CharField(_("格式"), max_length=8)
    mode = models.CharField(_("模式"), max_length=20, choices=ImportMode.choices)
    status = models.CharField(_("结果"), max_length=10, choices=ImportStatus.choices)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    valid_rows = models.PositiveIntegerField(_("有效行数"), default=0)
    products_created = models.PositiveIntegerField(default=0)
    products_updated = models.PositiveIntegerField(default=0)
    skus_created = models.PositiveIntegerField(default=0)
    skus_updated = models.PositiveIntegerField(default=0)
    # [{"row": 3, "column": "price", "code": "invalid_price", "message": "..."}], capped in services.
    errors = models.JSONField(default=list, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("商品导入")
        verbose_name_plural = _("商品导入")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
