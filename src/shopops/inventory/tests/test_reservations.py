"""Reservations: hold at order placement, commit at payment, release on cancel or expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shopops.core.errors import IllegalTransition, InvalidInput, NotFound
from shopops.inventory import selectors, services, tasks
from shopops.inventory.errors import (
    InsufficientStock,
    InvalidQuantity,
    ReservationConflict,
    ReservationReleased,
    WarehouseInactive,
)
from shopops.inventory.models import LedgerReason, Reservation, ReservationStatus, Stock, StockLedgerEntry
from shopops.inventory.services import SkuQuantity
from shopops.inventory.tests.factories import make_sku, make_warehouse, put_stock


def later(minutes: int = 30):
    return timezone.now() + timedelta(minutes=minutes)


def figures(warehouse, sku) -> tuple[int, int, int]:
    row = Stock.objects.get(warehouse=warehouse, sku=sku)
    return row.on_hand, row.reserved, row.available


def test_reserve_holds_units_and_writes_a_reservation_entry(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    reservation = services.reserve(sku_id=sku.id, quantity=3, order_ref="SO-1", expires_at=later())
    assert reservation.status == ReservationStatus.ACTIVE
    assert figures(warehouse, sku) == (10, 3, 7)
    entry = StockLedgerEntry.objects.get(reason=LedgerReason.RESERVATION)
    assert (entry.reserved_delta, entry.on_hand_delta, entry.reference) == (3, 0, "SO-1")
    assert selectors.available_by_sku([sku.id]) == {sku.id: 7}


def test_commit_takes_the_units_out_of_stock_as_a_sale(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    services.reserve(sku_id=sku.id, quantity=3, order_ref="SO-1", expires_at=later())
    committed = services.commit_reservation(order_ref="SO-1", sku_id=sku.id)
    assert committed.status == ReservationStatus.COMMITTED
    assert figures(warehouse, sku) == (7, 0, 7)
    sale = StockLedgerEntry.objects.get(reason=LedgerReason.SALE)
    assert (sale.on_hand_delta, sale.reserved_delta) == (-3, -3)


def test_release_gives_the_units_back(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    services.reserve(sku_id=sku.id, quantity=3, order_ref="SO-1", expires_at=later())
    released = services.release_reservation(order_ref="SO-1", sku_id=sku.id)
    assert (released.status, released.release_reason) == (ReservationStatus.RELEASED, "cancelled")
    assert figures(warehouse, sku) == (10, 0, 10)


def test_reserving_twice_for_the_same_order_line_returns_the_same_reservation(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    first = services.reserve(sku_id=sku.id, quantity=2, order_ref="SO-1", expires_at=later())
    again = services.reserve(sku_id=sku.id, quantity=2, order_ref="SO-1", expires_at=later())
    assert again.pk == first.pk
    assert figures(warehouse, sku) == (10, 2, 8)
    with pytest.raises(ReservationConflict):
        services.reserve(sku_id=sku.id, quantity=5, order_ref="SO-1", expires_at=later())


def test_repeated_commit_and_release_are_no_ops(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    services.reserve(sku_id=sku.id, quantity=2, order_ref="SO-1", expires_at=later())
    services.reserve(sku_id=sku.id, quantity=2, order_ref="SO-2", expires_at=later())
    services.commit_reservation(order_ref="SO-1", sku_id=sku.id)
    services.commit_reservation(order_ref="SO-1", sku_id=sku.id)
    services.release_reservation(order_ref="SO-2", sku_id=sku.id)
    services.release_reservation(order_ref="SO-2", sku_id=sku.id)
    assert figures(warehouse, sku) == (8, 0, 8)
    assert StockLedgerEntry.objects.filter(reason=LedgerReason.SALE).count() == 1
    assert StockLedgerEntry.objects.filter(reason=LedgerReason.RELEASE).count() == 1


def test_a_released_reservation_cannot_be_committed_nor_a_committed_one_released(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    services.reserve(sku_id=sku.id, quantity=1, order_ref="SO-1", expires_at=later())
    services.reserve(sku_id=sku.id, quantity=1, order_ref="SO-2", expires_at=later())
    services.release_reservation(order_ref="SO-1", sku_id=sku.id)
    services.commit_reservation(order_ref="SO-2", sku_id=sku.id)
    with pytest.raises(ReservationReleased):
        services.commit_reservation(order_ref="SO-1", sku_id=sku.id)
    with pytest.raises(IllegalTransition):
        services.release_reservation(order_ref="SO-2", sku_id=sku.id)
    assert figures(warehouse, sku) == (9, 0, 9)


def test_reserving_more_than_available_is_refused_and_holds_nothing(shop, warehouse, sku):
    put_stock(warehouse, sku, 4)
    with pytest.raises(InsufficientStock) as caught:
        services.reserve(sku_id=sku.id, quantity=5, order_ref="SO-1", expires_at=later())
    assert caught.value.details == {"sku_id": sku.id, "requested": 5, "available": 4}
    assert not Reservation.objects.exists()
    assert figures(warehouse, sku) == (4, 0, 4)


@pytest.mark.parametrize("quantity", [0, -1, 2.0, "1"])
def test_reserving_a_bad_quantity_is_refused(shop, warehouse, sku, quantity):
    put_stock(warehouse, sku, 4)
    with pytest.raises(InvalidQuantity):
        services.reserve(sku_id=sku.id, quantity=quantity, order_ref="SO-1", expires_at=later())
    assert not Reservation.objects.exists()


def test_reserving_with_an_expiry_in_the_past_is_refused(shop, warehouse, sku):
    put_stock(warehouse, sku, 4)
    with pytest.raises(InvalidInput):
        services.reserve(sku_id=sku.id, quantity=1, order_ref="SO-1", expires_at=later(-1))


def test_without_expiry_the_shop_ttl_applies(shop, warehouse, sku):
    put_stock(warehouse, sku, 4)
    services.update_settings(shop_id=shop.id, reservation_ttl_minutes=15)
    reservation = services.reserve(sku_id=sku.id, quantity=1, order_ref="SO-1")
    assert timedelta(minutes=14) < reservation.expires_at - timezone.now() <= timedelta(minutes=15)


def test_a_named_warehouse_is_used_and_must_have_the_units(shop, warehouse, second_warehouse, sku):
    put_stock(warehouse, sku, 10)
    put_stock(second_warehouse, sku, 2)
    with pytest.raises(InsufficientStock):
        services.reserve(
            sku_id=sku.id, quantity=3, order_ref="SO-1", expires_at=later(), warehouse_id=second_warehouse.id
        )
    services.reserve(
        sku_id=sku.id, quantity=2, order_ref="SO-1", expires_at=later(), warehouse_id=second_warehouse.id
    )
    assert figures(second_warehouse, sku) == (2, 2, 0)
    services.update_warehouse(shop_id=shop.id, warehouse_id=warehouse.id, is_active=False)
    with pytest.raises(WarehouseInactive):
        services.reserve(
            sku_id=sku.id, quantity=1, order_ref="SO-2", expires_at=later(), warehouse_id=warehouse.id
        )


def test_automatic_choice_prefers_one_warehouse_that_has_everything(shop, warehouse, second_warehouse, sku):
    put_stock(warehouse, sku, 2)
    put_stock(second_warehouse, sku, 8)
    reservation = services.reserve(sku_id=sku.id, quantity=5, order_ref="SO-1", expires_at=later())
    assert [(a.warehouse_id, a.quantity) for a in reservation.allocations.all()] == [(second_warehouse.id, 5)]


def test_automatic_choice_splits_when_no_single_warehouse_has_enough(shop, warehouse, second_warehouse, sku):
    third = make_warehouse(shop, code="bj")
    put_stock(warehouse, sku, 3)
    put_stock(second_warehouse, sku, 4)
    put_stock(third, sku, 1)
    reservation = services.reserve(sku_id=sku.id, quantity=6, order_ref="SO-1", expires_at=later())
    assert sorted((a.warehouse_id, a.quantity) for a in reservation.allocations.all()) == sorted(
        [(second_warehouse.id, 4), (warehouse.id, 2)]
    )
    services.commit_reservation(order_ref="SO-1", sku_id=sku.id)
    assert selectors.available_by_sku([sku.id]) == {sku.id: 2}
    assert selectors.ledger_mismatches(shop_id=shop.id) == []


def test_reserve_order_is_all_or_nothing(shop, warehouse, sku):
    scarce = make_sku(shop)
    put_stock(warehouse, sku, 10)
    put_stock(warehouse, scarce, 1)
    with pytest.raises(InsufficientStock):
        services.reserve_order(
            order_ref="SO-7", lines=[SkuQuantity(sku.id, 2), SkuQuantity(scarce.id, 2)], expires_at=later()
        )
    assert not Reservation.objects.exists()
    assert figures(warehouse, sku) == (10, 0, 10)
    held = services.reserve_order(
        order_ref="SO-7", lines=[SkuQuantity(sku.id, 2), SkuQuantity(scarce.id, 1)], expires_at=later()
    )
    assert len(held) == 2
    services.commit_order(order_ref="SO-7")
    assert figures(warehouse, scarce) == (0, 0, 0)


def test_commit_of_an_unknown_order_is_not_found(shop):
    with pytest.raises(NotFound):
        services.commit_reservation(order_ref="nope", sku_id=1)
    with pytest.raises(NotFound):
        services.release_order(order_ref="nope")


def test_expiry_sweep_releases_only_expired_active_reservations(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    services.reserve(sku_id=sku.id, quantity=2, order_ref="OLD", expires_at=later(1))
    services.reserve(sku_id=sku.id, quantity=3, order_ref="NEW", expires_at=later(60))
    services.reserve(sku_id=sku.id, quantity=1, order_ref="PAID", expires_at=later(1))
    services.commit_reservation(order_ref="PAID", sku_id=sku.id)

    assert services.release_expired_reservations(now=timezone.now() + timedelta(minutes=5)) == 1

    old = Reservation.objects.get(order_ref="OLD")
    assert (old.status, old.release_reason) == (ReservationStatus.RELEASED, "expired")
    assert Reservation.objects.get(order_ref="NEW").status == ReservationStatus.ACTIVE
    assert Reservation.objects.get(order_ref="PAID").status == ReservationStatus.COMMITTED
    assert figures(warehouse, sku) == (9, 3, 6)
    # Nothing left to do: a second sweep releases nothing and writes nothing.
    entries = StockLedgerEntry.objects.count()
    assert services.release_expired_reservations(now=timezone.now() + timedelta(minutes=5)) == 0
    assert StockLedgerEntry.objects.count() == entries


def test_the_beat_task_sweeps_and_is_scheduled(shop, warehouse, sku, monkeypatch):
    from shopops.core.schedule import periodic_schedule

    put_stock(warehouse, sku, 10)
    reservation = services.reserve(sku_id=sku.id, quantity=2, order_ref="OLD", expires_at=later(1))
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.release_expired_reservations() == 1
    assert figures(warehouse, sku) == (10, 0, 10)
    schedule = periodic_schedule()["inventory.release-expired-reservations"]
    assert schedule["task"] == "shopops.inventory.tasks.release_expired_reservations"


def test_expired_but_unswept_reservation_still_commits(shop, warehouse, sku):
    put_stock(warehouse, sku, 10)
    reservation = services.reserve(sku_id=sku.id, quantity=2, order_ref="LATE", expires_at=later(1))
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    services.commit_reservation(order_ref="LATE", sku_id=sku.id)
    assert figures(warehouse, sku) == (8, 0, 8)
