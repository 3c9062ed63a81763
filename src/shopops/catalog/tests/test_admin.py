"""The admin pages open for the right people and route changes through the services."""

from __future__ import annotations

import pytest

from shopops.catalog.models import Category
from shopops.catalog.tests.factories import make_product

pytestmark = pytest.mark.django_db

BACKEND = "shopops.accounts.backends.IdentifierBackend"


def test_platform_admin_opens_the_taxonomy_pages(client, tax, platform_admin):
    client.force_login(platform_admin, backend=BACKEND)
    for url in [
        "/admin/catalog/category/",
        f"/admin/catalog/category/{tax.dresses.id}/change/",
        "/admin/catalog/category/add/",
        "/admin/catalog/attribute/",
        f"/admin/catalog/attribute/{tax.color.id}/change/",
        "/admin/catalog/attributevalue/",
        "/admin/catalog/brand/",
        "/admin/catalog/product/",
    ]:
        assert client.get(url).status_code == 200, url


def test_the_category_form_refuses_a_fourth_level(client, tax, platform_admin):
    client.force_login(platform_admin, backend=BACKEND)
    response = client.post(
        "/admin/catalog/category/add/",
        {
            "name": "第四级",
            "parent": tax.dresses.id,
            "position": 0,
            "is_active": "on",
            "attribute_links-TOTAL_FORMS": 0,
            "attribute_links-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "三级" in response.content.decode()
    assert not Category.objects.filter(name="第四级").exists()


def test_the_category_form_creates_through_the_service(client, tax, platform_admin):
    client.force_login(platform_admin, backend=BACKEND)
    response = client.post(
        "/admin/catalog/category/add/",
        {
            "name": "半身裙",
            "parent": tax.womens.id,
            "position": 5,
            "is_active": "on",
            "attribute_links-TOTAL_FORMS": 0,
            "attribute_links-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    skirts = Category.objects.get(name="半身裙")
    assert skirts.depth == 3 and skirts.slug == "ban-shen-qun"


def test_merchant_sees_only_their_shops_products(client, tax, shop, other_shop, merchant):
    mine = make_product(shop, tax, title="我的连衣裙")
    make_product(other_shop, tax, title="别人的连衣裙")
    client.force_login(merchant, backend=BACKEND)
    page = client.get("/admin/catalog/product/").content.decode()
    assert "我的连衣裙" in page and "别人的连衣裙" not in page
    assert client.get(f"/admin/catalog/product/{mine.id}/change/").status_code == 200
    assert client.get("/admin/catalog/category/").status_code == 403
