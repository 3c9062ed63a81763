"""Cached public reads are never stale after an edit (Redis, real transactions)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shopops.catalog import services
from shopops.catalog.tests.factories import make_product
from shopops.shops.tests.factories import api_as

pytestmark = pytest.mark.django_db(transaction=True)


def _detail(client, product_id):
    response = api_as(client).get(f"/catalog/products/{product_id}")
    assert response.status_code == 200
    return response.json()


def test_product_detail_is_served_from_the_cache(client, tax, shop):
    product = make_product(shop, tax, on_sale=True)
    _detail(client, product.id)
    with CaptureQueriesContext(connection) as queries:
        body = _detail(client, product.id)
    assert body["title"] == product.title
    # Only the live stock lookup (if any) touches the database; the product itself comes from Redis.
    assert not [q for q in queries.captured_queries if "catalog_product" in q["sql"]]


def test_a_price_edit_is_visible_on_the_very_next_read(client, tax, shop):
    product = make_product(shop, tax, on_sale=True)
    sku = product.skus.order_by("id").first()
    assert _detail(client, product.id)["skus"][0]["price"] == "199.00"
    services.update_sku(shop_id=shop.id, sku_id=sku.id, actor=None, price="149.00")
    detail = _detail(client, product.id)
    assert {s["id"]: s["price"] for s in detail["skus"]}[sku.id] == "149.00"
    assert detail["min_price"] == "149.00"


def test_listing_and_search_follow_price_changes_and_unpublishing(client, tax, shop):
    product = make_product(shop, tax, on_sale=True, title="红色雪纺连衣裙")
    api = api_as(client)

    def listed():
        return {i["id"]: i["min_price"] for i in api.get("/catalog/search", q="连衣裙").json()["items"]}

    assert listed() == {product.id: "199.00"}
    sku = product.skus.order_by("id").first()
    services.update_sku(shop_id=shop.id, sku_id=sku.id, actor=None, price="99.00")
    assert listed() == {product.id: "99.00"}
    services.unpublish(shop_id=shop.id, product_id=product.id, actor=None)
    assert listed() == {}
    assert api_as(client).get(f"/catalog/products/{product.id}").status_code == 404


def test_an_evicted_version_key_never_brings_back_old_data(client, tax, shop):
    product = make_product(shop, tax, on_sale=True)
    _detail(client, product.id)
    cache.delete(f"catalog:pv:{product.id}")  # as if Redis evicted it
    sku = product.skus.order_by("id").first()
    services.update_sku(shop_id=shop.id, sku_id=sku.id, actor=None, price="188.00")
    assert {s["id"]: s["price"] for s in _detail(client, product.id)["skus"]}[sku.id] == "188.00"


def test_a_category_rename_refreshes_the_cached_tree(client, tax):
    api = api_as(client)
    assert "服装" in [n["name"] for n in api.get("/catalog/categories").json()]
    services.update_category(actor=None, category_id=tax.apparel.id, name="服饰")
    names = [n["name"] for n in api.get("/catalog/categories").json()]
    assert "服饰" in names and "服装" not in names


def test_the_versioned_cache_also_works_without_redis(settings):
    from shopops.catalog import cache as catalog_cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert catalog_cache.listing("t", {"a": 1}, lambda: "first") == "first"
    assert catalog_cache.listing("t", {"a": 1}, lambda: "second") == "first"
    catalog_cache._bump([])
    assert catalog_cache.listing("t", {"a": 1}, lambda: "third") == "third"
    assert catalog_cache.product_detail(7, lambda: {"p": 1}) == {"p": 1}
    catalog_cache._bump([7])
    assert catalog_cache.product_detail(7, lambda: {"p": 2}) == {"p": 2}


def test_a_foreign_token_value_is_replaced_not_trusted(db):
    from shopops.catalog import cache as catalog_cache

    cache.set("catalog:gen", "legacy-string-token", timeout=None)
    assert catalog_cache.listing("t", {"b": 1}, lambda: "fresh") == "fresh"
    assert isinstance(cache.get("catalog:gen"), int)
