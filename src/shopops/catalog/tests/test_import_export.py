from __future__ import annotations

import csv
import io
import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from shopops.catalog.errors import ImportFileInvalid
from shopops.catalog.models import ImportJob, Product, Sku
from shopops.catalog.services.imports import export_csv, export_xlsx, import_products
from shopops.catalog.tests.factories import make_product
from shopops.shops.tests.factories import api_as

pytestmark = pytest.mark.django_db

HEADER = [
    "商品编码",
    "商品标题",
    "类目",
    "品牌",
    "商品属性",
    "SKU编码",
    "规格",
    "售价",
    "划线价",
    "成本价",
    "重量(克)",
    "条码",
]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


# spu, title, category, brand, attributes, sku, options, price, market, cost, weight, barcode
GOOD_ROWS = [
    ["D100", "真丝印花连衣裙", "服装/女装/连衣裙", "森之语", "材质:真丝",
     "D100-R-M", "颜色:红色; 尺码:M", "399", "599", "150", "300", "6901234567892"],
    ["D100", "", "", "", "", "D100-B-M", "颜色:黑色; 尺码:M", "399.00", "599", "150", "300", ""],
    ["T200", "纯棉白色T恤", "t-shirts", "", "", "T200-W-L", "颜色:白; 尺码:L", "59.9", "", "", "200", ""],
]  # fmt: skip


def test_a_good_file_creates_products_and_skus(tax, shop):
    job = import_products(shop_id=shop.id, actor=None, content=csv_bytes(GOOD_ROWS), file_name="goods.csv")
    assert job.status == "applied", job.errors
    assert (job.products_created, job.skus_created) == (2, 3)
    dress = Product.objects.get(shop=shop, spu_code="D100")
    assert dress.title == "真丝印花连衣裙" and dress.brand.name == "森之语"
    assert dress.min_price == Decimal("399.00")
    assert {s.code for s in dress.skus.all()} == {"D100-R-M", "D100-B-M"}
    tee = Sku.objects.get(code="T200-W-L")
    assert tee.price == Decimal("59.90")
    # The alias 白 resolved to the managed value.
    assert tee.options.get(attribute=tax.color).value.value == "白色"


BAD_ROWS = [
    GOOD_ROWS[0],
    ["D100", "", "", "", "", "D100-B-M", "颜色:黑色; 尺码:M", "-10", "", "", "", ""],  # negative price
    # unknown value
    ["T200", "T恤", "服装/女装/T恤", "", "", "T200-W-L", "颜色:土豪金; 尺码:L", "59", "", "", "", ""],
    ["X300", "没有类目的商品", "家具/沙发", "", "", "X300-1", "", "99", "", "", "", ""],  # unknown category
    ["D100", "", "", "", "", "D100-R-M", "颜色:红色; 尺码:M", "399", "", "", "", ""],  # duplicate SKU code
    ["T201", "不存在的品牌", "t-shirts", "不存在", "", "T201-1", "颜色:白色; 尺码:S", "abc", "", "", "", ""],
]  # fmt: skip


def test_bad_rows_are_reported_one_by_one_and_nothing_is_applied(tax, shop):
    job = import_products(shop_id=shop.id, actor=None, content=csv_bytes(BAD_ROWS), file_name="bad.csv")
    assert job.status == "rejected"
    assert not Product.objects.exists() and not Sku.objects.exists()
    found = {(e["row"], e["column"], e["code"]) for e in job.errors}
    assert (3, "price", "invalid_price") in found
    assert (4, "options", "unknown_attribute_value") in found
    assert (5, "category", "category_not_found") in found
    assert (6, "sku_code", "duplicate_sku_code") in found
    assert (7, "brand", "unknown_brand") in found
    assert (7, "price", "invalid_price") in found
    assert all("/" in e["message"] for e in job.errors)  # bilingual


def test_apply_valid_rows_mode_imports_the_good_products_and_reports_the_rest(tax, shop):
    rows = [*GOOD_ROWS, ["X300", "没有类目的商品", "家具/沙发", "", "", "X300-1", "", "99", "", "", "", ""]]
    job = import_products(
        shop_id=shop.id, actor=None, content=csv_bytes(rows), file_name="mixed.csv", mode="apply_valid"
    )
    assert job.status == "partial"
    assert job.products_created == 2 and job.skus_created == 3
    assert [e["row"] for e in job.errors] == [5]
    assert not Product.objects.filter(spu_code="X300").exists()


def test_a_product_with_one_bad_row_is_skipped_whole_in_apply_valid_mode(tax, shop):
    rows = [
        GOOD_ROWS[0],
        ["D100", "", "", "", "", "D100-B-M", "颜色:黑色; 尺码:M", "-1", "", "", "", ""],
        GOOD_ROWS[2],
    ]
    job = import_products(
        shop_id=shop.id, actor=None, content=csv_bytes(rows), file_name="x.csv", mode="apply_valid"
    )
    assert job.status == "partial"
    assert list(Product.objects.values_list("spu_code", flat=True)) == ["T200"]


def test_a_second_import_updates_prices_of_existing_skus(tax, shop):
    import_products(shop_id=shop.id, actor=None, content=csv_bytes(GOOD_ROWS), file_name="a.csv")
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][7] = "359"
    rows[2][7] = "49.9"
    job = import_products(shop_id=shop.id, actor=None, content=csv_bytes(rows), file_name="b.csv")
    assert (job.products_updated, job.skus_updated, job.skus_created) == (2, 3, 0)
    assert Sku.objects.get(code="D100-R-M").price == Decimal("359.00")
    assert Product.objects.get(spu_code="D100").min_price == Decimal("359.00")


def test_gbk_encoded_csv_from_excel_is_read(tax, shop):
    job = import_products(
        shop_id=shop.id, actor=None, content=csv_bytes(GOOD_ROWS, encoding="gb18030"), file_name="excel.csv"
    )
    assert job.status == "applied"
    assert Product.objects.filter(title="真丝印花连衣裙").exists()


def test_a_file_without_the_required_columns_is_refused(tax, shop):
    with pytest.raises(ImportFileInvalid) as caught:
        import_products(
            shop_id=shop.id, actor=None, content=csv_bytes([["x"]], header=["名字"]), file_name="x.csv"
        )
    assert caught.value.code == "import_missing_columns"


def test_a_damaged_xlsx_is_refused(tax, shop):
    with pytest.raises(ImportFileInvalid):
        import_products(shop_id=shop.id, actor=None, content=b"PK\x03\x04garbage", file_name="x.xlsx")


def test_xlsx_import_and_export_round_trip(tax, shop):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in GOOD_ROWS:
        # Spreadsheet cells hold numbers: prices and barcodes arrive as float/int.
        sheet.append([float(c) if c.replace(".", "").isdigit() and "-" not in c else c for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = import_products(shop_id=shop.id, actor=None, content=buffer.getvalue(), file_name="goods.xlsx")
    assert job.status == "applied", job.errors
    assert Sku.objects.get(code="D100-R-M").barcode == "6901234567892"
    exported = load_workbook(io.BytesIO(export_xlsx(shop.id)))
    rows = list(exported["商品"].iter_rows(values_only=True))
    assert rows[0][0] == "商品编码" and len(rows) == 4
    # Re-importing the export changes nothing but counts as updates.
    again = import_products(shop_id=shop.id, actor=None, content=export_xlsx(shop.id), file_name="again.xlsx")
    assert again.status == "applied", again.errors
    assert (again.products_created, again.skus_created, again.skus_updated) == (0, 0, 3)


def test_csv_export_has_a_bom_and_one_row_per_sku(tax, shop):
    make_product(shop, tax, title="导出测试连衣裙")
    text = "".join(export_csv(shop.id))
    assert text.startswith("\ufeff商品编码")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3
    assert rows[1][3] == "服装/女装/连衣裙"
    assert "颜色:红色" in rows[1][8]


def test_ten_thousand_skus_import_in_under_30_seconds(tax, shop):
    combos = [("红色", "S"), ("红色", "M"), ("红色", "L"), ("黑色", "M"), ("黑色", "L")]
    rows = []
    for p in range(2000):
        for i, (color, size) in enumerate(combos):
            first = i == 0
            rows.append(
                [
                    f"BULK{p:05d}",
                    f"批量连衣裙{p}号 夏季新款" if first else "",
                    "服装/女装/连衣裙" if first else "",
                    "",
                    "",
                    f"BULK{p:05d}-{i}",
                    f"颜色:{color}; 尺码:{size}",
                    f"{100 + p % 50}.00",
                    "",
                    "",
                    "250",
                    "",
                ]
            )
    assert len(rows) == 10_000
    started = time.monotonic()
    job = import_products(shop_id=shop.id, actor=None, content=csv_bytes(rows), file_name="bulk.csv")
    elapsed = time.monotonic() - started
    assert job.status == "applied", job.errors[:5]
    assert job.skus_created == 10_000 and job.products_created == 2000
    assert Sku.objects.filter(shop=shop).count() == 10_000
    print(f"\n10,000 SKUs / 2,000 products imported in {elapsed:.1f} s (job {job.duration_ms} ms)")
    assert elapsed < 30


def test_the_api_answers_422_with_the_row_report_when_rejected(client, tax, shop, merchant):
    api_as(client, merchant)
    upload = SimpleUploadedFile("bad.csv", csv_bytes(BAD_ROWS), content_type="text/csv")
    response = client.post(f"/api/v1/catalog/shops/{shop.id}/imports", {"file": upload})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import_rows_invalid"
    assert any(e["row"] == 3 and e["column"] == "price" for e in body["details"]["errors"])
    assert ImportJob.objects.get(id=body["details"]["job_id"]).status == "rejected"


def test_the_api_imports_and_exports(client, tax, shop, merchant):
    api = api_as(client, merchant)
    upload = SimpleUploadedFile("goods.csv", csv_bytes(GOOD_ROWS), content_type="text/csv")
    response = client.post(f"/api/v1/catalog/shops/{shop.id}/imports", {"file": upload})
    assert response.status_code == 201, response.content
    assert response.json()["skus_created"] == 3
    assert api.get(f"/catalog/shops/{shop.id}/imports").json()["count"] == 1
    exported = client.get(f"/api/v1/catalog/shops/{shop.id}/export", {"format": "csv"})
    assert exported.status_code == 200
    assert "D100-R-M" in b"".join(exported.streaming_content).decode("utf-8-sig")
    xlsx = client.get(f"/api/v1/catalog/shops/{shop.id}/export", {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
