"""Inventory's domain errors: each maps to the API error shape in core.errors, never to a string."""

from __future__ import annotations

from shopops.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound

__all__ = [
    "IllegalTransition",
    "InsufficientStock",
    "InvalidQuantity",
    "OverReceipt",
    "ReservationConflict",
    "ReservationReleased",
    "SameWarehouse",
    "StockChangedSinceCount",
    "UnknownSku",
    "UnknownWarehouse",
    "WarehouseInactive",
    "WarehouseNotEmpty",
]


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    message = "库存不足 / Not enough stock"


class InvalidQuantity(InvalidInput):
    code = "invalid_quantity"
    message = "数量必须是正整数 / Quantity must be a positive whole number"


class SameWarehouse(InvalidInput):
    code = "same_warehouse"
    message = "调出仓与调入仓不能相同 / Source and destination warehouses must differ"


class OverReceipt(InvalidInput):
    code = "over_receipt"
    message = "收货数量超过采购未到数量 / Received quantity exceeds what is still outstanding"


class ReservationConflict(Conflict):
    code = "reservation_conflict"
    message = "该订单已预占此商品且数量不同 / This order already holds a different quantity of this SKU"


class ReservationReleased(Conflict):
    code = "reservation_released"
    message = "预占已释放（取消或超时），请重新下单 / The reservation was released (cancelled or expired)"


class StockChangedSinceCount(Conflict):
    code = "stock_changed_since_count"
    message = "盘点期间库存已变动，请重新盘点 / Stock moved since it was counted; count again"


class WarehouseInactive(Conflict):
    code = "warehouse_inactive"
    message = "仓库已停用 / The warehouse is inactive"


class WarehouseNotEmpty(Conflict):
    code = "warehouse_not_empty"
    message = (
        "仓库仍有库存或单据，不能删除，可改为停用 / "
        "The warehouse still has stock or documents; deactivate it instead"
    )


class UnknownWarehouse(NotFound):
    code = "not_found"
    message = "仓库不存在 / Warehouse not found"


class UnknownSku(NotFound):
    code = "not_found"
    message = "SKU 不存在 / SKU not found"
