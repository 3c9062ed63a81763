"""Storefront pages: category navigation, search with facets, product page with the SKU selector."""

from __future__ import annotations

import json
import re

import pytest

from shopops.catalog import services
from shopops.catalog.tests.factories import dress_skus, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def dresses(tax, shop):
    red = make_product(
        shop, tax, title="红色真丝连衣裙", on_sale=True, brand="森之语",
        skus=dress_skus("PG", colors=("红色", "黑色"), sizes=("M", "L"), price="399.00"),
    )  # fmt: skip
    black_skus = dress_skus("BK", colors=("黑色",))
    black = make_product(shop, tax, title="黑色针织连衣裙", on_sale=True, skus=black_skus)
    return red, black


def test_search_page_shows_results_facets_and_sorting(client, dresses):
    page = client.get("/search/", {"q": "红色 连衣裙"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "红色真丝连衣裙" in html and "黑色针织连衣裙" not in html
    assert 'data-testid="result-count">1<' in html
    assert "品牌" in html and "森之语" in html and "颜色" in html
    assert "价格从低到高" in html


def test_facet_links_filter_the_results(client, dresses, tax):
    black_value = tax.value(tax.color, "黑色")
    red_value = tax.value(tax.color, "红色")
    page = client.get("/search/", {"q": "连衣裙", "value": red_value.id}).content.decode()
    assert "红色真丝连衣裙" in page and "黑色针织连衣裙" not in page
    # The colour facet is disjunctive: 黑色 still offered with its own count, linking to both values.
    match = re.search(rf'href="(\?[^"]*)"[^>]*data-facet="value" data-id="{black_value.id}"', page)
    assert match is not None
    assert f"value={red_value.id}" in match.group(1).replace("&amp;", "&")


def test_category_page_lists_the_subtree_with_breadcrumbs(client, dresses, tax):
    page = client.get("/c/womens/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "红色真丝连衣裙" in html and "黑色针织连衣裙" in html
    assert 'href="/c/apparel/"' in html  # breadcrumb
    assert client.get("/c/no-such-category/").status_code == 404


def test_every_page_carries_the_category_navigation(client, dresses):
    html = client.get("/").content.decode()
    assert 'href="/c/apparel/"' in html and 'href="/c/digital/"' in html
    assert client.get("/categories/").status_code == 200


def test_home_page_shows_product_sections(client, dresses):
    html = client.get("/").content.decode()
    assert "热销榜单" in html and "红色真丝连衣裙" in html


def test_product_page_embeds_every_sku_with_price_and_availability(client, dresses):
    red, _ = dresses
    page = client.get(f"/p/{red.id}/")
    assert page.status_code == 200
    html = page.content.decode()
    embedded = re.search(r'<script id="sku-data" type="application/json">(.*?)</script>', html)
    data = json.loads(embedded.group(1))
    assert [a["code"] for a in data["axes"]] == ["color", "size"]
    assert len(data["skus"]) == 4 and {s["price"] for s in data["skus"]} == {"399.00"}
    assert all("available" in s for s in data["skus"])
    assert '"@type": "Product"' in html
    assert "¥399.00" in html


def test_product_page_links_to_its_reviews(client, dresses):
    red, _ = dresses
    html = client.get(f"/p/{red.id}/").content.decode()
    assert 'id="product-reviews-title"' in html
    assert f'href="/p/{red.id}/reviews/"' in html


def test_drafts_and_unknown_products_are_404(client, tax, shop):
    draft = make_product(shop, tax)
    assert client.get(f"/p/{draft.id}/").status_code == 404
    assert client.get("/p/999999/").status_code == 404


def test_a_title_with_markup_is_escaped_everywhere(client, tax, shop):
    product = make_product(shop, tax, title="<script>alert(1)</script>连衣裙", on_sale=True)
    for url in (f"/p/{product.id}/", "/search/?q=连衣裙"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html


def test_garbage_query_parameters_never_break_the_page(client, dresses):
    garbage = {"q": "连衣裙", "price_min": "abc", "brand": "x", "page": "-3", "sort": "evil"}
    response = client.get("/search/", garbage)
    assert response.status_code == 200


def test_a_price_change_shows_on_the_product_page(client, dresses, shop, django_capture_on_commit_callbacks):
    red, _ = dresses
    client.get(f"/p/{red.id}/")
    with django_capture_on_commit_callbacks(execute=True):
        for sku in red.skus.all():
            services.update_sku(shop_id=shop.id, sku_id=sku.id, actor=None, price="349.00")
    assert "¥349.00" in client.get(f"/p/{red.id}/").content.decode()
