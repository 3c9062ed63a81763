"""Checkout benchmark: shoppers place and pay orders over HTTP, against the raw SQL doing the same writes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shopops_bench_checkout \\
    REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python bench/checkout.py [--shoppers 16] [--seconds 15] [--runs 3] \\
            [--workers 2] [--threads 4]

What it does, in one run of the script:

1. Creates and migrates its own database, seeds two shops with 50 on-sale SKUs each (a million units
   apiece, low-stock alerts off), and one shopper per client with an address and a JWT.
2. Starts gunicorn (gthread workers, DEBUG off, static files collected, Celery eager so the sandbox
   provider's signed notification is delivered inside the paying request, as the sandbox does without
   a worker) on a free port.
3. HTTP phase: N shopper threads loop for --seconds: add one SKU of each shop to the cart (2 API
   calls), submit the order with an Idempotency-Key and channel "sandbox" (one group, two shop
   orders, stock reserved, payment opened), open the sandbox cashier page and pay on it (the
   notification marks both orders paid and commits the stock). Every 5th submit is sent twice with the
   same key: it must answer the same group. Throughput = paid checkouts per second; latency = the
   whole checkout (5 requests), p50/p99.
4. Raw phase: N threads with one psycopg connection each (no Django) run the same writes against the
   same tables in the same transaction boundaries (cart upserts; group + 2 orders + 2 lines + 2 events
   + 2 reservations, allocations, conditional stock UPDATEs and ledger rows + cart delete; payment +
   sandbox trade; trade update + 2 notifications + payment update; stock commit, ledger, reservation,
   order, event and group updates). That is the database's ceiling for this workload on this machine.
5. Verifies: every checkout a client saw succeed is in the database exactly once and paid, replays
   returned the same group, no group exists that no client placed, and for every SKU stock
   on_hand / reserved match the paid / pending order lines and the ledger.

Prints one table (medians of the runs) with the ratio HTTP / raw. With `--profile N` it instead runs N
checkouts in-process under cProfile and prints statements and CPU per checkout and where the time goes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

DB_URL = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shopops_bench_checkout")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/8")
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "shopops.settings",
    "DEBUG": "0",
    "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-checkout-" + "k" * 40),
    "FIELD_ENCRYPTION_KEYS": "YmVuY2gtY2hlY2tvdXQta2V5LTMyLWJ5dGVzLWxvbmc",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_COOKIES": "0",
    "CELERY_TASK_ALWAYS_EAGER": "1",
    "CELERY_BROKER_URL": "memory://localhost/",
    "PAYMENTS_SANDBOX_ENABLED": "1",
    "PAYMENTS_CHANNELS": "sandbox",
    "JWT_ACCESS_MINUTES": "600",
    "CACHE_KEY_PREFIX": "bench-checkout",
    "LOG_LEVEL": "WARNING",
    "DB_CONN_MAX_AGE": "600",
    "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}
for _key, _value in SERVER_ENV.items():
    os.environ.setdefault(_key, _value)

SKUS_PER_SHOP = 50
OPENING_STOCK = 1_000_000
REPLAY_EVERY = 5


# --------------------------------------------------------------------------------------------------------
# Setup (Django, in this process)
# --------------------------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[-1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@dataclass
class Seed:
    shops: list[int]
    skus: dict[int, list[int]]  # shop id -> sku ids
    shoppers: list[tuple[int, str, int]]  # (user id, access token, address id)
    raw_shops: list[int]
    raw_skus: dict[int, list[int]]
    raw_users: list[tuple[int, int]]  # (user id, cart id)
    warehouses: dict[int, int]  # shop id -> warehouse id


def _shop(name: str, slug: str, owner) -> object:
    from shopops.shops.models import Shop, ShopStatus

    shop, _ = Shop.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name, "owner": owner, "status": ShopStatus.ACTIVE,
            "contact_name": "压测", "contact_phone": "13800000000",
        },
    )  # fmt: skip
    return shop


def _stocked_skus(shop, category, prefix: str) -> tuple[int, list[int]]:
    from shopops.catalog.models import Product, ProductStatus, Sku
    from shopops.inventory import services as inventory
    from shopops.inventory.models import Stock, Warehouse

    warehouse = Warehouse.objects.filter(shop=shop).first() or inventory.create_warehouse(
        shop_id=shop.id, code="main", name="主仓"
    )
    if not Sku.objects.filter(shop=shop).exists():
        products = Product.objects.bulk_create(
            [
                Product(shop=shop, category=category, title=f"{prefix}商品{i}", status=ProductStatus.ON_SALE)
                for i in range(SKUS_PER_SHOP)
            ]
        )
        Sku.objects.bulk_create(
            [
                Sku(shop=shop, product=p, code=f"{prefix}-{i:03d}", price=Decimal("49.90"), weight_grams=300)
                for i, p in enumerate(products)
            ]
        )
    sku_ids = list(Sku.objects.filter(shop=shop).order_by("id").values_list("id", flat=True))
    missing = {
        (warehouse.id, sku_id): OPENING_STOCK
        for sku_id in sku_ids
        if not Stock.objects.filter(warehouse=warehouse, sku_id=sku_id).exists()
    }
    if missing:
        inventory.bulk_receive_new_stock(shop_id=shop.id, quantities=missing, reference="BENCH")
    inventory.update_settings(shop_id=shop.id, default_low_stock_threshold=0)
    return warehouse.id, sku_ids


def setup(shoppers: int) -> Seed:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from shopops.accounts import services as accounts
    from shopops.accounts.tokens import issue_tokens
    from shopops.cart.models import Cart
    from shopops.catalog.models import Category

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    users = get_user_model().objects
    owner, _ = users.get_or_create(username="bench-checkout-owner")
    category = Category.objects.filter(slug="bench-checkout").first() or Category.objects.add_root(
        {"name": "压测类目", "slug": "bench-checkout"}
    )
    seed = Seed([], {}, [], [], {}, [], {})
    for index in range(2):
        shop = _shop(f"结算压测店{index}", f"bench-checkout-{index}", owner)
        seed.warehouses[shop.id], seed.skus[shop.id] = _stocked_skus(shop, category, f"BC{index}")
        seed.shops.append(shop.id)
        raw = _shop(f"原生SQL压测店{index}", f"bench-raw-{index}", owner)
        seed.warehouses[raw.id], seed.raw_skus[raw.id] = _stocked_skus(raw, category, f"BR{index}")
        seed.raw_shops.append(raw.id)
    for n in range(shoppers):
        user, created = users.get_or_create(username=f"bench-shopper-{n}")
        if created or not user.addresses.exists():
            accounts.create_address(
                user=user, receiver_name="压测买家", receiver_phone="13912345678", province="上海市",
                city="上海市", district="浦东新区", detail=f"世纪大道{n}号",
            )  # fmt: skip
        seed.shoppers.append((user.id, issue_tokens(user).access, user.addresses.get().id))
        raw_user, _ = users.get_or_create(username=f"bench-raw-{n}")
        cart, _ = Cart.objects.get_or_create(user=raw_user)
        seed.raw_users.append((raw_user.id, cart.id))
    return seed


# --------------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, **SERVER_ENV, "PYTHONPATH": str(ROOT / "src")}
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "shopops.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread", "--workers", str(workers),
        "--threads", str(threads), "--log-level", "warning", "--timeout", "60",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    import requests

    for _ in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("gunicorn did not answer /api/v1/health")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


# --------------------------------------------------------------------------------------------------------
# HTTP phase
# --------------------------------------------------------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """A minimal keep-alive HTTP/1.1 client with a cookie jar, on the standard library.

    The load generator shares the two cores with the server: `requests` costs about a millisecond
    of CPU per request in this process, http.client a fraction of that, which leaves the CPU to the
    system under test (as wrk does for the catalog benchmark).
    """

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.headers = {"Authorization": f"Bearer {token}"}
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, *, json_body: dict | None = None, form: dict | None = None
    ) -> tuple[int, bytes]:
        headers = dict(self.headers)
        body = None
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):  # a keep-alive connection the server closed: reconnect once
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, data
        raise AssertionError("unreachable")


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)
    placed: list[tuple[int, str, str]] = field(default_factory=list)  # (user id, key, group number)
    replays_ok: int = 0
    errors: list[str] = field(default_factory=list)

    def step(self, name: str, seconds: float) -> None:
        self.steps.setdefault(name, []).append(seconds)


def shopper_loop(base: str, shopper: tuple[int, str, int], seed: Seed, deadline: float, out: Outcome) -> None:
    user_id, token, address_id = shopper
    host, port = base.rsplit("//", 1)[1].split(":")
    http = Browser(host, int(port), token)
    rng = random.Random(user_id)
    count = 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            for shop_id in seed.shops:
                t = time.perf_counter()
                status, text = http.request(
                    "POST", "/api/v1/cart/items", json_body={"sku_id": rng.choice(seed.skus[shop_id])}
                )
                out.step("add to cart", time.perf_counter() - t)
                if status != 201:
                    raise RuntimeError(f"cart {status} {text[:200]!r}")
            key = uuid.uuid4().hex
            body = {"idempotency_key": key, "address_id": address_id, "channel": "sandbox"}
            t = time.perf_counter()
            status, text = http.request("POST", "/api/v1/orders", json_body=body)
            out.step("submit", time.perf_counter() - t)
            if status != 201:
                raise RuntimeError(f"submit {status} {text[:200]!r}")
            placed = json.loads(text)
            group = placed["group"]["number"]
            payment_no = placed["payment"]["payment_no"]
            count += 1
            if count % REPLAY_EVERY == 0:  # a double click: must be the same group, not a second one
                status, text = http.request("POST", "/api/v1/orders", json_body=body)
                if status == 200 and json.loads(text)["group"]["number"] == group:
                    out.replays_ok += 1
                else:
                    out.errors.append(f"replay {status} {text[:200]!r}")
            t = time.perf_counter()
            _, page = http.request("GET", f"/pay/sandbox/{payment_no}/")
            csrf = CSRF_FIELD.search(page.decode())
            status, text = http.request(
                "POST",
                f"/pay/sandbox/{payment_no}/",
                form={
                    "csrfmiddlewaretoken": csrf.group(1) if csrf else "",
                    "action": "pay",
                    "method": "alipay",
                },
            )
            out.step("pay (cashier + notification)", time.perf_counter() - t)
            if status != 302:
                raise RuntimeError(f"pay {status} {text[:200]!r}")
            out.placed.append((user_id, key, group))
            out.latencies.append(time.perf_counter() - started)
        except Exception as exc:  # record and go on: the verification step counts what got through
            out.errors.append(str(exc)[:300])


def run_http(base: str, seed: Seed, seconds: float) -> tuple[float, Outcome]:
    out = Outcome()
    deadline = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=shopper_loop, args=(base, shopper, seed, deadline, out))
        for shopper in seed.shoppers
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return len(out.latencies) / elapsed, out


# --------------------------------------------------------------------------------------------------------
# Raw phase: the same writes with psycopg, no Django
# --------------------------------------------------------------------------------------------------------


def raw_dsn() -> str:
    return DB_URL


def raw_checkout(conn, rng: random.Random, seed: Seed, user: tuple[int, int]) -> None:
    """One checkout's writes, in the HTTP flow's transaction boundaries."""
    user_id, cart_id = user
    picks = [(shop_id, rng.choice(seed.raw_skus[shop_id])) for shop_id in seed.raw_shops]
    price = Decimal("49.90")
    # 1-2. add to cart (one transaction per line)
    for _, sku_id in picks:
        with conn.transaction():
            conn.execute("SELECT id FROM cart_cart WHERE id = %s FOR UPDATE", (cart_id,))
            conn.execute(
                "INSERT INTO cart_cartline (cart_id, sku_id, quantity, selected, added_at, updated_at) "
                "VALUES (%s, %s, 1, true, now(), now()) ON CONFLICT (cart_id, sku_id) "
                "DO UPDATE SET quantity = cart_cartline.quantity + 1, updated_at = now()",
                (cart_id, sku_id),
            )
            conn.execute("UPDATE cart_cart SET updated_at = now() WHERE id = %s", (cart_id,))
    # 3. submit: group, per shop order + line + event + reservation + allocation + stock + ledger
    group_no = "PG" + time.strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**8):08d}"
    total = (price + Decimal("0.00")) * len(picks)
    with conn.transaction():
        group_id = conn.execute(
            "INSERT INTO orders_ordergroup (number, user_id, idempotency_key, request_fingerprint, "
            "payment_status, items_total, discount_total, shipping_total, total, amount_due, paid_amount, "
            "pay_deadline, payment_no, created_at, updated_at) VALUES (%s, %s, %s, %s, 'unpaid', %s, 0, 0, "
            "%s, "
            "%s, 0, now() + interval '30 minutes', '', now(), now()) RETURNING id",
            (group_no, user_id, uuid.uuid4().hex, "f" * 64, total, total, total),
        ).fetchone()[0]
        for shop_id, sku_id in picks:
            order_no = time.strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**8):08d}"
            order_id = conn.execute(
                "INSERT INTO orders_order (number, group_id, shop_id, user_id, status, has_exception, "
                "exception_kind, exception_note, items_total, discount_total, shipping_fee, "
                "shipping_discount, "
                "total, refunded_amount, shipping_method, pricing, receiver_name, receiver_phone, province, "
                "city, "
                "district, street, address_detail, region_code, postcode, buyer_note, merchant_note, "
                "carrier_name, waybill_no, created_at, updated_at) VALUES (%s, %s, %s, %s, "
                "'pending_payment', false, '', '', %s, 0, 0, 0, %s, 0, 'standard', '{}', 'enc1:x', "
                "'enc1:x', '上海市', '上海市', "
                "'浦东新区', '', 'enc1:x', '', '', '', '', '', '', now(), now()) RETURNING id",
                (order_no, group_id, shop_id, user_id, price, price),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO orders_orderline (order_id, sku_id, sku_code, title, sku_label, sku_attributes, "
                "image_url, unit_price, quantity, subtotal, discount, paid_amount, refunded_amount) "
                "VALUES (%s, %s, 'code', '压测商品', '', '{}', '', %s, 1, %s, 0, %s, 0)",
                (order_id, sku_id, price, price, price),
            )
            conn.execute(
                "INSERT INTO orders_orderevent (order_id, action, from_status, to_status, actor_id, "
                "actor_role, "
                "reason, data, created_at) VALUES (%s, 'submit', '', 'pending_payment', %s, 'shopper', '', "
                "'{}', "
                "now())",
                (order_id, user_id),
            )
            reservation_id = conn.execute(
                "INSERT INTO inventory_reservation (shop_id, sku_id, order_ref, quantity, status, "
                "expires_at, "
                "release_reason, created_at) VALUES (%s, %s, %s, 1, 'active', now() + interval '1 day', '', "
                "now()) "
                "RETURNING id",
                (shop_id, sku_id, order_no),
            ).fetchone()[0]
            warehouse_id = seed.warehouses[shop_id]
            row = conn.execute(
                "UPDATE inventory_stock SET reserved = reserved + 1, updated_at = now() WHERE warehouse_id "
                "= %s "
                "AND sku_id = %s AND available >= 1 RETURNING on_hand, reserved",
                (warehouse_id, sku_id),
            ).fetchone()
            conn.execute(
                "INSERT INTO inventory_stockledgerentry (shop_id, warehouse_id, sku_id, reason, "
                "on_hand_delta, "
                "reserved_delta, on_hand_after, reserved_after, reference, note, created_at) VALUES (%s, "
                "%s, %s, "
                "'reservation', 0, 1, %s, %s, %s, '', now())",
                (shop_id, warehouse_id, sku_id, row[0], row[1], order_no),
            )
            conn.execute(
                "INSERT INTO inventory_reservationallocation (reservation_id, warehouse_id, quantity) "
                "VALUES (%s, %s, 1)",
                (reservation_id, warehouse_id),
            )
        conn.execute("DELETE FROM cart_cartline WHERE cart_id = %s", (cart_id,))
    # 4. open the payment (our row + the sandbox provider's trade)
    payment_no = "P" + time.strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**8):08d}"
    with conn.transaction():
        payment_id = conn.execute(
            "INSERT INTO payments_payment (payment_no, payer_id, reference, subject, amount, currency, "
            "channel, "
            "scene, status, gateway_trade_id, paid_with, return_url, action, expires_at, failure_reason, "
            "needs_attention, attention_reason, created_at, updated_at) VALUES (%s, %s, %s, 'subject', %s, "
            "'CNY', 'sandbox', '', 'created', '', '', '', '{}', now() + interval '30 minutes', '', false, "
            "'', "
            "now(), now()) RETURNING id",
            (payment_no, user_id, group_no, total),
        ).fetchone()[0]
        trade_id = conn.execute(
            "INSERT INTO payments_sandboxtrade (out_trade_no, trade_no, amount, currency, subject, status, "
            "method, refunded_amount, return_url, created_at) VALUES (%s, %s, %s, 'CNY', 'subject', "
            "'waiting', "
            "'', 0, '', now()) RETURNING id",
            (payment_no, "SBX" + payment_no, total),
        ).fetchone()[0]
        conn.execute(
            "UPDATE payments_payment SET status = 'pending', action = '{\"kind\": \"redirect\"}' WHERE id = "
            "%s",
            (payment_id,),
        )
    # 5. the provider takes the money and queues its notification
    with conn.transaction():
        conn.execute(
            "UPDATE payments_sandboxtrade SET status = 'succeeded', method = 'alipay', paid_at = now() "
            "WHERE id = %s",
            (trade_id,),
        )
        conn.execute(
            "INSERT INTO payments_sandboxnotification (trade_id, event, headers, body, status, attempts, "
            "last_response, created_at) VALUES (%s, 'payment.succeeded', '{}', '{}', 'pending', 0, '', "
            "now())",
            (trade_id,),
        )
    # 6. the notification is stored and credited
    with conn.transaction():
        note_id = conn.execute(
            "INSERT INTO payments_paymentnotification (channel, headers, body, body_sha256, remote_addr, "
            "received_at, event_id, kind, payment_no, parsed, result, error_code, error_detail) VALUES "
            "('sandbox', '{}', '{}', %s, '127.0.0.1', now(), '', '', '', '{}', 'received', '', '') "
            "RETURNING id",
            ("0" * 64,),
        ).fetchone()[0]
        conn.execute("SELECT id FROM payments_payment WHERE id = %s FOR UPDATE", (payment_id,))
        conn.execute(
            "UPDATE payments_payment SET status = 'succeeded', paid_at = now(), updated_at = now() WHERE id "
            "= %s",
            (payment_id,),
        )
        conn.execute(
            "UPDATE payments_paymentnotification SET result = 'credited', payment_id = %s, processed_at = "
            "now() "
            "WHERE id = %s",
            (payment_id, note_id),
        )
    # 7. the orders are paid: stock committed, orders and group updated, timeline written
    with conn.transaction():
        conn.execute("SELECT id FROM orders_ordergroup WHERE id = %s FOR UPDATE", (group_id,))
        orders = conn.execute(
            "SELECT o.id, o.number, o.shop_id, l.sku_id FROM orders_order o JOIN orders_orderline l "
            "ON l.order_id = o.id WHERE o.group_id = %s ORDER BY o.id FOR UPDATE OF o",
            (group_id,),
        ).fetchall()
        for order_id, order_no, shop_id, sku_id in orders:
            warehouse_id = seed.warehouses[shop_id]
            row = conn.execute(
                "UPDATE inventory_stock SET on_hand = on_hand - 1, reserved = reserved - 1, updated_at = "
                "now() "
                "WHERE warehouse_id = %s AND sku_id = %s AND reserved >= 1 RETURNING on_hand, reserved",
                (warehouse_id, sku_id),
            ).fetchone()
            conn.execute(
                "INSERT INTO inventory_stockledgerentry (shop_id, warehouse_id, sku_id, reason, "
                "on_hand_delta, "
                "reserved_delta, on_hand_after, reserved_after, reference, note, created_at) VALUES (%s, "
                "%s, %s, "
                "'sale', -1, -1, %s, %s, %s, '', now())",
                (shop_id, warehouse_id, sku_id, row[0], row[1], order_no),
            )
            conn.execute(
                "UPDATE inventory_reservation SET status = 'committed', committed_at = now() "
                "WHERE order_ref = %s AND sku_id = %s",
                (order_no, sku_id),
            )
            conn.execute(
                "UPDATE orders_order SET status = 'paid', paid_at = now(), updated_at = now() WHERE id = %s",
                (order_id,),
            )
            conn.execute(
                "INSERT INTO orders_orderevent (order_id, action, from_status, to_status, actor_role, "
                "reason, "
                "data, created_at) VALUES (%s, 'pay', 'pending_payment', 'paid', 'system', '', '{}', now())",
                (order_id,),
            )
        conn.execute(
            "UPDATE orders_ordergroup SET payment_status = 'paid', paid_amount = total, amount_due = 0, "
            "paid_at = now(), payment_no = %s, updated_at = now() WHERE id = %s",
            (payment_no, group_id),
        )


def run_raw(seed: Seed, seconds: float) -> tuple[float, list[float]]:
    import psycopg

    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(user: tuple[int, int]) -> None:
        rng = random.Random(user[0])
        mine = []
        with psycopg.connect(raw_dsn()) as conn:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                raw_checkout(conn, rng, seed, user)
                mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(user,)) for user in seed.raw_users]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies


# --------------------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------------------


def verify(seed: Seed, outcomes: list[Outcome], since: float) -> list[str]:
    from django.db import close_old_connections
    from django.db.models import Sum

    from shopops.inventory import selectors as inventory_selectors
    from shopops.inventory.models import Stock
    from shopops.orders.models import GroupPaymentStatus, OrderGroup, OrderLine, OrderStatus

    close_old_connections()
    problems: list[str] = []
    placed = [p for out in outcomes for p in out.placed]
    numbers = [group for _, _, group in placed]
    if len(set(numbers)) != len(numbers):
        problems.append("a group number was returned for two different checkouts")
    shopper_ids = [user_id for user_id, _, _ in seed.shoppers]
    from datetime import UTC, datetime

    this_run = OrderGroup.objects.filter(
        user_id__in=shopper_ids, created_at__gte=datetime.fromtimestamp(since, UTC)
    )
    groups = dict(this_run.values_list("number", "payment_status"))
    lost = [n for n in numbers if n not in groups]
    unpaid = [n for n in numbers if groups.get(n) not in (None, GroupPaymentStatus.PAID)]
    # Groups nobody saw succeed: a submit that answered an error after committing would show here.
    strays = set(groups) - set(numbers)
    if lost:
        problems.append(f"{len(lost)} checkouts answered 201 but are missing")
    if unpaid:
        problems.append(f"{len(unpaid)} paid checkouts are not marked paid")
    keys = list(OrderGroup.objects.filter(user_id__in=shopper_ids).values_list("user_id", "idempotency_key"))
    if len(keys) != len(set(keys)):
        problems.append("duplicated idempotency keys")
    for shop_id in seed.shops + seed.raw_shops:
        mismatches = inventory_selectors.ledger_mismatches(shop_id=shop_id)
        if mismatches:
            problems.append(f"shop {shop_id}: {len(mismatches)} stock rows differ from their ledger")
    for shop_id in seed.shops:
        for sku_id in seed.skus[shop_id]:
            lines = OrderLine.objects.filter(sku_id=sku_id, order__user_id__in=shopper_ids)
            sold = lines.exclude(order__paid_at=None).exclude(order__status=OrderStatus.CANCELLED)
            held = lines.filter(order__status=OrderStatus.PENDING_PAYMENT)
            stock = Stock.objects.get(sku_id=sku_id)
            sold_n = sold.aggregate(n=Sum("quantity"))["n"] or 0
            held_n = held.aggregate(n=Sum("quantity"))["n"] or 0
            if (stock.on_hand, stock.reserved) != (OPENING_STOCK - sold_n, held_n):
                problems.append(
                    f"sku {sku_id}: stock {stock.on_hand}/{stock.reserved}, orders {sold_n}/{held_n}"
                )
    return problems + [f"{len(strays)} groups placed that no client recorded (errors after commit)"] * bool(
        strays
    )


# --------------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------------


PROFILED = {
    ("cart/api.py", "add_item"): "add to cart (API, x2)",
    ("cart/services.py", "add_item"): "  cart service",
    ("cart/selectors.py", "cart_view"): "  cart returned in the answer",
    ("orders/api.py", "submit"): "submit (API)",
    ("cart/pricing.py", "price_checkout"): "  price_checkout",
    ("orders/services.py", "_reserve_stock"): "  inventory.reserve_orders",
    ("orders/services.py", "_create_orders"): "  group, orders, lines, events",
    ("cart/services.py", "remove_purchased"): "  cart clean-up",
    ("orders/payment_link.py", "start_payment"): "  payments.create_payment",
    ("orders/api.py", "group_out"): "  the answer",
    ("payments/views.py", "sandbox_cashier"): "cashier page + pay",
    ("payments/services.py", "handle_notification"): "  notification handling",
    ("orders/payment_link.py", "record_payment"): "    orders.record_payment",
    ("orders/state.py", "pay_orders"): "      state.pay_orders (batched PAY)",
    ("inventory/services.py", "commit_orders"): "        inventory.commit_orders",
    ("orders/tasks.py", "record_sales"): "      sales counters (eager task)",
    ("django/db/models/sql/compiler.py", "as_sql"): "ORM: compiling SQL (all)",
    ("psycopg/cursor.py", "execute"): "SQL execution incl. round trips (all)",
    ("django/template/base.py", "render"): "templates (all)",
}


def profile(seed: Seed, checkouts: int) -> None:
    """One shopper, in-process (Django test client, same settings and database): statements per
    checkout, CPU per checkout and where the wall time goes (cProfile)."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    user_id, token, address_id = seed.shoppers[0]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    rng = random.Random(user_id)

    steps: dict[str, list[float]] = {}
    statements: dict[str, int] = {}
    executed: list[str] = []
    counting = False

    def step(name: str, call):
        started, before = time.process_time(), len(executed)
        answer = call()
        steps.setdefault(name, []).append(time.process_time() - started)
        if counting:
            statements[name] = statements.get(name, 0) + len(executed) - before
        return answer

    def checkout() -> None:
        for shop_id in seed.shops:
            body = json.dumps({"sku_id": rng.choice(seed.skus[shop_id])})
            added = step(
                "add to cart (x2)",
                lambda b=body: client.post("/api/v1/cart/items", b, "application/json", **auth),
            )
            assert added.status_code == 201
        body = json.dumps(
            {"idempotency_key": uuid.uuid4().hex, "address_id": address_id, "channel": "sandbox"}
        )
        placed = step("submit", lambda: client.post("/api/v1/orders", body, "application/json", **auth))
        payment_no = placed.json()["payment"]["payment_no"]
        step("cashier page", lambda: client.get(f"/pay/sandbox/{payment_no}/"))
        paid = step(
            "pay (+ notification, orders paid)",
            lambda: client.post(f"/pay/sandbox/{payment_no}/", {"action": "pay", "method": "alipay"}),
        )
        assert paid.status_code == 302

    for _ in range(5):
        checkout()

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    counting = True
    with connection.execute_wrapper(count):
        checkout()
    counting = False
    steps.clear()
    cpu = time.process_time()
    for _ in range(checkouts):
        checkout()
    cpu = (time.process_time() - cpu) / checkouts
    print(f"{'request':40}{'CPU ms (median)':>16}{'statements':>12}")
    for name, values in steps.items():
        print(f"{name:40}{statistics.median(values) * 1000:16.1f}{statements.get(name, 0):12d}")
    ping = []
    for _ in range(200):
        ping.append(time.process_time())
        client.get("/api/v1/ping")
        ping[-1] = time.process_time() - ping[-1]
    print(f"{'(an empty ninja request, for scale)':40}{statistics.median(ping) * 1000:16.2f}")
    print()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(checkouts):
        checkout()
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(v[3] for (_, _, name), v in stats.items() if name == "checkout")
    found: dict[str, float] = {}
    for (filename, _, name), values in stats.items():
        for (suffix, function), label in PROFILED.items():
            if filename.endswith(suffix) and name == function:
                found[label] = found.get(label, 0) + values[3]
    print(f"SQL statements per checkout: {len(executed)}; app CPU per checkout: {cpu * 1000:.0f} ms")
    print("cProfile (inflates Python time about 2-3x; read the shares):")
    print(f"{'part of one checkout':46}{'ms':>8}{'share':>8}")
    for label in PROFILED.values():
        if label in found:
            print(f"{label:46}{found[label] / checkouts * 1000:8.1f}{found[label] / total:8.1%}")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shoppers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="profile N checkouts in-process instead of the load test",
    )
    args = parser.parse_args()

    ensure_database(DB_URL)
    seed = setup(args.shoppers)
    if args.profile:
        profile(seed, args.profile)
        return
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    base = f"http://127.0.0.1:{port}"
    http_runs: list[tuple[float, Outcome]] = []
    raw_runs: list[tuple[float, list[float]]] = []
    started = time.time()
    try:
        _, warm_up = run_http(base, seed, 3)  # warm-up: connections, imports, caches (verified, not timed)
        for run in range(args.runs):
            rate, out = run_http(base, seed, args.seconds)
            http_runs.append((rate, out))
            print(f"  http run {run + 1}: {rate:7.1f} checkouts/s ({len(out.errors)} errors)", flush=True)
            raw_rate, raw_lat = run_raw(seed, args.seconds)
            raw_runs.append((raw_rate, raw_lat))
            print(f"  raw  run {run + 1}: {raw_rate:7.1f} checkouts/s", flush=True)
    finally:
        stop_server(server)

    outcomes = [out for _, out in http_runs]
    problems = verify(seed, [warm_up, *outcomes], started)
    http_rate = statistics.median(rate for rate, _ in http_runs)
    raw_rate = statistics.median(rate for rate, _ in raw_runs)
    latencies = [x for out in outcomes for x in out.latencies]
    raw_latencies = [x for _, lat in raw_runs for x in lat]
    errors = sum(len(out.errors) for out in outcomes)
    replays = sum(out.replays_ok for out in outcomes)

    print()
    print(
        f"Checkout benchmark: {args.shoppers} shoppers, {args.runs} runs x {args.seconds:g}s, "
        f"gunicorn gthread {args.workers}x{args.threads}, 2 shops per checkout (1 group, 2 orders, 2 lines)"
    )
    print(f"{'':34}{'checkouts/s':>12}{'p50 ms':>9}{'p99 ms':>9}")
    for label, rate, values in (
        ("HTTP (Django, 5 requests)", http_rate, latencies),
        ("raw SQL (psycopg, same writes)", raw_rate, raw_latencies),
    ):
        print(f"{label:34}{rate:12.1f}{pct(values, 0.5) * 1000:9.1f}{pct(values, 0.99) * 1000:9.1f}")
    print(f"{'ratio HTTP / raw':34}{http_rate / raw_rate:12.1%}   (goal >= 40%)")
    print()
    for name in ("add to cart", "submit", "pay (cashier + notification)"):
        steps = [x for out in outcomes for x in out.steps.get(name, [])]
        print(f"  {name:32} p50 {pct(steps, 0.5) * 1000:6.1f} ms   p99 {pct(steps, 0.99) * 1000:6.1f} ms")
    total = sum(len(out.placed) for out in outcomes)
    print(f"  checkouts verified: {total}, replays answered with the same group: {replays}, errors: {errors}")
    if errors:
        print("  first errors:", *[e for out in outcomes for e in out.errors][:3], sep="\n    ")
    print(
        "  verification:", "OK (no lost or duplicated orders, stock consistent)" if not problems else "FAILED"
    )
    for problem in problems:
        print("   -", problem)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
