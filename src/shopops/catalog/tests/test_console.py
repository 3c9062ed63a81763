"""Console pages: product creation with a SKU matrix, listing actions, import with the error report."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shopops.catalog.models import ImportJob, Product
from shopops.catalog.tests.factories import image_upload, make_product
from shopops.catalog.tests.test_import_export import BAD_ROWS, GOOD_ROWS, csv_bytes

pytestmark = pytest.mark.django_db

BACKEND = "shopops.accounts.backends.IdentifierBackend"


def test_a_merchant_creates_a_two_sku_product_and_puts_it_on_sale(client, tax, shop, merchant):
    client.force_login(merchant, backend=BACKEND)
    form = client.get(f"/console/catalog/{shop.id}/products/new/", {"category": tax.dresses.id})
    assert form.status_code == 200 and "销售规格" in form.content.decode()
    red, black, m = tax.value(tax.color, "红色"), tax.value(tax.color, "黑色"), tax.value(tax.size, "M")
    response = client.post(
        f"/console/catalog/{shop.id}/products/new/",
        {
            "category": tax.dresses.id,
            "title": "控制台发布的连衣裙",
            "code_prefix": "CON-1",
            "values": [red.id, black.id, m.id],
            "price": "299.00",
            f"price__{red.id}-{m.id}": "319.00",
            "images": [image_upload()],
            "publish": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(title="控制台发布的连衣裙")
    assert product.status == "on_sale"
    prices = {sku.code: str(sku.price) for sku in product.skus.all()}
    assert prices == {"CON-1-01": "319.00", "CON-1-02": "299.00"}


def test_a_refused_product_shows_the_reason_and_creates_nothing(client, tax, shop, merchant):
    client.force_login(merchant, backend=BACKEND)
    response = client.post(
        f"/console/catalog/{shop.id}/products/new/",
        {
            "category": tax.dresses.id,
            "title": "负价格",
            "values": [tax.value(tax.color, "红色").id],
            "price": "-1",
        },
        follow=True,
    )
    assert "价格无效" in response.content.decode()
    assert not Product.objects.exists()


def test_the_product_page_lists_skus_and_publish_reports_missing_image(client, tax, shop, merchant):
    product = make_product(shop, tax)
    client.force_login(merchant, backend=BACKEND)
    page = client.get(f"/console/catalog/{shop.id}/products/{product.id}/").content.decode()
    assert "上架前还需要" in page and product.skus.first().code in page
    response = client.post(f"/console/catalog/{shop.id}/products/{product.id}/publish/", follow=True)
    assert "至少需要一张商品图片" in response.content.decode()
    product.refresh_from_db()
    assert product.status == "draft"


def test_import_page_shows_the_row_report(client, tax, shop, merchant):
    client.force_login(merchant, backend=BACKEND)
    assert client.get(f"/console/catalog/{shop.id}/import/").status_code == 200
    bad = SimpleUploadedFile("bad.csv", csv_bytes(BAD_ROWS), content_type="text/csv")
    report = client.post(
        f"/console/catalog/{shop.id}/import/", {"file": bad, "mode": "all_or_nothing"}, follow=True
    )
    html = report.content.decode()
    assert "没有导入任何数据" in html and "invalid_price" in html
    good = SimpleUploadedFile("good.csv", csv_bytes(GOOD_ROWS), content_type="text/csv")
    client.post(f"/console/catalog/{shop.id}/import/", {"file": good, "mode": "all_or_nothing"})
    assert ImportJob.objects.filter(shop=shop, status="applied").count() == 1
    assert Product.objects.filter(shop=shop).count() == 2


def test_console_pages_follow_shop_permissions(client, tax, shop, other_shop, viewer):
    client.force_login(viewer, backend=BACKEND)
    assert client.get(f"/console/catalog/{shop.id}/").status_code == 200
    assert client.get(f"/console/catalog/{other_shop.id}/").status_code == 404
    product = make_product(shop, tax)
    response = client.post(f"/console/catalog/{shop.id}/products/{product.id}/publish/")
    assert response.status_code == 403
    foreign = make_product(other_shop, tax)
    assert client.get(f"/console/catalog/{shop.id}/products/{foreign.id}/").status_code == 404
