"""Replenishment suggestions: when to reorder a SKU and how many, from demand, lead time and
safety stock.

    daily demand   d  = estimate_daily_demand(sku)          (units/day)
    lead time      L  = supplier item's, else supplier's, else the shop default (days)
    safety stock   SS = ceil(d x safety_stock_days)
    reorder point  ROP = max(ceil(d x L) + SS, low-stock threshold)
    order-up-to    T  = ROP + ceil(d x order_cycle_days)      (2 x threshold when d = 0)
    position       P  = available + on order (open POs, drafts included)
    suggest        when P <= ROP:  quantity = T - P, raised to the minimum order, rounded up to packs

`estimate_daily_demand` is the ONE place demand is estimated. Today it is recent sales velocity from
the ledger; the analytics issue swaps its body for a forecast and everything here follows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from django.db.models import Sum
from django.utils import timezone

from shopops.inventory import catalog_reads, selectors
from shopops.inventory.models import LedgerReason, StockLedgerEntry, Supplier, SupplierItem

DEMAND_PLACES = Decimal("0.001")


def estimate_daily_demand(sku_id: int, *, window_days: int = 28, as_of: datetime | None = None) -> Decimal:
    """Expected units sold per day for one SKU.

    Current model: units that left stock as sales in the last `window_days` days, divided by the
    window (returns are not netted: a returned unit was still demanded). The analytics issue replaces
    this body with a forecast; keep the signature.
    """
    if window_days < 1:
        raise ValueError("window_days must be >= 1")
    as_of = as_of or timezone.now()
    sold = StockLedgerEntry.objects.filter(
        sku_id=sku_id,
        reason=LedgerReason.SALE,
        created_at__gte=as_of - timedelta(days=window_days),
        created_at__lt=as_of,
    ).aggregate(total=Sum("on_hand_delta"))["total"]
    units = -(sold or 0)
    return (Decimal(units) / Decimal(window_days)).quantize(DEMAND_PLACES)


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True)
class ReorderPlan:
    safety_stock: int
    reorder_point: int
    order_up_to: int
    quantity: int  # 0 when no order is needed


def reorder_plan(
    *,
    daily_demand: Decimal,
    lead_time_days: int,
    safety_stock_days: int,
    order_cycle_days: int,
    threshold: int,
    position: int,
    min_order_quantity: int = 1,
    pack_size: int = 1,
) -> ReorderPlan:
    """The arithmetic of the module docstring, pure so it can be tested on its own."""
    d = max(Decimal(daily_demand), Decimal(0))
    safety = _ceil(d * safety_stock_days)
    reorder_point = max(_ceil(d * lead_time_days) + safety, threshold)
    # With no recent sales only the threshold asks for stock: refill to twice it.
    cycle_units = max(_ceil(d * order_cycle_days), 1) if d > 0 else threshold
    order_up_to = reorder_point + cycle_units
    needs_order = (d > 0 or threshold > 0) and position <= reorder_point
    if not needs_order:
        return ReorderPlan(safety, reorder_point, order_up_to, 0)
    quantity = max(order_up_to - position, min_order_quantity, 1)
    pack = max(pack_size, 1)
    quantity = math.ceil(quantity / pack) * pack
    return ReorderPlan(safety, reorder_point, order_up_to, quantity)


@dataclass(frozen=True)
class Suggestion:
    sku_id: int
    sku_code: str
    title: str
    daily_demand: Decimal
    lead_time_days: int
    threshold: int
    available: int
    on_order: int
    position: int
    safety_stock: int
    reorder_point: int
    order_up_to: int
    quantity: int
    supplier_id: int | None
    supplier_name: str
    unit_cost: Decimal | None
    days_of_cover: Decimal | None

    @property
    def estimated_cost(self) -> Decimal | None:
        return None if self.unit_cost is None else self.unit_cost * self.quantity


def _supplier_choice(shop_id: int, sku_ids: set[int]) -> dict[int, tuple[SupplierItem, Supplier]]:
    """Each SKU's supplier: the preferred item, else the cheapest active one."""
    chosen: dict[int, tuple[SupplierItem, Supplier]] = {}
    items = (
        SupplierItem.objects.filter(supplier__shop_id=shop_id, supplier__is_active=True, sku_id__in=sku_ids)
        .select_related("supplier")
        .order_by("sku_id", "-is_preferred", "unit_cost", "id")
    )
    for item in items:
        chosen.setdefault(item.sku_id, (item, item.supplier))
    return chosen


def candidate_sku_ids(*, shop_id: int, window_days: int, as_of: datetime) -> set[int]:
    """SKUs worth evaluating: those sold in the window or currently at/below their threshold.

    When the demand estimate becomes a forecast, SKUs it predicts demand for should join this set.
    """
    sold = StockLedgerEntry.objects.filter(
        shop_id=shop_id,
        reason=LedgerReason.SALE,
        created_at__gte=as_of - timedelta(days=window_days),
        created_at__lt=as_of,
    ).values_list("sku_id", flat=True)
    return set(sold.distinct()) | selectors.low_stock_sku_ids(shop_id=shop_id)


def suggestions(
    *,
    shop_id: int,
    sku_ids: list[int] | None = None,
    include_all: bool = False,
    as_of: datetime | None = None,
) -> list[Suggestion]:
    """Replenishment suggestions for the shop, most urgent (fewest days of cover) first.

    `sku_ids` limits the answer to those SKUs (all of them, even with quantity 0, when include_all).
    """
    as_of = as_of or timezone.now()
    config = selectors.settings_for(shop_id)
    ids = (
        set(sku_ids)
        if sku_ids is not None
        else candidate_sku_ids(shop_id=shop_id, window_days=config.demand_window_days, as_of=as_of)
    )
    ids = catalog_reads.skus_of_shop(shop_id, ids)
    if not ids:
        return []
    labels = catalog_reads.sku_labels(ids)
    levels = selectors.effective_thresholds(shop_id=shop_id, sku_ids=ids)
    available = selectors.available_by_sku(ids)
    on_order = selectors.on_order_by_sku(shop_id=shop_id, sku_ids=ids)
    suppliers = _supplier_choice(shop_id, ids)

    result = []
    for sku_id in sorted(ids):
        demand = estimate_daily_demand(sku_id, window_days=config.demand_window_days, as_of=as_of)
        item, supplier = suppliers.get(sku_id, (None, None))
        lead_time = (
            item.lead_time_days
            if item is not None and item.lead_time_days is not None
            else (supplier.lead_time_days if supplier is not None else config.default_lead_time_days)
        )
        position = available.get(sku_id, 0) + on_order.get(sku_id, 0)
        plan = reorder_plan(
            daily_demand=demand,
            lead_time_days=lead_time,
            safety_stock_days=config.safety_stock_days,
            order_cycle_days=config.order_cycle_days,
            threshold=levels.get(sku_id, 0),
            position=position,
            min_order_quantity=item.min_order_quantity if item else 1,
            pack_size=item.pack_size if item else 1,
        )
        if plan.quantity <= 0 and not include_all:
            continue
        label = labels.get(sku_id)
        unit_cost = item.unit_cost if item is not None else (label.cost if label else None)
        result.append(
            Suggestion(
                sku_id=sku_id,
                sku_code=label.code if label else str(sku_id),
                title=label.display if label else "",
                daily_demand=demand,
                lead_time_days=lead_time,
                threshold=levels.get(sku_id, 0),
                available=available.get(sku_id, 0),
                on_order=on_order.get(sku_id, 0),
                position=position,
                safety_stock=plan.safety_stock,
                reorder_point=plan.reorder_point,
                order_up_to=plan.order_up_to,
                quantity=plan.quantity,
                supplier_id=supplier.id if supplier else None,
                supplier_name=supplier.name if supplier else "",
                unit_cost=unit_cost,
                days_of_cover=(Decimal(available.get(sku_id, 0)) / demand).quantize(Decimal("0.1"))
                if demand > 0
                else None,
            )
        )
    result.sort(key=lambda s: (s.days_of_cover if s.days_of_cover is not None else Decimal("1e9"), s.sku_id))
    return result
