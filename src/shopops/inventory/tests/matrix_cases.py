"""Permission-matrix cases for the inventory API (see shopops/shops/tests/matrix.py).

Objects named in a path are created in `w.object_shop`, objects named only in a body in `w.shop`,
so the IDOR run (another shop's objects through your own shop) finds the path's objects missing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from shopops.inventory import services
from shopops.inventory.services import OrderLineInput, SkuQuantity
from shopops.inventory.tests.factories import make_sku, make_warehouse, put_stock
from shopops.shops.tests.matrix import Call, World, case

BASE = "/inventory/shops"


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _stocked(shop, units: int = 20):
    warehouse = make_warehouse(shop, code=_unique("wh"))
    sku = make_sku(shop)
    put_stock(warehouse, sku, units)
    return warehouse, sku


def _supplier(shop):
    return services.create_supplier(shop_id=shop.id, code=_unique("sup"), name=_unique("供应商"))


def _po(shop, *steps: str):
    warehouse, sku = _stocked(shop)
    supplier = _supplier(shop)
    po = services.create_purchase_order(
        shop_id=shop.id,
        supplier_id=supplier.id,
        warehouse_id=warehouse.id,
        lines=[OrderLineInput(sku.id, 10)],
    )
    if "send" in steps:
        services.send_purchase_order(shop_id=shop.id, po_id=po.id)
    if "receive" in steps:
        services.receive_purchase_order(shop_id=shop.id, po_id=po.id, lines=[SkuQuantity(sku.id, 3)])
    return po, sku


def _reserved(shop) -> str:
    _, sku = _stocked(shop)
    ref = _unique("SO")
    services.reserve(sku_id=sku.id, quantity=2, order_ref=ref, expires_at=timezone.now() + timedelta(hours=1))
    return ref


# --- Warehouses -------------------------------------------------------------------------------------


@case("GET", "/inventory/shops/{shop_id}/warehouses")
def list_warehouses(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/warehouses")


@case("POST", "/inventory/shops/{shop_id}/warehouses")
def create_warehouse(w: World) -> Call:
    body = {"code": _unique("wh"), "name": "上海仓", "latitude": "31.2304", "longitude": "121.4737"}
    return Call("POST", f"{BASE}/{w.shop.id}/warehouses", body, ok=201)


@case("GET", "/inventory/shops/{shop_id}/warehouses/{warehouse_id}")
def get_warehouse(w: World) -> Call:
    warehouse = make_warehouse(w.object_shop, code=_unique("wh"))
    return Call("GET", f"{BASE}/{w.shop.id}/warehouses/{warehouse.id}")


@case("PATCH", "/inventory/shops/{shop_id}/warehouses/{warehouse_id}")
def update_warehouse(w: World) -> Call:
    warehouse = make_warehouse(w.object_shop, code=_unique("wh"))
    return Call("PATCH", f"{BASE}/{w.shop.id}/warehouses/{warehouse.id}", {"name": "广州仓"})


@case("DELETE", "/inventory/shops/{shop_id}/warehouses/{warehouse_id}")
def delete_warehouse(w: World) -> Call:
    warehouse = make_warehouse(w.object_shop, code=_unique("wh"))
    return Call("DELETE", f"{BASE}/{w.shop.id}/warehouses/{warehouse.id}", ok=204)


# --- Stock and ledger -------------------------------------------------------------------------------


@case("GET", "/inventory/shops/{shop_id}/stock")
def list_stock(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/stock")


@case("GET", "/inventory/shops/{shop_id}/skus/{sku_id}/stock")
def sku_stock(w: World) -> Call:
    _, sku = _stocked(w.object_shop)
    return Call("GET", f"{BASE}/{w.shop.id}/skus/{sku.id}/stock")


@case("GET", "/inventory/shops/{shop_id}/ledger")
def list_ledger(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/ledger")


@case("GET", "/inventory/shops/{shop_id}/ledger/check")
def check_ledger(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/ledger/check")


@case("POST", "/inventory/shops/{shop_id}/adjustments")
def adjust_stock(w: World) -> Call:
    warehouse, sku = _stocked(w.shop)
    body = {"warehouse_id": warehouse.id, "sku_id": sku.id, "delta": -1, "reason": "破损"}
    return Call("POST", f"{BASE}/{w.shop.id}/adjustments", body, ok=201)


@case("POST", "/inventory/shops/{shop_id}/returns")
def return_stock(w: World) -> Call:
    _, sku = _stocked(w.shop)
    body = {"sku_id": sku.id, "quantity": 1, "reference": _unique("RMA")}
    return Call("POST", f"{BASE}/{w.shop.id}/returns", body, ok=201)


# --- Transfers and stocktakes -----------------------------------------------------------------------


@case("GET", "/inventory/shops/{shop_id}/transfers")
def list_transfers(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/transfers")


@case("POST", "/inventory/shops/{shop_id}/transfers")
def create_transfer(w: World) -> Call:
    source, sku = _stocked(w.shop)
    target = make_warehouse(w.shop, code=_unique("wh"))
    body = {
        "from_warehouse_id": source.id,
        "to_warehouse_id": target.id,
        "lines": [{"sku_id": sku.id, "quantity": 2}],
    }
    return Call("POST", f"{BASE}/{w.shop.id}/transfers", body, ok=201)


@case("GET", "/inventory/shops/{shop_id}/transfers/{transfer_id}")
def get_transfer(w: World) -> Call:
    source, sku = _stocked(w.object_shop)
    target = make_warehouse(w.object_shop, code=_unique("wh"))
    transfer = services.transfer_stock(
        shop_id=w.object_shop.id,
        from_warehouse_id=source.id,
        to_warehouse_id=target.id,
        lines=[SkuQuantity(sku.id, 1)],
    )
    return Call("GET", f"{BASE}/{w.shop.id}/transfers/{transfer.id}")


@case("GET", "/inventory/shops/{shop_id}/stocktakes")
def list_stocktakes(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/stocktakes")


@case("POST", "/inventory/shops/{shop_id}/stocktakes")
def create_stocktake(w: World) -> Call:
    warehouse, sku = _stocked(w.shop)
    body = {"warehouse_id": warehouse.id, "reason": "月末盘点", "lines": [{"sku_id": sku.id, "counted": 18}]}
    return Call("POST", f"{BASE}/{w.shop.id}/stocktakes", body, ok=201)


@case("GET", "/inventory/shops/{shop_id}/stocktakes/{stocktake_id}")
def get_stocktake(w: World) -> Call:
    warehouse, sku = _stocked(w.object_shop)
    stocktake = services.record_stocktake(
        shop_id=w.object_shop.id,
        warehouse_id=warehouse.id,
        reason="抽盘",
        lines=[services.CountLine(sku.id, 19)],
    )
    return Call("GET", f"{BASE}/{w.shop.id}/stocktakes/{stocktake.id}")


# --- Alerts, thresholds, settings -------------------------------------------------------------------


@case("GET", "/inventory/shops/{shop_id}/alerts")
def list_alerts(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/alerts", query={"status": "open"})


@case("GET", "/inventory/shops/{shop_id}/thresholds")
def list_thresholds(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/thresholds")


@case("PUT", "/inventory/shops/{shop_id}/thresholds")
def set_threshold(w: World) -> Call:
    sku = make_sku(w.shop)
    return Call("PUT", f"{BASE}/{w.shop.id}/thresholds", {"sku_id": sku.id, "threshold": 3})


@case("DELETE", "/inventory/shops/{shop_id}/thresholds/{threshold_id}")
def delete_threshold(w: World) -> Call:
    rule = services.set_sku_threshold(
        shop_id=w.object_shop.id, sku_id=make_sku(w.object_shop).id, threshold=2
    )
    return Call("DELETE", f"{BASE}/{w.shop.id}/thresholds/{rule.id}", ok=204)


@case("GET", "/inventory/shops/{shop_id}/settings")
def get_settings(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/settings")


@case("PATCH", "/inventory/shops/{shop_id}/settings")
def update_settings(w: World) -> Call:
    return Call("PATCH", f"{BASE}/{w.shop.id}/settings", {"default_low_stock_threshold": 7})


# --- Suppliers --------------------------------------------------------------------------------------


@case("GET", "/inventory/shops/{shop_id}/suppliers")
def list_suppliers(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/suppliers")


@case("POST", "/inventory/shops/{shop_id}/suppliers")
def create_supplier(w: World) -> Call:
    body = {"code": _unique("sup"), "name": "上海优品供应链有限公司", "lead_time_days": 5}
    return Call("POST", f"{BASE}/{w.shop.id}/suppliers", body, ok=201)


@case("GET", "/inventory/shops/{shop_id}/suppliers/{supplier_id}")
def get_supplier(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/suppliers/{_supplier(w.object_shop).id}")


@case("PATCH", "/inventory/shops/{shop_id}/suppliers/{supplier_id}")
def update_supplier(w: World) -> Call:
    supplier = _supplier(w.object_shop)
    return Call("PATCH", f"{BASE}/{w.shop.id}/suppliers/{supplier.id}", {"lead_time_days": 9})


@case("GET", "/inventory/shops/{shop_id}/suppliers/{supplier_id}/items")
def list_supplier_items(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/suppliers/{_supplier(w.object_shop).id}/items")


@case("PUT", "/inventory/shops/{shop_id}/suppliers/{supplier_id}/items/{sku_id}")
def put_supplier_item(w: World) -> Call:
    supplier, sku = _supplier(w.object_shop), make_sku(w.object_shop)
    return Call("PUT", f"{BASE}/{w.shop.id}/suppliers/{supplier.id}/items/{sku.id}", {"unit_cost": "18.80"})


@case("DELETE", "/inventory/shops/{shop_id}/suppliers/{supplier_id}/items/{sku_id}")
def delete_supplier_item(w: World) -> Call:
    supplier, sku = _supplier(w.object_shop), make_sku(w.object_shop)
    services.upsert_supplier_item(
        shop_id=w.object_shop.id, supplier_id=supplier.id, sku_id=sku.id, unit_cost="5"
    )
    return Call("DELETE", f"{BASE}/{w.shop.id}/suppliers/{supplier.id}/items/{sku.id}", ok=204)


# --- Purchase orders --------------------------------------------------------------------------------


@case("GET", "/inventory/shops/{shop_id}/purchase-orders")
def list_purchase_orders(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/purchase-orders")


@case("POST", "/inventory/shops/{shop_id}/purchase-orders")
def create_purchase_order(w: World) -> Call:
    warehouse, sku = _stocked(w.shop)
    body = {
        "supplier_id": _supplier(w.shop).id,
        "warehouse_id": warehouse.id,
        "lines": [{"sku_id": sku.id, "quantity": 12, "unit_cost": "6.50"}],
    }
    return Call("POST", f"{BASE}/{w.shop.id}/purchase-orders", body, ok=201)


@case("GET", "/inventory/shops/{shop_id}/purchase-orders/{po_id}")
def get_purchase_order(w: World) -> Call:
    po, _ = _po(w.object_shop)
    return Call("GET", f"{BASE}/{w.shop.id}/purchase-orders/{po.id}")


@case("PATCH", "/inventory/shops/{shop_id}/purchase-orders/{po_id}")
def update_purchase_order(w: World) -> Call:
    po, _ = _po(w.object_shop)
    return Call("PATCH", f"{BASE}/{w.shop.id}/purchase-orders/{po.id}", {"note": "加急"})


@case("POST", "/inventory/shops/{shop_id}/purchase-orders/{po_id}/send")
def send_purchase_order(w: World) -> Call:
    po, _ = _po(w.object_shop)
    return Call("POST", f"{BASE}/{w.shop.id}/purchase-orders/{po.id}/send")


@case("POST", "/inventory/shops/{shop_id}/purchase-orders/{po_id}/receive")
def receive_purchase_order(w: World) -> Call:
    po, sku = _po(w.object_shop, "send")
    body = {"lines": [{"sku_id": sku.id, "quantity": 4}]}
    return Call("POST", f"{BASE}/{w.shop.id}/purchase-orders/{po.id}/receive", body)


@case("POST", "/inventory/shops/{shop_id}/purchase-orders/{po_id}/cancel")
def cancel_purchase_order(w: World) -> Call:
    po, _ = _po(w.object_shop, "send")
    return Call("POST", f"{BASE}/{w.shop.id}/purchase-orders/{po.id}/cancel", {"reason": "供应商缺货"})


@case("POST", "/inventory/shops/{shop_id}/purchase-orders/{po_id}/close")
def close_purchase_order(w: World) -> Call:
    po, _ = _po(w.object_shop, "send", "receive")
    return Call("POST", f"{BASE}/{w.shop.id}/purchase-orders/{po.id}/close", {"reason": "余量不再供货"})


# --- Replenishment ----------------------------------------------------------------------------------


@case("GET", "/inventory/shops/{shop_id}/replenishment/suggestions")
def list_suggestions(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/replenishment/suggestions")


@case("POST", "/inventory/shops/{shop_id}/replenishment/draft-purchase-orders")
def draft_from_suggestions(w: World) -> Call:
    _, sku = _stocked(w.shop, units=2)
    services.set_sku_threshold(shop_id=w.shop.id, sku_id=sku.id, threshold=5)
    supplier = _supplier(w.shop)
    services.upsert_supplier_item(
        shop_id=w.shop.id, supplier_id=supplier.id, sku_id=sku.id, unit_cost="3.20", is_preferred=True
    )
    return Call(
        "POST", f"{BASE}/{w.shop.id}/replenishment/draft-purchase-orders", {"sku_ids": [sku.id]}, ok=201
    )


# --- Reservations -----------------------------------------------------------------------------------
# Reserve, commit and release are declared @shop_permission_any("inventory.manage", "orders.manage"),
# so the matrix itself expects order handlers without inventory.manage to succeed.


@case("GET", "/inventory/shops/{shop_id}/reservations")
def list_reservations(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/reservations")


@case("POST", "/inventory/shops/{shop_id}/reservations")
def reserve(w: World) -> Call:
    _, sku = _stocked(w.shop)
    body = {"order_ref": _unique("SO"), "lines": [{"sku_id": sku.id, "quantity": 2}]}
    return Call("POST", f"{BASE}/{w.shop.id}/reservations", body, ok=201)


@case("POST", "/inventory/shops/{shop_id}/reservations/{order_ref}/commit")
def commit(w: World) -> Call:
    ref = _reserved(w.object_shop)
    return Call("POST", f"{BASE}/{w.shop.id}/reservations/{ref}/commit")


@case("POST", "/inventory/shops/{shop_id}/reservations/{order_ref}/release")
def release(w: World) -> Call:
    ref = _reserved(w.object_shop)
    return Call("POST", f"{BASE}/{w.shop.id}/reservations/{ref}/release", {"reason": "cancelled"})
