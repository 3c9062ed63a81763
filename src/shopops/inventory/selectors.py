"""Reads for inventory: availability for the storefront and orders, stock and ledger views for the
console and API, thresholds, and the staff to notify. Nothing here writes.

Shop scoping: every function that takes `shop_id` only ever returns that shop's rows, and the
`get_*` helpers raise NotFound for another shop's id, so an endpoint cannot leak by id (IDOR).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.core.cache import cache
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from shopops.core.errors import NotFound
from shopops.inventory import catalog_reads
from shopops.inventory.errors import UnknownWarehouse
from shopops.inventory.models import (
    AlertStatus,
    InventorySettings,
    LowStockAlert,
    LowStockThreshold,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Reservation,
    Stock,
    StockLedgerEntry,
    Stocktake,
    StockTransfer,
    Supplier,
    Warehouse,
)

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Availability (used by catalog, storefront and orders)
# --------------------------------------------------------------------------------------------------


def available_by_sku(sku_ids: Iterable[int]) -> dict[int, int]:
    """{sku_id: units that can be sold now}, summed over the active warehouses.

    Every requested id is in the answer; a SKU with no stock row (or only in inactive warehouses)
    answers 0.
    """
    ids = {int(i) for i in sku_ids}
    if not ids:
        return {}
    result = dict.fromkeys(ids, 0)
    rows = (
        Stock.objects.filter(sku_id__in=ids, warehouse__is_active=True)
        .values("sku_id")
        .annotate(total=Sum("available"))
        .values_list("sku_id", "total")
    )
    for sku_id, total in rows:
        result[sku_id] = max(int(total or 0), 0)
    return result


def availability_for_product(product_id: int) -> dict[int, int]:
    """{sku_id: units that can be sold now} for every SKU of the product (0 when none)."""
    return available_by_sku(catalog_reads.sku_ids_of_product(product_id)) if product_id else {}


def stock_by_warehouse(*, shop_id: int, sku_id: int) -> list[Stock]:
    """One SKU's stock in each of the shop's warehouses that holds or held it."""
    return list(
        Stock.objects.filter(shop_id=shop_id, sku_id=sku_id)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse_id")
    )


# --------------------------------------------------------------------------------------------------
# Warehouses and stock
# --------------------------------------------------------------------------------------------------


def warehouses(*, shop_id: int, active_only: bool = False) -> QuerySet[Warehouse]:
    qs = Warehouse.objects.filter(shop_id=shop_id)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("priority", "id")


def get_warehouse(*, shop_id: int, warehouse_id: int) -> Warehouse:
    warehouse = Warehouse.objects.filter(shop_id=shop_id, id=warehouse_id).first()
    if warehouse is None:
        raise UnknownWarehouse(resource="warehouse", id=warehouse_id)
    return warehouse


def stock_rows(
    *,
    shop_id: int,
    warehouse_id: int | None = None,
    sku_id: int | None = None,
    search: str | None = None,
    only_available_lte: int | None = None,
) -> QuerySet[Stock]:
    qs = Stock.objects.filter(shop_id=shop_id).select_related("warehouse")
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    if sku_id is not None:
        qs = qs.filter(sku_id=sku_id)
    if search:
        qs = qs.filter(sku_id__in=catalog_reads.search_sku_ids(shop_id, search))
    if only_available_lte is not None:
        qs = qs.filter(available__lte=only_available_lte)
    return qs.order_by("sku_id", "warehouse__priority", "warehouse_id")


def stock_matrix_sku_ids(
    *, shop_id: int, warehouse_id: int | None = None, search: str | None = None, low_only: bool = False
) -> QuerySet:
    """SKU ids for the console's stock-by-warehouse table (one row per SKU), in a stable order."""
    qs = Stock.objects.filter(shop_id=shop_id)
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    if search:
        qs = qs.filter(sku_id__in=catalog_reads.search_sku_ids(shop_id, search))
    if low_only:
        qs = qs.filter(sku_id__in=open_alerts(shop_id=shop_id).values("sku_id"))
    return qs.values_list("sku_id", flat=True).distinct().order_by("sku_id")


def tracked_availability(*, shop_id: int, sku_ids: Iterable[int] | None = None) -> dict[int, int]:
    """{sku_id: available over active warehouses} for the shop's SKUs that have any stock row."""
    qs = Stock.objects.filter(shop_id=shop_id)
    if sku_ids is not None:
        qs = qs.filter(sku_id__in=set(sku_ids))
    rows = (
        qs.values("sku_id")
        .annotate(total=Coalesce(Sum("available", filter=Q(warehouse__is_active=True)), 0))
        .values_list("sku_id", "total")
    )
    return {sku_id: int(total) for sku_id, total in rows}


def stock_totals(*, shop_id: int) -> dict[str, int]:
    totals = Stock.objects.filter(shop_id=shop_id, warehouse__is_active=True).aggregate(
        on_hand=Coalesce(Sum("on_hand"), 0),
        reserved=Coalesce(Sum("reserved"), 0),
        available=Coalesce(Sum("available"), 0),
    )
    return {key: int(value) for key, value in totals.items()}


# --------------------------------------------------------------------------------------------------
# Ledger
# --------------------------------------------------------------------------------------------------


def ledger_entries(
    *,
    shop_id: int,
    warehouse_id: int | None = None,
    sku_id: int | None = None,
    reason: str | None = None,
    reference: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[StockLedgerEntry]:
    qs = StockLedgerEntry.objects.filter(shop_id=shop_id).select_related("warehouse", "actor")
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    if sku_id is not None:
        qs = qs.filter(sku_id=sku_id)
    if reason:
        qs = qs.filter(reason=reason)
    if reference:
        qs = qs.filter(reference=reference)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by("-created_at", "-id")


def ledger_sums(*, warehouse_id: int, sku_id: int) -> tuple[int, int]:
    """(sum of on_hand deltas, sum of reserved deltas): what the stock row must equal."""
    sums = StockLedgerEntry.objects.filter(warehouse_id=warehouse_id, sku_id=sku_id).aggregate(
        on_hand=Coalesce(Sum("on_hand_delta"), 0), reserved=Coalesce(Sum("reserved_delta"), 0)
    )
    return int(sums["on_hand"]), int(sums["reserved"])


def ledger_mismatches(*, shop_id: int) -> list[dict]:
    """Stock rows whose figures differ from their ledger sums (should always be empty)."""
    sums = {
        (row["warehouse_id"], row["sku_id"]): (row["on_hand"], row["reserved"])
        for row in StockLedgerEntry.objects.filter(shop_id=shop_id)
        .values("warehouse_id", "sku_id")
        .annotate(on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta"))
    }
    problems = []
    for stock in Stock.objects.filter(shop_id=shop_id).values(
        "warehouse_id", "sku_id", "on_hand", "reserved"
    ):
        expected = sums.get((stock["warehouse_id"], stock["sku_id"]), (0, 0))
        if (stock["on_hand"], stock["reserved"]) != expected:
            problems.append({**stock, "ledger_on_hand": expected[0], "ledger_reserved": expected[1]})
    return problems


# --------------------------------------------------------------------------------------------------
# Settings, thresholds, alerts
# --------------------------------------------------------------------------------------------------


def settings_for(shop_id: int) -> InventorySettings:
    """The shop's inventory settings; an unsaved row with the defaults when it has none yet."""
    return InventorySettings.objects.filter(shop_id=shop_id).first() or InventorySettings(shop_id=shop_id)


def thresholds(*, shop_id: int) -> QuerySet[LowStockThreshold]:
    return LowStockThreshold.objects.filter(shop_id=shop_id).order_by("category_id", "sku_id")


def effective_thresholds(*, shop_id: int, sku_ids: Iterable[int] | None = None) -> dict[int, int]:
    """{sku_id: low-stock threshold} applying, most specific first: the SKU's own threshold, the
    nearest category (or ancestor) default, then the shop default. 0 means "do not alert"."""
    paths = catalog_reads.sku_category_paths(shop_id=shop_id, sku_ids=sku_ids)
    rules = LowStockThreshold.objects.filter(shop_id=shop_id)
    sku_rules = rules.filter(sku__isnull=False)
    if sku_ids is not None:
        sku_rules = sku_rules.filter(sku_id__in=list(paths))
    per_sku = dict(sku_rules.values_list("sku_id", "threshold"))
    per_category = sorted(
        rules.filter(category__isnull=False).values_list("category__path", "threshold"),
        key=lambda item: len(item[0]),
        reverse=True,  # longest path first: the nearest category wins over its ancestors
    )
    shop_default = settings_for(shop_id).default_low_stock_threshold
    result: dict[int, int] = {}
    for sku_id, path in paths.items():
        if sku_id in per_sku:
            result[sku_id] = per_sku[sku_id]
            continue
        result[sku_id] = next(
            (value for cat_path, value in per_category if path and path.startswith(cat_path)), shop_default
        )
    return result


THRESHOLD_CACHE_SECONDS = 300


def _threshold_version_key(shop_id: int) -> str:
    return f"inventory:thresholds:version:{shop_id}"


def _threshold_version(shop_id: int) -> str:
    key = _threshold_version_key(shop_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex[:12], None)
        version = cache.get(key)
    return str(version)


def forget_thresholds(shop_id: int) -> None:
    """Invalidate the shop's cached thresholds (after a threshold or default changes)."""
    try:
        cache.set(_threshold_version_key(shop_id), uuid.uuid4().hex[:12], None)
    except Exception:  # the cache being down must not fail the change; entries expire on their own
        logger.warning("could not invalidate cached thresholds of shop %s", shop_id, exc_info=True)


def effective_thresholds_cached(*, shop_id: int, sku_ids: Iterable[int]) -> dict[int, int]:
    """effective_thresholds() through the cache, for the few SKUs a stock movement touches.

    Thresholds change rarely and every movement needs them, so they are cached per SKU under a
    per-shop version that threshold and settings changes bump. A product moved to another category
    is picked up when the entry expires (THRESHOLD_CACHE_SECONDS). Any cache failure falls back to
    the database.
    """
    ids = {int(i) for i in sku_ids}
    try:
        version = _threshold_version(shop_id)
        keys = {f"inventory:threshold:{shop_id}:{version}:{sku_id}": sku_id for sku_id in ids}
        result = {keys[key]: int(level) for key, level in cache.get_many(list(keys)).items()}
    except Exception:
        logger.warning("threshold cache unavailable; reading thresholds from the database", exc_info=True)
        return effective_thresholds(shop_id=shop_id, sku_ids=ids)
    missing = ids - set(result)
    if missing:
        computed = effective_thresholds(shop_id=shop_id, sku_ids=missing)
        result.update(computed)
        try:
            cache.set_many(
                {
                    f"inventory:threshold:{shop_id}:{version}:{sku_id}": level
                    for sku_id, level in computed.items()
                },
                THRESHOLD_CACHE_SECONDS,
            )
        except Exception:
            logger.warning("could not cache thresholds of shop %s", shop_id, exc_info=True)
    return result


def alerts(*, shop_id: int, status: str | None = None) -> QuerySet[LowStockAlert]:
    qs = LowStockAlert.objects.filter(shop_id=shop_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def open_alerts(*, shop_id: int) -> QuerySet[LowStockAlert]:
    return alerts(shop_id=shop_id, status=AlertStatus.OPEN)


def warehouse_staff_emails(shop_id: int) -> list[str]:
    """E-mail addresses of the shop's active staff holding inventory.manage (read-only use of the
    shops app's membership tables; the permission test is the same as shops.selectors uses)."""
    from shopops.shops.models import Membership, MembershipStatus

    emails: set[str] = set()
    memberships = (
        Membership.objects.filter(shop_id=shop_id, status=MembershipStatus.ACTIVE, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", "roles__permissions")
    )
    for email, permissions in memberships:
        if permissions and "inventory.manage" in permissions:
            emails.add(email)
    return sorted(emails)


# --------------------------------------------------------------------------------------------------
# Suppliers, purchase orders, transfers, stocktakes, reservations
# --------------------------------------------------------------------------------------------------


def suppliers(*, shop_id: int, active_only: bool = False) -> QuerySet[Supplier]:
    qs = Supplier.objects.filter(shop_id=shop_id)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("name", "id")


def get_supplier(*, shop_id: int, supplier_id: int) -> Supplier:
    supplier = Supplier.objects.filter(shop_id=shop_id, id=supplier_id).first()
    if supplier is None:
        raise NotFound(resource="supplier", id=supplier_id)
    return supplier


def purchase_orders(
    *, shop_id: int, status: str | None = None, supplier_id: int | None = None
) -> QuerySet[PurchaseOrder]:
    qs = PurchaseOrder.objects.filter(shop_id=shop_id).select_related("supplier", "warehouse")
    if status:
        qs = qs.filter(status=status)
    if supplier_id is not None:
        qs = qs.filter(supplier_id=supplier_id)
    return qs.order_by("-created_at", "-id")


def get_purchase_order(*, shop_id: int, po_id: int) -> PurchaseOrder:
    po = (
        PurchaseOrder.objects.filter(shop_id=shop_id, id=po_id)
        .select_related("supplier", "warehouse")
        .prefetch_related("lines", "receipts__lines")
        .first()
    )
    if po is None:
        raise NotFound(resource="purchase_order", id=po_id)
    return po


OPEN_PO_STATUSES = (
    PurchaseOrderStatus.DRAFT,
    PurchaseOrderStatus.SENT,
    PurchaseOrderStatus.PARTIALLY_RECEIVED,
)


def on_order_by_sku(*, shop_id: int, sku_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Units ordered and not yet received on open purchase orders (drafts included, so a suggestion
    already drafted is not drafted twice)."""
    qs = PurchaseOrderLine.objects.filter(
        purchase_order__shop_id=shop_id, purchase_order__status__in=OPEN_PO_STATUSES
    )
    if sku_ids is not None:
        qs = qs.filter(sku_id__in=set(sku_ids))
    rows = (
        qs.values("sku_id")
        .annotate(outstanding=Sum(F("quantity_ordered") - F("quantity_received")))
        .values_list("sku_id", "outstanding")
    )
    return {sku_id: int(outstanding or 0) for sku_id, outstanding in rows}


def transfers(*, shop_id: int) -> QuerySet[StockTransfer]:
    return (
        StockTransfer.objects.filter(shop_id=shop_id)
        .select_related("from_warehouse", "to_warehouse")
        .prefetch_related("lines")
        .order_by("-created_at", "-id")
    )


def stocktakes(*, shop_id: int) -> QuerySet[Stocktake]:
    return (
        Stocktake.objects.filter(shop_id=shop_id)
        .select_related("warehouse")
        .prefetch_related("lines")
        .order_by("-created_at", "-id")
    )


def reservations(
    *, shop_id: int, order_ref: str | None = None, status: str | None = None
) -> QuerySet[Reservation]:
    qs = Reservation.objects.filter(shop_id=shop_id).prefetch_related("allocations")
    if order_ref:
        qs = qs.filter(order_ref=order_ref)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def reserved_for_order(order_ref: str) -> list[Reservation]:
    return list(
        Reservation.objects.filter(order_ref=order_ref).prefetch_related("allocations").order_by("sku_id")
    )


def low_stock_sku_ids(*, shop_id: int) -> set[int]:
    return set(open_alerts(shop_id=shop_id).values_list("sku_id", flat=True))
