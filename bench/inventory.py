"""Inventory benchmark: orders per second that reserve and commit stock through inventory.services,
against the raw conditional UPDATE on the same rows (the database's own ceiling), in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shopops_bench_inventory \\
        .venv/bin/python bench/inventory.py [--seconds 10] [--runs 3] [--clients 16]

It creates the database if needed, migrates it, seeds one shop with a "hot" SKU (a flash sale: every
buyer wants the same row) and 2,000 ordinary SKUs, then runs four scenarios with N client processes
(each its own database session, as N app-server workers would be):

    raw hot      UPDATE inventory_stock SET reserved = reserved + 1 WHERE id = <hot> AND available >= 1
    service hot  reserve() + commit_reservation() of 1 unit of the hot SKU (one order, one line)
    raw spread   the same UPDATE on a random row among 2,000
    service spread  reserve() + commit_reservation() of a random SKU among 2,000

and prints ops/s (median of the runs), p50/p99 latency, the raw baseline and the ratio. At the end it
checks that every stock row still equals the sum of its ledger (nothing lost under contention).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shopops_bench_inventory")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopops.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("LOG_LEVEL", "WARNING")

SPREAD_SKUS = 2000
HOT_UNITS = 5_000_000


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[-1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup() -> dict:
    """Migrate and seed (idempotent); returns the ids the workers need."""
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command

    from shopops.catalog.models import Category, Product, Sku
    from shopops.inventory import services
    from shopops.inventory.models import Stock, Warehouse
    from shopops.shops.models import Shop

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    owner, _ = get_user_model().objects.get_or_create(username="bench-owner")
    shop, _ = Shop.objects.get_or_create(
        slug="bench-inventory",
        defaults={
            "name": "库存压测店",
            "owner": owner,
            "contact_name": "压测",
            "contact_phone": "13800000000",
        },
    )
    warehouse = Warehouse.objects.filter(shop=shop, code="sh").first() or services.create_warehouse(
        shop_id=shop.id, code="sh", name="上海仓"
    )
    category = Category.objects.filter(slug="bench-inventory").first() or Category.objects.add_root(
        {"name": "压测类目", "slug": "bench-inventory"}
    )
    if not Sku.objects.filter(shop=shop).exists():
        products = Product.objects.bulk_create(
            [Product(shop=shop, category=category, title=f"压测商品{i}") for i in range(SPREAD_SKUS + 1)]
        )
        Sku.objects.bulk_create(
            [
                Sku(shop=shop, product=p, code=f"B-{i:05d}", price=Decimal("10.00"))
                for i, p in enumerate(products)
            ]
        )
    sku_ids = list(Sku.objects.filter(shop=shop).order_by("id").values_list("id", flat=True))
    hot, spread = sku_ids[0], sku_ids[1:]
    missing = {
        (warehouse.id, sku_id): HOT_UNITS if sku_id == hot else 1_000_000
        for sku_id in sku_ids
        if not Stock.objects.filter(warehouse=warehouse, sku_id=sku_id).exists()
    }
    services.bulk_receive_new_stock(shop_id=shop.id, quantities=missing, reference="BENCH")
    services.update_settings(shop_id=shop.id, default_low_stock_threshold=0)  # alerts off: measure stock only
    stock_ids = dict(Stock.objects.filter(warehouse=warehouse).values_list("sku_id", "id"))
    return {
        "shop_id": shop.id,
        "hot_sku": hot,
        "spread_skus": spread,
        "hot_stock": stock_ids[hot],
        "spread_stock": [stock_ids[s] for s in spread],
        "dsn": _dsn(),
    }


def _dsn() -> str:
    from django.db import connection

    p = connection.settings_dict
    return f"host={p['HOST'] or '127.0.0.1'} port={p['PORT'] or 5432} dbname={p['NAME']} user={p['USER']}" + (
        f" password={p['PASSWORD']}" if p["PASSWORD"] else ""
    )


# --- workers (forked processes) -------------------------------------------------------------------


def raw_worker(args: tuple) -> list[float]:
    import psycopg

    dsn, stock_ids, seconds, seed = args
    rng = random.Random(seed)
    latencies: list[float] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        statement = "UPDATE inventory_stock SET reserved = reserved + 1 WHERE id = %s AND available >= 1"
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            started = time.perf_counter()
            conn.execute(statement, (rng.choice(stock_ids),), prepare=True)
            latencies.append(time.perf_counter() - started)
    return latencies


def service_worker(args: tuple) -> list[float]:
    from django.db import connections
    from django.utils import timezone

    from shopops.inventory import services

    sku_ids, seconds, seed = args
    connections.close_all()  # a fresh session per process
    rng = random.Random(seed)
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
        sku_id = rng.choice(sku_ids)
        ref = f"BENCH-{seed}-{n}-{time.time_ns()}"
        started = time.perf_counter()
        services.reserve(
            sku_id=sku_id, quantity=1, order_ref=ref, expires_at=timezone.now() + timedelta(minutes=5)
        )
        services.commit_reservation(order_ref=ref, sku_id=sku_id)
        latencies.append(time.perf_counter() - started)
    connections.close_all()
    return latencies


@dataclass
class Result:
    ops: float
    p50_ms: float
    p99_ms: float


def run(pool, worker, make_args, clients: int, seconds: float, runs: int) -> Result:
    rates, all_latencies = [], []
    for run_index in range(runs):
        started = time.perf_counter()
        batches = pool.map(worker, [make_args(run_index * 1000 + c) for c in range(clients)])
        elapsed = time.perf_counter() - started
        latencies = [x for batch in batches for x in batch]
        rates.append(len(latencies) / elapsed)
        all_latencies.extend(latencies)
    all_latencies.sort()
    return Result(
        ops=statistics.median(rates),
        p50_ms=all_latencies[len(all_latencies) // 2] * 1000,
        p99_ms=all_latencies[int(len(all_latencies) * 0.99)] * 1000,
    )


def reset_raw(data: dict) -> None:
    """Undo the raw scenario's reservations (they bypass the ledger on purpose)."""
    import psycopg

    with psycopg.connect(data["dsn"], autocommit=True) as conn:
        conn.execute(
            """
            UPDATE inventory_stock s SET reserved = COALESCE(
                (SELECT SUM(reserved_delta) FROM inventory_stockledgerentry l
                  WHERE l.warehouse_id = s.warehouse_id AND l.sku_id = s.sku_id), 0)
            WHERE s.shop_id = %s
            """,
            (data["shop_id"],),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    options = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    data = setup()
    from django.db import connections

    from shopops.inventory import selectors

    connections.close_all()  # never fork with an open connection
    context = multiprocessing.get_context("fork")
    c, s, r = options.clients, options.seconds, options.runs
    print(f"clients={c} seconds={s} runs={r} (medians); PostgreSQL at {data['dsn'].split(' password')[0]}")
    with context.Pool(processes=c) as pool:
        raw_hot = run(pool, raw_worker, lambda seed: (data["dsn"], [data["hot_stock"]], s, seed), c, s, r)
        reset_raw(data)
        service_hot = run(pool, service_worker, lambda seed: ([data["hot_sku"]], s, seed), c, s, r)
        raw_spread = run(pool, raw_worker, lambda seed: (data["dsn"], data["spread_stock"], s, seed), c, s, r)
        reset_raw(data)
        service_spread = run(pool, service_worker, lambda seed: (data["spread_skus"], s, seed), c, s, r)

    rows = [
        ("one hot SKU (flash sale)", service_hot, raw_hot),
        (f"{SPREAD_SKUS:,} SKUs, random", service_spread, raw_spread),
    ]
    print()
    print("| scenario | reserve+commit orders/s | p50 ms | p99 ms | raw UPDATE/s (baseline) | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, service, raw in rows:
        print(
            f"| {name} | {service.ops:,.0f} | {service.p50_ms:.1f} | {service.p99_ms:.1f} "
            f"| {raw.ops:,.0f} | {service.ops / raw.ops:.0%} |"
        )
    mismatches = selectors.ledger_mismatches(shop_id=data["shop_id"])
    print()
    print(f"ledger check: {'consistent' if not mismatches else f'{len(mismatches)} MISMATCHES'}")


if __name__ == "__main__":
    main()
