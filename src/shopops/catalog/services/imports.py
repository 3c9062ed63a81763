"""Bulk import and export of a shop's products and SKUs (CSV or XLSX, one row per SKU).

Import is two-phase: every row is validated first against the same rules as the API (prices,
categories, managed attribute values, SKU code uniqueness, one SKU per option combination), and a
per-row error report is produced. Mode "all_or_nothing" applies nothing if any row is bad; mode
"apply_valid" applies every product whose rows are all valid and reports the rest. Writes are
batched (bulk_create / bulk_update, one search re-index pass) so 10,000 SKUs take seconds.

Rows sharing a 商品编码 (spu_code) form one product: product columns are read from the first row
that fills them and must not contradict on later rows. An existing spu_code updates that product;
an existing SKU code updates that SKU (it must belong to the same product).
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from shopops.catalog import indexing
from shopops.catalog.errors import ImportFileInvalid, InvalidPrice
from shopops.catalog.models import (
    Category,
    ImportJob,
    ImportMode,
    ImportStatus,
    Product,
    ProductAttributeValue,
    ProductVariantAxis,
    Sku,
    SkuOptionValue,
)
from shopops.catalog.selectors import CategoryAttributeInfo, effective_category_attributes
from shopops.catalog.services.products import (
    MAX_SKUS_PER_PRODUCT,
    CleanSku,
    clean_attribute_values,
    clean_axes,
    clean_sku,
    combination_key,
)
from shopops.catalog.services.taxonomy import ValueResolver
from shopops.catalog.text import clean_label, normalize_label, sanitize_html
from shopops.core import audit
from shopops.core.errors import DomainError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_REPORTED_ERRORS = 1000

# (key, Chinese header used on export, other accepted spellings)
COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("spu_code", "商品编码", ("spu", "product_code", "商品代码")),
    ("title", "商品标题", ("标题", "name", "product_name")),
    ("subtitle", "副标题", ()),
    ("category", "类目", ("category_path", "分类")),
    ("brand", "品牌", ()),
    ("attributes", "商品属性", ("属性",)),
    ("description", "商品详情", ("详情",)),
    ("sku_code", "SKU编码", ("sku", "sku编码", "规格编码")),
    ("options", "规格", ("销售属性", "variant")),
    ("price", "售价", ("价格",)),
    ("market_price", "划线价", ("市场价", "list_price")),
    ("cost", "成本价", ("成本",)),
    ("weight_grams", "重量(克)", ("重量", "weight")),
    ("barcode", "条码", ("ean", "upc")),
    ("is_active", "启用", ("active", "状态")),
]
REQUIRED_COLUMNS = ("spu_code", "title", "category", "sku_code", "price")
PRODUCT_COLUMNS = ("title", "subtitle", "category", "brand", "attributes", "description")
_HEADER_KEYS = {
    normalize_label(spelling): key for key, zh, others in COLUMNS for spelling in (key, zh, *others)
}
_PAIR_SPLIT = re.compile(r"[;；\n]")
_KV_SPLIT = re.compile(r"[:：=]")
_LIST_SPLIT = re.compile(r"[,，、|]")
_FALSE = {"0", "false", "no", "n", "否", "停用", "禁用", "off"}


@dataclass
class RowError:
    row: int
    column: str
    code: str
    message: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "value": self.value,
        }


@dataclass
class _Group:
    spu_code: str
    rows: list[int] = field(default_factory=list)
    product_fields: dict[str, str] = field(default_factory=dict)
    first_row_of: dict[str, int] = field(default_factory=dict)
    existing: Product | None = None
    category: Category | None = None
    infos: list[CategoryAttributeInfo] = field(default_factory=list)
    attribute_rows: list[ProductAttributeValue] | None = None
    axes: list[Any] = field(default_factory=list)
    brand_id: int | None = None
    skus: list[tuple[int, CleanSku]] = field(default_factory=list)
    bad: bool = False


# --- reading files --------------------------------------------------------------------------------


def read_rows(content: bytes, file_name: str) -> tuple[str, list[dict[str, str]]]:
    """(format, rows as {column key: text}) from CSV or XLSX bytes; unknown columns are ignored."""
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileInvalid(
            "导入文件不能超过 20 MB / The import file must be 20 MB or smaller", size_bytes=len(content)
        )
    is_xlsx = file_name.lower().endswith((".xlsx", ".xlsm")) or content[:2] == b"PK"
    raw_rows = _xlsx_rows(content) if is_xlsx else _csv_rows(content)
    header = next(raw_rows, None)
    if not header:
        raise ImportFileInvalid("文件是空的 / The file is empty")
    keys = [_HEADER_KEYS.get(normalize_label(str(h or ""))) for h in header]
    missing = [k for k in REQUIRED_COLUMNS if k not in keys]
    if missing:
        raise ImportFileInvalid(
            "缺少必需的列 / Required columns are missing",
            code="import_missing_columns",
            missing=[f"{dict((c[0], c[1]) for c in COLUMNS)[k]} ({k})" for k in missing],
        )
    rows: list[dict[str, str]] = []
    for values in raw_rows:
        if not any(_cell_text(v) for v in values):
            continue  # blank lines are not rows
        rows.append({key: _cell_text(v) for key, v in zip(keys, values, strict=False) if key})
        if len(rows) > MAX_ROWS:
            raise ImportFileInvalid(
                f"一次最多导入 {MAX_ROWS} 行 / At most {MAX_ROWS} rows per file", max_rows=MAX_ROWS
            )
    return ("xlsx" if is_xlsx else "csv"), rows


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK by default
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ImportFileInvalid("无法识别文件编码 / Unknown text encoding")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text), dialect)


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportFileInvalid(
            "无法读取 Excel 文件 / The XLSX file cannot be read", reason=type(exc).__name__
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # Spreadsheet numbers: 199.9 stays "199.9", a barcode 6.901234567892E12 becomes digits.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


# --- validation -----------------------------------------------------------------------------------


class _CategoryIndex:
    def __init__(self) -> None:
        self.by_key: dict[str, Category | None] = {}
        categories = list(Category.objects.order_by("path"))
        by_path = {c.path: c for c in categories}
        for c in categories:
            names = [
                by_path[c.path[:end]].name
                for end in range(Category.steplen, len(c.path) + 1, Category.steplen)
            ]
            names_en = [
                by_path[c.path[:end]].name_en
                for end in range(Category.steplen, len(c.path) + 1, Category.steplen)
            ]
            self.by_key[f"slug:{c.slug}"] = c
            self.by_key[f"path:{normalize_label('/'.join(names))}"] = c
            self.by_key[f"path:{normalize_label('/'.join(names_en))}"] = c
            # A bare name only resolves when no other category has it.
            for name in {normalize_label(c.name), normalize_label(c.name_en)} - {""}:
                key = f"name:{name}"
                self.by_key[key] = None if key in self.by_key else c
        self._infos: dict[int, list[CategoryAttributeInfo]] = {}

    def find(self, raw: str) -> Category | None:
        text = raw.strip()
        path = normalize_label("/".join(p.strip() for p in re.split(r"[/>＞»]", text)))
        return (
            self.by_key.get(f"slug:{text.lower()}")
            or self.by_key.get(f"path:{path}")
            or self.by_key.get(f"name:{normalize_label(text)}")
        )

    def infos(self, category: Category) -> list[CategoryAttributeInfo]:
        if category.id not in self._infos:
            self._infos[category.id] = effective_category_attributes(category)
        return self._infos[category.id]


def parse_pairs(text: str, *, multi: bool) -> dict[str, Any]:
    """ "颜色:红色; 尺码:M" -> {"颜色": "红色", "尺码": "M"}; with multi, "功能=5G,NFC" gives a list."""
    result: dict[str, Any] = {}
    for chunk in _PAIR_SPLIT.split(text or ""):
        if not chunk.strip():
            continue
        parts = _KV_SPLIT.split(chunk, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip():
            raise ValueError(chunk.strip())
        key, value = parts[0].strip(), parts[1].strip()
        if multi and _LIST_SPLIT.search(value):
            result[key] = [v.strip() for v in _LIST_SPLIT.split(value) if v.strip()]
        else:
            result[key] = value
    return result


class _Validator:
    def __init__(self, shop_id: int, rows: list[dict[str, str]]) -> None:
        self.shop_id = shop_id
        self.rows = rows
        self.errors: list[RowError] = []
        self.bad_rows: set[int] = set()
        self.resolver = ValueResolver()
        self.categories = _CategoryIndex()
        self.groups: dict[str, _Group] = {}

    def error(
        self, row: int, column: str, exc_or_code: DomainError | str, message: str = "", value: Any = None
    ) -> None:
        if isinstance(exc_or_code, DomainError):
            code, message = exc_or_code.code, str(exc_or_code.message)
            details = exc_or_code.details
            if details:
                message = f"{message} ({', '.join(f'{k}={v}' for k, v in details.items() if k != 'reasons')})"
        else:
            code = exc_or_code
        self.errors.append(RowError(row=row, column=column, code=code, message=message, value=value))
        self.bad_rows.add(row)

    def run(self) -> None:
        self._group_rows()
        self._load_existing()
        for group in self.groups.values():
            self._validate_group(group)
        self._check_codes_across_file()

    @staticmethod
    def row_number(index: int) -> int:
        return index + 2  # the header is row 1, as a spreadsheet shows it

    def _group_rows(self) -> None:
        for index, data in enumerate(self.rows):
            row = self.row_number(index)
            spu = data.get("spu_code", "").strip()
            if not spu:
                self.error(row, "spu_code", "required", "商品编码不能为空 / The product code is required")
                continue
            group = self.groups.setdefault(spu, _Group(spu_code=spu))
            group.rows.append(index)
            for column in PRODUCT_COLUMNS:
                value = data.get(column, "")
                if not value:
                    continue
                if column not in group.product_fields:
                    group.product_fields[column] = value
                    group.first_row_of[column] = row
                elif group.product_fields[column] != value:
                    self.error(
                        row,
                        column,
                        "inconsistent_product_field",
                        f"同一商品编码的行填写了不同的{column} / Rows of one product disagree on {column} "
                        f"(row {group.first_row_of[column]})",
                        value,
                    )

    def _load_existing(self) -> None:
        codes = list(self.groups)
        existing = Product.objects.filter(shop_id=self.shop_id, spu_code__in=codes).select_related("category")
        for product in existing:
            self.groups[product.spu_code].existing = product
        sku_codes = [r.get("sku_code", "").strip() for r in self.rows if r.get("sku_code", "").strip()]
        self.existing_skus: dict[str, Sku] = {
            s.code: s
            for s in Sku.objects.filter(shop_id=self.shop_id, code__in=sku_codes).prefetch_related("options")
        }
        product_ids = [g.existing.id for g in self.groups.values() if g.existing]
        self.existing_axes: dict[int, list[int]] = {}
        for pid, aid in (
            ProductVariantAxis.objects.filter(product_id__in=product_ids)
            .order_by("position")
            .values_list("product_id", "attribute_id")
        ):
            self.existing_axes.setdefault(pid, []).append(aid)
        self.existing_keys: dict[int, dict[str, str]] = {}
        for pid, code, key in Sku.objects.filter(product_id__in=product_ids).values_list(
            "product_id", "code", "combination_key"
        ):
            self.existing_keys.setdefault(pid, {})[key] = code

    def _validate_group(self, group: _Group) -> None:
        first = self.row_number(group.rows[0])
        fields = group.product_fields
        if not group.existing and not fields.get("title"):
            self.error(first, "title", "title_required", "新商品须填写标题 / A new product needs a title")
        if fields.get("title") and len(clean_label(fields["title"])) > 120:
            self.error(
                group.first_row_of["title"], "title", "title_too_long", "标题最多 120 字 / Title too long"
            )
        category = group.existing.category if group.existing else None
        if fields.get("category"):
            category = self.categories.find(fields["category"])
            if category is None:
                self.error(
                    group.first_row_of["category"],
                    "category",
                    "category_not_found",
                    "找不到类目（填标识或完整路径）/ Unknown category (use a slug or a path)",
                    fields["category"],
                )
            elif not category.is_active or not category.is_leaf():
                self.error(
                    group.first_row_of["category"],
                    "category",
                    "category_not_leaf",
                    "只能导入到启用的末级类目 / Products go into an active leaf category",
                    fields["category"],
                )
                category = None
        elif not group.existing:
            self.error(first, "category", "required", "新商品须填写类目 / A new product needs a category")
        group.category = category
        if fields.get("brand"):
            try:
                group.brand_id = self.resolver.brand(fields["brand"]).id
            except DomainError as exc:
                self.error(group.first_row_of["brand"], "brand", exc, value=fields["brand"])
        if category is None:
            group.bad = True
            self._validate_sku_scalars(group)
            return
        group.infos = self.categories.infos(category)
        self._validate_axes(group)
        if fields.get("attributes"):
            row = group.first_row_of["attributes"]
            try:
                pairs = parse_pairs(fields["attributes"], multi=True)
                group.attribute_rows = clean_attribute_values(
                    category,
                    pairs,
                    resolver=self.resolver,
                    infos=group.infos,
                    axis_ids={a.id for a in group.axes},
                )
            except ValueError as exc:
                self.error(
                    row,
                    "attributes",
                    "invalid_format",
                    "格式应为 属性:值; 属性:值 / Use name:value; name:value",
                    str(exc),
                )
            except DomainError as exc:
                self.error(row, "attributes", exc, value=fields["attributes"])
        self._validate_skus(group)

    def _validate_axes(self, group: _Group) -> None:
        """Axes come from the option names of the group's rows and must be the same on every row."""
        names: list[str] | None = None
        for index in group.rows:
            row = self.row_number(index)
            try:
                keys = list(parse_pairs(self.rows[index].get("options", ""), multi=False))
            except ValueError as exc:
                self.error(
                    row,
                    "options",
                    "invalid_format",
                    "格式应为 颜色:红色; 尺码:M / Use 颜色:红色; 尺码:M",
                    str(exc),
                )
                continue
            if names is None:
                names = keys
            elif [normalize_label(k) for k in keys] != [normalize_label(k) for k in names]:
                self.error(
                    row,
                    "options",
                    "inconsistent_options",
                    "同一商品各行的规格名须一致 / Every row of a product must name the same options",
                    self.rows[index].get("options"),
                )
        try:
            group.axes = clean_axes(group.category, names or [], group.infos)
        except DomainError as exc:
            self.error(self.row_number(group.rows[0]), "options", exc, value=names)
            group.bad = True
            return
        existing_id = group.existing.id if group.existing else None
        if (
            existing_id is not None
            and self.existing_keys.get(existing_id)
            and [a.id for a in group.axes] != self.existing_axes.get(existing_id, [])
        ):
            self.error(
                self.row_number(group.rows[0]),
                "options",
                "axes_locked",
                "已有 SKU 的商品不能修改规格维度 / Variant axes cannot change once the product has SKUs",
                names,
            )

    def _validate_sku_scalars(self, group: _Group) -> None:
        for index in group.rows:
            data = self.rows[index]
            try:
                clean_sku({**self._sku_input(data), "options": {}}, axes=[], resolver=self.resolver)
            except DomainError as exc:
                self.error(self.row_number(index), _column_of(exc), exc, value=data.get(_column_of(exc)))

    @staticmethod
    def _sku_input(data: dict[str, str]) -> dict[str, Any]:
        sku: dict[str, Any] = {"code": data.get("sku_code", ""), "price": data.get("price", "")}
        for key in ("market_price", "cost", "barcode", "weight_grams"):
            if data.get(key, "") != "":
                sku[key] = data[key]
        if data.get("is_active", "") != "":
            sku["is_active"] = normalize_label(data["is_active"]) not in _FALSE
        return sku

    def _validate_skus(self, group: _Group) -> None:
        keys_in_file: dict[str, int] = {}
        existing_keys = self.existing_keys.get(group.existing.id, {}) if group.existing else {}
        for position, index in enumerate(group.rows):
            row = self.row_number(index)
            data = self.rows[index]
            if not data.get("sku_code", "").strip():
                self.error(row, "sku_code", "required", "SKU 编码不能为空 / The SKU code is required")
                continue
            try:
                options = parse_pairs(data.get("options", ""), multi=False)
                clean = clean_sku(
                    {**self._sku_input(data), "options": options},
                    axes=group.axes,
                    resolver=self.resolver,
                    position=position,
                )
            except ValueError:
                continue  # reported by _validate_axes
            except DomainError as exc:
                self.error(row, _column_of(exc), exc, value=data.get(_column_of(exc)))
                continue
            key = combination_key(list(clean.option_values.values()))
            if key in keys_in_file:
                self.error(
                    row,
                    "options",
                    "duplicate_combination",
                    f"与第 {keys_in_file[key]} 行规格相同 / Same options as row {keys_in_file[key]}",
                    data.get("options"),
                )
                continue
            keys_in_file[key] = row
            existing_sku = self.existing_skus.get(clean.code)
            if existing_sku is not None:
                if not group.existing or existing_sku.product_id != group.existing.id:
                    self.error(
                        row,
                        "sku_code",
                        "sku_code_in_other_product",
                        "SKU 编码已被本店其他商品使用 / The SKU code belongs to another product of the shop",
                        clean.code,
                    )
                    continue
                if existing_sku.combination_key != key:
                    self.error(
                        row,
                        "options",
                        "options_locked",
                        "已有 SKU 的规格不能通过导入修改 / An existing SKU's options cannot change by import",
                        data.get("options"),
                    )
                    continue
            elif key in existing_keys:
                self.error(
                    row,
                    "options",
                    "duplicate_combination",
                    f"该规格已有 SKU {existing_keys[key]} / SKU {existing_keys[key]} has these options",
                    data.get("options"),
                )
                continue
            group.skus.append((index, clean))
        if len(group.skus) + len(existing_keys) > MAX_SKUS_PER_PRODUCT:
            self.error(
                self.row_number(group.rows[0]),
                "sku_code",
                "too_many_skus",
                f"每个商品最多 {MAX_SKUS_PER_PRODUCT} 个 SKU / Too many SKUs for one product",
            )

    def _check_codes_across_file(self) -> None:
        seen: dict[str, int] = {}
        for index, data in enumerate(self.rows):
            code = data.get("sku_code", "").strip()
            if not code:
                continue
            row = self.row_number(index)
            if code in seen:
                self.error(
                    row,
                    "sku_code",
                    "duplicate_sku_code",
                    f"SKU 编码与第 {seen[code]} 行重复 / Same SKU code as row {seen[code]}",
                    code,
                )
            else:
                seen[code] = row

    def valid_groups(self) -> list[_Group]:
        return [
            g
            for g in self.groups.values()
            if not g.bad
            and g.category is not None
            and not any(self.row_number(i) in self.bad_rows for i in g.rows)
        ]


def _column_of(exc: DomainError) -> str:
    if isinstance(exc, InvalidPrice):
        return str(exc.details.get("field", "price"))
    return {
        "invalid_sku_code": "sku_code",
        "invalid_barcode": "barcode",
        "invalid_weight": "weight_grams",
        "unknown_attribute_value": "options",
        "invalid_variants": "options",
    }.get(exc.code, "options")


# --- applying -------------------------------------------------------------------------------------


@dataclass
class _Counts:
    products_created: int = 0
    products_updated: int = 0
    skus_created: int = 0
    skus_updated: int = 0


def _apply(
    shop_id: int, actor: Any, groups: list[_Group], existing_skus: dict[str, Sku]
) -> tuple[_Counts, list[int]]:
    counts = _Counts()
    creator = actor if getattr(actor, "is_authenticated", False) else None
    new_groups = [g for g in groups if g.existing is None]
    new_products = Product.objects.bulk_create(
        [
            Product(
                shop_id=shop_id,
                spu_code=g.spu_code,
                category=g.category,
                brand_id=g.brand_id,
                title=clean_label(g.product_fields["title"]),
                subtitle=clean_label(g.product_fields.get("subtitle", ""))[:200],
                description=sanitize_html(g.product_fields.get("description", "")),
                created_by=creator,
            )
            for g in new_groups
        ],
        batch_size=1000,
    )
    for group, product in zip(new_groups, new_products, strict=True):
        group.existing = product
    counts.products_created = len(new_products)
    ProductVariantAxis.objects.bulk_create(
        [
            ProductVariantAxis(product=g.existing, attribute=a, position=i)
            for g in new_groups
            for i, a in enumerate(g.axes)
        ],
        batch_size=5000,
    )
    new_keys = {g.spu_code for g in new_groups}
    updated = [g for g in groups if g.spu_code not in new_keys]
    for group in updated:
        product = group.existing
        fields = group.product_fields
        if fields.get("title"):
            product.title = clean_label(fields["title"])
        if "subtitle" in fields:
            product.subtitle = clean_label(fields["subtitle"])[:200]
        if "description" in fields:
            product.description = sanitize_html(fields["description"])
        if group.category is not None:
            product.category = group.category
        if group.brand_id:
            product.brand_id = group.brand_id
        if not ProductVariantAxis.objects.filter(product=product).exists() and group.axes:
            ProductVariantAxis.objects.bulk_create(
                [
                    ProductVariantAxis(product=product, attribute=a, position=i)
                    for i, a in enumerate(group.axes)
                ]
            )
    Product.objects.bulk_update(
        [g.existing for g in updated],
        ["title", "subtitle", "description", "category", "brand"],
        batch_size=500,
    )
    counts.products_updated = len(updated)
    with_attributes = [g for g in groups if g.attribute_rows is not None]
    ProductAttributeValue.objects.filter(product_id__in=[g.existing.id for g in with_attributes]).delete()
    attribute_rows = []
    for group in with_attributes:
        for row in group.attribute_rows or []:
            row.product = group.existing
            attribute_rows.append(row)
    ProductAttributeValue.objects.bulk_create(attribute_rows, batch_size=5000)
    new_skus: list[tuple[Sku, CleanSku]] = []
    changed_skus: list[Sku] = []
    for group in groups:
        product = group.existing
        for _index, clean in group.skus:
            current = existing_skus.get(clean.code)
            if current is not None:
                current.price, current.market_price, current.cost = (
                    clean.price,
                    clean.market_price,
                    clean.cost,
                )
                current.barcode, current.weight_grams, current.is_active = (
                    clean.barcode,
                    clean.weight_grams,
                    clean.is_active,
                )
                changed_skus.append(current)
            else:
                new_skus.append(
                    (
                        Sku(
                            shop_id=shop_id,
                            product=product,
                            code=clean.code,
                            barcode=clean.barcode,
                            price=clean.price,
                            market_price=clean.market_price,
                            cost=clean.cost,
                            weight_grams=clean.weight_grams,
                            is_active=clean.is_active,
                            position=clean.position,
                            combination_key=combination_key(list(clean.option_values.values())),
                        ),
                        clean,
                    )
                )
    created = Sku.objects.bulk_create([s for s, _ in new_skus], batch_size=2000)
    SkuOptionValue.objects.bulk_create(
        [
            SkuOptionValue(sku=sku, attribute_id=attribute_id, value_id=value_id)
            for sku, (_, clean) in zip(created, new_skus, strict=True)
            for attribute_id, value_id in clean.option_values.items()
        ],
        batch_size=5000,
    )
    Sku.objects.bulk_update(
        changed_skus,
        ["price", "market_price", "cost", "barcode", "weight_grams", "is_active"],
        batch_size=1000,
    )
    counts.skus_created, counts.skus_updated = len(created), len(changed_skus)
    product_ids = [g.existing.id for g in groups]
    indexing.refresh_products(product_ids)
    return counts, product_ids


def import_products(
    *,
    shop_id: int,
    actor: Any,
    content: bytes,
    file_name: str,
    mode: str = ImportMode.ALL_OR_NOTHING,
) -> ImportJob:
    """Validate every row, then apply per `mode`. Always returns the stored ImportJob with its report
    (status rejected when nothing was applied because of bad rows); a file that cannot be read at
    all raises ImportFileInvalid."""
    if mode not in ImportMode.values:
        raise ImportFileInvalid(code="invalid_mode", mode=mode, allowed=ImportMode.values)
    started = time.monotonic()
    file_format, rows = read_rows(content, file_name)
    validator = _Validator(shop_id, rows)
    validator.run()
    valid_groups = validator.valid_groups()
    valid_rows = sum(len(g.rows) for g in valid_groups)
    has_errors = bool(validator.errors)
    job = ImportJob(
        shop_id=shop_id,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        file_name=file_name[:200],
        file_format=file_format,
        mode=mode,
        total_rows=len(rows),
        valid_rows=valid_rows,
        errors=[
            e.as_dict()
            for e in sorted(validator.errors, key=lambda e: (e.row, e.column))[:MAX_REPORTED_ERRORS]
        ],
    )
    apply_now = valid_groups and (not has_errors or mode == ImportMode.APPLY_VALID)
    with transaction.atomic():
        if apply_now:
            counts, _ids = _apply(shop_id, actor, valid_groups, validator.existing_skus)
            job.products_created, job.products_updated = counts.products_created, counts.products_updated
            job.skus_created, job.skus_updated = counts.skus_created, counts.skus_updated
            job.status = ImportStatus.PARTIAL if has_errors else ImportStatus.APPLIED
        else:
            job.status = ImportStatus.REJECTED if has_errors else ImportStatus.APPLIED
        job.duration_ms = int((time.monotonic() - started) * 1000)
        job.save()
        audit.record(
            actor=actor,
            action="catalog.import",
            obj=job,
            shop_id=shop_id,
            after={
                "status": job.status,
                "rows": job.total_rows,
                "errors": len(validator.errors),
                "products_created": job.products_created,
                "skus_created": job.skus_created,
                "skus_updated": job.skus_updated,
            },
        )
    return job


# --- export ---------------------------------------------------------------------------------------


def _attributes_text(product: Product) -> str:
    grouped: dict[str, list[str]] = {}
    for pav in product.attribute_values.all():
        label = pav.attribute.name
        if pav.value_id:
            grouped.setdefault(label, []).append(pav.value.value)
        elif pav.number is not None:
            grouped.setdefault(label, []).append(f"{pav.number.normalize():f}")
        elif pav.text:
            grouped.setdefault(label, []).append(pav.text)
    return "; ".join(f"{k}:{','.join(v)}" for k, v in grouped.items())


def _category_paths() -> dict[int, str]:
    categories = list(Category.objects.order_by("path"))
    by_path = {c.path: c for c in categories}
    return {
        c.id: "/".join(
            by_path[c.path[:end]].name for end in range(Category.steplen, len(c.path) + 1, Category.steplen)
        )
        for c in categories
    }


def export_rows(shop_id: int) -> Iterable[list[str]]:
    """Header then one row per SKU, in the import's layout (an export re-imports unchanged)."""
    yield [zh for _key, zh, _ in COLUMNS]
    paths = _category_paths()
    products = (
        Product.objects.filter(shop_id=shop_id)
        .select_related("brand")
        .prefetch_related(
            "attribute_values__attribute",
            "attribute_values__value",
            "skus__options__attribute",
            "skus__options__value",
        )
        .order_by("id")
    )
    for product in products.iterator(chunk_size=500):
        spu = product.spu_code or f"P{product.id}"
        attributes = _attributes_text(product)
        for sku in product.skus.all():
            options = "; ".join(f"{o.attribute.name}:{o.value.value}" for o in sku.options.all())
            yield [
                spu, product.title, product.subtitle, paths.get(product.category_id, ""),
                product.brand.name if product.brand_id else "", attributes, product.description,
                sku.code, options, str(sku.price), _text(sku.market_price), _text(sku.cost),
                str(sku.weight_grams), sku.barcode, "1" if sku.is_active else "0",
            ]  # fmt: skip


def _text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def export_csv(shop_id: int) -> Iterator[str]:
    """CSV lines with a UTF-8 BOM so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for row in export_rows(shop_id):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def export_xlsx(shop_id: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("商品")
    for row in export_rows(shop_id):
        sheet.append(row)
    notes = workbook.create_sheet("说明")
    for line in IMPORT_NOTES:
        notes.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


IMPORT_NOTES = [
    "每行一个 SKU，商品编码相同的行属于同一商品。 / One row per SKU; one 商品编码 per product.",
    "类目：填类目标识或完整路径，如 服装/女装/连衣裙。 / Category: a slug or the full path.",
    "规格：颜色:红色; 尺码:M（属性库中的值或别名）。 / Options: name:value pairs, managed values.",
    "商品属性：材质:棉; 功能:5G,NFC。 / Attributes: name:value; multiple values separated by commas.",
    "价格为元，保留两位小数，不能为负。 / Prices in yuan, 2 decimals, not negative.",
]
