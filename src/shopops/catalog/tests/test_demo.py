"""The demo catalogue loader: real data, idempotent, skips cleanly when the data set is missing."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from shopops.catalog.demo import load_demo_catalog, superstore_date
from shopops.catalog.models import Category, Product, ProductStatus
from shopops.catalog.search import SearchParams, search

pytestmark = pytest.mark.django_db

HEADER = (
    "\ufeffRow ID,Order ID,Order Date,Ship Date,Ship Mode,Customer ID,Customer Name,Segment,Country,"
    "City,State,Postal Code,Region,Product ID,Category,Sub-Category,Product Name,"
    "Sales,Quantity,Discount,Profit"
)
CUSTOMER = "Second Class,CG-12520,Claire Gute,Consumer,United States,Henderson,Kentucky,42420,South"
ROWS = [
    f"1,CA-2016-152156,11-08-16,11-11-16,{CUSTOMER},FUR-BO-10001798,Furniture,Bookcases,"
    "Bush Somerset Collection Bookcase,261.96,2,0,41.9",
    f"2,CA-2016-152157,11/22/2016,11/26/2016,{CUSTOMER},FUR-CH-10000454,Furniture,Chairs,"
    '"Hon Deluxe Fabric Upholstered Stacking Chairs, Rounded Back",731.94,3,0,219.582',
    f"3,CA-2017-100001,1-02-17,1-05-17,{CUSTOMER},FUR-BO-10001798,Furniture,Bookcases,"
    "Bush Somerset Collection Bookcase,104.784,1,0.2,1.0",
]
SAMPLE = "\r\n".join([HEADER, *ROWS]) + "\r\n"


def test_superstore_dates_follow_the_month_first_rule():
    assert superstore_date("11-08-16") == date(2016, 11, 8)
    assert superstore_date("11/22/2016") == date(2016, 11, 22)
    assert superstore_date("1-02-17") == date(2017, 1, 2)


def test_the_superstore_file_becomes_a_published_catalogue(tmp_path, monkeypatch, shop):
    folder = tmp_path / "superstore"
    folder.mkdir()
    (folder / "Sample - Superstore.csv").write_text(SAMPLE, encoding="utf-8")
    monkeypatch.setenv("SHOPOPS_DATASETS", str(tmp_path))
    result = load_demo_catalog(superstore_shop=shop.id, chinese_shop=None, quiet=True, log=lambda _: None)
    assert result["superstore"]["products"] == 2
    bookcase = Product.objects.get(spu_code="FUR-BO-10001798")
    # list unit price = 261.96 / 2 = 130.98 and 104.784 / 1 / 0.8 = 130.98 -> x 7.20 CNY
    assert str(bookcase.min_price) == "943.06"
    assert bookcase.status == ProductStatus.ON_SALE and bookcase.sales_count == 3
    assert bookcase.published_at.date() == date(2016, 11, 8)
    assert Category.objects.get_parent(bookcase.category).name_en == "Furniture"
    assert Category.objects.filter(slug__startswith="ss-", depth=1).count() == 3
    assert Category.objects.filter(slug__startswith="ss-", depth=2).count() == 17
    # Idempotent: a second run changes nothing and raises nothing.
    again = load_demo_catalog(superstore_shop=shop.id, chinese_shop=None, quiet=True, log=lambda _: None)
    assert again["superstore"]["created"] == 0 and Product.objects.count() == 2


def test_a_missing_data_set_is_skipped_with_a_message(tmp_path, monkeypatch, shop):
    monkeypatch.setenv("SHOPOPS_DATASETS", str(tmp_path / "nowhere"))
    lines: list[str] = []
    result = load_demo_catalog(superstore_shop=shop.id, chinese_shop=None, quiet=True, log=lines.append)
    assert "superstore" not in result and "skipped" in lines[0]


def test_the_chinese_shop_makes_chinese_search_and_facets_meaningful(other_shop):
    call_command("load_demo_catalog", chinese_shop=other_shop.pk, quiet=True)
    call_command("load_demo_catalog", chinese_shop=other_shop.pk, quiet=True)  # idempotent
    assert Product.objects.filter(shop=other_shop, status=ProductStatus.ON_SALE).count() >= 40
    dresses = search(SearchParams(q="红色 连衣裙"))
    assert dresses["count"] >= 2 and all("连衣裙" in i["title"] for i in dresses["items"])
    phones = search(SearchParams(q="华为 手机"))
    colours = {
        v["value"] for a in phones["facets"]["attributes"] if a["code"] == "color" for v in a["values"]
    }
    assert {"黑色", "白色"} <= colours
    leaves = {
        c.name
        for c in Category.objects.filter(numchild=0, slug__in=["shuji", "shouji", "jiudian", "mengniu"])
    }
    assert leaves == {"书籍", "手机", "酒店", "蒙牛乳品"}
