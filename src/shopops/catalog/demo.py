"""Demo catalogue from real data, loaded through the catalog's own services (idempotent).

1. The Superstore data set (../shared/datasets/superstore, see its SOURCE.md): Category > Sub-Category
   gives 3 + 17 categories; each Product ID becomes a product with one SKU priced from the data (the
   median list unit price, Sales / Quantity / (1 - Discount), converted from USD at a fixed demo
   rate), brands from the leading word of the product names, sales counts from the quantities and
   the first order date as the listing date. The rows go through the bulk import (so the same
   validation as a merchant's file applies); the file's mixed date formats are parsed by the rule
   SOURCE.md gives (M/D/YYYY when the day is 13 or more, else MM-DD-YY, always month first).
2. A Chinese shop with the ten product categories of the chinese-reviews data set (书籍, 平板, 手机,
   水果, 洗发水, 热水器, 蒙牛, 衣服, 计算机, 酒店): hand-written products with real brands and variant
   attributes (颜色 x 尺码, 颜色 x 存储容量, 净含量 ...) so Chinese search and facets have something to
   find ("红色 连衣裙", "华为 手机 256GB").

Product images are drawn with Pillow (no image data set is shipped). Stock is the inventory app's.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from shopops.catalog import cache, indexing, services
from shopops.catalog.models import (
    Attribute,
    AttributeKind,
    Brand,
    Category,
    Product,
    ProductImage,
    ProductStatus,
)
from shopops.catalog.services import imports
from shopops.catalog.text import normalize_label
from shopops.core.errors import DomainError
from shopops.core.money import to_money

# The Superstore prices are US dollars; the platform sells in yuan. A fixed demo rate keeps the
# prices' proportions (a Chromcraft table still costs a hundred binders).
USD_TO_CNY = Decimal("7.20")
MIN_BRAND_PRODUCTS = 5
# Leading words of Superstore product names that describe the item rather than name a maker.
NOT_BRANDS = set(
    [
        "Office",
        "Recycled",
        "Wirebound",
        "Executive",
        "Pressboard",
        "Master",
        "Heavy-Duty",
        "Staple",
        "Large",
        "Personal",
        "Computer",
        "Clear",
        "Home",
        "Premium",
        "Deluxe",
        "Letter",
        "Standard",
        "Colored",
        "Self-Adhesive",
        "Economy",
        "Multi-Use",
        "Steel",
        "Wire",
        "Metal",
        "Round",
        "Black",
        "White",
        "Green",
        "Blue",
    ]
)

SUPERSTORE_TREE: dict[str, tuple[str, dict[str, str]]] = {
    "Furniture": (
        "家具",
        {"Bookcases": "书架", "Chairs": "椅子", "Furnishings": "家居饰品", "Tables": "桌子"},
    ),
    "Office Supplies": (
        "办公用品",
        {
            "Appliances": "办公电器",
            "Art": "美术用品",
            "Binders": "文件夹",
            "Envelopes": "信封",
            "Fasteners": "紧固件",
            "Labels": "标签",
            "Paper": "纸张",
            "Storage": "收纳用品",
            "Supplies": "办公耗材",
        },
    ),
    "Technology": (
        "科技产品",
        {"Accessories": "电脑配件", "Copiers": "复印机", "Machines": "办公设备", "Phones": "电话"},
    ),
}

# Category colours for the drawn product images.
PALETTE = ["#e11d48", "#2563eb", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4d7c0f", "#9333ea"]


def datasets_dir() -> Path:
    configured = os.environ.get("SHOPOPS_DATASETS")
    return Path(configured) if configured else Path(settings.PROJECT_DIR).parent / "shared" / "datasets"


def superstore_date(text: str) -> date:
    """Superstore's Order Date: "11/8/2016" or "11-08-16" (both month first, see SOURCE.md)."""
    text = text.strip()
    if "/" in text:
        month, day, year = (int(p) for p in text.split("/"))
    else:
        month, day, short_year = (int(p) for p in text.split("-"))
        year = 2000 + short_year
    return date(year, month, day)


def _progress(
    iterable: Iterable, *, desc: str, total: int | None = None, quiet: bool = False, unit: str = "行"
) -> Iterable:
    if quiet:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, leave=False)


# --- taxonomy helpers (get or create through the services) --------------------------------------------


def ensure_category(
    name: str, name_en: str, slug: str, parent: Category | None = None, position: int = 0
) -> Category:
    existing = Category.objects.filter(slug=slug).first()
    if existing is not None:
        return existing
    return services.create_category(
        actor=None,
        name=name,
        name_en=name_en,
        slug=slug,
        parent_id=parent.id if parent else None,
        position=position,
    )


def ensure_attribute(
    code: str,
    name: str,
    name_en: str,
    kind: str,
    values: list[tuple[str, str, list[str], str]],
    unit: str = "",
) -> Attribute:
    attribute = Attribute.objects.filter(code=code).first()
    if attribute is None:
        attribute = services.create_attribute(
            actor=None, code=code, name=name, name_en=name_en, kind=kind, unit=unit
        )
    for position, (value, value_en, aliases, swatch) in enumerate(values):
        try:
            services.resolve_value(attribute, value)
        except DomainError:
            services.add_attribute_value(
                actor=None, attribute_id=attribute.id, value=value, value_en=value_en,
                aliases=aliases, swatch=swatch, position=position,
            )  # fmt: skip
    return attribute


def ensure_link(
    category: Category, attribute: Attribute, *, is_variant: bool = False, position: int = 0
) -> None:
    if not category.attribute_links.filter(attribute=attribute).exists():
        services.link_attribute(
            actor=None,
            category_id=category.id,
            attribute_id=attribute.id,
            is_variant=is_variant,
            position=position,
        )


def ensure_brand(name: str, name_en: str = "") -> Brand:
    brand = Brand.objects.filter(normalized=normalize_label(name)).first()
    return brand or services.create_brand(actor=None, name=name, name_en=name_en)


# --- product images ----------------------------------------------------------------------------------


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def draw_product_image(label: str, sub_label: str, colour: str, *, size: int = 800) -> bytes:
    """A clean placeholder photo: a tinted card with the product's (ASCII) label."""
    base = Image.new("RGB", (size, size), "#f8fafc")
    draw = ImageDraw.Draw(base)
    draw.rounded_rectangle([60, 60, size - 60, size - 60], radius=48, fill=colour)
    draw.ellipse([size * 0.5, size * 0.14, size * 0.86, size * 0.5], fill=_lighten(colour))
    words = label.split()
    lines, line = [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if len(candidate) > 16 and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    font, small = _font(64), _font(34)
    y = size * 0.52
    for text in lines[:3]:
        draw.text((110, y), text, fill="#ffffff", font=font)
        y += 76
    draw.text((110, size - 150), sub_label, fill="#f1f5f9", font=small)
    buffer = io.BytesIO()
    base.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _lighten(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(min(255, c + (255 - c) // 3) for c in (r, g, b)))


def _stored_image(key: str, label: str, sub_label: str, colour: str) -> tuple[str, str]:
    """Save an image and its thumbnail once under a stable name; returns both storage names."""
    name = f"catalog/demo/{key}.jpg"
    thumb = f"catalog/demo/{key}_thumb.webp"
    if not default_storage.exists(name):
        content = draw_product_image(label, sub_label, colour)
        default_storage.save(name, ContentFile(content))
        image = Image.open(io.BytesIO(content))
        image.thumbnail((400, 400))
        buffer = io.BytesIO()
        image.save(buffer, format="WEBP", quality=82)
        default_storage.save(thumb, ContentFile(buffer.getvalue()))
    return name, thumb


def _attach_shared_images(
    product_ids_by_key: dict[str, list[int]], images: dict[str, tuple[str, str]]
) -> int:
    """One shared image per key (say a sub-category) for every product without an image yet."""
    have = set(
        ProductImage.objects.filter(
            product_id__in=[p for ids in product_ids_by_key.values() for p in ids]
        ).values_list("product_id", flat=True)
    )
    rows = [
        ProductImage(
            product_id=pid,
            image=images[key][0],
            thumbnail=images[key][1],
            width=800,
            height=800,
            size_bytes=0,
            position=0,
        )
        for key, ids in product_ids_by_key.items()
        for pid in ids
        if pid not in have
    ]
    ProductImage.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _publish_ready(shop_id: int, published_at: dict[int, datetime] | None = None) -> int:
    """Put the shop's complete drafts on sale (each has an active priced SKU and an image)."""
    ready = list(
        Product.objects.filter(
            shop_id=shop_id, status=ProductStatus.DRAFT, min_price__gt=0, images__isnull=False
        )
        .values_list("id", flat=True)
        .distinct()
    )
    now = timezone.now()
    for pid in ready:
        Product.objects.filter(id=pid).update(
            status=ProductStatus.ON_SALE, published_at=(published_at or {}).get(pid, now)
        )
    cache.invalidate_products(ready)
    return len(ready)


# --- Superstore --------------------------------------------------------------------------------------


@dataclass
class SuperstoreProduct:
    product_id: str
    title: str
    category: str
    sub_category: str
    unit_prices: list[Decimal]
    quantity: int
    first_order: date


def read_superstore(path: Path, *, quiet: bool = False) -> list[SuperstoreProduct]:
    products: dict[str, SuperstoreProduct] = {}
    names: dict[str, Counter] = defaultdict(Counter)
    with path.open(encoding="utf-8-sig", newline="") as handle:  # UTF-8 with a BOM (SOURCE.md)
        rows = list(csv.DictReader(handle))
    for row in _progress(rows, desc="Superstore", quiet=quiet):
        pid = row["Product ID"]
        quantity = int(row["Quantity"])
        discount = Decimal(row["Discount"])
        unit = Decimal(row["Sales"]) / quantity / (1 - discount)
        ordered = superstore_date(row["Order Date"])
        item = products.get(pid)
        if item is None:
            item = products[pid] = SuperstoreProduct(
                pid, row["Product Name"], row["Category"], row["Sub-Category"], [], 0, ordered
            )
        item.unit_prices.append(unit)
        item.quantity += quantity
        item.first_order = min(item.first_order, ordered)
        names[pid][row["Product Name"]] += 1
    for pid, item in products.items():
        item.title = names[pid].most_common(1)[0][0]  # a few IDs carry two spellings
    return list(products.values())


def _superstore_taxonomy() -> dict[str, Category]:
    leaves: dict[str, Category] = {}
    for position, (category_en, (category_zh, subs)) in enumerate(SUPERSTORE_TREE.items()):
        parent = ensure_category(
            category_zh, category_en, "ss-" + category_en.lower().replace(" ", "-"), position=position
        )
        for sub_position, (sub_en, sub_zh) in enumerate(subs.items()):
            slug = "ss-" + sub_en.lower().replace(" ", "-")
            leaves[sub_en] = ensure_category(sub_zh, sub_en, slug, parent=parent, position=sub_position)
    return leaves


def _brand_of(title: str) -> str:
    return title.split()[0].strip(",")


def load_superstore(
    shop_id: int, *, path: Path, quiet: bool = False, log: Callable[[str], None] = print
) -> dict[str, int]:
    items = read_superstore(path, quiet=quiet)
    leaves = _superstore_taxonomy()
    brand_counts = Counter(_brand_of(i.title) for i in items)
    brands = {
        name
        for name, n in brand_counts.items()
        if n >= MIN_BRAND_PRODUCTS and name.isascii() and name[0].isupper() and name not in NOT_BRANDS
    }
    for name in sorted(brands):
        ensure_brand(name, name)
    existing = set(Product.objects.filter(shop_id=shop_id).values_list("spu_code", flat=True))
    missing = [item for item in items if item.product_id not in existing]
    if missing:
        _import_superstore(shop_id, missing, brands, log)
    return _finish_superstore(shop_id, items, leaves, brands, created=len(missing))


def _import_superstore(
    shop_id: int, items: list[SuperstoreProduct], brands: set[str], log: Callable[[str], None]
) -> None:
    header = ["商品编码", "商品标题", "类目", "品牌", "SKU编码", "售价", "重量(克)"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for item in items:
        price = to_money(Decimal(statistics.median(item.unit_prices)) * USD_TO_CNY)
        brand = _brand_of(item.title)
        category = f"ss-{item.sub_category.lower()}"
        brand_cell = brand if brand in brands else ""
        writer.writerow(
            [item.product_id, item.title[:120], category, brand_cell, item.product_id, str(price), ""]
        )
    job = imports.import_products(
        shop_id=shop_id,
        actor=None,
        content=buffer.getvalue().encode("utf-8"),
        file_name="superstore-demo.csv",
        mode="apply_valid",
    )
    if job.errors:
        log(f"superstore: {len(job.errors)} rows refused, first: {job.errors[0]}")


def _finish_superstore(
    shop_id: int,
    items: list[SuperstoreProduct],
    leaves: dict[str, Category],
    brands: set[str],
    *,
    created: int,
) -> dict[str, int]:
    by_code = dict(Product.objects.filter(shop_id=shop_id).values_list("spu_code", "id"))
    with transaction.atomic():
        for item in items:
            pid = by_code.get(item.product_id)
            if pid:
                Product.objects.filter(id=pid, sales_count=0).update(sales_count=item.quantity)
        images = {
            sub: _stored_image(
                f"ss-{sub.lower()}",
                sub,
                cat,
                PALETTE[i % len(PALETTE)],
            )
            for i, (cat, sub) in enumerate((c, s) for c, (_zh, subs) in SUPERSTORE_TREE.items() for s in subs)
        }
        ids_by_sub: dict[str, list[int]] = defaultdict(list)
        for item in items:
            if item.product_id in by_code:
                ids_by_sub[item.sub_category].append(by_code[item.product_id])
        attached = _attach_shared_images(ids_by_sub, images)
        first_orders = {
            by_code[i.product_id]: timezone.make_aware(datetime.combine(i.first_order, time(10)))
            for i in items
            if i.product_id in by_code
        }
        published = _publish_ready(shop_id, first_orders)
    return {
        "products": len(by_code),
        "created": created,
        "images": attached,
        "published": published,
        "categories": len(leaves),
        "brands": len(brands),
    }


# --- the Chinese shop --------------------------------------------------------------------------------

COLOURS = [
    ("红色", "Red", ["红"], "#dc2626"),
    ("黑色", "Black", ["黑"], "#111827"),
    ("白色", "White", ["白"], "#f9fafb"),
    ("蓝色", "Blue", ["蓝"], "#2563eb"),
    ("灰色", "Grey", ["灰"], "#9ca3af"),
    ("粉色", "Pink", ["粉"], "#f472b6"),
    ("绿色", "Green", ["绿"], "#16a34a"),
    ("金色", "Gold", ["金"], "#d4a017"),
    ("紫色", "Purple", ["紫"], "#7c3aed"),
]
SIZES = [(s, s, [s.lower()], "") for s in ("S", "M", "L", "XL", "XXL")]


def _values(*labels: str) -> list[tuple[str, str, list[str], str]]:
    return [(label, "", [], "") for label in labels]


# (leaf slug, name, English name, parent slug, review-set category)
ZH_TREE = [
    ("zh-books", "图书", "Books", None, None),
    ("shuji", "书籍", "Books", "zh-books", "书籍"),
    ("zh-digital", "数码电子", "Electronics", None, None),
    ("shouji", "手机", "Mobile phones", "zh-digital", "手机"),
    ("pingban", "平板", "Tablets", "zh-digital", "平板"),
    ("jisuanji", "计算机", "Computers", "zh-digital", "计算机"),
    ("zh-appliances", "家用电器", "Home appliances", None, None),
    ("reshuiqi", "热水器", "Water heaters", "zh-appliances", "热水器"),
    ("zh-food", "食品生鲜", "Food", None, None),
    ("shuiguo", "水果", "Fruit", "zh-food", "水果"),
    ("mengniu", "蒙牛乳品", "Dairy (Mengniu)", "zh-food", "蒙牛"),
    ("zh-care", "个护清洁", "Personal care", None, None),
    ("xifashui", "洗发水", "Shampoo", "zh-care", "洗发水"),
    ("zh-fashion", "服饰", "Fashion", None, None),
    ("yifu", "衣服", "Clothing", "zh-fashion", "衣服"),
    ("zh-travel", "旅行", "Travel", None, None),
    ("jiudian", "酒店", "Hotels", "zh-travel", "酒店"),
]
# chinese-reviews category -> leaf slug, for other apps' demo loaders (reviews, orders).
REVIEW_CATEGORY_SLUGS = {review: slug for slug, _n, _e, _p, review in ZH_TREE if review}


def _zh_taxonomy() -> dict[str, Category]:
    nodes: dict[str, Category] = {}
    for position, (slug, name, name_en, parent_slug, _review) in enumerate(ZH_TREE):
        nodes[slug] = ensure_category(
            name, name_en, slug, parent=nodes.get(parent_slug) if parent_slug else None, position=position
        )
    color = ensure_attribute("color", "颜色", "Colour", AttributeKind.SINGLE, COLOURS)
    size = ensure_attribute("size", "尺码", "Size", AttributeKind.SINGLE, SIZES)
    storage = ensure_attribute(
        "storage", "存储容量", "Storage", AttributeKind.SINGLE, _values("128GB", "256GB", "512GB", "1TB")
    )
    memory = ensure_attribute(
        "memory", "运行内存", "Memory", AttributeKind.SINGLE, _values("8GB", "12GB", "16GB", "32GB")
    )
    edition = ensure_attribute(
        "edition", "版本", "Edition", AttributeKind.SINGLE, _values("平装", "精装", "典藏版")
    )
    weight = ensure_attribute(
        "net_weight", "规格", "Pack size", AttributeKind.SINGLE, _values("2.5kg", "5kg", "12盒", "24盒")
    )
    volume = ensure_attribute(
        "volume", "净含量", "Volume", AttributeKind.SINGLE, _values("400ml", "750ml", "1L")
    )
    capacity = ensure_attribute(
        "capacity", "容量", "Capacity", AttributeKind.SINGLE, _values("50升", "60升", "80升", "16升")
    )
    room = ensure_attribute(
        "room_type", "房型", "Room", AttributeKind.SINGLE, _values("大床房", "双床房", "套房")
    )
    material = ensure_attribute(
        "material", "材质", "Material", AttributeKind.SINGLE, _values("棉", "真丝", "涤纶", "羊毛", "羽绒")
    )
    screen = ensure_attribute("screen", "屏幕尺寸", "Screen", AttributeKind.NUMBER, [], unit="英寸")
    features = ensure_attribute(
        "features", "功能", "Features", AttributeKind.MULTI, _values("5G", "NFC", "无线充电", "快充", "防水")
    )
    origin = ensure_attribute(
        "origin",
        "产地",
        "Origin",
        AttributeKind.SINGLE,
        _values("山东烟台", "新疆阿克苏", "海南", "江西赣州", "智利", "内蒙古"),
    )
    links = {
        "shouji": [(color, True), (storage, True), (screen, False), (features, False)],
        "pingban": [(color, True), (storage, True), (screen, False)],
        "jisuanji": [(color, True), (memory, True), (screen, False)],
        "yifu": [(color, True), (size, True), (material, False)],
        "shuji": [(edition, True)],
        "shuiguo": [(weight, True), (origin, False)],
        "mengniu": [(weight, True), (origin, False)],
        "xifashui": [(volume, True)],
        "reshuiqi": [(capacity, True), (color, False)],
        "jiudian": [(room, True)],
    }
    for slug, attributes in links.items():
        for position, (attribute, is_variant) in enumerate(attributes):
            ensure_link(nodes[slug], attribute, is_variant=is_variant, position=position)
    return nodes


# (spu, title, subtitle, leaf slug, brand zh, brand en, axes, {option combos: price}, attributes, sales)
def zh_products() -> list[dict[str, Any]]:
    """The Chinese shop's products (data/demo_zh_products.json): spu, title, subtitle, cat (leaf slug),
    brand [zh, en], axes, skus [{options, price}], attrs, sales."""
    path = Path(__file__).with_name("data") / "demo_zh_products.json"
    return json.loads(path.read_text(encoding="utf-8"))["products"]


def load_chinese_shop(shop_id: int, *, quiet: bool = False) -> dict[str, int]:
    nodes = _zh_taxonomy()
    existing = set(Product.objects.filter(shop_id=shop_id).values_list("spu_code", flat=True))
    created = 0
    for index, spec in enumerate(_progress(zh_products(), desc="中文店铺", quiet=quiet, unit="件")):
        if spec["spu"] in existing:
            continue
        brand_zh, brand_en = spec["brand"]
        brand = ensure_brand(brand_zh, brand_en) if brand_zh else None
        skus = [
            {
                "code": f"{spec['spu']}-{n:02d}",
                "price": sku["price"],
                "market_price": str(to_money(Decimal(sku["price"]) * Decimal("1.25"))),
                "options": dict(zip(spec["axes"], sku["options"], strict=True)),
            }
            for n, sku in enumerate(spec["skus"], start=1)
        ]
        with transaction.atomic():
            product = services.create_product(
                shop_id=shop_id,
                actor=None,
                category_id=nodes[spec["cat"]].id,
                title=spec["title"],
                subtitle=spec["subtitle"],
                description=f"<p>{spec['title']}</p><p>{spec['subtitle'] or '品质保障，放心选购。'}</p>",
                brand=brand.id if brand else None,
                spu_code=spec["spu"],
                attributes=spec["attrs"],
                variant_axes=spec["axes"],
                skus=skus,
            )
            colour = PALETTE[index % len(PALETTE)]
            name, thumb = _stored_image(
                f"zh-{spec['spu'].lower()}", brand_en or spec["spu"], nodes[spec["cat"]].name_en, colour
            )
            ProductImage.objects.create(product=product, image=name, thumbnail=thumb, width=800, height=800)
            indexing.refresh_products([product.id])
            services.publish(shop_id=shop_id, product_id=product.id, actor=None)
            Product.objects.filter(id=product.id).update(sales_count=spec["sales"])
        created += 1
    cache.invalidate_lists()
    return {"products": Product.objects.filter(shop_id=shop_id).count(), "created": created}


def load_demo_catalog(
    *,
    superstore_shop: int | None,
    chinese_shop: int | None,
    quiet: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Load both demo catalogues into existing shops (ids); safe to run again."""
    result: dict[str, Any] = {}
    if superstore_shop:
        path = datasets_dir() / "superstore" / "Sample - Superstore.csv"
        if path.exists():
            result["superstore"] = load_superstore(superstore_shop, path=path, quiet=quiet, log=log)
            log(f"catalog demo: Superstore {result['superstore']}")
        else:
            log(f"catalog demo: {path} not found, Superstore catalogue skipped (set SHOPOPS_DATASETS)")
    if chinese_shop:
        result["chinese"] = load_chinese_shop(chinese_shop, quiet=quiet)
        log(f"catalog demo: Chinese shop {result['chinese']}")
    return result
