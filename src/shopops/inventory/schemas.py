"""Request and response shapes for the inventory API.

Quantities arrive as plain integers and are checked by the services, so a zero or negative quantity
answers the same `invalid_quantity` error whichever door it came through (API, console, admin).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import model_validator

from shopops.inventory.models import (
    LowStockAlert,
    PurchaseOrder,
    PurchaseOrderLine,
    Reservation,
    Stock,
    StockLedgerEntry,
)

# --- Warehouses -------------------------------------------------------------------------------------


class WarehouseIn(Schema):
    code: str = Field(..., min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(..., min_length=1, max_length=60)
    address: str = Field("", max_length=255)
    region_code: str = Field("", max_length=6, pattern=r"^(\d{6})?$")
    latitude: Decimal | None = Field(None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, decimal_places=6)
    contact_name: str = Field("", max_length=40)
    contact_phone: str = Field("", max_length=32)
    priority: int = Field(100, ge=0, le=32767)
    is_active: bool = True


class WarehousePatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str | None = Field(None, min_length=1, max_length=60)
    address: str | None = Field(None, max_length=255)
    region_code: str | None = Field(None, max_length=6, pattern=r"^(\d{6})?$")
    latitude: Decimal | None = Field(None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, decimal_places=6)
    contact_name: str | None = Field(None, max_length=40)
    contact_phone: str | None = Field(None, max_length=32)
    priority: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    address: str
    region_code: str
    latitude: Decimal | None
    longitude: Decimal | None
    contact_name: str
    contact_phone: str
    priority: int
    is_active: bool
    created_at: datetime


# --- Stock and ledger -------------------------------------------------------------------------------


class StockOut(Schema):
    warehouse_id: int
    warehouse_code: str
    warehouse_name: str
    warehouse_active: bool
    sku_id: int
    sku_code: str
    on_hand: int
    reserved: int
    available: int
    updated_at: datetime

    @staticmethod
    def resolve_warehouse_code(obj: Stock) -> str:
        return obj.warehouse.code

    @staticmethod
    def resolve_warehouse_name(obj: Stock) -> str:
        return obj.warehouse.name

    @staticmethod
    def resolve_warehouse_active(obj: Stock) -> bool:
        return obj.warehouse.is_active

    @staticmethod
    def resolve_sku_code(obj: Stock) -> str:
        return obj.sku.code


class StockFilter(Schema):
    warehouse_id: int | None = None
    sku_id: int | None = None
    q: str | None = Field(None, max_length=64, description="SKU 编码、条码或商品标题")
    available_lte: int | None = Field(None, description="只看可售不超过该值的行")


class Totals(Schema):
    on_hand: int
    reserved: int
    available: int


class SkuStockOut(Schema):
    sku_id: int
    sku_code: str
    title: str
    threshold: int
    low_stock: bool
    totals: Totals = Field(..., description="Over active warehouses")
    warehouses: list[StockOut]


class LedgerEntryOut(Schema):
    id: int
    created_at: datetime
    warehouse_id: int
    warehouse_code: str
    sku_id: int
    sku_code: str
    reason: str
    reason_label: str
    on_hand_delta: int
    reserved_delta: int
    on_hand_after: int
    reserved_after: int
    actor_id: int | None
    actor_name: str
    reference: str
    note: str

    @staticmethod
    def resolve_warehouse_code(obj: StockLedgerEntry) -> str:
        return obj.warehouse.code

    @staticmethod
    def resolve_sku_code(obj: StockLedgerEntry) -> str:
        return obj.sku.code

    @staticmethod
    def resolve_reason_label(obj: StockLedgerEntry) -> str:
        return str(obj.get_reason_display())

    @staticmethod
    def resolve_actor_name(obj: StockLedgerEntry) -> str:
        return obj.actor.label if obj.actor else ""


class LedgerFilter(Schema):
    warehouse_id: int | None = None
    sku_id: int | None = None
    reason: (
        Literal[
            "purchase_receipt",
            "sale",
            "reservation",
            "release",
            "return",
            "adjustment",
            "transfer_out",
            "transfer_in",
        ]
        | None
    ) = None
    reference: str | None = Field(None, max_length=64)
    since: datetime | None = None
    until: datetime | None = None


class LedgerCheckOut(Schema):
    consistent: bool
    mismatches: list[dict]


class AdjustmentIn(Schema):
    warehouse_id: int
    sku_id: int
    delta: int = Field(..., description="正数入库，负数出库 / positive adds units, negative removes")
    reason: str = Field(..., max_length=255)
    reference: str = Field("", max_length=64)


class ReturnIn(Schema):
    sku_id: int
    quantity: int
    reference: str = Field(..., max_length=64, description="订单号 / order reference")
    warehouse_id: int | None = None
    note: str = Field("", max_length=255)


# --- Transfers and stocktakes -----------------------------------------------------------------------


class LineIn(Schema):
    sku_id: int
    quantity: int


class TransferIn(Schema):
    from_warehouse_id: int
    to_warehouse_id: int
    lines: list[LineIn] = Field(..., max_length=500)
    note: str = Field("", max_length=255)


class TransferLineOut(Schema):
    sku_id: int
    quantity: int


class TransferOut(Schema):
    id: int
    number: str
    from_warehouse_id: int
    to_warehouse_id: int
    note: str
    created_by_id: int | None
    created_at: datetime
    lines: list[TransferLineOut]

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())


class CountIn(Schema):
    sku_id: int
    counted: int
    expected_on_hand: int | None = Field(None, description="盘点时看到的在库数；若已变动则拒绝")


class StocktakeIn(Schema):
    warehouse_id: int
    reason: str = Field(..., max_length=255)
    lines: list[CountIn] = Field(..., max_length=500)


class StocktakeLineOut(Schema):
    sku_id: int
    on_hand_before: int
    counted: int
    delta: int


class StocktakeOut(Schema):
    id: int
    number: str
    warehouse_id: int
    reason: str
    created_by_id: int | None
    created_at: datetime
    lines: list[StocktakeLineOut]

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())


# --- Alerts, thresholds, settings -------------------------------------------------------------------


class AlertOut(Schema):
    id: int
    sku_id: int
    sku_code: str
    threshold: int
    available: int
    status: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_available: int | None
    notified_at: datetime | None

    @staticmethod
    def resolve_sku_code(obj: LowStockAlert) -> str:
        return obj.sku.code


class AlertFilter(Schema):
    status: Literal["open", "resolved"] | None = None


class ThresholdSetIn(Schema):
    """Exactly one of sku_id and category_id."""

    sku_id: int | None = None
    category_id: int | None = None
    threshold: int = Field(..., description="可售 ≤ 阈值时提醒；0 表示不提醒")

    @model_validator(mode="after")
    def one_target(self) -> ThresholdSetIn:
        if (self.sku_id is None) == (self.category_id is None):
            raise ValueError("give exactly one of sku_id and category_id")
        return self


class ThresholdOut(Schema):
    id: int
    sku_id: int | None
    category_id: int | None
    threshold: int
    updated_at: datetime


class SettingsOut(Schema):
    default_low_stock_threshold: int
    reservation_ttl_minutes: int
    demand_window_days: int
    default_lead_time_days: int
    safety_stock_days: int
    order_cycle_days: int


class SettingsPatch(Schema):
    default_low_stock_threshold: int | None = Field(None, ge=0, le=1_000_000)
    reservation_ttl_minutes: int | None = Field(None, ge=1, le=60 * 24 * 30)
    demand_window_days: int | None = Field(None, ge=1, le=365)
    default_lead_time_days: int | None = Field(None, ge=0, le=365)
    safety_stock_days: int | None = Field(None, ge=0, le=365)
    order_cycle_days: int | None = Field(None, ge=0, le=365)


# --- Suppliers --------------------------------------------------------------------------------------


class SupplierIn(Schema):
    code: str = Field(..., min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(..., min_length=1, max_length=80)
    contact_name: str = Field("", max_length=40)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str = Field("", max_length=255)
    lead_time_days: int = Field(7, ge=0, le=365)
    payment_terms: str = Field("", max_length=80)
    notes: str = Field("", max_length=2000)
    is_active: bool = True


class SupplierPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str | None = Field(None, min_length=1, max_length=80)
    contact_name: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(None, max_length=255)
    lead_time_days: int | None = Field(None, ge=0, le=365)
    payment_terms: str | None = Field(None, max_length=80)
    notes: str | None = Field(None, max_length=2000)
    is_active: bool | None = None


class SupplierOut(Schema):
    id: int
    code: str
    name: str
    contact_name: str
    phone: str
    email: str
    address: str
    lead_time_days: int
    payment_terms: str
    notes: str
    is_active: bool
    created_at: datetime


class SupplierItemIn(Schema):
    unit_cost: Decimal = Field(..., max_digits=14, decimal_places=2)
    min_order_quantity: int = 1
    pack_size: int = 1
    lead_time_days: int | None = None
    supplier_sku_code: str = Field("", max_length=64)
    is_preferred: bool = False


class SupplierItemOut(Schema):
    id: int
    supplier_id: int
    sku_id: int
    supplier_sku_code: str
    unit_cost: Decimal
    min_order_quantity: int
    pack_size: int
    lead_time_days: int | None
    is_preferred: bool


# --- Purchase orders --------------------------------------------------------------------------------


class PoLineIn(Schema):
    sku_id: int
    quantity: int
    unit_cost: Decimal | None = Field(None, max_digits=14, decimal_places=2, description="留空取供应商报价")


class PurchaseOrderIn(Schema):
    supplier_id: int
    warehouse_id: int
    expected_at: date | None = None
    note: str = Field("", max_length=255)
    lines: list[PoLineIn] = Field(..., max_length=500)


class PurchaseOrderPatch(Schema):
    warehouse_id: int | None = None
    expected_at: date | None = None
    note: str | None = Field(None, max_length=255)
    lines: list[PoLineIn] | None = Field(None, max_length=500)


class PoLineOut(Schema):
    id: int
    sku_id: int
    sku_code: str
    quantity_ordered: int
    quantity_received: int
    quantity_outstanding: int
    unit_cost: Decimal
    line_total: Decimal

    @staticmethod
    def resolve_sku_code(obj: PurchaseOrderLine) -> str:
        return obj.sku.code


class ReceiptLineOut(Schema):
    sku_id: int
    quantity: int

    @staticmethod
    def resolve_sku_id(obj) -> int:
        return obj.po_line.sku_id


class ReceiptOut(Schema):
    id: int
    number: str
    warehouse_id: int
    received_by_id: int | None
    note: str
    created_at: datetime
    lines: list[ReceiptLineOut]

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.select_related("po_line"))


class PurchaseOrderOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    supplier_id: int
    supplier_name: str
    warehouse_id: int
    warehouse_name: str
    expected_at: date | None
    note: str
    created_by_id: int | None
    created_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    total_cost: Decimal
    allowed_actions: list[str]
    lines: list[PoLineOut]
    receipts: list[ReceiptOut]

    @staticmethod
    def resolve_status_label(obj: PurchaseOrder) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_supplier_name(obj: PurchaseOrder) -> str:
        return obj.supplier.name

    @staticmethod
    def resolve_warehouse_name(obj: PurchaseOrder) -> str:
        return obj.warehouse.name

    @staticmethod
    def resolve_total_cost(obj: PurchaseOrder) -> Decimal:
        return sum((line.line_total for line in obj.lines.all()), Decimal("0.00"))

    @staticmethod
    def resolve_allowed_actions(obj: PurchaseOrder) -> list[str]:
        from shopops.inventory.services import po_actions_allowed

        return po_actions_allowed(obj.status)

    @staticmethod
    def resolve_lines(obj: PurchaseOrder) -> list:
        return list(obj.lines.select_related("sku"))

    @staticmethod
    def resolve_receipts(obj: PurchaseOrder) -> list:
        return list(obj.receipts.all())


class PurchaseOrderSummaryOut(Schema):
    id: int
    number: str
    status: str
    supplier_id: int
    supplier_name: str
    warehouse_id: int
    expected_at: date | None
    created_at: datetime

    @staticmethod
    def resolve_supplier_name(obj: PurchaseOrder) -> str:
        return obj.supplier.name


class PoFilter(Schema):
    status: Literal["draft", "sent", "partially_received", "received", "cancelled"] | None = None
    supplier_id: int | None = None


class ReceiveIn(Schema):
    lines: list[LineIn] = Field(..., max_length=500)
    warehouse_id: int | None = Field(None, description="留空则收入采购单的收货仓")
    note: str = Field("", max_length=255)


class ReasonIn(Schema):
    reason: str = Field("", max_length=255)


# --- Replenishment ----------------------------------------------------------------------------------


class SuggestionOut(Schema):
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


class DraftFromSuggestionsIn(Schema):
    sku_ids: list[int] = Field(..., min_length=1, max_length=500)
    supplier_id: int | None = Field(None, description="留空则按每个 SKU 的首选供应商分单")
    warehouse_id: int | None = None


# --- Reservations -----------------------------------------------------------------------------------


class ReserveLineIn(Schema):
    sku_id: int
    quantity: int
    warehouse_id: int | None = None


class ReservationIn(Schema):
    order_ref: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    lines: list[ReserveLineIn] = Field(..., max_length=500)
    expires_at: datetime | None = Field(None, description="留空则按店铺设置的保留时长")


class ReleaseIn(Schema):
    reason: Literal["cancelled", "expired"] = "cancelled"


class AllocationOut(Schema):
    warehouse_id: int
    quantity: int


class ReservationOut(Schema):
    id: int
    order_ref: str
    sku_id: int
    quantity: int
    status: str
    expires_at: datetime
    release_reason: str
    created_at: datetime
    committed_at: datetime | None
    released_at: datetime | None
    allocations: list[AllocationOut]

    @staticmethod
    def resolve_allocations(obj: Reservation) -> list:
        return list(obj.allocations.all())


class ReservationFilter(Schema):
    order_ref: str | None = Field(None, max_length=64)
    status: Literal["active", "committed", "released"] | None = None
