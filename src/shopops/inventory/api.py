"""Inventory API (/api/v1/inventory): warehouses, stock, ledger, adjustments, transfers, stocktakes,
alerts, thresholds, suppliers, purchase orders, replenishment and reservations.

Thin: each endpoint declares its permission, calls one service or selector and shapes the answer.
Every path carries the shop, and every object id is looked up within that shop, so another
merchant's warehouse or purchase order answers 404 (no probing by id).

Reservations are the orders app's door into stock: they accept a caller holding either
`inventory.manage` or `orders.manage` in the shop (an order clerk places and cancels orders without
being allowed to adjust stock by hand).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from shopops.accounts.auth import api_auth
from shopops.core.errors import NotFound
from shopops.core.pagination import PageNumberPagination
from shopops.inventory import catalog_reads, replenishment, selectors, services
from shopops.inventory.models import SupplierItem
from shopops.inventory.schemas import (
    AdjustmentIn,
    AlertFilter,
    AlertOut,
    DraftFromSuggestionsIn,
    LedgerCheckOut,
    LedgerEntryOut,
    LedgerFilter,
    PoFilter,
    PurchaseOrderIn,
    PurchaseOrderOut,
    PurchaseOrderPatch,
    PurchaseOrderSummaryOut,
    ReasonIn,
    ReceiveIn,
    ReleaseIn,
    ReservationFilter,
    ReservationIn,
    ReservationOut,
    ReturnIn,
    SettingsOut,
    SettingsPatch,
    SkuStockOut,
    StockFilter,
    StockOut,
    StocktakeIn,
    StocktakeOut,
    SuggestionOut,
    SupplierIn,
    SupplierItemIn,
    SupplierItemOut,
    SupplierOut,
    SupplierPatch,
    ThresholdOut,
    ThresholdSetIn,
    TransferIn,
    TransferOut,
    WarehouseIn,
    WarehouseOut,
    WarehousePatch,
)
from shopops.shops.access import shop_permission, shop_permission_any

router = Router(tags=["inventory"], auth=api_auth)

SHOP = "/shops/{int:shop_id}"
VIEW = "inventory.view"
MANAGE = "inventory.manage"


def _sku_in_shop(shop_id: int, sku_id: int) -> None:
    if not catalog_reads.skus_of_shop(shop_id, [sku_id]):
        raise NotFound(resource="sku", id=sku_id)


# --- Warehouses -------------------------------------------------------------------------------------


@router.get(f"{SHOP}/warehouses", response=list[WarehouseOut], summary="The shop's warehouses")
@shop_permission(VIEW)
def list_warehouses(request: HttpRequest, shop_id: int):
    return selectors.warehouses(shop_id=shop_id)


@router.post(f"{SHOP}/warehouses", response={201: WarehouseOut}, summary="Add a warehouse")
@shop_permission(MANAGE)
def create_warehouse(request: HttpRequest, shop_id: int, payload: WarehouseIn):
    return Status(201, services.create_warehouse(shop_id=shop_id, actor=request.auth, **payload.dict()))


@router.get(f"{SHOP}/warehouses/{{int:warehouse_id}}", response=WarehouseOut, summary="One warehouse")
@shop_permission(VIEW)
def get_warehouse(request: HttpRequest, shop_id: int, warehouse_id: int):
    return selectors.get_warehouse(shop_id=shop_id, warehouse_id=warehouse_id)


@router.patch(f"{SHOP}/warehouses/{{int:warehouse_id}}", response=WarehouseOut, summary="Change a warehouse")
@shop_permission(MANAGE)
def update_warehouse(request: HttpRequest, shop_id: int, warehouse_id: int, payload: WarehousePatch):
    changes = payload.dict(exclude_unset=True)
    return services.update_warehouse(
        shop_id=shop_id, warehouse_id=warehouse_id, actor=request.auth, **changes
    )


@router.delete(
    f"{SHOP}/warehouses/{{int:warehouse_id}}", response={204: None}, summary="Delete an unused warehouse"
)
@shop_permission(MANAGE)
def delete_warehouse(request: HttpRequest, shop_id: int, warehouse_id: int):
    services.delete_warehouse(shop_id=shop_id, warehouse_id=warehouse_id, actor=request.auth)
    return Status(204, None)


# --- Stock and ledger -------------------------------------------------------------------------------


@router.get(f"{SHOP}/stock", response=list[StockOut], summary="Stock rows (per SKU per warehouse)")
@paginate(PageNumberPagination)
@shop_permission(VIEW)
def list_stock(request: HttpRequest, shop_id: int, filters: Query[StockFilter]):
    return selectors.stock_rows(
        shop_id=shop_id,
        warehouse_id=filters.warehouse_id,
        sku_id=filters.sku_id,
        search=filters.q,
        only_available_lte=filters.available_lte,
    ).select_related("sku")


@router.get(f"{SHOP}/skus/{{int:sku_id}}/stock", response=SkuStockOut, summary="One SKU across warehouses")
@shop_permission(VIEW)
def sku_stock(request: HttpRequest, shop_id: int, sku_id: int):
    _sku_in_shop(shop_id, sku_id)
    rows = list(selectors.stock_rows(shop_id=shop_id, sku_id=sku_id).select_related("sku"))
    active = [row for row in rows if row.warehouse.is_active]
    label = catalog_reads.sku_labels([sku_id])[sku_id]
    return {
        "sku_id": sku_id,
        "sku_code": label.code,
        "title": label.display,
        "threshold": selectors.effective_thresholds(shop_id=shop_id, sku_ids=[sku_id]).get(sku_id, 0),
        "low_stock": sku_id in selectors.low_stock_sku_ids(shop_id=shop_id),
        "totals": {
            "on_hand": sum(r.on_hand for r in active),
            "reserved": sum(r.reserved for r in active),
            "available": sum(r.available for r in active),
        },
        "warehouses": rows,
    }


@router.get(f"{SHOP}/ledger", response=list[LedgerEntryOut], summary="The stock ledger, newest first")
@paginate(PageNumberPagination)
@shop_permission(VIEW)
def list_ledger(request: HttpRequest, shop_id: int, filters: Query[LedgerFilter]):
    return selectors.ledger_entries(shop_id=shop_id, **filters.dict()).select_related("sku")


@router.get(f"{SHOP}/ledger/check", response=LedgerCheckOut, summary="Verify stock equals the ledger sums")
@shop_permission(VIEW)
def check_ledger(request: HttpRequest, shop_id: int):
    mismatches = selectors.ledger_mismatches(shop_id=shop_id)
    return {"consistent": not mismatches, "mismatches": mismatches}


@router.post(f"{SHOP}/adjustments", response={201: LedgerEntryOut}, summary="Adjust stock with a reason")
@shop_permission(MANAGE)
def adjust_stock(request: HttpRequest, shop_id: int, payload: AdjustmentIn):
    return Status(201, services.adjust_stock(shop_id=shop_id, actor=request.auth, **payload.dict()))


@router.post(f"{SHOP}/returns", response={201: LedgerEntryOut}, summary="Book returned goods back into stock")
@shop_permission(MANAGE)
def return_stock(request: HttpRequest, shop_id: int, payload: ReturnIn):
    _sku_in_shop(shop_id, payload.sku_id)
    return Status(201, services.return_stock(actor=request.auth, **payload.dict()))


# --- Transfers and stocktakes -----------------------------------------------------------------------


@router.get(f"{SHOP}/transfers", response=list[TransferOut], summary="Stock transfers")
@paginate(PageNumberPagination)
@shop_permission(VIEW)
def list_transfers(request: HttpRequest, shop_id: int):
    return selectors.transfers(shop_id=shop_id)


@router.post(f"{SHOP}/transfers", response={201: TransferOut}, summary="Move stock between warehouses")
@shop_permission(MANAGE)
def create_transfer(request: HttpRequest, shop_id: int, payload: TransferIn):
    return Status(
        201,
        services.transfer_stock(
            shop_id=shop_id,
            from_warehouse_id=payload.from_warehouse_id,
            to_warehouse_id=payload.to_warehouse_id,
            lines=[services.SkuQuantity(line.sku_id, line.quantity) for line in payload.lines],
            note=payload.note,
            actor=request.auth,
        ),
    )


@router.get(f"{SHOP}/transfers/{{int:transfer_id}}", response=TransferOut, summary="One transfer")
@shop_permission(VIEW)
def get_transfer(request: HttpRequest, shop_id: int, transfer_id: int):
    transfer = selectors.transfers(shop_id=shop_id).filter(id=transfer_id).first()
    if transfer is None:
        raise NotFound(resource="transfer", id=transfer_id)
    return transfer


@router.get(f"{SHOP}/stocktakes", response=list[StocktakeOut], summary="Stocktakes")
@paginate(PageNumberPagination)
@shop_permission(VIEW)
def list_stocktakes(request: HttpRequest, shop_id: int):
    return selectors.stocktakes(shop_id=shop_id)


@router.post(f"{SHOP}/stocktakes", response={201: StocktakeOut}, summary="Record a count (sets on hand)")
@shop_permission(MANAGE)
def create_stocktake(request: HttpRequest, shop_id: int, payload: StocktakeIn):
    return Status(
        201,
        services.record_stocktake(
            shop_id=shop_id,
            warehouse_id=payload.warehouse_id,
            reason=payload.reason,
            lines=[
                services.CountLine(line.sku_id, line.counted, line.expected_on_hand) for line in payload.lines
            ],
            actor=request.auth,
        ),
    )


@router.get(f"{SHOP}/stocktakes/{{int:stocktake_id}}", response=StocktakeOut, summary="One stocktake")
@shop_permission(VIEW)
def get_stocktake(request: HttpRequest, shop_id: int, stocktake_id: int):
    stocktake = selectors.stocktakes(shop_id=shop_id).filter(id=stocktake_id).first()
    if stocktake is None:
        raise NotFound(resource="stocktake", id=stocktake_id)
    return stocktake


# --- Alerts, thresholds, settings -------------------------------------------------------------------


@router.get(f"{SHOP}/alerts", response=list[AlertOut], summary="Low-stock alerts")
@paginate(PageNumberPagination)
@shop_permission(VIEW)
def list_alerts(request: HttpRequest, shop_id: int, filters: Query[AlertFilter]):
    return selectors.alerts(shop_id=shop_id, status=filters.status).select_related("sku")


@router.get(f"{SHOP}/thresholds", response=list[ThresholdOut], summary="Low-stock thresholds")
@shop_permission(VIEW)
def list_thresholds(request: HttpRequest, shop_id: int):
    return selectors.thresholds(shop_id=shop_id)


@router.put(
    f"{SHOP}/thresholds",
    response=ThresholdOut,
    summary="Set the threshold of a SKU, or the default of a category (its subcategories inherit it)",
)
@shop_permission(MANAGE)
def set_threshold(request: HttpRequest, shop_id: int, payload: ThresholdSetIn):
    if payload.sku_id is not None:
        return services.set_sku_threshold(
            shop_id=shop_id, sku_id=payload.sku_id, threshold=payload.threshold, actor=request.auth
        )
    return services.set_category_threshold(
        shop_id=shop_id, category_id=payload.category_id, threshold=payload.threshold, actor=request.auth
    )


@router.delete(f"{SHOP}/thresholds/{{int:threshold_id}}", response={204: None}, summary="Remove a threshold")
@shop_permission(MANAGE)
def delete_threshold(request: HttpRequest, shop_id: int, threshold_id: int):
    services.delete_threshold(shop_id=shop_id, threshold_id=threshold_id, actor=request.auth)
    return Status(204, None)


@router.get(f"{SHOP}/settings", response=SettingsOut, summary="Inventory settings (defaults when never set)")
@shop_permission(VIEW)
def get_settings(request: HttpRequest, shop_id: int):
    return selectors.settings_for(shop_id)


@router.patch(f"{SHOP}/settings", response=SettingsOut, summary="Change inventory settings")
@shop_permission(MANAGE)
def update_settings(request: HttpRequest, shop_id: int, payload: SettingsPatch):
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.update_settings(shop_id=shop_id, actor=request.auth, **changes)


# --- Suppliers --------------------------------------------------------------------------------------


@router.get(f"{SHOP}/suppliers", response=list[SupplierOut], summary="Suppliers")
@paginate(PageNumberPagination)
@shop_permission(VIEW)
def list_suppliers(request: HttpRequest, shop_id: int):
    return selectors.suppliers(shop_id=shop_id)


@router.post(f"{SHOP}/suppliers", response={201: SupplierOut}, summary="Add a supplier")
@shop_permission(MANAGE)
def create_supplier(request: HttpRequest, shop_id: int, payload: SupplierIn):
    return Status(201, services.create_supplier(shop_id=shop_id, actor=request.auth, **payload.dict()))


@router.get(f"{SHOP}/suppliers/{{int:supplier_id}}", response=SupplierOut, summary="One supplier")
@shop_permission(VIEW)
def get_supplier(request: HttpRequest, shop_id: int, supplier_id: int):
    return selectors.get_supplier(shop_id=shop_id, supplier_id=supplier_id)


@router.patch(f"{SHOP}/suppliers/{{int:supplier_id}}", response=SupplierOut, summary="Change a supplier")
@shop_permission(MANAGE)
def update_supplier(request: HttpRequest, shop_id: int, supplier_id: int, payload: SupplierPatch):
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.update_supplier(shop_id=shop_id, supplier_id=supplier_id, actor=request.auth, **changes)


@router.get(
    f"{SHOP}/suppliers/{{int:supplier_id}}/items",
    response=list[SupplierItemOut],
    summary="What a supplier sells us",
)
@shop_permission(VIEW)
def list_supplier_items(request: HttpRequest, shop_id: int, supplier_id: int):
    supplier = selectors.get_supplier(shop_id=shop_id, supplier_id=supplier_id)
    return SupplierItem.objects.filter(supplier=supplier).order_by("sku_id")


@router.put(
    f"{SHOP}/suppliers/{{int:supplier_id}}/items/{{int:sku_id}}",
    response=SupplierItemOut,
    summary="Set a supplier's price and terms for a SKU",
)
@shop_permission(MANAGE)
def put_supplier_item(
    request: HttpRequest, shop_id: int, supplier_id: int, sku_id: int, payload: SupplierItemIn
):
    return services.upsert_supplier_item(
        shop_id=shop_id, supplier_id=supplier_id, sku_id=sku_id, actor=request.auth, **payload.dict()
    )


@router.delete(
    f"{SHOP}/suppliers/{{int:supplier_id}}/items/{{int:sku_id}}", response={204: None}, summary="Remove a SKU"
)
@shop_permission(MANAGE)
def delete_supplier_item(request: HttpRequest, shop_id: int, supplier_id: int, sku_id: int):
    services.delete_supplier_item(shop_id=shop_id, supplier_id=supplier_id, sku_id=sku_id, actor=request.auth)
    return Status(204, None)


# --- Purchase orders --------------------------------------------------------------------------------


def _po(shop_id: int, po_id: int):
    return selectors.get_purchase_order(shop_id=shop_id, po_id=po_id)


def _po_lines(lines) -> list[services.OrderLineInput]:
    return [services.OrderLineInput(line.sku_id, line.quantity, line.unit_cost) for line in lines]


@router.get(f"{SHOP}/purchase-orders", response=list[PurchaseOrderSummaryOut], summary="Purchase orders")
@paginate(PageNumberPagination)
@shop_permission(VIEW)
def list_purchase_orders(request: HttpRequest, shop_id: int, filters: Query[PoFilter]):
    return selectors.purchase_orders(shop_id=shop_id, status=filters.status, supplier_id=filters.supplier_id)


@router.post(f"{SHOP}/purchase-orders", response={201: PurchaseOrderOut}, summary="Draft a purchase order")
@shop_permission(MANAGE)
def create_purchase_order(request: HttpRequest, shop_id: int, payload: PurchaseOrderIn):
    po = services.create_purchase_order(
        shop_id=shop_id,
        supplier_id=payload.supplier_id,
        warehouse_id=payload.warehouse_id,
        lines=_po_lines(payload.lines),
        expected_at=payload.expected_at,
        note=payload.note,
        actor=request.auth,
    )
    return Status(201, _po(shop_id, po.id))


@router.get(f"{SHOP}/purchase-orders/{{int:po_id}}", response=PurchaseOrderOut, summary="One purchase order")
@shop_permission(VIEW)
def get_purchase_order(request: HttpRequest, shop_id: int, po_id: int):
    return _po(shop_id, po_id)


@router.patch(f"{SHOP}/purchase-orders/{{int:po_id}}", response=PurchaseOrderOut, summary="Edit a draft")
@shop_permission(MANAGE)
def update_purchase_order(request: HttpRequest, shop_id: int, po_id: int, payload: PurchaseOrderPatch):
    services.update_draft_purchase_order(
        shop_id=shop_id,
        po_id=po_id,
        actor=request.auth,
        lines=_po_lines(payload.lines) if payload.lines is not None else None,
        warehouse_id=payload.warehouse_id,
        expected_at=payload.expected_at,
        note=payload.note,
    )
    return _po(shop_id, po_id)


@router.post(
    f"{SHOP}/purchase-orders/{{int:po_id}}/send", response=PurchaseOrderOut, summary="Send to supplier"
)
@shop_permission(MANAGE)
def send_purchase_order(request: HttpRequest, shop_id: int, po_id: int):
    services.send_purchase_order(shop_id=shop_id, po_id=po_id, actor=request.auth)
    return _po(shop_id, po_id)


@router.post(
    f"{SHOP}/purchase-orders/{{int:po_id}}/receive", response=PurchaseOrderOut, summary="Book a delivery"
)
@shop_permission(MANAGE)
def receive_purchase_order(request: HttpRequest, shop_id: int, po_id: int, payload: ReceiveIn):
    services.receive_purchase_order(
        shop_id=shop_id,
        po_id=po_id,
        lines=[services.SkuQuantity(line.sku_id, line.quantity) for line in payload.lines],
        warehouse_id=payload.warehouse_id,
        note=payload.note,
        actor=request.auth,
    )
    return _po(shop_id, po_id)


@router.post(f"{SHOP}/purchase-orders/{{int:po_id}}/cancel", response=PurchaseOrderOut, summary="Cancel")
@shop_permission(MANAGE)
def cancel_purchase_order(request: HttpRequest, shop_id: int, po_id: int, payload: ReasonIn | None = None):
    services.cancel_purchase_order(
        shop_id=shop_id, po_id=po_id, reason=payload.reason if payload else "", actor=request.auth
    )
    return _po(shop_id, po_id)


@router.post(
    f"{SHOP}/purchase-orders/{{int:po_id}}/close",
    response=PurchaseOrderOut,
    summary="Close a partial PO short",
)
@shop_permission(MANAGE)
def close_purchase_order(request: HttpRequest, shop_id: int, po_id: int, payload: ReasonIn | None = None):
    services.close_purchase_order(
        shop_id=shop_id, po_id=po_id, reason=payload.reason if payload else "", actor=request.auth
    )
    return _po(shop_id, po_id)


# --- Replenishment ----------------------------------------------------------------------------------


@router.get(
    f"{SHOP}/replenishment/suggestions",
    response=list[SuggestionOut],
    summary="What to reorder, most urgent first",
)
@shop_permission(VIEW)
def list_suggestions(request: HttpRequest, shop_id: int):
    return replenishment.suggestions(shop_id=shop_id)


@router.post(
    f"{SHOP}/replenishment/draft-purchase-orders",
    response={201: list[PurchaseOrderOut]},
    summary="Draft purchase orders from suggestions (one per supplier)",
)
@shop_permission(MANAGE)
def draft_from_suggestions(request: HttpRequest, shop_id: int, payload: DraftFromSuggestionsIn):
    orders = services.draft_purchase_orders_from_suggestions(
        shop_id=shop_id,
        sku_ids=payload.sku_ids,
        supplier_id=payload.supplier_id,
        warehouse_id=payload.warehouse_id,
        actor=request.auth,
    )
    return Status(201, [_po(shop_id, po.id) for po in orders])


# --- Reservations -----------------------------------------------------------------------------------


@router.get(f"{SHOP}/reservations", response=list[ReservationOut], summary="Reservations held for orders")
@paginate(PageNumberPagination)
@shop_permission(VIEW)
def list_reservations(request: HttpRequest, shop_id: int, filters: Query[ReservationFilter]):
    return selectors.reservations(shop_id=shop_id, order_ref=filters.order_ref, status=filters.status)


@router.post(
    f"{SHOP}/reservations",
    response={201: list[ReservationOut]},
    summary="Reserve an order's lines (all or nothing; idempotent by order_ref + SKU)",
)
@shop_permission_any(MANAGE, "orders.manage")
def reserve(request: HttpRequest, shop_id: int, payload: ReservationIn):
    reservations = services.reserve_order(
        order_ref=payload.order_ref,
        lines=[services.ReserveLine(line.sku_id, line.quantity, line.warehouse_id) for line in payload.lines],
        expires_at=payload.expires_at,
        shop_id=shop_id,
        actor=request.auth,
    )
    return Status(201, reservations)


@router.post(
    f"{SHOP}/reservations/{{order_ref}}/commit",
    response=list[ReservationOut],
    summary="The order was paid: take its reserved units out of stock",
)
@shop_permission_any(MANAGE, "orders.manage")
def commit(request: HttpRequest, shop_id: int, order_ref: str):
    return services.commit_order(order_ref=order_ref, shop_id=shop_id, actor=request.auth)


@router.post(
    f"{SHOP}/reservations/{{order_ref}}/release",
    response=list[ReservationOut],
    summary="The order was cancelled: give its reserved units back",
)
@shop_permission_any(MANAGE, "orders.manage")
def release(request: HttpRequest, shop_id: int, order_ref: str, payload: ReleaseIn | None = None):
    reason = payload.reason if payload else "cancelled"
    return services.release_order(order_ref=order_ref, reason=reason, shop_id=shop_id, actor=request.auth)
