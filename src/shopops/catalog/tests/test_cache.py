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


@pytest.fixture(autouse=True)
def _fresh_near_cache(monkeypatch):
    """Each test starts with a new near cache for this process (a test may break its connection)."""
    from shopops.core import nearcache

    monkeypatch.setattr(nearcache, "_instance", None)
    yield
    if nearcache._instance is not None:
        nearcache._instance.close()


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


# --- the near copy: hits without a round trip, coherent across threads and processes -------------


@pytest.fixture
def redis_calls(monkeypatch):
    """Counts the Redis commands sent through redis-py clients (the near cache's subscriber
    connection is not one: its polls and PINGs are not round trips a request waits for)."""
    import redis

    calls = [0]
    original = redis.Redis.execute_command

    def counting(self, *args, **kwargs):
        calls[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    return calls


def _min_price(client, url: str) -> str:
    """The first item's (or the product's) min_price at /api/v1`url`, as an anonymous shopper."""
    response = client.get("/api/v1" + url)
    assert response.status_code == 200
    body = response.json()
    return body["items"][0]["min_price"] if "items" in body else body["min_price"]


def test_a_cached_hit_makes_no_redis_round_trip(tax, shop, redis_calls):
    from urllib.parse import quote

    from django.test import Client

    product = make_product(shop, tax, on_sale=True, title="红色雪纺连衣裙")
    shopper = Client()  # anonymous, no session: as the benchmark's requests
    urls = ["/catalog/search?q=" + quote("连衣裙"), f"/catalog/products?category={tax.dresses.id}"]
    urls.append(f"/catalog/products/{product.id}")
    for url in urls:  # the first read fills Redis and the near copy
        _min_price(shopper, url)
    redis_calls[0] = 0
    assert [_min_price(shopper, url) for url in urls] == ["199.00"] * 3
    assert redis_calls[0] == 0
    # ... and an edit is still seen by the very next read (this process published it).
    sku = product.skus.order_by("id").first()
    services.update_sku(shop_id=shop.id, sku_id=sku.id, actor=None, price="99.00")
    assert [_min_price(shopper, url) for url in urls] == ["99.00"] * 3


def _peer_env() -> dict[str, str]:
    import os
    from urllib.parse import quote

    from django.conf import settings

    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    url = f"postgres://{quote(db['USER'])}{password}@{host}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,  # the test database, where this test's rows are committed
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],  # same keys and channel
        "DJANGO_SETTINGS_MODULE": "shopops.settings_test",
        "SHOPOPS_WARM_JIEBA": "0",
    }


class Peer:
    """Another process (cache_peer.py) with its own near copy, driven line by line."""

    def __init__(self, tmp_path) -> None:
        import subprocess
        import sys

        self.log = tmp_path / "peer.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shopops.catalog.tests.cache_peer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("w"),
            text=True,
            env=_peer_env(),
        )
        assert self._answer() == {"ready": True}

    def _answer(self) -> dict:
        import json

        line = self.process.stdout.readline()
        assert line, f"the peer process died: {self.log.read_text()}"
        return json.loads(line)

    def _send(self, command: dict) -> dict:
        import json

        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def get(self, url: str) -> dict:
        answer = self._send({"get": url})
        assert answer["status"] == 200, answer
        return answer

    def min_price(self, url: str) -> str:
        body = self.get(url)["body"]
        return body["items"][0]["min_price"] if "items" in body else body["min_price"]

    def set_price(self, shop_id: int, sku_id: int, price: str) -> None:
        assert self._send({"price": [shop_id, sku_id, price]}) == {"ok": True}

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=20)


def test_an_edit_in_one_process_is_seen_by_the_next_read_in_the_other(tax, shop, tmp_path, redis_calls):
    from urllib.parse import quote

    from django.test import Client

    product = make_product(shop, tax, on_sale=True, title="红色雪纺连衣裙")
    sku = product.skus.order_by("id").first()
    api = Client()
    search = "/catalog/search?q=" + quote("连衣裙")
    detail = f"/catalog/products/{product.id}"
    peer = Peer(tmp_path)
    try:
        current = "199.00"
        for round_number, new_price in enumerate(["149.00", "139.00", "129.00", "119.00"]):
            # Both processes answer from their near copies (no Redis command) before the edit...
            for _ in range(2):
                assert peer.min_price("/api/v1" + search) == current
                assert peer.min_price("/api/v1" + detail) == current
                assert _min_price(api, search) == current
                assert _min_price(api, detail) == current
            assert peer.get("/api/v1" + search)["redis_calls"] == 0
            redis_calls[0] = 0
            assert _min_price(api, search) == current and redis_calls[0] == 0
            # ...then one of them edits and the other's very next read has the new price.
            if round_number % 2 == 0:
                services.update_sku(shop_id=shop.id, sku_id=sku.id, actor=None, price=new_price)
                assert peer.min_price("/api/v1" + detail) == new_price
                assert peer.min_price("/api/v1" + search) == new_price
            else:
                peer.set_price(shop.id, sku.id, new_price)
                assert _min_price(api, detail) == new_price
                assert _min_price(api, search) == new_price
            current = new_price
    finally:
        peer.close()


def test_threads_never_read_a_price_older_than_the_last_finished_edit(tax, shop):
    import threading
    import time
    from decimal import Decimal

    from django.db import connections

    from shopops.catalog import presenters

    product = make_product(shop, tax, on_sale=True)
    sku = product.skus.order_by("id").first()
    finished: list[tuple[float, Decimal]] = [(0.0, Decimal("199.00"))]
    reads: list[tuple[float, Decimal]] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                started = time.perf_counter()
                reads.append((started, Decimal(presenters.public_product_detail(product.id)["min_price"])))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for cents in range(19800, 19000, -40):  # each edit lowers the price: newer is lower
            price = Decimal(cents) / 100
            services.update_sku(shop_id=shop.id, sku_id=sku.id, actor=None, price=str(price))
            finished.append((time.perf_counter(), price))
            time.sleep(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert len(reads) > 40
    for started, seen in reads:
        newest_finished = min(price for at, price in finished if at <= started)
        assert seen <= newest_finished, (started, seen, newest_finished)


# --- the near copy is only used while Redis vouches for it -----------------------------------------


def _listing(value: str) -> str:
    from shopops.catalog import cache as catalog_cache

    return catalog_cache.listing("near-test", {"n": 1}, lambda: value)


def _foreign_edit() -> None:
    """What another process's edit looks like to us if its message never arrives: the token in
    Redis moves on (real edits always publish; this is the failure we must not be fooled by)."""
    cache.set("catalog:gen", 4242, timeout=None)


def test_a_lost_subscriber_connection_is_never_trusted(db):
    from shopops.core import nearcache

    assert _listing("v1") == "v1"
    assert _listing("unused") == "v1"  # served by the near copy
    _foreign_edit()
    assert _listing("v2") == "v1"  # control: a trusted copy keeps its token until told otherwise
    client = cache.client.get_client(write=True)
    name = f"near-cache:{nearcache.for_process().pid}"
    ids = [c["id"] for c in client.client_list() if c.get("name") == name]
    assert ids
    for client_id in ids:
        client.client_kill_filter(_id=client_id)
    assert _listing("v2") == "v2"  # the dead subscriber is noticed on the next read: Redis decides


def test_a_silent_subscriber_stops_being_trusted_within_a_second(db, monkeypatch):
    import time

    from shopops.core import nearcache

    now = [time.monotonic()]
    monkeypatch.setattr(nearcache, "_clock", lambda: now[0])
    assert _listing("v1") == "v1"
    near = nearcache.for_process()
    real_send = near._conn.send_command
    monkeypatch.setattr(
        near._conn, "send_command", lambda *args, **kw: None if args[0] == "PING" else real_send(*args, **kw)
    )  # PINGs are lost: the connection looks open but nothing comes back
    _foreign_edit()
    now[0] += 0.6
    assert _listing("v2") == "v1"  # within the trust window of the last answer from Redis
    now[0] += 0.5
    assert _listing("v2") == "v2"  # past it, with a PING unanswered: reads go to Redis


def test_reads_use_redis_until_the_subscription_is_confirmed(db, monkeypatch, redis_calls):
    from shopops.core import nearcache

    def refused(self, now):
        self._lost(now, ConnectionError("connection refused"))
        return False

    monkeypatch.setattr(nearcache.NearCache, "_subscribe", refused)
    assert _listing("v1") == "v1"
    redis_calls[0] = 0
    assert _listing("unused") == "v1"
    assert redis_calls[0] >= 1  # a round trip: no near copy without a confirmed subscription
    _foreign_edit()
    assert _listing("v2") == "v2"


def test_a_sale_refreshes_the_product_detail_but_keeps_the_cached_lists(client, tax, shop):
    """Sales counts change with every paid order: the product's detail shows the new count at once,
    while lists keep their cache (sorting by sales catches up within LIST_TTL) instead of every
    cached list being dropped on every sale."""
    from shopops.catalog import cache as catalog_cache

    product = make_product(shop, tax, on_sale=True)
    assert _detail(client, product.id)["sales_count"] == 0
    list_token = catalog_cache._token(catalog_cache._GEN_KEY)
    services.record_sales_many(quantities={product.id: 3})
    assert _detail(client, product.id)["sales_count"] == 3
    assert catalog_cache._token(catalog_cache._GEN_KEY) == list_token
