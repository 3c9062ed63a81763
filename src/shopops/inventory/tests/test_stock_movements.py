"""Adjustments, transfers, stocktakes and returns: each writes the ledger, bad input changes nothing."""

from __future__ import annotations

import pytest

from shopops.core.errors import InvalidInput, NotFound
from shopops.inventory import selectors, services
from shopops.inventory.errors import (
    InsufficientStock,
    InvalidQuantity,
    SameWarehouse,
    StockChangedSinceCount,
    UnknownSku,
    WarehouseInactive,
)
from shopops.inventory.models import LedgerReason, Stock, StockLedgerEntry, StockTransfer
from shopops.inventory.services import CountLine, SkuQuantity
from shopops.inventory.tests.factories import make_sku, make_warehouse, put_stock


def stock_of(warehouse, sku) -> tuple[int, int, int]:
    row = Stock.objects.filter(warehouse=warehouse, sku=sku).first()
    return (row.on_hand, row.reserved, row.available) if row else (0, 0, 0)


def assert_ledger_matches(shop):
    assert selectors.ledger_mismatches(shop_id=shop.id) == []


def test_opening_receipt_creates_stock_and_one_ledger_entry(shop, warehouse, sku):
    put_stock(warehouse, sku, 25)
    assert stock_of(warehouse, sku) == (25, 0, 25)
    entry = StockLedgerEntry.objects.get(sku=sku)
    assert (entry.reason, entry.on_hand_delta, entry.on_hand_after) == (LedgerReason.PURCHASE_RECEIPT, 25, 25)
    put_stock(warehouse, sku, 5)  # an existing row goes through the conditional update
    assert stock_of(warehouse, sku) == (30, 0, 30)
    assert_ledger_matches(shop)


def test_adjustment_adds_and_removes_units_with_a_reason(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    entry = services.adjust_stock(
        shop_id=shop.id, warehouse_id=warehouse.id, sku_id=sku.id, delta=-3, reason="破损 / damaged"
    )
    assert entry.reason == LedgerReason.ADJUSTMENT and entry.note == "破损 / damaged"
    assert stock_of(warehouse, sku) == (7, 0, 7)
    services.adjust_stock(shop_id=shop.id, warehouse_id=warehouse.id, sku_id=sku.id, delta=4, reason="found")
    assert stock_of(warehouse, sku) == (11, 0, 11)
    assert_ledger_matches(shop)


@pytest.mark.parametrize("delta", [0, "3", 1.5, True, 10**9])
def test_adjustment_with_a_bad_delta_is_refused(shop, warehouse, sku, delta):
    put_stock(warehouse, sku, 10)
    with pytest.raises(InvalidQuantity):
        services.adjust_stock(
            shop_id=shop.id, warehouse_id=warehouse.id, sku_id=sku.id, delta=delta, reason="x"
        )
    assert stock_of(warehouse, sku) == (10, 0, 10)
    assert StockLedgerEntry.objects.count() == 1


def test_adjustment_needs_a_reason(shop, warehouse, sku):
    with pytest.raises(InvalidInput):
        services.adjust_stock(shop_id=shop.id, warehouse_id=warehouse.id, sku_id=sku.id, delta=2, reason="  ")
    assert not Stock.objects.exists()


def test_adjustment_cannot_take_stock_below_what_is_reserved(shop, warehouse, sku):
    put_stock(warehouse, sku, 5)
    services.reserve(sku_id=sku.id, quantity=4, order_ref="O-1", warehouse_id=warehouse.id)
    with pytest.raises(InsufficientStock) as caught:
        services.adjust_stock(
            shop_id=shop.id, warehouse_id=warehouse.id, sku_id=sku.id, delta=-2, reason="lost"
        )
    assert caught.value.details["available"] == 1
    assert stock_of(warehouse, sku) == (5, 4, 1)


def test_another_shops_sku_or_warehouse_is_not_found(shop, other_shop, warehouse, sku):
    foreign_sku = make_sku(other_shop)
    foreign_warehouse = make_warehouse(other_shop)
    with pytest.raises(UnknownSku):
        services.adjust_stock(
            shop_id=shop.id, warehouse_id=warehouse.id, sku_id=foreign_sku.id, delta=1, reason="x"
        )
    with pytest.raises(NotFound):
        services.adjust_stock(
            shop_id=shop.id, warehouse_id=foreign_warehouse.id, sku_id=sku.id, delta=1, reason="x"
        )
    assert not StockLedgerEntry.objects.exists()


def test_transfer_moves_units_with_an_out_and_an_in_entry(shop, warehouse, second_warehouse, sku):
    put_stock(warehouse, sku, 10)
    transfer = services.transfer_stock(
        shop_id=shop.id,
        from_warehouse_id=warehouse.id,
        to_warehouse_id=second_warehouse.id,
        lines=[SkuQuantity(sku.id, 4)],
    )
    assert stock_of(warehouse, sku) == (6, 0, 6)
    assert stock_of(second_warehouse, sku) == (4, 0, 4)
    entries = StockLedgerEntry.objects.filter(reference=transfer.number).order_by("id")
    assert [(e.reason, e.warehouse_id, e.on_hand_delta) for e in entries] == [
        (LedgerReason.TRANSFER_OUT, warehouse.id, -4),
        (LedgerReason.TRANSFER_IN, second_warehouse.id, 4),
    ]
    assert selectors.available_by_sku([sku.id]) == {sku.id: 10}
    assert_ledger_matches(shop)


def test_transfer_to_the_same_warehouse_is_refused(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    with pytest.raises(SameWarehouse):
        services.transfer_stock(
            shop_id=shop.id,
            from_warehouse_id=warehouse.id,
            to_warehouse_id=warehouse.id,
            lines=[SkuQuantity(sku.id, 1)],
        )
    assert not StockTransfer.objects.exists()


def test_transfer_of_more_than_available_changes_nothing(shop, warehouse, second_warehouse, sku):
    other = make_sku(shop)
    put_stock(warehouse, sku, 10)
    put_stock(warehouse, other, 3)
    services.reserve(sku_id=sku.id, quantity=8, order_ref="O-1", warehouse_id=warehouse.id)
    with pytest.raises(InsufficientStock):
        services.transfer_stock(
            shop_id=shop.id,
            from_warehouse_id=warehouse.id,
            to_warehouse_id=second_warehouse.id,
            lines=[SkuQuantity(other.id, 3), SkuQuantity(sku.id, 3)],  # only 2 of sku are available
        )
    assert stock_of(warehouse, other) == (3, 0, 3)
    assert stock_of(second_warehouse, other)[0] == 0
    assert not StockTransfer.objects.exists()
    assert_ledger_matches(shop)


@pytest.mark.parametrize("quantity", [0, -2])
def test_transfer_with_a_non_positive_quantity_is_refused(shop, warehouse, second_warehouse, sku, quantity):
    put_stock(warehouse, sku, 10)
    with pytest.raises(InvalidQuantity):
        services.transfer_stock(
            shop_id=shop.id,
            from_warehouse_id=warehouse.id,
            to_warehouse_id=second_warehouse.id,
            lines=[SkuQuantity(sku.id, quantity)],
        )
    assert stock_of(warehouse, sku) == (10, 0, 10)


def test_transfer_into_an_inactive_warehouse_is_refused(shop, warehouse, second_warehouse, sku):
    put_stock(warehouse, sku, 10)
    services.update_warehouse(shop_id=shop.id, warehouse_id=second_warehouse.id, is_active=False)
    with pytest.raises(WarehouseInactive):
        services.transfer_stock(
            shop_id=shop.id,
            from_warehouse_id=warehouse.id,
            to_warehouse_id=second_warehouse.id,
            lines=[SkuQuantity(sku.id, 1)],
        )


def test_stocktake_sets_on_hand_to_the_count_and_records_the_difference(shop, warehouse, sku):
    counted_new = make_sku(shop)
    put_stock(warehouse, sku, 10)
    stocktake = services.record_stocktake(
        shop_id=shop.id,
        warehouse_id=warehouse.id,
        reason="月末盘点 / month-end count",
        lines=[CountLine(sku.id, 7), CountLine(counted_new.id, 2)],
    )
    assert stock_of(warehouse, sku) == (7, 0, 7)
    assert stock_of(warehouse, counted_new) == (2, 0, 2)
    lines = {line.sku_id: line for line in stocktake.lines.all()}
    assert (lines[sku.id].on_hand_before, lines[sku.id].delta) == (10, -3)
    entry = StockLedgerEntry.objects.get(reference=stocktake.number, sku=sku)
    assert (entry.reason, entry.on_hand_delta) == (LedgerReason.ADJUSTMENT, -3)
    assert "month-end" in entry.note
    assert_ledger_matches(shop)


def test_stocktake_below_reserved_units_is_refused(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    services.reserve(sku_id=sku.id, quantity=6, order_ref="O-9", warehouse_id=warehouse.id)
    with pytest.raises(InvalidInput) as caught:
        services.record_stocktake(
            shop_id=shop.id, warehouse_id=warehouse.id, reason="count", lines=[CountLine(sku.id, 5)]
        )
    assert caught.value.code == "counted_below_reserved"
    assert stock_of(warehouse, sku) == (10, 6, 4)


def test_stocktake_refuses_when_stock_moved_since_the_count(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    with pytest.raises(StockChangedSinceCount):
        services.record_stocktake(
            shop_id=shop.id,
            warehouse_id=warehouse.id,
            reason="count",
            lines=[CountLine(sku.id, 9, expected_on_hand=12)],
        )
    assert stock_of(warehouse, sku) == (10, 0, 10)


def test_stocktake_needs_a_reason_and_lines(shop, warehouse, sku):
    with pytest.raises(InvalidInput):
        services.record_stocktake(
            shop_id=shop.id, warehouse_id=warehouse.id, reason="", lines=[CountLine(sku.id, 1)]
        )
    with pytest.raises(InvalidInput):
        services.record_stocktake(shop_id=shop.id, warehouse_id=warehouse.id, reason="x", lines=[])
    with pytest.raises(InvalidInput):
        services.record_stocktake(
            shop_id=shop.id,
            warehouse_id=warehouse.id,
            reason="x",
            lines=[CountLine(sku.id, 1), CountLine(sku.id, 2)],
        )


def test_return_goes_back_to_the_warehouse_the_order_shipped_from(shop, warehouse, second_warehouse, sku):
    put_stock(second_warehouse, sku, 5)
    services.reserve(sku_id=sku.id, quantity=2, order_ref="O-R")
    services.commit_reservation(order_ref="O-R", sku_id=sku.id)
    entry = services.return_stock(sku_id=sku.id, quantity=1, reference="O-R")
    assert (entry.reason, entry.warehouse_id, entry.on_hand_delta) == (
        LedgerReason.RETURN,
        second_warehouse.id,
        1,
    )
    assert stock_of(second_warehouse, sku) == (4, 0, 4)
    with pytest.raises(InvalidInput) as caught:
        services.return_stock(sku_id=sku.id, quantity=2, reference="O-R")  # only 1 more was bought
    assert caught.value.code == "over_return"
    assert_ledger_matches(shop)


def test_deactivated_warehouse_stock_is_not_available(shop, warehouse, second_warehouse, sku):
    put_stock(warehouse, sku, 5)
    put_stock(second_warehouse, sku, 7)
    assert selectors.available_by_sku([sku.id]) == {sku.id: 12}
    services.update_warehouse(shop_id=shop.id, warehouse_id=second_warehouse.id, is_active=False)
    assert selectors.available_by_sku([sku.id]) == {sku.id: 5}
    assert selectors.availability_for_product(sku.product_id) == {sku.id: 5}


def test_availability_lists_skus_without_stock_as_zero(shop, sku):
    assert selectors.available_by_sku([sku.id, 999_999]) == {sku.id: 0, 999_999: 0}
    assert selectors.available_by_sku([]) == {}
