"""Catalog admin (django-unfold).

Platform data (the category tree, attribute groups, attributes and values, brands) is edited by
platform staff only (PlatformOnlyAdmin); products by the shop's staff (ShopScopedAdmin). Taxonomy
edits, moves, merges, image uploads and listing actions go through catalog.services, so the admin
enforces the same rules as the API (3 levels, normalised unique values, image checks, readiness to
go on sale) with the same audit trail; product and SKU forms validate with the services' own checks
(prices, codes, leaf category, sanitised HTML) and the derived data (price range, facets, search
index) is refreshed after every save. A refusal shows as a form error or a message, never a 500.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from shopops.catalog import services
from shopops.catalog.models import (
    MAX_CATEGORY_DEPTH,
    Attribute,
    AttributeGroup,
    AttributeValue,
    Brand,
    Category,
    CategoryAttribute,
    ImportJob,
    Product,
    ProductImage,
    ProductStatus,
    Sku,
)
from shopops.catalog.services.products import after_product_change, check_market_price, clean_sku_fields
from shopops.catalog.text import sanitize_html
from shopops.core.errors import DomainError
from shopops.shops.admin_base import PlatformOnlyAdmin, ShopScopedAdmin, domain_error_message

# The shared taxonomy is a platform job of its own (类目运营), apart from reviewing shops.
TAXONOMY_PERMISSION = "platform.catalog"


def _as_validation_error(exc: DomainError) -> ValidationError:
    return ValidationError(str(exc.message), code=exc.code)


# --- category tree ---------------------------------------------------------------------------------


class CategoryForm(forms.ModelForm):
    """Edits a node; `parent` places it in the tree (at most 3 levels, checked before saving)."""

    parent = forms.ModelChoiceField(
        label=_("上级类目"),
        queryset=Category.objects.filter(depth__lt=MAX_CATEGORY_DEPTH).order_by("path"),
        required=False,
        help_text=_("留空为一级类目；类目最多三级"),
    )

    class Meta:
        model = Category
        fields = ["name", "name_en", "slug", "position", "is_active", "seo_title", "seo_description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["parent"].label_from_instance = lambda c: f"{'— ' * (c.depth - 1)}{c.name}"
        if self.instance.pk:
            self.fields["parent"].initial = Category.objects.get_parent(self.instance)
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(
                path__startswith=self.instance.path
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        parent = data.get("parent")
        new_depth = (parent.depth + 1) if parent else 1
        height = 1
        if self.instance.pk:
            deepest = max(
                Category.objects.filter(path__startswith=self.instance.path).values_list("depth", flat=True)
            )
            height = deepest - self.instance.depth + 1
        if new_depth + height - 1 > MAX_CATEGORY_DEPTH:
            raise ValidationError(_("类目最多三级 / Categories can be nested at most 3 levels deep"))
        return data

    def _post_clean(self) -> None:
        # Services assign the tree fields (path, depth); the model's own validation would reject the
        # unsaved node for lacking them.
        return None


class CategoryAttributeInline(TabularInline):
    model = CategoryAttribute
    extra = 0
    fields = ["attribute", "is_required", "is_variant", "position"]
    autocomplete_fields = ["attribute"]


@admin.register(Category)
class CategoryAdmin(PlatformOnlyAdmin):
    """The category tree, listed in tree order with indentation; edit a node to rename it, reorder it
    among its siblings (position) or move it with its subtree and products (parent).

    Not treebeard's TreeAdmin: its drag-and-drop template and script are not part of the unfold
    theme, and every move must pass the service's 3-level rule anyway."""

    platform_permission = TAXONOMY_PERMISSION
    form = CategoryForm
    list_display = ["tree_name", "name_en", "slug", "depth", "position", "is_active", "product_count"]
    list_filter = ["depth", "is_active"]
    search_fields = ["name", "name_en", "slug"]
    ordering = ["path"]
    inlines = [CategoryAttributeInline]
    list_per_page = 200

    @admin.display(description=_("类目"), ordering="path")
    def tree_name(self, category: Category) -> str:
        indent = "\u3000\u3000" * (category.depth - 1)
        return f"{indent}{'└ ' if category.depth > 1 else ''}{category.name}"

    @admin.display(description=_("商品数"))
    def product_count(self, category: Category) -> int:
        return category.products.count()

    def save_model(self, request: HttpRequest, obj: Category, form: CategoryForm, change: bool) -> None:
        data = form.cleaned_data
        fields = {name: data[name] for name in CategoryForm.Meta.fields if name in data}
        parent = data.get("parent")
        try:
            if not change:
                created = services.create_category(
                    actor=request.user, parent_id=parent.id if parent else None, **fields
                )
                obj.pk = created.pk
                obj.refresh_from_db()
                return
            current_parent = Category.objects.get_parent(Category.objects.get(pk=obj.pk))
            if (current_parent.id if current_parent else None) != (parent.id if parent else None):
                services.move_category(
                    actor=request.user, category_id=obj.pk, parent_id=parent.id if parent else None
                )
            changed = {name: fields[name] for name in form.changed_data if name in fields}
            if changed.get("slug") == "":
                changed.pop("slug")
            if changed:
                services.update_category(actor=request.user, category_id=obj.pk, **changed)
            obj.refresh_from_db()
        except DomainError as exc:
            transaction.set_rollback(True)
            domain_error_message(request, self, exc)

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        try:
            services.delete_category(actor=request.user, category_id=obj.pk)
        except DomainError as exc:
            domain_error_message(request, self, exc)


# --- attributes, values, brands --------------------------------------------------------------------


class AttributeValueInline(TabularInline):
    model = AttributeValue
    extra = 0
    fields = ["value", "value_en", "aliases", "swatch", "position"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # New values go through the service (normalised uniqueness, aliases): use the value admin.
        return False


@admin.register(AttributeGroup)
class AttributeGroupAdmin(PlatformOnlyAdmin):
    platform_permission = TAXONOMY_PERMISSION
    list_display = ["name", "name_en", "code", "position"]


@admin.register(Attribute)
class AttributeAdmin(PlatformOnlyAdmin):
    platform_permission = TAXONOMY_PERMISSION
    list_display = ["name", "code", "kind", "unit", "group", "is_filterable", "position"]
    list_filter = ["kind", "group", "is_filterable"]
    search_fields = ["name", "name_en", "code"]
    inlines = [AttributeValueInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code", "kind"] if obj else []

    def save_model(self, request: HttpRequest, obj: Attribute, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        try:
            if not change:
                created = services.create_attribute(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    name_en=data.get("name_en", ""),
                    unit=data.get("unit", ""),
                    group_id=data["group"].id if data.get("group") else None,
                    is_filterable=data.get("is_filterable", True),
                    position=data.get("position", 0),
                )
                obj.pk = created.pk
                return
            changes = {
                ("group_id" if name == "group" else name): (
                    data[name].id if name == "group" and data[name] else data[name]
                )
                for name in form.changed_data
                if name in ("name", "name_en", "unit", "group", "is_filterable", "position")
            }
            if changes:
                services.update_attribute(actor=request.user, attribute_id=obj.pk, **changes)
        except DomainError as exc:
            transaction.set_rollback(True)
            domain_error_message(request, self, exc)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Edits of existing values go through update_attribute_value (uniqueness across aliases).
        for inline_form in formset.forms:
            if not inline_form.instance.pk or not inline_form.has_changed():
                continue
            if inline_form.cleaned_data.get("DELETE"):
                self._call(request, services.delete_attribute_value, value_id=inline_form.instance.pk)
                continue
            data = inline_form.cleaned_data
            self._call(
                request,
                services.update_attribute_value,
                value_id=inline_form.instance.pk,
                value=data["value"],
                value_en=data.get("value_en", ""),
                aliases=data.get("aliases") or [],
                swatch=data.get("swatch", ""),
                position=data.get("position", 0),
            )

    def _call(self, request: HttpRequest, service: Any, **kwargs: Any) -> None:
        try:
            service(actor=request.user, **kwargs)
        except DomainError as exc:
            domain_error_message(request, self, exc)


class AttributeValueForm(forms.ModelForm):
    class Meta:
        model = AttributeValue
        fields = ["attribute", "value", "value_en", "aliases", "swatch", "position"]

    def _post_clean(self) -> None:
        return None  # the service normalises and checks uniqueness (aliases included)


@admin.register(AttributeValue)
class AttributeValueAdmin(PlatformOnlyAdmin):
    platform_permission = TAXONOMY_PERMISSION
    form = AttributeValueForm
    list_display = ["value", "value_en", "attribute", "aliases", "position"]
    list_filter = ["attribute"]
    search_fields = ["value", "value_en", "normalized"]
    actions = ["merge_into_first"]

    def save_model(
        self, request: HttpRequest, obj: AttributeValue, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        kwargs = {
            "value": data["value"],
            "value_en": data.get("value_en", ""),
            "aliases": data.get("aliases") or [],
            "swatch": data.get("swatch", ""),
            "position": data.get("position", 0),
        }
        try:
            if change:
                services.update_attribute_value(actor=request.user, value_id=obj.pk, **kwargs)
            else:
                created = services.add_attribute_value(
                    actor=request.user, attribute_id=data["attribute"].id, **kwargs
                )
                obj.pk = created.pk
        except DomainError as exc:
            transaction.set_rollback(True)
            domain_error_message(request, self, exc)

    def delete_model(self, request: HttpRequest, obj: AttributeValue) -> None:
        try:
            services.delete_attribute_value(actor=request.user, value_id=obj.pk)
        except DomainError as exc:
            domain_error_message(request, self, exc)

    @admin.action(description=_("合并到选中的第一个值（其余成为别名）"))
    def merge_into_first(self, request: HttpRequest, queryset: Any) -> None:
        values = list(queryset.order_by("position", "id"))
        if len(values) < 2:
            self.message_user(request, _("请至少选择两个值"), level=messages.WARNING)
            return
        target, sources = values[0], values[1:]
        for source in sources:
            try:
                services.merge_attribute_values(actor=request.user, source_id=source.id, target_id=target.id)
            except DomainError as exc:
                domain_error_message(request, self, exc)
                return
        self.message_user(request, _("已合并到 %(value)s") % {"value": target.value})


class BrandForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = ["name", "name_en", "slug", "logo", "description", "is_active", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False

    def _post_clean(self) -> None:
        return None


@admin.register(Brand)
class BrandAdmin(PlatformOnlyAdmin):
    platform_permission = TAXONOMY_PERMISSION
    form = BrandForm
    list_display = ["name", "name_en", "slug", "is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name", "name_en", "normalized"]

    def save_model(self, request: HttpRequest, obj: Brand, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                changes = {
                    name: data[name]
                    for name in form.changed_data
                    if name in services.taxonomy.BRAND_FIELDS and not (name == "slug" and not data[name])
                }
                brand = (
                    services.update_brand(actor=request.user, brand_id=obj.pk, **changes) if changes else obj
                )
            else:
                fields = {
                    n: data[n] for n in ("name", "name_en", "slug", "description", "is_active", "position")
                }
                brand = services.create_brand(actor=request.user, **fields)
                obj.pk = brand.pk
            if "logo" in form.changed_data:
                Brand.objects.filter(pk=brand.pk).update(logo=data["logo"] or "")
                if data["logo"]:
                    brand.logo = data["logo"]
                    brand.save(update_fields=["logo"])
        except DomainError as exc:
            transaction.set_rollback(True)
            domain_error_message(request, self, exc)

    def delete_model(self, request: HttpRequest, obj: Brand) -> None:
        try:
            services.delete_brand(actor=request.user, brand_id=obj.pk)
        except DomainError as exc:
            domain_error_message(request, self, exc)


# --- products -------------------------------------------------------------------------------------


class SkuInlineForm(forms.ModelForm):
    class Meta:
        model = Sku
        fields = ["code", "barcode", "price", "market_price", "cost", "weight_grams", "is_active", "position"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            cleaned = clean_sku_fields({k: v for k, v in data.items() if k in self.Meta.fields})
            check_market_price(cleaned.get("price"), cleaned.get("market_price"), cleaned.get("code", ""))
        except DomainError as exc:
            raise _as_validation_error(exc) from None
        return data


class SkuInline(TabularInline):
    """Prices, codes and activity of the SKUs. Option combinations are fixed at creation (console or
    API): a SKU's options are its identity for stock and orders."""

    model = Sku
    form = SkuInlineForm
    extra = 0
    fields = [
        "options_label",
        "code",
        "barcode",
        "price",
        "market_price",
        "cost",
        "weight_grams",
        "is_active",
    ]
    readonly_fields = ["options_label"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("规格"))
    def options_label(self, sku: Sku) -> str:
        return " / ".join(o.value.value for o in sku.options.select_related("value")) or "—"


class ProductImageInline(TabularInline):
    model = ProductImage
    extra = 0
    fields = ["thumbnail_preview", "alt", "position", "value"]
    readonly_fields = ["thumbnail_preview"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # uploads go through the service (size/type checks, thumbnail)

    @admin.display(description=_("缩略图"))
    def thumbnail_preview(self, image: ProductImage) -> str:
        from django.utils.html import format_html

        if not image.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="" style="height:64px;border-radius:4px">', image.thumbnail.url)


class ProductAdminForm(forms.ModelForm):
    upload = forms.ImageField(
        label=_("上传图片"), required=False, help_text=_("JPEG/PNG/WebP/GIF，不超过 5 MB")
    )

    class Meta:
        model = Product
        fields = [
            "shop",
            "category",
            "brand",
            "title",
            "subtitle",
            "spu_code",
            "description",
            "scheduled_on_sale_at",
            "scheduled_off_sale_at",
        ]

    def clean_description(self) -> str:
        return sanitize_html(self.cleaned_data.get("description", ""))

    def clean_category(self) -> Category:
        category = self.cleaned_data["category"]
        if not category.is_leaf():
            raise ValidationError(_("商品只能发布在末级类目 / Products go into a leaf category"))
        return category

    def clean_upload(self) -> Any:
        upload = self.cleaned_data.get("upload")
        if upload:
            from shopops.catalog.services.images import inspect_image

            try:
                inspect_image(upload)
            except DomainError as exc:
                raise _as_validation_error(exc) from None
        return upload


@admin.register(Product)
class ProductAdmin(ShopScopedAdmin):
    view_permission = "catalog.view"
    manage_permission = "catalog.manage"
    form = ProductAdminForm
    list_display = ["title", "shop", "category", "status", "min_price", "sales_count", "updated_at"]
    list_filter = ["status", "shop", "category"]
    search_fields = ["title", "spu_code", "skus__code"]
    list_select_related = ["shop", "category"]
    readonly_fields = [
        "status",
        "min_price",
        "max_price",
        "rating_avg",
        "rating_count",
        "sales_count",
        "published_at",
    ]
    inlines = [SkuInline, ProductImageInline]
    actions = ["put_on_sale", "take_off_sale"]

    def save_model(self, request: HttpRequest, obj: Product, form: ProductAdminForm, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ProductAdminForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        product = form.instance
        upload = form.cleaned_data.get("upload")
        try:
            if upload:
                services.add_product_image(
                    shop_id=product.shop_id, product_id=product.pk, actor=request.user, upload=upload
                )
            # Price range, facets, search index; an on-sale product that no longer qualifies goes off sale.
            after_product_change(product, request.user)
        except DomainError as exc:
            domain_error_message(request, self, exc)

    def _each(self, request: HttpRequest, queryset: Any, service: Any, label: str) -> None:
        done = 0
        for product in queryset:
            if not self.has_change_permission(request, product):
                continue
            try:
                service(shop_id=product.shop_id, product_id=product.pk, actor=request.user)
                done += 1
            except DomainError as exc:
                reasons = exc.details.get("reasons") or []
                detail = "；".join(r["message"] for r in reasons) if reasons else ""
                self.message_user(request, f"{product.title}: {exc.message} {detail}", level=messages.ERROR)
        if done:
            self.message_user(request, _("%(n)d 个商品已%(label)s") % {"n": done, "label": label})

    @admin.action(description=_("上架选中的商品"))
    def put_on_sale(self, request: HttpRequest, queryset: Any) -> None:
        self._each(request, queryset.exclude(status=ProductStatus.ON_SALE), services.publish, "上架")

    @admin.action(description=_("下架选中的商品"))
    def take_off_sale(self, request: HttpRequest, queryset: Any) -> None:
        self._each(request, queryset.filter(status=ProductStatus.ON_SALE), services.unpublish, "下架")


@admin.register(ImportJob)
class ImportJobAdmin(ShopScopedAdmin):
    view_permission = "catalog.view"
    manage_permission = "catalog.manage"
    allow_add = False
    list_display = ["file_name", "shop", "status", "total_rows", "valid_rows", "skus_created", "created_at"]
    list_filter = ["status", "shop"]
    readonly_fields = [
        "shop", "created_by", "file_name", "file_format", "mode", "status", "total_rows", "valid_rows",
        "products_created", "products_updated", "skus_created", "skus_updated", "errors", "duration_ms",
    ]  # fmt: skip

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
