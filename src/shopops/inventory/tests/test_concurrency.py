"""No oversell under concurrency, proved against the real PostgreSQL with real threads and processes.

Each buyer is an independent database session (its own thread or process) racing for the last
units; the conditional UPDATE must let exactly as many through as there are units, and the ledger
must still add up to the stock row afterwards.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from shopops.inventory import selectors, services
from shopops.inventory.errors import InsufficientStock, ReservationReleased
from shopops.inventory.models import LedgerReason, Reservation, ReservationStatus, Stock, StockLedgerEntry
from shopops.inventory.tests.factories import make_shop, make_sku, make_warehouse, put_stock

BUYERS = 60
UNITS = 10


def buy_one(sku_id: int, order_ref: str, warehouse_id: int | None = None) -> str:
    """A shopper placing and paying an order for one unit, in its own database session."""
    try:
        services.reserve(
            sku_id=sku_id,
            quantity=1,
            order_ref=order_ref,
            expires_at=timezone.now() + timedelta(minutes=15),
            warehouse_id=warehouse_id,
        )
        services.commit_reservation(order_ref=order_ref, sku_id=sku_id)
        return "ok"
    except InsufficientStock:
        return "sold_out"
    finally:
        connections.close_all()


def race(fn, count: int) -> list[str]:
    start = threading.Barrier(count)

    def runner(i: int) -> str:
        start.wait()  # every thread fires at the same moment
        return fn(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(runner, range(count)))


def assert_consistent(warehouse, sku, *, on_hand: int, reserved: int = 0) -> None:
    row = Stock.objects.get(warehouse=warehouse, sku=sku)
    assert (row.on_hand, row.reserved) == (on_hand, reserved)
    assert selectors.ledger_sums(warehouse_id=warehouse.id, sku_id=sku.id) == (on_hand, reserved)


@pytest.fixture
def last_units(transactional_db):
    shop = make_shop()
    warehouse = make_warehouse(shop, code="sh")
    sku = make_sku(shop)
    put_stock(warehouse, sku, UNITS)
    return shop, warehouse, sku


@pytest.mark.django_db(transaction=True)
def test_sixty_threads_buying_the_last_ten_units_sell_exactly_ten(last_units):
    _shop, warehouse, sku = last_units
    results = race(lambda i: buy_one(sku.id, f"T-{i}"), BUYERS)
    assert results.count("ok") == UNITS
    assert results.count("sold_out") == BUYERS - UNITS
    assert_consistent(warehouse, sku, on_hand=0)
    assert StockLedgerEntry.objects.filter(reason=LedgerReason.SALE).count() == UNITS
    assert Reservation.objects.filter(status=ReservationStatus.COMMITTED).count() == UNITS
    assert not Reservation.objects.exclude(status=ReservationStatus.COMMITTED).exists()


@pytest.mark.django_db(transaction=True)
def test_sixty_threads_reserving_in_a_named_warehouse_hold_exactly_ten(last_units):
    _shop, warehouse, sku = last_units

    def hold(i: int) -> str:
        try:
            services.reserve(
                sku_id=sku.id,
                quantity=1,
                order_ref=f"W-{i}",
                expires_at=timezone.now() + timedelta(minutes=15),
                warehouse_id=warehouse.id,
            )
            return "ok"
        except InsufficientStock:
            return "sold_out"
        finally:
            connections.close_all()

    results = race(hold, BUYERS)
    assert results.count("ok") == UNITS
    assert_consistent(warehouse, sku, on_hand=UNITS, reserved=UNITS)


@pytest.mark.django_db(transaction=True)
def test_units_spread_over_warehouses_are_never_oversold(transactional_db):
    shop = make_shop()
    first, second = make_warehouse(shop, code="a"), make_warehouse(shop, code="b")
    sku = make_sku(shop)
    put_stock(first, sku, 4)
    put_stock(second, sku, 6)

    def buy_two(i: int) -> str:
        try:
            services.reserve(
                sku_id=sku.id,
                quantity=2,
                order_ref=f"S-{i}",
                expires_at=timezone.now() + timedelta(minutes=5),
            )
            return "ok"
        except InsufficientStock:
            return "sold_out"
        finally:
            connections.close_all()

    results = race(buy_two, 50)
    assert results.count("ok") == 5
    assert selectors.available_by_sku([sku.id]) == {sku.id: 0}
    assert selectors.ledger_mismatches(shop_id=shop.id) == []


@pytest.mark.django_db(transaction=True)
def test_the_same_order_line_reserved_concurrently_is_held_once(last_units):
    _shop, warehouse, sku = last_units

    def same_order(i: int) -> int:
        try:
            return services.reserve(
                sku_id=sku.id, quantity=3, order_ref="DUP-1", expires_at=timezone.now() + timedelta(minutes=5)
            ).pk
        finally:
            connections.close_all()

    ids = race(same_order, 20)
    assert len(set(ids)) == 1
    assert_consistent(warehouse, sku, on_hand=UNITS, reserved=3)


@pytest.mark.django_db(transaction=True)
def test_concurrent_commits_and_sweeps_never_double_count(last_units):
    _shop, warehouse, sku = last_units
    for i in range(UNITS):
        services.reserve(
            sku_id=sku.id, quantity=1, order_ref=f"C-{i}", expires_at=timezone.now() + timedelta(minutes=5)
        )
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    def work(i: int) -> None:
        try:
            if i % 2:
                services.release_expired_reservations()
            else:
                # A reservation a sweep released first refuses the commit: a legitimate race loser.
                with contextlib.suppress(ReservationReleased):
                    services.commit_reservation(order_ref=f"C-{i // 2 % UNITS}", sku_id=sku.id)
        finally:
            connections.close_all()

    race(work, 24)
    committed = Reservation.objects.filter(status=ReservationStatus.COMMITTED).count()
    released = Reservation.objects.filter(status=ReservationStatus.RELEASED).count()
    assert committed + released == UNITS
    assert_consistent(warehouse, sku, on_hand=UNITS - committed, reserved=0)


# --- Processes ---------------------------------------------------------------------------------------


def _process_buyer(args: tuple[str, int, int]) -> str:
    db_name, sku_id, index = args
    # A forked child inherits the parent's settings; make sure it talks to the test database.
    connection.settings_dict["NAME"] = db_name
    connections.close_all()
    return buy_one(sku_id, f"P-{index}")


@pytest.mark.django_db(transaction=True)
def test_processes_buying_the_last_ten_units_sell_exactly_ten(last_units):
    _shop, warehouse, sku = last_units
    db_name = connection.settings_dict["NAME"]
    connections.close_all()  # never fork with an open connection
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=8) as pool:
        results = pool.map(_process_buyer, [(db_name, sku.id, i) for i in range(BUYERS)], chunksize=1)
    assert results.count("ok") == UNITS
    assert results.count("sold_out") == BUYERS - UNITS
    assert_consistent(warehouse, sku, on_hand=0)
