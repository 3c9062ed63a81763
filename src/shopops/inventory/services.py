"""Every write to inventory. Each public function is one transaction with keyword-only arguments and
raises inventory.errors on bad input, leaving nothing changed.

The single path for stock figures is `_move()`: one conditional UPDATE of one stock row plus one
ledger row, in the caller's transaction. The UPDATE carries its own guard in the WHERE clause
(`available >= n`, `reserved >= n`), so two sessions can never both take the last unit: the second
one's UPDATE matches no row once the first has committed. Nothing reads a figure in Python and
writes it back.

Lock order, to keep concurrent multi-row operations free of deadlocks: stock rows are always locked
in primary-key order (`_lock_stock_rows`) before several of them are moved in one transaction, and
multi-SKU operations process SKUs in ascending id order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from shopops.core import audit
from shopops.core.errors import Conflict, InvalidInput, NotFound
from shopops.core.ids import time_sortable_number
from shopops.core.money import MoneyError, to_money
from shopops.inventory import catalog_reads, selectors
from shopops.inventory.errors import (
    IllegalTransition,
    InsufficientStock,
    InvalidQuantity,
    OverReceipt,
    ReservationConflict,
    ReservationReleased,
    SameWarehouse,
    StockChangedSinceCount,
    UnknownSku,
    WarehouseInactive,
    WarehouseNotEmpty,
)
from shopops.inventory.models import (
    AlertStatus,
    InventorySettings,
    LedgerReason,
    LowStockAlert,
    LowStockThreshold,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    PurchaseReceipt,
    PurchaseReceiptLine,
    ReleaseReason,
    Reservation,
    ReservationAllocation,
    ReservationStatus,
    Stock,
    StockLedgerEntry,
    Stocktake,
    StocktakeLine,
    StockTransfer,
    StockTransferLine,
    Supplier,
    SupplierItem,
    Warehouse,
)

logger = logging.getLogger(__name__)

# One movement may not exceed this: keeps sums far from the 32-bit column limit and catches typos.
MAX_QUANTITY = 10_000_000
MAX_LINES = 500


# ==================================================================================================
# Input shapes
# ==================================================================================================


@dataclass(frozen=True)
class SkuQuantity:
    sku_id: int
    quantity: int


@dataclass(frozen=True)
class ReserveLine:
    sku_id: int
    quantity: int
    warehouse_id: int | None = None  # None: chosen automatically


@dataclass(frozen=True)
class CountLine:
    sku_id: int
    counted: int
    # The on-hand figure the counter saw when counting (optional): if stock moved since, refuse.
    expected_on_hand: int | None = None


@dataclass(frozen=True)
class OrderLineInput:
    sku_id: int
    quantity: int
    unit_cost: Decimal | None = None


# ==================================================================================================
# Small guards
# ==================================================================================================


def _check_quantity(value: Any, *, field: str = "quantity", allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuantity(field=field, value=value)
    if value < 0 or (value == 0 and not allow_zero) or value > MAX_QUANTITY:
        raise InvalidQuantity(field=field, value=value, max=MAX_QUANTITY)
    return value


def _check_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(
            f"{field} 不能为空 / {field} is required", code="required", fields={field: ["required"]}
        )
    if len(text) > max_length:
        raise InvalidInput(
            f"{field} 过长 / {field} is too long", code="too_long", fields={field: [f"max {max_length}"]}
        )
    return text


def _check_lines(lines: Sequence[Any]) -> None:
    if not lines:
        raise InvalidInput("至少需要一行 / At least one line is required", code="no_lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput("行数过多 / Too many lines", code="too_many_lines", max=MAX_LINES)
    sku_ids = [line.sku_id for line in lines]
    duplicates = sorted({s for s in sku_ids if sku_ids.count(s) > 1})
    if duplicates:
        raise InvalidInput(
            "同一 SKU 重复出现 / A SKU appears twice", code="duplicate_sku", sku_ids=duplicates
        )


def _require_shop_skus(shop_id: int, sku_ids: Iterable[int]) -> None:
    wanted = set(sku_ids)
    missing = wanted - catalog_reads.skus_of_shop(shop_id, wanted)
    if missing:
        raise UnknownSku(resource="sku", ids=sorted(missing))


def _warehouse(shop_id: int, warehouse_id: int, *, must_be_active: bool = True) -> Warehouse:
    warehouse = selectors.get_warehouse(shop_id=shop_id, warehouse_id=warehouse_id)
    if must_be_active and not warehouse.is_active:
        raise WarehouseInactive(warehouse_id=warehouse_id)
    return warehouse


def _actor(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _sku_shop(sku_id: int) -> int:
    shop_id = catalog_reads.sku_shop_ids([sku_id]).get(sku_id)
    if shop_id is None:
        raise UnknownSku(resource="sku", id=sku_id)
    return shop_id


# ==================================================================================================
# The one path that changes stock figures
# ==================================================================================================


def _ensure_stock_row(*, shop_id: int, warehouse_id: int, sku_id: int) -> None:
    # INSERT ... ON CONFLICT DO NOTHING: safe when two sessions create the same row at once.
    Stock.objects.bulk_create(
        [Stock(shop_id=shop_id, warehouse_id=warehouse_id, sku_id=sku_id)], ignore_conflicts=True
    )


def _lock_stock_rows(pairs: Iterable[tuple[int, int]]) -> None:
    """Lock the stock rows of (warehouse_id, sku_id) pairs in primary-key order (see module doc)."""
    pairs = set(pairs)
    if not pairs:
        return
    condition = Q()
    for warehouse_id, sku_id in pairs:
        condition |= Q(warehouse_id=warehouse_id, sku_id=sku_id)
    list(Stock.objects.select_for_update().filter(condition).order_by("pk").values_list("pk", flat=True))


def _apply_delta(
    *, warehouse_id: int, sku_id: int, on_hand_delta: int, reserved_delta: int, now: datetime
) -> tuple[int, int] | None:
    """The conditional UPDATE: change the row only if it stays valid; (on_hand, reserved) after, or
    None when the guard refused (or the row does not exist).

    One statement with RETURNING (PostgreSQL, SQLite >= 3.35): the guard, the write and the read of
    the result happen under the same row lock, and the lock is taken no earlier than needed.
    """
    table = connection.ops.quote_name(Stock._meta.db_table)
    # The table name is the model's own; every value is a parameter.
    sql = (
        f"UPDATE {table} SET on_hand = on_hand + %s, reserved = reserved + %s, updated_at = %s "  # noqa: S608
        "WHERE warehouse_id = %s AND sku_id = %s AND reserved >= %s AND available >= %s "
        "RETURNING on_hand, reserved"
    )
    params = [
        on_hand_delta,
        reserved_delta,
        connection.ops.adapt_datetimefield_value(now),
        warehouse_id,
        sku_id,
        max(-reserved_delta, 0),  # reserved never below 0
        max(reserved_delta - on_hand_delta, 0),  # after: on_hand >= reserved  <=>  available >= dr - dh
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else None


def _ledger_entry(
    *,
    shop_id: int,
    warehouse_id: int,
    sku_id: int,
    reason: str,
    on_hand_delta: int,
    reserved_delta: int,
    after: tuple[int, int],
    actor: Any,
    reference: str,
    note: str,
    now: datetime,
) -> StockLedgerEntry:
    """The (unsaved) ledger row of a movement that was applied, with the figures it left."""
    return StockLedgerEntry(
        shop_id=shop_id,
        warehouse_id=warehouse_id,
        sku_id=sku_id,
        reason=reason,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        on_hand_after=after[0],
        reserved_after=after[1],
        actor=_actor(actor),
        reference=reference[:64],
        note=note[:255],
        created_at=now,
    )


def _try_move_unsaved(
    *,
    shop_id: int,
    warehouse_id: int,
    sku_id: int,
    reason: str,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    actor: Any = None,
    reference: str = "",
    note: str = "",
) -> StockLedgerEntry | None:
    """Apply one change to one stock row and return its ledger entry, NOT yet saved (the caller saves
    it, or several at once with bulk_create, in the same transaction); None (nothing changed) when the
    row would become invalid. Must run inside a transaction."""
    if on_hand_delta == 0 and reserved_delta == 0:
        raise ValueError("a movement must change something")
    now = timezone.now()
    deltas = {"on_hand_delta": on_hand_delta, "reserved_delta": reserved_delta}
    after = _apply_delta(warehouse_id=warehouse_id, sku_id=sku_id, now=now, **deltas)
    if after is None and on_hand_delta >= 0 and 0 <= reserved_delta <= on_hand_delta:
        # Stock arriving in a warehouse that never held the SKU: create the row, then apply.
        _ensure_stock_row(shop_id=shop_id, warehouse_id=warehouse_id, sku_id=sku_id)
        after = _apply_delta(warehouse_id=warehouse_id, sku_id=sku_id, now=now, **deltas)
    if after is None:
        return None
    return _ledger_entry(
        shop_id=shop_id,
        warehouse_id=warehouse_id,
        sku_id=sku_id,
        reason=reason,
        after=after,
        actor=actor,
        reference=reference,
        note=note,
        now=now,
        **deltas,
    )


def _try_move(**movement: Any) -> StockLedgerEntry | None:
    """Apply one change to one stock row and write its ledger entry, or return None (nothing written)
    when the row would become invalid. Must run inside a transaction."""
    entry = _try_move_unsaved(**movement)
    if entry is not None:
        entry.save(force_insert=True)
    return entry


def _refused(movement: dict[str, Any]) -> InsufficientStock:
    """The error for a movement the row's guard refused, with the row's current figures."""
    current = Stock.objects.filter(warehouse_id=movement["warehouse_id"], sku_id=movement["sku_id"]).values(
        "on_hand", "reserved", "available"
    ).first() or {"on_hand": 0, "reserved": 0, "available": 0}
    dh, dr = movement.get("on_hand_delta", 0), movement.get("reserved_delta", 0)
    return InsufficientStock(
        sku_id=movement["sku_id"],
        warehouse_id=movement["warehouse_id"],
        requested=max(-dh, dr, -dr),
        **current,
    )


def _move(**movement: Any) -> StockLedgerEntry:
    """`_try_move`, raising InsufficientStock (row untouched) when the change is refused."""
    entry = _try_move(**movement)
    if entry is None:
        raise _refused(movement)
    return entry


def bulk_receive_new_stock(
    *,
    shop_id: int,
    quantities: dict[tuple[int, int], int],
    reason: str = LedgerReason.PURCHASE_RECEIPT,
    reference: str = "",
    note: str = "",
    actor: Any = None,
    batch_size: int = 2000,
) -> int:
    """Book stock arriving in bulk ({(warehouse_id, sku_id): quantity}), e.g. an opening balance.

    The fast path of `_move` for data loads: pairs with no stock row yet get their row and their
    ledger entry in bulk INSERTs (the invariant holds by construction: one entry equal to the row);
    pairs that already have a row go through `_move` one by one. Returns the number of entries.
    """
    if not quantities:
        return 0
    for (warehouse_id, sku_id), qty in quantities.items():
        _check_quantity(qty, field=f"quantity[{warehouse_id},{sku_id}]")
    warehouse_ids = {w for w, _ in quantities}
    if Warehouse.objects.filter(id__in=warehouse_ids, shop_id=shop_id).count() != len(warehouse_ids):
        raise NotFound(resource="warehouse", ids=sorted(warehouse_ids))
    _require_shop_skus(shop_id, {s for _, s in quantities})
    now = timezone.now()
    actor = _actor(actor)
    with transaction.atomic():
        existing = set(
            Stock.objects.filter(warehouse_id__in=warehouse_ids, sku_id__in={s for _, s in quantities})
            .values_list("warehouse_id", "sku_id")
            .iterator()
        )
        fresh = [(pair, qty) for pair, qty in quantities.items() if pair not in existing]
        for start in range(0, len(fresh), batch_size):
            chunk = fresh[start : start + batch_size]
            Stock.objects.bulk_create(
                [
                    Stock(shop_id=shop_id, warehouse_id=w, sku_id=s, on_hand=qty, updated_at=now)
                    for (w, s), qty in chunk
                ]
            )
            StockLedgerEntry.objects.bulk_create(
                [
                    StockLedgerEntry(
                        shop_id=shop_id,
                        warehouse_id=w,
                        sku_id=s,
                        reason=reason,
                        on_hand_delta=qty,
                        on_hand_after=qty,
                        reserved_after=0,
                        actor=actor,
                        reference=reference[:64],
                        note=note[:255],
                        created_at=now,
                    )
                    for (w, s), qty in chunk
                ]
            )
        for (w, s), qty in sorted(quantities.items()):
            if (w, s) in existing:
                _move(
                    shop_id=shop_id,
                    warehouse_id=w,
                    sku_id=s,
                    reason=reason,
                    on_hand_delta=qty,
                    actor=actor,
                    reference=reference,
                    note=note,
                )
        refresh_low_stock(shop_id=shop_id, sku_ids={s for _, s in quantities})
    return len(quantities)


# ==================================================================================================
# Low-stock alerts
# ==================================================================================================


def refresh_low_stock(*, shop_id: int, sku_ids: Iterable[int] | None = None) -> None:
    """Open an alert for each tracked SKU at or below its threshold that has none, and resolve open
    alerts whose SKU climbed back above. Runs inside the caller's transaction.

    "Tracked" means the SKU has a stock row in some warehouse: a draft product nobody stocked yet is
    not "low". One alert per crossing: the partial unique index allows one open alert per SKU, so a
    second sale below the threshold finds the alert open and adds nothing.
    """
    ids = None if sku_ids is None else set(sku_ids)
    if ids is not None and not ids:
        return
    if ids is not None and len(ids) <= 50:
        levels = selectors.effective_thresholds_cached(shop_id=shop_id, sku_ids=ids)
    else:
        levels = selectors.effective_thresholds(shop_id=shop_id, sku_ids=ids)
    tracked = selectors.tracked_availability(shop_id=shop_id, sku_ids=ids)
    open_qs = LowStockAlert.objects.filter(shop_id=shop_id, status=AlertStatus.OPEN)
    if ids is not None:
        open_qs = open_qs.filter(sku_id__in=ids)
    open_alerts = dict(open_qs.values_list("sku_id", "id"))
    now = timezone.now()

    new_alerts = []
    for sku_id, available in tracked.items():
        level = levels.get(sku_id, 0)
        if level > 0 and available <= level and sku_id not in open_alerts:
            new_alerts.append(
                LowStockAlert(
                    shop_id=shop_id, sku_id=sku_id, threshold=level, available=available, created_at=now
                )
            )
    if new_alerts:
        LowStockAlert.objects.bulk_create(new_alerts, ignore_conflicts=True)
        transaction.on_commit(lambda: _enqueue_low_stock_notification(shop_id))

    for sku_id, alert_id in open_alerts.items():
        level = levels.get(sku_id, 0)
        available = tracked.get(sku_id, 0)
        if level == 0 or available > level:
            LowStockAlert.objects.filter(id=alert_id, status=AlertStatus.OPEN).update(
                status=AlertStatus.RESOLVED, resolved_at=now, resolved_available=available
            )


def _enqueue_low_stock_notification(shop_id: int) -> None:
    from shopops.inventory.tasks import notify_low_stock

    try:
        notify_low_stock.delay(shop_id)
    except Exception:  # a broker outage must not fail the stock change that already committed
        logger.exception("could not enqueue low-stock notification for shop %s", shop_id)


def mark_alerts_notified(*, alert_ids: Iterable[int]) -> int:
    return LowStockAlert.objects.filter(id__in=set(alert_ids), notified_at__isnull=True).update(
        notified_at=timezone.now()
    )


# ==================================================================================================
# Reservations (orders)
# ==================================================================================================


def _default_expiry(shop_id: int) -> datetime:
    return timezone.now() + timedelta(minutes=selectors.settings_for(shop_id).reservation_ttl_minutes)


def _same_or_conflict(existing: Reservation, quantity: int) -> Reservation:
    if existing.quantity != quantity:
        raise ReservationConflict(
            order_ref=existing.order_ref, sku_id=existing.sku_id, held=existing.quantity, requested=quantity
        )
    return existing


def _plan_allocation(*, shop_id: int, sku_id: int, quantity: int) -> list[tuple[int, int]]:
    """Choose warehouses for `quantity` units: one warehouse that has them all (by priority), else
    the fewest warehouses, largest first. Locks the SKU's stock rows so the plan stays true."""
    rows = list(
        Stock.objects.select_for_update(of=("self",))
        .filter(shop_id=shop_id, sku_id=sku_id, warehouse__is_active=True, available__gt=0)
        .order_by("pk")
        .values_list("warehouse_id", "available", "warehouse__priority")
    )
    total = sum(available for _, available, _ in rows)
    if total < quantity:
        raise InsufficientStock(sku_id=sku_id, requested=quantity, available=total)
    by_priority = sorted(rows, key=lambda r: (r[2], r[0]))
    single = next((r for r in by_priority if r[1] >= quantity), None)
    if single is not None:
        return [(single[0], quantity)]
    plan, remaining = [], quantity
    for warehouse_id, available, _ in sorted(rows, key=lambda r: (-r[1], r[2], r[0])):
        take = min(available, remaining)
        plan.append((warehouse_id, take))
        remaining -= take
        if remaining == 0:
            break
    return plan


def _reserve_anywhere(
    *, shop_id: int, sku_id: int, quantity: int, order_ref: str, actor: Any
) -> list[StockLedgerEntry]:
    """Hold the units in whichever active warehouse has them, best priority first.

    Optimistic first: read the warehouses that last held enough and try the conditional UPDATE on
    each (no lock is taken before the UPDATE itself, so a busy SKU's row lock is held only from the
    UPDATE to the commit). A loser of a race simply finds the guard refused and looks again. When no
    single warehouse has enough, the units are split under row locks (`_plan_allocation`).
    """
    common = {"shop_id": shop_id, "sku_id": sku_id, "reason": LedgerReason.RESERVATION, "actor": actor}
    for _attempt in range(3):
        candidates = list(
            Stock.objects.filter(
                shop_id=shop_id, sku_id=sku_id, warehouse__is_active=True, available__gte=quantity
            )
            .order_by("warehouse__priority", "warehouse_id")
            .values_list("warehouse_id", flat=True)[:5]
        )
        if not candidates:
            break
        for warehouse_id in candidates:
            entry = _try_move(
                warehouse_id=warehouse_id, reserved_delta=quantity, reference=order_ref, **common
            )
            if entry is not None:
                return [entry]
    plan = _plan_allocation(shop_id=shop_id, sku_id=sku_id, quantity=quantity)
    return [
        _move(warehouse_id=warehouse_id, reserved_delta=units, reference=order_ref, **common)
        for warehouse_id, units in plan
    ]


@transaction.atomic
def reserve(
    *,
    sku_id: int,
    quantity: int,
    order_ref: str,
    expires_at: datetime | None = None,
    warehouse_id: int | None = None,
    actor: Any = None,
) -> Reservation:
    """Hold `quantity` units of a SKU for an unpaid order until `expires_at`.

    Idempotent by (order_ref, sku): asking again returns the same reservation (a different quantity
    is a ReservationConflict). With no warehouse given, one with enough available stock is chosen
    (several when no single one has enough). Raises InsufficientStock; never oversells.
    """
    _check_quantity(quantity)
    order_ref = _check_text(order_ref, field="order_ref", max_length=64)
    shop_id = _sku_shop(sku_id)
    if expires_at is None:
        expires_at = _default_expiry(shop_id)
    if timezone.is_naive(expires_at) or expires_at <= timezone.now():
        raise InvalidInput(
            "过期时间必须是将来的时间 / expires_at must be in the future",
            code="invalid_expiry",
            fields={"expires_at": ["must be a future, timezone-aware time"]},
        )
    if warehouse_id is not None:
        _warehouse(shop_id, warehouse_id)
    reservation = _claim_reservation(
        shop_id=shop_id, sku_id=sku_id, order_ref=order_ref, quantity=quantity, expires_at=expires_at
    )
    if reservation is None:  # this order line already holds stock: the same reservation answers
        return _same_or_conflict(Reservation.objects.get(order_ref=order_ref, sku_id=sku_id), quantity)
    # Read before any row lock is taken: the busy row's lock then covers only the writes below.
    level = selectors.effective_thresholds_cached(shop_id=shop_id, sku_ids=[sku_id]).get(sku_id, 0)

    if warehouse_id is not None:
        entry = _move(
            shop_id=shop_id,
            warehouse_id=warehouse_id,
            sku_id=sku_id,
            reason=LedgerReason.RESERVATION,
            reserved_delta=quantity,
            actor=actor,
            reference=order_ref,
        )
        entries = [entry]
    else:
        entries = _reserve_anywhere(
            shop_id=shop_id, sku_id=sku_id, quantity=quantity, order_ref=order_ref, actor=actor
        )
    ReservationAllocation.objects.bulk_create(
        [
            ReservationAllocation(
                reservation=reservation, warehouse_id=e.warehouse_id, quantity=e.reserved_delta
            )
            for e in entries
        ]
    )
    # Less available: an alert can open, and only if every touched row ended at or below the level
    # (any row above it keeps the SKU's total above it too). Increases resolve alerts elsewhere.
    if _may_open_alert(level, entries):
        refresh_low_stock(shop_id=shop_id, sku_ids=[sku_id])
    return reservation


def _may_open_alert(level: int, entries: Sequence[StockLedgerEntry]) -> bool:
    """After taking units: an alert can open only if every touched row ended at or below the level
    (any row above it keeps the SKU's total above it too)."""
    return level > 0 and all(e.on_hand_after - e.reserved_after <= level for e in entries)


def _claim_reservation(
    *, shop_id: int, sku_id: int, order_ref: str, quantity: int, expires_at: datetime
) -> Reservation | None:
    """Insert the reservation row, or None when (order_ref, sku) already has one.

    The unique (order_ref, sku) row is written first: a concurrent duplicate waits on it for our
    commit and then finds our reservation, instead of reserving the stock twice. INSERT ... ON
    CONFLICT DO NOTHING does that in one statement, without a savepoint (PostgreSQL, SQLite).
    """
    return _claim_reservations([(shop_id, sku_id, order_ref, quantity)], expires_at).get((order_ref, sku_id))


@transaction.atomic
def reserve_order(
    *,
    order_ref: str,
    lines: Sequence[SkuQuantity | ReserveLine],
    expires_at: datetime | None = None,
    shop_id: int | None = None,
    actor: Any = None,
) -> list[Reservation]:
    """Reserve every line of an order, all or nothing (one line short: nothing is held).

    With `shop_id`, every SKU must belong to that shop (the API passes it; an order spans one shop).
    """
    _check_lines(lines)
    if shop_id is not None:
        _require_shop_skus(shop_id, [line.sku_id for line in lines])
    return [
        reserve(
            sku_id=line.sku_id,
            quantity=line.quantity,
            order_ref=order_ref,
            expires_at=expires_at,
            warehouse_id=getattr(line, "warehouse_id", None),
            actor=actor,
        )
        for line in sorted(lines, key=lambda line: line.sku_id)
    ]


def _locked_reservations(
    order_ref: str, sku_id: int | None = None, shop_id: int | None = None
) -> list[Reservation]:
    qs = Reservation.objects.select_for_update().filter(order_ref=order_ref)
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    if sku_id is not None:
        qs = qs.filter(sku_id=sku_id)
    found = list(qs.order_by("sku_id"))
    if not found:
        raise NotFound(resource="reservation", order_ref=order_ref, sku_id=sku_id)
    return found


def _lock_allocations(reservation: Reservation) -> list[ReservationAllocation]:
    allocations = list(reservation.allocations.order_by("warehouse_id"))
    if len(allocations) > 1:  # one row needs no ordering: its UPDATE takes the lock
        _lock_stock_rows((a.warehouse_id, reservation.sku_id) for a in allocations)
    return allocations


def _commit(reservation: Reservation, actor: Any) -> Reservation:
    if reservation.status == ReservationStatus.COMMITTED:
        return reservation  # repeated commit: a no-op
    if reservation.status == ReservationStatus.RELEASED:
        raise ReservationReleased(
            order_ref=reservation.order_ref,
            sku_id=reservation.sku_id,
            release_reason=reservation.release_reason,
        )
    for allocation in _lock_allocations(reservation):
        _move(
            shop_id=reservation.shop_id,
            warehouse_id=allocation.warehouse_id,
            sku_id=reservation.sku_id,
            reason=LedgerReason.SALE,
            on_hand_delta=-allocation.quantity,
            reserved_delta=-allocation.quantity,
            actor=actor,
            reference=reservation.order_ref,
        )
    reservation.status = ReservationStatus.COMMITTED
    reservation.committed_at = timezone.now()
    reservation.save(update_fields=["status", "committed_at"])
    # on_hand and reserved fall together: available is unchanged, so no alert can change.
    return reservation


def _release(reservation: Reservation, reason: str, actor: Any) -> Reservation:
    if reservation.status == ReservationStatus.RELEASED:
        return reservation  # repeated release: a no-op
    if reservation.status == ReservationStatus.COMMITTED:
        raise IllegalTransition(
            "已付款扣减的预占不能释放，请走退货 / A committed reservation cannot be released; book a return",
            order_ref=reservation.order_ref,
            sku_id=reservation.sku_id,
            status=reservation.status,
        )
    for allocation in _lock_allocations(reservation):
        _move(
            shop_id=reservation.shop_id,
            warehouse_id=allocation.warehouse_id,
            sku_id=reservation.sku_id,
            reason=LedgerReason.RELEASE,
            reserved_delta=-allocation.quantity,
            actor=actor,
            reference=reservation.order_ref,
            note=str(ReleaseReason(reason).label),
        )
    reservation.status = ReservationStatus.RELEASED
    reservation.release_reason = reason
    reservation.released_at = timezone.now()
    reservation.save(update_fields=["status", "release_reason", "released_at"])
    refresh_low_stock(shop_id=reservation.shop_id, sku_ids=[reservation.sku_id])
    return reservation


@transaction.atomic
def commit_reservation(*, order_ref: str, sku_id: int, actor: Any = None) -> Reservation:
    """The order was paid: the held units leave stock (ledger: sale). Repeating is a no-op.

    A reservation past its expiry that the sweep has not released yet still commits: the units were
    held all along. One already released raises ReservationReleased.
    """
    return _commit(_locked_reservations(order_ref, sku_id)[0], actor)


@transaction.atomic
def commit_order(*, order_ref: str, shop_id: int | None = None, actor: Any = None) -> list[Reservation]:
    """Commit every reservation of an order (of `shop_id` only, when given)."""
    return [_commit(r, actor) for r in _locked_reservations(order_ref, shop_id=shop_id)]


@transaction.atomic
def release_reservation(
    *, order_ref: str, sku_id: int, reason: str = ReleaseReason.CANCELLED, actor: Any = None
) -> Reservation:
    """The order was cancelled (or expired): the held units become available again."""
    if reason not in ReleaseReason.values:
        raise InvalidInput(code="invalid_reason", reason=reason, allowed=list(ReleaseReason.values))
    return _release(_locked_reservations(order_ref, sku_id)[0], reason, actor)


@transaction.atomic
def release_order(
    *, order_ref: str, reason: str = ReleaseReason.CANCELLED, shop_id: int | None = None, actor: Any = None
) -> list[Reservation]:
    """Release every reservation of an order (of `shop_id` only, when given)."""
    if reason not in ReleaseReason.values:
        raise InvalidInput(code="invalid_reason", reason=reason, allowed=list(ReleaseReason.values))
    return [_release(r, reason, actor) for r in _locked_reservations(order_ref, shop_id=shop_id)]


# --- batched forms for checkout: the same guarded moves, fewer round trips ------------------------------


@dataclass(frozen=True)
class OrderLines:
    """The lines of one order of a checkout, for `reserve_orders`."""

    order_ref: str
    shop_id: int
    lines: Sequence[SkuQuantity]


def _check_expiry(expires_at: datetime) -> None:
    if timezone.is_naive(expires_at) or expires_at <= timezone.now():
        raise InvalidInput(
            "过期时间必须是将来的时间 / expires_at must be in the future",
            code="invalid_expiry",
            fields={"expires_at": ["must be a future, timezone-aware time"]},
        )


def _claim_reservations(
    rows: Sequence[tuple[int, int, str, int]], expires_at: datetime
) -> dict[tuple[str, int], Reservation]:
    """`_claim_reservation` for many (shop_id, sku_id, order_ref, quantity) rows in one INSERT; the
    answer maps (order_ref, sku_id) to the new reservation and leaves out rows that already existed."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(Reservation._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, '', %s)"] * len(rows))
    params: list[Any] = []
    for shop_id, sku_id, order_ref, quantity in rows:
        params += [
            shop_id,
            sku_id,
            order_ref,
            quantity,
            ReservationStatus.ACTIVE,
            adapt(expires_at),
            adapt(now),
        ]
    sql = (
        f"INSERT INTO {table} (shop_id, sku_id, order_ref, quantity, status, expires_at, release_reason, "  # noqa: S608
        f"created_at) VALUES {values} ON CONFLICT (order_ref, sku_id) DO NOTHING "
        "RETURNING id, order_ref, sku_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = {(order_ref, int(sku_id)): int(pk) for pk, order_ref, sku_id in cursor.fetchall()}
    claimed = {}
    for shop_id, sku_id, order_ref, quantity in rows:
        if (order_ref, sku_id) not in ids:
            continue
        reservation = Reservation(
            id=ids[(order_ref, sku_id)],
            shop_id=shop_id,
            sku_id=sku_id,
            order_ref=order_ref,
            quantity=quantity,
            status=ReservationStatus.ACTIVE,
            expires_at=expires_at,
            created_at=now,
        )
        reservation._state.adding = False
        reservation._state.db = connection.alias
        claimed[(order_ref, sku_id)] = reservation
    return claimed


def _reserve_in_best_warehouse(
    *, shop_id: int, sku_id: int, quantity: int, order_ref: str, actor: Any
) -> StockLedgerEntry | None:
    """The common case of `_reserve_anywhere` in ONE statement: the active warehouse of best priority
    that has all the units is chosen and its row taken by the same guarded UPDATE. Returns the unsaved
    ledger entry, or None (nothing changed) when no single warehouse has them or a concurrent order took
    them first; the caller then goes the long way (`_reserve_anywhere`).

    The sub-select reads a snapshot; the guard `available >= n` is evaluated again on the row version
    the UPDATE locks, so a race can only make this miss, never oversell.
    """
    now = timezone.now()
    stock = connection.ops.quote_name(Stock._meta.db_table)
    warehouse = connection.ops.quote_name(Warehouse._meta.db_table)
    sql = (
        f"UPDATE {stock} SET reserved = reserved + %s, updated_at = %s WHERE id = ("  # noqa: S608
        f"SELECT s.id FROM {stock} s JOIN {warehouse} w ON w.id = s.warehouse_id "
        "WHERE s.shop_id = %s AND s.sku_id = %s AND w.is_active = %s AND s.available >= %s "
        "ORDER BY w.priority, w.id LIMIT 1) AND available >= %s RETURNING warehouse_id, on_hand, reserved"
    )
    params = [
        quantity,
        connection.ops.adapt_datetimefield_value(now),
        shop_id,
        sku_id,
        True,
        quantity,
        quantity,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return _ledger_entry(
        shop_id=shop_id,
        warehouse_id=int(row[0]),
        sku_id=sku_id,
        reason=LedgerReason.RESERVATION,
        on_hand_delta=0,
        reserved_delta=quantity,
        after=(int(row[1]), int(row[2])),
        actor=actor,
        reference=order_ref,
        note="",
        now=now,
    )


@transaction.atomic
def reserve_orders(
    *, orders: Sequence[OrderLines], expires_at: datetime, actor: Any = None
) -> list[Reservation]:
    """Reserve every line of several orders (the shop orders of one checkout), all or nothing.

    The same rules as `reserve_order` with `shop_id` (every SKU must be the order's shop's; a line that
    already holds a reservation answers it, a different quantity is a ReservationConflict; never
    oversells), batched for the checkout path: one query checks the SKUs, one INSERT claims every
    reservation, each line's stock is one guarded UPDATE that also picks the warehouse, and the ledger
    and allocation rows go in one INSERT each. Lines are taken in ascending SKU order (the module's
    lock order). A line no single warehouse can fill goes through `_reserve_anywhere`.
    """
    _check_expiry(expires_at)
    for order in orders:
        _check_lines(order.lines)
        _check_text(order.order_ref, field="order_ref", max_length=64)
        for line in order.lines:
            _check_quantity(line.quantity)
    shops = catalog_reads.sku_shop_ids({line.sku_id for order in orders for line in order.lines})
    unknown = sorted({line.sku_id for o in orders for line in o.lines if shops.get(line.sku_id) != o.shop_id})
    if unknown:
        raise UnknownSku(resource="sku", ids=unknown)
    wanted = sorted(
        ((order, line) for order in orders for line in order.lines), key=lambda item: item[1].sku_id
    )
    # Read before any stock row is locked (as `reserve` does): the busy rows' locks then cover only
    # the writes below.
    skus_by_shop: dict[int, set[int]] = {}
    for order, line in wanted:
        skus_by_shop.setdefault(order.shop_id, set()).add(line.sku_id)
    levels = {
        shop_id: selectors.effective_thresholds_cached(shop_id=shop_id, sku_ids=sku_ids)
        for shop_id, sku_ids in skus_by_shop.items()
    }
    claimed = _claim_reservations(
        [(order.shop_id, line.sku_id, order.order_ref, line.quantity) for order, line in wanted], expires_at
    )
    reservations, entries, allocations = [], [], []
    low: dict[int, list[int]] = {}  # shop -> SKUs that may have crossed their level
    for order, line in wanted:
        reservation = claimed.get((order.order_ref, line.sku_id))
        if reservation is None:  # this order line already holds stock: the same reservation answers
            existing = Reservation.objects.get(order_ref=order.order_ref, sku_id=line.sku_id)
            reservations.append(_same_or_conflict(existing, line.quantity))
            continue
        common = {
            "shop_id": order.shop_id,
            "sku_id": line.sku_id,
            "order_ref": order.order_ref,
            "actor": actor,
        }
        entry = _reserve_in_best_warehouse(quantity=line.quantity, **common)
        if entry is not None:
            line_entries = [entry]
            entries.append(entry)
        else:
            line_entries = _reserve_anywhere(quantity=line.quantity, **common)  # saved as it goes
        allocations += [
            ReservationAllocation(
                reservation=reservation, warehouse_id=e.warehouse_id, quantity=e.reserved_delta
            )
            for e in line_entries
        ]
        if _may_open_alert(levels[order.shop_id].get(line.sku_id, 0), line_entries):
            low.setdefault(order.shop_id, []).append(line.sku_id)
        reservations.append(reservation)
    StockLedgerEntry.objects.bulk_create(entries)
    ReservationAllocation.objects.bulk_create(allocations)
    for shop_id, sku_ids in low.items():
        refresh_low_stock(shop_id=shop_id, sku_ids=sku_ids)
    return reservations


@transaction.atomic
def commit_orders(*, order_refs: Sequence[str], actor: Any = None) -> list[Reservation]:
    """`commit_order` for several orders paid together (one payment for a checkout's shop orders).

    Same rules: committed reservations are a no-op, a released one raises ReservationReleased (and,
    this being one transaction, nothing of the batch stays), an order without reservations raises
    NotFound. The stock rows are moved in ascending (SKU, warehouse) order (the module's lock order),
    and the reservation, ledger and status writes go in one statement each.
    """
    reservations = list(
        Reservation.objects.select_for_update()
        .filter(order_ref__in=set(order_refs))
        .order_by("order_ref", "sku_id")
    )
    found = {r.order_ref for r in reservations}
    missing = [ref for ref in order_refs if ref not in found]
    if missing:
        raise NotFound(resource="reservation", order_ref=missing[0])
    released = next((r for r in reservations if r.status == ReservationStatus.RELEASED), None)
    if released is not None:
        raise ReservationReleased(
            order_ref=released.order_ref, sku_id=released.sku_id, release_reason=released.release_reason
        )
    active = {r.id: r for r in reservations if r.status == ReservationStatus.ACTIVE}
    allocations = ReservationAllocation.objects.filter(reservation_id__in=list(active))
    moves = sorted(
        ((active[a.reservation_id], a) for a in allocations), key=lambda m: (m[0].sku_id, m[1].warehouse_id)
    )
    entries = []
    for reservation, allocation in moves:
        movement = {
            "shop_id": reservation.shop_id,
            "warehouse_id": allocation.warehouse_id,
            "sku_id": reservation.sku_id,
            "reason": LedgerReason.SALE,
            "on_hand_delta": -allocation.quantity,
            "reserved_delta": -allocation.quantity,
            "actor": actor,
            "reference": reservation.order_ref,
        }
        entry = _try_move_unsaved(**movement)
        if entry is None:
            raise _refused(movement)
        entries.append(entry)
    StockLedgerEntry.objects.bulk_create(entries)
    now = timezone.now()
    if active:
        Reservation.objects.filter(id__in=list(active)).update(
            status=ReservationStatus.COMMITTED, committed_at=now
        )
    for reservation in active.values():
        reservation.status, reservation.committed_at = ReservationStatus.COMMITTED, now
    # on_hand and reserved fall together: available is unchanged, so no alert can change.
    return reservations


def release_expired_reservations(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Release every active reservation past its expiry (the beat task). Each reservation is its own
    transaction and rows another worker holds are skipped, so two sweeps never double-release."""
    now = now or timezone.now()
    released = 0
    while True:
        ids = list(
            Reservation.objects.filter(status=ReservationStatus.ACTIVE, expires_at__lte=now)
            .order_by("expires_at", "id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return released
        progressed = False
        for reservation_id in ids:
            with transaction.atomic():
                reservation = (
                    Reservation.objects.select_for_update(skip_locked=True)
                    .filter(id=reservation_id, status=ReservationStatus.ACTIVE, expires_at__lte=now)
                    .first()
                )
                if reservation is None:
                    continue
                _release(reservation, ReleaseReason.EXPIRED, None)
                released += 1
                progressed = True
        if not progressed:
            return released


@transaction.atomic
def return_stock(
    *,
    sku_id: int,
    quantity: int,
    reference: str,
    warehouse_id: int | None = None,
    actor: Any = None,
    note: str = "",
) -> StockLedgerEntry:
    """Goods came back (after-sales): on_hand rises. With no warehouse given, the units go back to
    the warehouse the order shipped from, else the shop's first active warehouse. Returning more
    than an order bought of a SKU is refused."""
    _check_quantity(quantity)
    reference = _check_text(reference, field="reference", max_length=64)
    shop_id = _sku_shop(sku_id)
    sold = Reservation.objects.filter(
        order_ref=reference, sku_id=sku_id, status=ReservationStatus.COMMITTED
    ).first()
    if sold is not None:
        already = -sum(
            StockLedgerEntry.objects.filter(
                reference=reference, sku_id=sku_id, reason=LedgerReason.RETURN
            ).values_list("on_hand_delta", flat=True)
        )
        if already - quantity < -sold.quantity:
            raise InvalidInput(
                "退货数量超过购买数量 / More returned than the order bought",
                code="over_return",
                bought=sold.quantity,
                returned=-already,
                requested=quantity,
            )
        if warehouse_id is None:
            # Back where it shipped from, unless that warehouse has since been closed.
            warehouse_id = (
                sold.allocations.filter(warehouse__is_active=True)
                .order_by("id")
                .values_list("warehouse_id", flat=True)
                .first()
            )
    if warehouse_id is None:
        first = selectors.warehouses(shop_id=shop_id, active_only=True).first()
        if first is None:
            raise WarehouseInactive("店铺没有启用的仓库 / The shop has no active warehouse", shop_id=shop_id)
        warehouse_id = first.id
    _warehouse(shop_id, warehouse_id)
    entry = _move(
        shop_id=shop_id,
        warehouse_id=warehouse_id,
        sku_id=sku_id,
        reason=LedgerReason.RETURN,
        on_hand_delta=quantity,
        actor=actor,
        reference=reference,
        note=note,
    )
    refresh_low_stock(shop_id=shop_id, sku_ids=[sku_id])
    return entry


# ==================================================================================================
# Manual stock operations: adjustments, transfers, stocktakes
# ==================================================================================================


@transaction.atomic
def adjust_stock(
    *,
    shop_id: int,
    warehouse_id: int,
    sku_id: int,
    delta: int,
    reason: str,
    actor: Any = None,
    reference: str = "",
) -> StockLedgerEntry:
    """Add or remove units with a stated reason (damage, found stock, correction)."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_QUANTITY:
        raise InvalidQuantity("调整数量必须是非零整数 / delta must be a non-zero whole number", field="delta")
    reason = _check_text(reason, field="reason", max_length=255)
    warehouse = _warehouse(shop_id, warehouse_id, must_be_active=delta > 0)
    _require_shop_skus(shop_id, [sku_id])
    entry = _move(
        shop_id=shop_id,
        warehouse_id=warehouse.id,
        sku_id=sku_id,
        reason=LedgerReason.ADJUSTMENT,
        on_hand_delta=delta,
        actor=actor,
        reference=reference,
        note=reason,
    )
    audit.record(
        actor=actor,
        action="inventory.adjust",
        obj=entry,
        shop_id=shop_id,
        after={"warehouse_id": warehouse_id, "sku_id": sku_id, "delta": delta},
        reason=reason,
    )
    refresh_low_stock(shop_id=shop_id, sku_ids=[sku_id])
    return entry


@transaction.atomic
def transfer_stock(
    *,
    shop_id: int,
    from_warehouse_id: int,
    to_warehouse_id: int,
    lines: Sequence[SkuQuantity],
    actor: Any = None,
    note: str = "",
) -> StockTransfer:
    """Move units between two of the shop's warehouses: a transfer_out and a transfer_in ledger row
    per line, all in one transaction. Refused when the source lacks the available units."""
    if from_warehouse_id == to_warehouse_id:
        raise SameWarehouse(warehouse_id=from_warehouse_id)
    _check_lines(lines)
    for line in lines:
        _check_quantity(line.quantity, field=f"lines[{line.sku_id}].quantity")
    note = _check_text(note, field="note", max_length=255, required=False)
    source = _warehouse(shop_id, from_warehouse_id, must_be_active=False)
    target = _warehouse(shop_id, to_warehouse_id)
    _require_shop_skus(shop_id, [line.sku_id for line in lines])
    for line in lines:
        _ensure_stock_row(shop_id=shop_id, warehouse_id=target.id, sku_id=line.sku_id)
    _lock_stock_rows(
        [(source.id, line.sku_id) for line in lines] + [(target.id, line.sku_id) for line in lines]
    )
    transfer = StockTransfer.objects.create(
        shop_id=shop_id,
        number=time_sortable_number("TR"),
        from_warehouse=source,
        to_warehouse=target,
        note=note,
        created_by=_actor(actor),
    )
    for line in sorted(lines, key=lambda line: line.sku_id):
        common = {"shop_id": shop_id, "sku_id": line.sku_id, "actor": actor, "reference": transfer.number}
        _move(
            warehouse_id=source.id, reason=LedgerReason.TRANSFER_OUT, on_hand_delta=-line.quantity, **common
        )
        _move(warehouse_id=target.id, reason=LedgerReason.TRANSFER_IN, on_hand_delta=line.quantity, **common)
    StockTransferLine.objects.bulk_create(
        [StockTransferLine(transfer=transfer, sku_id=line.sku_id, quantity=line.quantity) for line in lines]
    )
    # Moving from an inactive warehouse into an active one raises availability.
    if not source.is_active:
        refresh_low_stock(shop_id=shop_id, sku_ids=[line.sku_id for line in lines])
    return transfer


@transaction.atomic
def record_stocktake(
    *,
    shop_id: int,
    warehouse_id: int,
    reason: str,
    lines: Sequence[CountLine],
    actor: Any = None,
) -> Stocktake:
    """Set on-hand to the counted figures: one adjustment ledger row per SKU whose count differs."""
    reason = _check_text(reason, field="reason", max_length=255)
    _check_lines(lines)
    for line in lines:
        _check_quantity(line.counted, field=f"lines[{line.sku_id}].counted", allow_zero=True)
        if line.expected_on_hand is not None:
            _check_quantity(
                line.expected_on_hand, field=f"lines[{line.sku_id}].expected_on_hand", allow_zero=True
            )
    warehouse = _warehouse(shop_id, warehouse_id, must_be_active=False)
    _require_shop_skus(shop_id, [line.sku_id for line in lines])
    for line in lines:
        if line.counted > 0:
            _ensure_stock_row(shop_id=shop_id, warehouse_id=warehouse.id, sku_id=line.sku_id)
    _lock_stock_rows((warehouse.id, line.sku_id) for line in lines)
    current = {
        sku_id: (on_hand, reserved)
        for sku_id, on_hand, reserved in Stock.objects.filter(
            warehouse=warehouse, sku_id__in=[line.sku_id for line in lines]
        ).values_list("sku_id", "on_hand", "reserved")
    }
    stocktake = Stocktake.objects.create(
        shop_id=shop_id,
        number=time_sortable_number("ST"),
        warehouse=warehouse,
        reason=reason,
        created_by=_actor(actor),
    )
    rows = []
    for line in sorted(lines, key=lambda line: line.sku_id):
        on_hand, reserved = current.get(line.sku_id, (0, 0))
        if line.expected_on_hand is not None and line.expected_on_hand != on_hand:
            raise StockChangedSinceCount(sku_id=line.sku_id, expected=line.expected_on_hand, on_hand=on_hand)
        if line.counted < reserved:
            raise InvalidInput(
                "实盘数量少于已预占数量，请先处理相关订单 / Counted below the units reserved for orders",
                code="counted_below_reserved",
                sku_id=line.sku_id,
                counted=line.counted,
                reserved=reserved,
            )
        delta = line.counted - on_hand
        if delta:
            _move(
                shop_id=shop_id,
                warehouse_id=warehouse.id,
                sku_id=line.sku_id,
                reason=LedgerReason.ADJUSTMENT,
                on_hand_delta=delta,
                actor=actor,
                reference=stocktake.number,
                note=f"盘点 / stocktake: {reason}",
            )
        rows.append(
            StocktakeLine(
                stocktake=stocktake,
                sku_id=line.sku_id,
                on_hand_before=on_hand,
                counted=line.counted,
                delta=delta,
            )
        )
    StocktakeLine.objects.bulk_create(rows)
    audit.record(
        actor=actor,
        action="inventory.stocktake",
        obj=stocktake,
        shop_id=shop_id,
        after={"lines": len(rows), "changed": sum(1 for r in rows if r.delta)},
        reason=reason,
    )
    refresh_low_stock(shop_id=shop_id, sku_ids=[line.sku_id for line in lines])
    return stocktake


# ==================================================================================================
# Warehouses, settings, thresholds
# ==================================================================================================

WAREHOUSE_FIELDS = (
    "code",
    "name",
    "address",
    "region_code",
    "latitude",
    "longitude",
    "contact_name",
    "contact_phone",
    "priority",
    "is_active",
)


def _check_coordinates(latitude: Decimal | None, longitude: Decimal | None) -> None:
    problems = {}
    if latitude is not None and not Decimal(-90) <= Decimal(latitude) <= Decimal(90):
        problems["latitude"] = ["must be between -90 and 90"]
    if longitude is not None and not Decimal(-180) <= Decimal(longitude) <= Decimal(180):
        problems["longitude"] = ["must be between -180 and 180"]
    if problems:
        raise InvalidInput(
            "坐标超出范围 / Coordinates out of range", code="invalid_coordinates", fields=problems
        )


def _quantize_coordinate(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.000001"))


@transaction.atomic
def create_warehouse(*, shop_id: int, code: str, name: str, actor: Any = None, **fields: Any) -> Warehouse:
    unknown = set(fields) - set(WAREHOUSE_FIELDS)
    if unknown:
        raise TypeError(f"unknown warehouse fields: {sorted(unknown)}")
    code = _check_text(code, field="code", max_length=32)
    name = _check_text(name, field="name", max_length=60)
    _check_coordinates(fields.get("latitude"), fields.get("longitude"))
    for key in ("latitude", "longitude"):
        if key in fields:
            fields[key] = _quantize_coordinate(fields[key])
    if Warehouse.objects.filter(shop_id=shop_id, code=code).exists():
        raise Conflict(
            "仓库代码已存在 / Warehouse code already used", code="warehouse_code_taken", code_value=code
        )
    warehouse = Warehouse.objects.create(shop_id=shop_id, code=code, name=name, **fields)
    audit.record(
        actor=actor,
        action="inventory.warehouse.create",
        obj=warehouse,
        shop_id=shop_id,
        after=audit.snapshot(warehouse, list(WAREHOUSE_FIELDS)),
    )
    return warehouse


@transaction.atomic
def update_warehouse(*, shop_id: int, warehouse_id: int, actor: Any = None, **changes: Any) -> Warehouse:
    unknown = set(changes) - set(WAREHOUSE_FIELDS)
    if unknown:
        raise TypeError(f"unknown warehouse fields: {sorted(unknown)}")
    warehouse = selectors.get_warehouse(shop_id=shop_id, warehouse_id=warehouse_id)
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    before = audit.snapshot(warehouse, list(WAREHOUSE_FIELDS))
    if "code" in changes:
        changes["code"] = _check_text(changes["code"], field="code", max_length=32)
        if Warehouse.objects.filter(shop_id=shop_id, code=changes["code"]).exclude(pk=warehouse.pk).exists():
            raise Conflict("仓库代码已存在 / Warehouse code already used", code="warehouse_code_taken")
    if "name" in changes:
        changes["name"] = _check_text(changes["name"], field="name", max_length=60)
    _check_coordinates(changes.get("latitude"), changes.get("longitude"))
    for key in ("latitude", "longitude"):
        if key in changes:
            changes[key] = _quantize_coordinate(changes[key])
    activity_changed = "is_active" in changes and changes["is_active"] != warehouse.is_active
    for key, value in changes.items():
        setattr(warehouse, key, value)
    warehouse.save()
    audit.record(
        actor=actor,
        action="inventory.warehouse.update",
        obj=warehouse,
        shop_id=shop_id,
        before=before,
        after=audit.snapshot(warehouse, list(WAREHOUSE_FIELDS)),
    )
    if activity_changed:
        # Its stock stops (or starts) counting as available: alerts may open or resolve.
        refresh_low_stock(
            shop_id=shop_id,
            sku_ids=set(Stock.objects.filter(warehouse=warehouse).values_list("sku_id", flat=True)),
        )
    return warehouse


@transaction.atomic
def delete_warehouse(*, shop_id: int, warehouse_id: int, actor: Any = None) -> None:
    """Only a warehouse that never held stock or documents can be deleted; deactivate the others."""
    warehouse = selectors.get_warehouse(shop_id=shop_id, warehouse_id=warehouse_id)
    used = (
        StockLedgerEntry.objects.filter(warehouse=warehouse).exists()
        or Stock.objects.filter(warehouse=warehouse).exclude(on_hand=0).exists()
        or PurchaseOrder.objects.filter(warehouse=warehouse).exists()
    )
    if used:
        raise WarehouseNotEmpty(warehouse_id=warehouse_id)
    audit.record(
        actor=actor,
        action="inventory.warehouse.delete",
        obj=warehouse,
        shop_id=shop_id,
        before=audit.snapshot(warehouse, list(WAREHOUSE_FIELDS)),
    )
    Stock.objects.filter(warehouse=warehouse).delete()
    warehouse.delete()


SETTINGS_FIELDS = (
    "default_low_stock_threshold",
    "reservation_ttl_minutes",
    "demand_window_days",
    "default_lead_time_days",
    "safety_stock_days",
    "order_cycle_days",
)


@transaction.atomic
def update_settings(*, shop_id: int, actor: Any = None, **changes: Any) -> InventorySettings:
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    bad = {k: ["must be a whole number >= 0"] for k, v in changes.items() if not isinstance(v, int) or v < 0}
    if changes.get("demand_window_days") == 0:
        bad["demand_window_days"] = ["must be at least 1"]
    if changes.get("reservation_ttl_minutes") == 0:
        bad["reservation_ttl_minutes"] = ["must be at least 1"]
    if bad:
        raise InvalidInput(code="invalid_settings", fields=bad)
    settings_row, _ = InventorySettings.objects.select_for_update().get_or_create(shop_id=shop_id)
    before = audit.snapshot(settings_row, list(SETTINGS_FIELDS))
    for key, value in changes.items():
        setattr(settings_row, key, value)
    settings_row.save()
    audit.record(
        actor=actor,
        action="inventory.settings.update",
        obj=settings_row,
        shop_id=shop_id,
        before=before,
        after=audit.snapshot(settings_row, list(SETTINGS_FIELDS)),
    )
    if before["default_low_stock_threshold"] != settings_row.default_low_stock_threshold:
        _thresholds_changed(shop_id)
        refresh_low_stock(shop_id=shop_id)
    return settings_row


def _thresholds_changed(shop_id: int) -> None:
    # Now, and again once committed, so no reader caches the old value under the new version.
    selectors.forget_thresholds(shop_id)
    transaction.on_commit(lambda: selectors.forget_thresholds(shop_id))


def _check_threshold(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > MAX_QUANTITY:
        raise InvalidQuantity("阈值必须是非负整数 / threshold must be a whole number >= 0", field="threshold")
    return value


@transaction.atomic
def set_sku_threshold(*, shop_id: int, sku_id: int, threshold: int, actor: Any = None) -> LowStockThreshold:
    _check_threshold(threshold)
    _require_shop_skus(shop_id, [sku_id])
    rule, _ = LowStockThreshold.objects.update_or_create(
        shop_id=shop_id, sku_id=sku_id, defaults={"threshold": threshold}
    )
    _thresholds_changed(shop_id)
    audit.record(
        actor=actor,
        action="inventory.threshold.set",
        obj=rule,
        shop_id=shop_id,
        after={"sku_id": sku_id, "threshold": threshold},
    )
    refresh_low_stock(shop_id=shop_id, sku_ids=[sku_id])
    return rule


@transaction.atomic
def set_category_threshold(
    *, shop_id: int, category_id: int, threshold: int, actor: Any = None
) -> LowStockThreshold:
    _check_threshold(threshold)
    path = catalog_reads.category_path(category_id)
    if path is None:
        raise NotFound(resource="category", id=category_id)
    rule, _ = LowStockThreshold.objects.update_or_create(
        shop_id=shop_id, category_id=category_id, defaults={"threshold": threshold}
    )
    _thresholds_changed(shop_id)
    audit.record(
        actor=actor,
        action="inventory.threshold.set",
        obj=rule,
        shop_id=shop_id,
        after={"category_id": category_id, "threshold": threshold},
    )
    refresh_low_stock(
        shop_id=shop_id, sku_ids=catalog_reads.sku_ids_in_category_tree(shop_id=shop_id, path=path)
    )
    return rule


@transaction.atomic
def delete_threshold(*, shop_id: int, threshold_id: int, actor: Any = None) -> None:
    rule = LowStockThreshold.objects.filter(shop_id=shop_id, id=threshold_id).first()
    if rule is None:
        raise NotFound(resource="threshold", id=threshold_id)
    if rule.sku_id:
        affected = [rule.sku_id]
    else:
        path = catalog_reads.category_path(rule.category_id) or ""
        affected = catalog_reads.sku_ids_in_category_tree(shop_id=shop_id, path=path)
    audit.record(
        actor=actor,
        action="inventory.threshold.delete",
        obj=rule,
        shop_id=shop_id,
        before={"sku_id": rule.sku_id, "category_id": rule.category_id, "threshold": rule.threshold},
    )
    rule.delete()
    _thresholds_changed(shop_id)
    refresh_low_stock(shop_id=shop_id, sku_ids=affected)


# ==================================================================================================
# Suppliers
# ==================================================================================================

SUPPLIER_FIELDS = (
    "code",
    "name",
    "contact_name",
    "phone",
    "email",
    "address",
    "lead_time_days",
    "payment_terms",
    "notes",
    "is_active",
)


def _check_lead_time(value: Any, field: str = "lead_time_days") -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 365):
        raise InvalidInput(code="invalid_lead_time", fields={field: ["must be 0..365 days"]})


@transaction.atomic
def create_supplier(*, shop_id: int, code: str, name: str, actor: Any = None, **fields: Any) -> Supplier:
    unknown = set(fields) - set(SUPPLIER_FIELDS)
    if unknown:
        raise TypeError(f"unknown supplier fields: {sorted(unknown)}")
    code = _check_text(code, field="code", max_length=32)
    name = _check_text(name, field="name", max_length=80)
    _check_lead_time(fields.get("lead_time_days"))
    if Supplier.objects.filter(shop_id=shop_id, code=code).exists():
        raise Conflict("供应商代码已存在 / Supplier code already used", code="supplier_code_taken")
    supplier = Supplier.objects.create(shop_id=shop_id, code=code, name=name, **fields)
    audit.record(
        actor=actor,
        action="inventory.supplier.create",
        obj=supplier,
        shop_id=shop_id,
        after=audit.snapshot(supplier, list(SUPPLIER_FIELDS)),
    )
    return supplier


@transaction.atomic
def update_supplier(*, shop_id: int, supplier_id: int, actor: Any = None, **changes: Any) -> Supplier:
    unknown = set(changes) - set(SUPPLIER_FIELDS)
    if unknown:
        raise TypeError(f"unknown supplier fields: {sorted(unknown)}")
    supplier = selectors.get_supplier(shop_id=shop_id, supplier_id=supplier_id)
    before = audit.snapshot(supplier, list(SUPPLIER_FIELDS))
    if "code" in changes:
        changes["code"] = _check_text(changes["code"], field="code", max_length=32)
        if Supplier.objects.filter(shop_id=shop_id, code=changes["code"]).exclude(pk=supplier.pk).exists():
            raise Conflict("供应商代码已存在 / Supplier code already used", code="supplier_code_taken")
    if "name" in changes:
        changes["name"] = _check_text(changes["name"], field="name", max_length=80)
    _check_lead_time(changes.get("lead_time_days"))
    for key, value in changes.items():
        setattr(supplier, key, value)
    supplier.save()
    audit.record(
        actor=actor,
        action="inventory.supplier.update",
        obj=supplier,
        shop_id=shop_id,
        before=before,
        after=audit.snapshot(supplier, list(SUPPLIER_FIELDS)),
    )
    return supplier


@transaction.atomic
def upsert_supplier_item(
    *,
    shop_id: int,
    supplier_id: int,
    sku_id: int,
    unit_cost: Decimal | str,
    min_order_quantity: int = 1,
    pack_size: int = 1,
    lead_time_days: int | None = None,
    supplier_sku_code: str = "",
    is_preferred: bool = False,
    actor: Any = None,
) -> SupplierItem:
    supplier = selectors.get_supplier(shop_id=shop_id, supplier_id=supplier_id)
    _require_shop_skus(shop_id, [sku_id])
    cost = _check_cost(unit_cost)
    _check_quantity(min_order_quantity, field="min_order_quantity")
    _check_quantity(pack_size, field="pack_size")
    _check_lead_time(lead_time_days)
    if is_preferred:
        # Only one preferred supplier per SKU: demote the previous one first (partial unique index).
        SupplierItem.objects.filter(sku_id=sku_id, is_preferred=True).exclude(supplier=supplier).update(
            is_preferred=False
        )
    item, _ = SupplierItem.objects.update_or_create(
        supplier=supplier,
        sku_id=sku_id,
        defaults={
            "unit_cost": cost,
            "min_order_quantity": min_order_quantity,
            "pack_size": pack_size,
            "lead_time_days": lead_time_days,
            "supplier_sku_code": (supplier_sku_code or "").strip()[:64],
            "is_preferred": is_preferred,
        },
    )
    return item


@transaction.atomic
def bulk_add_supplier_items(*, shop_id: int, supplier_id: int, items: Sequence[dict[str, Any]]) -> int:
    """Add many supplier items at once (data loads): SKUs the supplier already lists are left as
    they are, and a SKU that already has a preferred supplier keeps it. Returns the rows added."""
    supplier = selectors.get_supplier(shop_id=shop_id, supplier_id=supplier_id)
    _require_shop_skus(shop_id, [item["sku_id"] for item in items])
    has_preferred = set(
        SupplierItem.objects.filter(
            sku_id__in=[item["sku_id"] for item in items], is_preferred=True
        ).values_list("sku_id", flat=True)
    )
    rows = [
        SupplierItem(
            supplier=supplier,
            sku_id=item["sku_id"],
            unit_cost=_check_cost(item["unit_cost"]),
            min_order_quantity=_check_quantity(item.get("min_order_quantity", 1), field="min_order_quantity"),
            pack_size=_check_quantity(item.get("pack_size", 1), field="pack_size"),
            lead_time_days=item.get("lead_time_days"),
            supplier_sku_code=str(item.get("supplier_sku_code", ""))[:64],
            is_preferred=bool(item.get("is_preferred")) and item["sku_id"] not in has_preferred,
        )
        for item in items
    ]
    before = SupplierItem.objects.filter(supplier=supplier).count()
    SupplierItem.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return SupplierItem.objects.filter(supplier=supplier).count() - before


@transaction.atomic
def delete_supplier_item(*, shop_id: int, supplier_id: int, sku_id: int, actor: Any = None) -> None:
    supplier = selectors.get_supplier(shop_id=shop_id, supplier_id=supplier_id)
    deleted, _ = SupplierItem.objects.filter(supplier=supplier, sku_id=sku_id).delete()
    if not deleted:
        raise NotFound(resource="supplier_item", supplier_id=supplier_id, sku_id=sku_id)


# ==================================================================================================
# Purchase orders
# ==================================================================================================

S = PurchaseOrderStatus
# (status, action) -> next status. Every PO state change goes through _transition() and this table.
PO_TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, "edit"): S.DRAFT,
    (S.DRAFT, "send"): S.SENT,
    (S.DRAFT, "cancel"): S.CANCELLED,
    (S.SENT, "cancel"): S.CANCELLED,
    (S.SENT, "receive"): S.PARTIALLY_RECEIVED,
    (S.PARTIALLY_RECEIVED, "receive"): S.PARTIALLY_RECEIVED,
    (S.PARTIALLY_RECEIVED, "complete"): S.RECEIVED,  # the last outstanding unit arrived
    (S.PARTIALLY_RECEIVED, "close"): S.RECEIVED,  # the supplier will not deliver the rest
}


def po_actions_allowed(status: str) -> list[str]:
    return [action for (state, action) in PO_TRANSITIONS if state == status and action != "complete"]


def _transition(po: PurchaseOrder, action: str) -> str:
    target = PO_TRANSITIONS.get((po.status, action))
    if target is None:
        raise IllegalTransition(
            status=po.status, action=action, allowed=po_actions_allowed(po.status), purchase_order=po.number
        )
    po.status = target
    return target


def _locked_po(shop_id: int, po_id: int) -> PurchaseOrder:
    selectors.get_purchase_order(shop_id=shop_id, po_id=po_id)  # 404 for another shop's id
    return PurchaseOrder.objects.select_for_update().get(pk=po_id)


def _check_cost(value: Any) -> Decimal:
    try:
        cost = to_money(value)
    except MoneyError as exc:
        raise InvalidInput(
            "单价无效 / Invalid unit cost", code="invalid_unit_cost", value=str(value)
        ) from exc
    if cost < 0:
        raise InvalidInput(
            "单价不能为负 / Unit cost cannot be negative", code="invalid_unit_cost", value=str(cost)
        )
    return cost


def _default_costs(supplier: Supplier, sku_ids: Iterable[int]) -> dict[int, Decimal]:
    sku_ids = set(sku_ids)
    costs = {sku_id: label.cost for sku_id, label in catalog_reads.sku_labels(sku_ids).items() if label.cost}
    costs.update(
        dict(
            SupplierItem.objects.filter(supplier=supplier, sku_id__in=sku_ids).values_list(
                "sku_id", "unit_cost"
            )
        )
    )
    return costs


def _build_lines(po: PurchaseOrder, lines: Sequence[OrderLineInput]) -> list[PurchaseOrderLine]:
    _check_lines(lines)
    for line in lines:
        _check_quantity(line.quantity, field=f"lines[{line.sku_id}].quantity")
    _require_shop_skus(po.shop_id, [line.sku_id for line in lines])
    defaults = _default_costs(po.supplier, [line.sku_id for line in lines])
    built = []
    for line in lines:
        cost = line.unit_cost if line.unit_cost is not None else defaults.get(line.sku_id, Decimal("0"))
        built.append(
            PurchaseOrderLine(
                purchase_order=po,
                sku_id=line.sku_id,
                quantity_ordered=line.quantity,
                unit_cost=_check_cost(cost),
            )
        )
    return built


@transaction.atomic
def create_purchase_order(
    *,
    shop_id: int,
    supplier_id: int,
    warehouse_id: int,
    lines: Sequence[OrderLineInput],
    expected_at: date | None = None,
    note: str = "",
    actor: Any = None,
) -> PurchaseOrder:
    """A draft purchase order. A line without a unit cost takes the supplier's price for the SKU,
    else the SKU's cost price."""
    supplier = selectors.get_supplier(shop_id=shop_id, supplier_id=supplier_id)
    if not supplier.is_active:
        raise Conflict("供应商已停用 / The supplier is inactive", code="supplier_inactive")
    warehouse = _warehouse(shop_id, warehouse_id)
    po = PurchaseOrder(
        shop_id=shop_id,
        number=time_sortable_number("PO"),
        supplier=supplier,
        warehouse=warehouse,
        expected_at=expected_at,
        note=_check_text(note, field="note", max_length=255, required=False),
        created_by=_actor(actor),
    )
    built = _build_lines(po, lines)
    po.save()
    PurchaseOrderLine.objects.bulk_create(built)
    audit.record(
        actor=actor,
        action="inventory.po.create",
        obj=po,
        shop_id=shop_id,
        after={"number": po.number, "lines": len(built)},
    )
    return po


@transaction.atomic
def update_draft_purchase_order(
    *,
    shop_id: int,
    po_id: int,
    actor: Any = None,
    lines: Sequence[OrderLineInput] | None = None,
    warehouse_id: int | None = None,
    expected_at: date | None = None,
    note: str | None = None,
) -> PurchaseOrder:
    """Edit a draft: replace its lines, destination, expected date or note."""
    po = _locked_po(shop_id, po_id)
    _transition(po, "edit")
    if warehouse_id is not None:
        po.warehouse = _warehouse(shop_id, warehouse_id)
    if expected_at is not None:
        po.expected_at = expected_at
    if note is not None:
        po.note = _check_text(note, field="note", max_length=255, required=False)
    if lines is not None:
        built = _build_lines(po, lines)
        po.lines.all().delete()
        PurchaseOrderLine.objects.bulk_create(built)
    po.save()
    return po


@transaction.atomic
def send_purchase_order(*, shop_id: int, po_id: int, actor: Any = None) -> PurchaseOrder:
    """Draft -> sent; the supplier gets the order by e-mail when it has an address."""
    po = _locked_po(shop_id, po_id)
    if not po.lines.exists():
        raise InvalidInput("采购单没有明细 / The purchase order has no lines", code="no_lines")
    _transition(po, "send")
    po.sent_at = timezone.now()
    po.save(update_fields=["status", "sent_at", "updated_at"])
    audit.record(
        actor=actor, action="inventory.po.send", obj=po, shop_id=shop_id, after={"status": po.status}
    )
    if po.supplier.email:
        from shopops.inventory.tasks import email_purchase_order

        transaction.on_commit(lambda: email_purchase_order.delay(po.id))
    return po


@transaction.atomic
def cancel_purchase_order(*, shop_id: int, po_id: int, reason: str = "", actor: Any = None) -> PurchaseOrder:
    po = _locked_po(shop_id, po_id)
    _transition(po, "cancel")
    po.cancelled_at = timezone.now()
    po.cancel_reason = _check_text(reason, field="reason", max_length=255, required=False)
    po.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    audit.record(actor=actor, action="inventory.po.cancel", obj=po, shop_id=shop_id, reason=po.cancel_reason)
    return po


@transaction.atomic
def close_purchase_order(*, shop_id: int, po_id: int, reason: str = "", actor: Any = None) -> PurchaseOrder:
    """A partially received PO whose remainder will never come: closed as received (short)."""
    po = _locked_po(shop_id, po_id)
    _transition(po, "close")
    po.completed_at = timezone.now()
    po.save(update_fields=["status", "completed_at", "updated_at"])
    audit.record(actor=actor, action="inventory.po.close", obj=po, shop_id=shop_id, reason=reason[:255])
    return po


@transaction.atomic
def receive_purchase_order(
    *,
    shop_id: int,
    po_id: int,
    lines: Sequence[SkuQuantity],
    warehouse_id: int | None = None,
    note: str = "",
    actor: Any = None,
) -> PurchaseReceipt:
    """Book a delivery against a sent PO: stock rises in the warehouse (ledger: purchase_receipt).

    Partial deliveries are fine; receiving more than is outstanding on a line is refused (OverReceipt)
    and nothing of the delivery is booked.
    """
    po = _locked_po(shop_id, po_id)
    lines = [line for line in lines if line.quantity != 0]
    _check_lines(lines)
    for line in lines:
        _check_quantity(line.quantity, field=f"lines[{line.sku_id}].quantity")
    _transition(po, "receive")
    warehouse = _warehouse(shop_id, warehouse_id or po.warehouse_id)
    po_lines = {line.sku_id: line for line in po.lines.select_for_update().order_by("id")}
    not_on_po = sorted(line.sku_id for line in lines if line.sku_id not in po_lines)
    if not_on_po:
        raise InvalidInput(
            "SKU 不在采购单中 / SKU not on this purchase order", code="not_on_po", sku_ids=not_on_po
        )
    over = [
        {
            "sku_id": line.sku_id,
            "outstanding": po_lines[line.sku_id].quantity_outstanding,
            "received": line.quantity,
        }
        for line in lines
        if line.quantity > po_lines[line.sku_id].quantity_outstanding
    ]
    if over:
        raise OverReceipt(lines=over)
    receipt = PurchaseReceipt.objects.create(
        purchase_order=po,
        number=time_sortable_number("GR"),
        warehouse=warehouse,
        received_by=_actor(actor),
        note=_check_text(note, field="note", max_length=255, required=False),
    )
    _lock_stock_rows((warehouse.id, line.sku_id) for line in lines)
    for line in sorted(lines, key=lambda line: line.sku_id):
        po_line = po_lines[line.sku_id]
        _move(
            shop_id=shop_id,
            warehouse_id=warehouse.id,
            sku_id=line.sku_id,
            reason=LedgerReason.PURCHASE_RECEIPT,
            on_hand_delta=line.quantity,
            actor=actor,
            reference=po.number,
            note=receipt.number,
        )
        PurchaseOrderLine.objects.filter(pk=po_line.pk).update(
            quantity_received=F("quantity_received") + line.quantity
        )
        po_line.quantity_received += line.quantity
    PurchaseReceiptLine.objects.bulk_create(
        [
            PurchaseReceiptLine(receipt=receipt, po_line=po_lines[line.sku_id], quantity=line.quantity)
            for line in lines
        ]
    )
    if all(line.quantity_outstanding == 0 for line in po_lines.values()):
        _transition(po, "complete")
        po.completed_at = timezone.now()
    po.save(update_fields=["status", "completed_at", "updated_at"])
    audit.record(
        actor=actor,
        action="inventory.po.receive",
        obj=po,
        shop_id=shop_id,
        after={"receipt": receipt.number, "status": po.status},
    )
    refresh_low_stock(shop_id=shop_id, sku_ids=[line.sku_id for line in lines])
    return receipt


@transaction.atomic
def draft_purchase_orders_from_suggestions(
    *,
    shop_id: int,
    sku_ids: Sequence[int],
    actor: Any = None,
    supplier_id: int | None = None,
    warehouse_id: int | None = None,
) -> list[PurchaseOrder]:
    """One click from the replenishment list: put the suggested quantities on draft POs, one per
    supplier (each SKU's preferred supplier unless `supplier_id` is given). Lines are added to an
    existing draft for the same supplier and warehouse rather than opening a second one."""
    from shopops.inventory import replenishment

    wanted = sorted(set(sku_ids))
    if not wanted:
        raise InvalidInput("请选择 SKU / Choose at least one SKU", code="no_lines")
    _require_shop_skus(shop_id, wanted)
    suggestions = {
        s.sku_id: s for s in replenishment.suggestions(shop_id=shop_id, sku_ids=wanted, include_all=True)
    }
    nothing = [sku_id for sku_id in wanted if suggestions[sku_id].quantity <= 0]
    if nothing:
        raise InvalidInput(
            "这些 SKU 目前无需补货 / These SKUs need no replenishment now",
            code="nothing_to_order",
            sku_ids=nothing,
        )
    supplier = selectors.get_supplier(shop_id=shop_id, supplier_id=supplier_id) if supplier_id else None
    no_supplier = [
        sku_id for sku_id in wanted if supplier is None and suggestions[sku_id].supplier_id is None
    ]
    if no_supplier:
        raise InvalidInput(
            "这些 SKU 没有首选供应商，请指定供应商 / No supplier for these SKUs; choose one",
            code="no_supplier",
            sku_ids=no_supplier,
        )
    if warehouse_id is None:
        first = selectors.warehouses(shop_id=shop_id, active_only=True).first()
        if first is None:
            raise WarehouseInactive("店铺没有启用的仓库 / The shop has no active warehouse", shop_id=shop_id)
        warehouse_id = first.id
    warehouse = _warehouse(shop_id, warehouse_id)

    by_supplier: dict[int, list[int]] = {}
    for sku_id in wanted:
        by_supplier.setdefault(supplier.id if supplier else suggestions[sku_id].supplier_id, []).append(
            sku_id
        )
    orders = []
    for target_supplier_id, supplier_skus in sorted(by_supplier.items()):
        target = supplier or selectors.get_supplier(shop_id=shop_id, supplier_id=target_supplier_id)
        po = (
            PurchaseOrder.objects.select_for_update()
            .filter(shop_id=shop_id, supplier=target, warehouse=warehouse, status=S.DRAFT)
            .order_by("-created_at")
            .first()
        )
        if po is None:
            po = PurchaseOrder.objects.create(
                shop_id=shop_id,
                number=time_sortable_number("PO"),
                supplier=target,
                warehouse=warehouse,
                note="补货建议生成 / from replenishment suggestions",
                created_by=_actor(actor),
            )
        costs = _default_costs(target, supplier_skus)
        for sku_id in supplier_skus:
            quantity = suggestions[sku_id].quantity
            line = PurchaseOrderLine.objects.filter(purchase_order=po, sku_id=sku_id).first()
            if line is None:
                PurchaseOrderLine.objects.create(
                    purchase_order=po,
                    sku_id=sku_id,
                    quantity_ordered=quantity,
                    unit_cost=_check_cost(costs.get(sku_id, Decimal("0"))),
                )
            else:
                line.quantity_ordered += quantity
                line.save(update_fields=["quantity_ordered"])
        audit.record(
            actor=actor,
            action="inventory.po.draft_from_suggestions",
            obj=po,
            shop_id=shop_id,
            after={"sku_ids": supplier_skus},
        )
        orders.append(po)
    return orders
