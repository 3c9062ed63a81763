"""Test data for the catalog: a small platform taxonomy and helpers that build products through the
services (so tests exercise the same rules as the API). Other apps' tests may use these too:

    tax = make_taxonomy()
    product = make_product(shop, tax, on_sale=True)      # two SKUs (红色/M, 黑色/M) with an image
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shopops.catalog import services
from shopops.catalog.models import Attribute, AttributeValue, Brand, Category, Product

_seq = itertools.count(1)


@dataclass
class Taxonomy:
    apparel: Category  # 服装 (level 1)
    womens: Category  # 女装 (level 2)
    dresses: Category  # 连衣裙 (level 3, leaf)
    tshirts: Category  # T恤 (level 3, leaf)
    digital: Category  # 数码 (level 1)
    phones: Category  # 手机 (level 2, leaf)
    color: Attribute
    size: Attribute
    material: Attribute
    storage: Attribute
    screen: Attribute
    features: Attribute
    brand_a: Brand
    brand_b: Brand

    def value(self, attribute: Attribute, label: str) -> AttributeValue:
        return services.resolve_value(attribute, label)


def make_taxonomy(actor: Any = None) -> Taxonomy:
    """服装 > 女装 > {连衣裙, T恤}; 数码 > 手机; colour and size as variant axes of 服装."""
    cs = services.create_category
    apparel = cs(actor=actor, name="服装", name_en="Apparel", slug="apparel")
    womens = cs(actor=actor, name="女装", name_en="Womenswear", parent_id=apparel.id, slug="womens")
    dresses = cs(actor=actor, name="连衣裙", name_en="Dresses", parent_id=womens.id, slug="dresses")
    tshirts = cs(actor=actor, name="T恤", name_en="T-shirts", parent_id=womens.id, slug="t-shirts")
    digital = cs(actor=actor, name="数码", name_en="Digital", slug="digital")
    phones = cs(actor=actor, name="手机", name_en="Phones", parent_id=digital.id, slug="phones")
    color = services.create_attribute(actor=actor, code="color", name="颜色", name_en="Colour", kind="single")
    for label, en, aliases in [("红色", "Red", ["红"]), ("黑色", "Black", ["黑"]), ("白色", "White", ["白"])]:
        services.add_attribute_value(
            actor=actor, attribute_id=color.id, value=label, value_en=en, aliases=aliases
        )
    size = services.create_attribute(
        actor=actor, code="size", name="尺码", name_en="Size", kind="single", values=["S", "M", "L", "XL"]
    )
    material = services.create_attribute(
        actor=actor,
        code="material",
        name="材质",
        name_en="Material",
        kind="single",
        values=["棉", "真丝", "涤纶"],
    )
    storage = services.create_attribute(
        actor=actor,
        code="storage",
        name="存储容量",
        name_en="Storage",
        kind="single",
        values=["128GB", "256GB"],
    )
    screen = services.create_attribute(
        actor=actor, code="screen", name="屏幕尺寸", name_en="Screen", kind="number", unit="英寸"
    )
    features = services.create_attribute(
        actor=actor,
        code="features",
        name="功能",
        name_en="Features",
        kind="multi",
        values=["5G", "NFC", "无线充电"],
    )
    link = services.link_attribute
    link(actor=actor, category_id=apparel.id, attribute_id=color.id, is_variant=True, position=1)
    link(actor=actor, category_id=apparel.id, attribute_id=size.id, is_variant=True, position=2)
    link(actor=actor, category_id=apparel.id, attribute_id=material.id, position=3)
    link(actor=actor, category_id=phones.id, attribute_id=color.id, is_variant=True, position=1)
    link(actor=actor, category_id=phones.id, attribute_id=storage.id, is_variant=True, position=2)
    link(actor=actor, category_id=phones.id, attribute_id=screen.id, position=3)
    link(actor=actor, category_id=phones.id, attribute_id=features.id, position=4)
    brand_a = services.create_brand(actor=actor, name="森之语", name_en="Forest Words")
    brand_b = services.create_brand(actor=actor, name="华为", name_en="Huawei")
    for obj in (apparel, womens, dresses, tshirts, digital, phones):
        obj.refresh_from_db()
    return Taxonomy(
        apparel=apparel, womens=womens, dresses=dresses, tshirts=tshirts, digital=digital, phones=phones,
        color=color, size=size, material=material, storage=storage, screen=screen, features=features,
        brand_a=brand_a, brand_b=brand_b,
    )  # fmt: skip


def taxonomy_from_db() -> Taxonomy:
    """The Taxonomy that make_taxonomy() created earlier in the same database."""
    cat = {
        c.slug: c
        for c in Category.objects.filter(
            slug__in=["apparel", "womens", "dresses", "t-shirts", "digital", "phones"]
        )
    }
    attr = {
        a.code: a
        for a in Attribute.objects.filter(
            code__in=["color", "size", "material", "storage", "screen", "features"]
        )
    }
    return Taxonomy(
        apparel=cat["apparel"], womens=cat["womens"], dresses=cat["dresses"], tshirts=cat["t-shirts"],
        digital=cat["digital"], phones=cat["phones"], color=attr["color"], size=attr["size"],
        material=attr["material"], storage=attr["storage"], screen=attr["screen"], features=attr["features"],
        brand_a=Brand.objects.get(name="森之语"), brand_b=Brand.objects.get(name="华为"),
    )  # fmt: skip


def image_upload(
    name: str = "photo.jpg", *, size: tuple[int, int] = (800, 600), fmt: str = "JPEG", color: str = "red"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def dress_skus(prefix: str, *, colors=("红色", "黑色"), sizes=("M",), price: str = "199.00") -> list[dict]:
    return [
        {
            "code": f"{prefix}-{c}-{s}",
            "price": price,
            "market_price": str(max(Decimal(price) + 100, Decimal("299.00"))),
            "options": {"color": c, "size": s},
        }
        for c in colors
        for s in sizes
    ]


def make_product(
    shop: Any,
    tax: Taxonomy,
    *,
    title: str = "夏季新款碎花连衣裙",
    category: Category | None = None,
    on_sale: bool = False,
    skus: list[dict] | None = None,
    actor: Any = None,
    **extra: Any,
) -> Product:
    n = next(_seq)
    category = category or tax.dresses
    axes = ["color", "size"] if category.path.startswith(tax.apparel.path) else ["color", "storage"]
    product = services.create_product(
        shop_id=shop.id,
        actor=actor,
        category_id=category.id,
        title=title,
        variant_axes=axes,
        skus=skus if skus is not None else dress_skus(f"T{n}") if axes[1] == "size" else [],
        **extra,
    )
    if on_sale:
        services.add_product_image(shop_id=shop.id, product_id=product.id, actor=actor, upload=image_upload())
        services.publish(shop_id=shop.id, product_id=product.id, actor=actor)
        product.refresh_from_db()
    return product


def money(value: str) -> Decimal:
    return Decimal(value)
