"""The batched checkout paths, `reserve_orders` and `commit_orders`: the same rules as reserving and
committing order by order, fewer statements, and still no oversell under concurrency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shopops.core.errors import InvalidInput, NotFound
from shopops.inventory import selectors, services
from shopops.inventory.errors import InsufficientStock, ReservationConflict, ReservationReleased, UnknownSku
from shopops.inventory.models import (
    LedgerReason,
    LowStockAlert,
    Reservation,
    ReservationAllocation,
    ReservationStatus,
    Stock,
    StockLedgerEntry,
)
from shopops.inventory.services import OrderLines, SkuQuantity
from shopops.inventory.tests.factories import make_shop, make_sku, make_warehouse, put_stock
from shopops.inventory.tests.test_concurrency import race


def later(minutes: int = 30):
    return timezone.now() + timedelta(minutes=minutes)


def figures(warehouse, sku) -> tuple[int, int]:
    row = Stock.objects.get(warehouse=warehouse, sku=sku)
    return row.on_hand, row.reserved


def consistent(warehouse, sku) -> bool:
    row = Stock.objects.get(warehouse=warehouse, sku=sku)
    return selectors.ledger_sums(warehouse_id=warehouse.id, sku_id=sku.id) == (row.on_hand, row.reserved)


@pytest.fixture
def two_shops(db):
    """Two shops with a warehouse and two stocked SKUs each, as in a split checkout."""
    shops = []
    for code in ("a", "b"):
        shop = make_shop()
        warehouse = make_warehouse(shop, code=code)
        skus = [make_sku(shop), make_sku(shop)]
        for sku in skus:
            put_stock(warehouse, sku, 10)
        shops.append((shop, warehouse, skus))
    return shops


def checkout(two_shops, quantity: int = 2, suffix: str = "1") -> list[OrderLines]:
    return [
        OrderLines(f"SO-{shop.id}-{suffix}", shop.id, [SkuQuantity(sku.id, quantity) for sku in skus])
        for shop, _warehouse, skus in two_shops
    ]


def test_reserve_orders_holds_every_line_of_every_order_with_ledger_and_allocations(two_shops):
    held = services.reserve_orders(orders=checkout(two_shops), expires_at=later())
    assert len(held) == 4 and all(r.status == ReservationStatus.ACTIVE for r in held)
    for _shop, warehouse, skus in two_shops:
        for sku in skus:
            assert figures(warehouse, sku) == (10, 2)
            assert consistent(warehouse, sku)
            reservation = Reservation.objects.get(sku=sku)
            allocation = ReservationAllocation.objects.get(reservation=reservation)
            assert (allocation.warehouse_id, allocation.quantity) == (warehouse.id, 2)
    assert StockLedgerEntry.objects.filter(reason=LedgerReason.RESERVATION).count() == 4


def test_reserve_orders_uses_a_constant_number_of_statements_per_line(two_shops):
    # 1 SKU check + 1 claim INSERT + 1 UPDATE per line + 1 ledger INSERT + 1 allocation INSERT (+ the
    # cached threshold look-ups, which do not touch the database once warm), plus the SAVEPOINT and
    # RELEASE of its own transaction block inside the test's transaction.
    services.reserve_orders(orders=checkout(two_shops, suffix="warm"), expires_at=later())
    with CaptureQueriesContext(connection) as queries:
        services.reserve_orders(orders=checkout(two_shops), expires_at=later())
    assert len(queries) <= 4 + 4 + 2


def test_one_short_line_reserves_nothing_at_all(two_shops):
    orders = checkout(two_shops)
    (_shop, warehouse, skus) = two_shops[1]
    orders[1] = OrderLines(orders[1].order_ref, orders[1].shop_id, [SkuQuantity(skus[0].id, 11)])
    with pytest.raises(InsufficientStock):
        services.reserve_orders(orders=orders, expires_at=later())
    assert Reservation.objects.count() == 0
    assert StockLedgerEntry.objects.filter(reason=LedgerReason.RESERVATION).count() == 0
    for _shop, warehouse, skus in two_shops:
        assert all(figures(warehouse, sku) == (10, 0) for sku in skus)


def test_a_sku_of_another_shop_is_refused_before_anything_is_held(two_shops):
    (shop_a, _wa, _skus_a), (_shop_b, _wb, skus_b) = two_shops
    orders = [OrderLines("SO-X", shop_a.id, [SkuQuantity(skus_b[0].id, 1)])]
    with pytest.raises(UnknownSku):
        services.reserve_orders(orders=orders, expires_at=later())
    assert Reservation.objects.count() == 0


def test_bad_input_is_refused(two_shops):
    with pytest.raises(InvalidInput):
        services.reserve_orders(orders=checkout(two_shops), expires_at=timezone.now() - timedelta(seconds=1))
    shop, _warehouse, skus = two_shops[0]
    with pytest.raises(InvalidInput):
        services.reserve_orders(
            orders=[OrderLines("SO-Q", shop.id, [SkuQuantity(skus[0].id, 0)])], expires_at=later()
        )
    assert Reservation.objects.count() == 0


def test_repeating_a_checkout_answers_the_same_reservations_and_holds_nothing_more(two_shops):
    first = services.reserve_orders(orders=checkout(two_shops), expires_at=later())
    again = services.reserve_orders(orders=checkout(two_shops), expires_at=later())
    assert sorted(r.id for r in again) == sorted(r.id for r in first)
    for _shop, warehouse, skus in two_shops:
        assert all(figures(warehouse, sku) == (10, 2) for sku in skus)
    with pytest.raises(ReservationConflict):
        services.reserve_orders(orders=checkout(two_shops, quantity=3), expires_at=later())


def test_a_line_no_single_warehouse_can_fill_is_split_over_warehouses(db):
    shop = make_shop()
    first, second = make_warehouse(shop, code="w1"), make_warehouse(shop, code="w2")
    sku = make_sku(shop)
    put_stock(first, sku, 3)
    put_stock(second, sku, 4)
    services.reserve_orders(
        orders=[OrderLines("SO-S", shop.id, [SkuQuantity(sku.id, 6)])], expires_at=later()
    )
    assert sorted(ReservationAllocation.objects.values_list("quantity", flat=True)) == [2, 4]
    assert figures(first, sku)[1] + figures(second, sku)[1] == 6
    assert consistent(first, sku) and consistent(second, sku)


def test_reserving_down_to_the_threshold_opens_a_low_stock_alert(db):
    shop = make_shop()
    warehouse = make_warehouse(shop, code="w")
    sku = make_sku(shop)
    put_stock(warehouse, sku, 10)
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=5)
    services.reserve_orders(
        orders=[OrderLines("SO-L1", shop.id, [SkuQuantity(sku.id, 4)])], expires_at=later()
    )
    assert not LowStockAlert.objects.filter(sku=sku).exists()
    services.reserve_orders(
        orders=[OrderLines("SO-L2", shop.id, [SkuQuantity(sku.id, 1)])], expires_at=later()
    )
    assert LowStockAlert.objects.filter(sku=sku).exists()


def test_commit_orders_sells_every_reservation_of_the_orders(two_shops):
    orders = checkout(two_shops)
    services.reserve_orders(orders=orders, expires_at=later())
    committed = services.commit_orders(order_refs=[o.order_ref for o in orders])
    assert {r.status for r in committed} == {ReservationStatus.COMMITTED}
    for _shop, warehouse, skus in two_shops:
        for sku in skus:
            assert figures(warehouse, sku) == (8, 0)
            assert consistent(warehouse, sku)
    # Repeating is a no-op.
    services.commit_orders(order_refs=[o.order_ref for o in orders])
    assert StockLedgerEntry.objects.filter(reason=LedgerReason.SALE).count() == 4


def test_commit_orders_with_one_released_reservation_commits_nothing(two_shops):
    orders = checkout(two_shops)
    services.reserve_orders(orders=orders, expires_at=later())
    services.release_order(order_ref=orders[1].order_ref)
    with pytest.raises(ReservationReleased):
        services.commit_orders(order_refs=[o.order_ref for o in orders])
    assert not Reservation.objects.filter(status=ReservationStatus.COMMITTED).exists()
    assert StockLedgerEntry.objects.filter(reason=LedgerReason.SALE).count() == 0


def test_commit_orders_of_an_unknown_order_is_not_found(two_shops):
    with pytest.raises(NotFound):
        services.commit_orders(order_refs=["SO-NOPE"])


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_checkouts_of_two_shops_never_oversell_either(transactional_db):
    """50 threads, each its own session, check out one unit of each shop's last 10 units at once."""
    shops = []
    for code in ("a", "b"):
        shop = make_shop()
        warehouse = make_warehouse(shop, code=code)
        sku = make_sku(shop)
        put_stock(warehouse, sku, 10)
        shops.append((shop, warehouse, sku))

    def buy(i: int) -> str:
        orders = [OrderLines(f"C-{i}-{shop.id}", shop.id, [SkuQuantity(sku.id, 1)]) for shop, _, sku in shops]
        try:
            services.reserve_orders(orders=orders, expires_at=later())
            services.commit_orders(order_refs=[o.order_ref for o in orders])
            return "ok"
        except InsufficientStock:
            return "sold_out"
        finally:
            connections.close_all()

    results = race(buy, 50)
    assert results.count("ok") == 10
    for _shop, warehouse, sku in shops:
        assert figures(warehouse, sku) == (0, 0)
        assert consistent(warehouse, sku)
