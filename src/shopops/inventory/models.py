"""Inventory: warehouses, stock per SKU per warehouse, the stock ledger, reservations, low-stock
alerts, suppliers, purchase orders, transfers and stocktakes.

The rules that keep the numbers honest:
- `Stock.on_hand` and `Stock.reserved` change only through `services._move()`, which writes one
  `StockLedgerEntry` per change in the same transaction. So for every (warehouse, SKU),
  on_hand == sum(ledger.on_hand_delta) and reserved == sum(ledger.reserved_delta).
- The database refuses an impossible row (reserved < 0, on_hand < reserved) through check
  constraints, as the last line of defence behind the conditional UPDATEs in services.
- `available` (on_hand - reserved) is a stored generated column, so "what can I sell" is one indexed
  comparison in a WHERE clause, never a read-then-write in Python.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shopops.core.money import MoneyField

# --------------------------------------------------------------------------------------------------
# Warehouses and stock
# --------------------------------------------------------------------------------------------------


class Warehouse(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="warehouses")
    code = models.SlugField(_("仓库代码"), max_length=32)
    name = models.CharField(_("仓库名称"), max_length=60)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    region_code = models.CharField(_("行政区划代码"), max_length=6, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    # Lower comes first when a reservation or a purchase order needs a warehouse and none was named.
    priority = models.PositiveSmallIntegerField(_("优先级"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("仓库")
        verbose_name_plural = _("仓库")
        ordering = ["shop_id", "priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "code"], name="inventory_warehouse_code_per_shop"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="inventory_warehouse_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="inventory_warehouse_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Stock(models.Model):
    """Units of one SKU in one warehouse. Written only by inventory.services."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="stock")
    on_hand = models.IntegerField(_("在库"), default=0)
    reserved = models.IntegerField(_("已预占"), default=0)
    available = models.GeneratedField(
        expression=F("on_hand") - F("reserved"),
        output_field=models.IntegerField(),
        db_persist=True,
        verbose_name=_("可售"),
    )
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("库存")
        verbose_name_plural = _("库存")
        ordering = ["warehouse_id", "sku_id"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku"], name="inventory_stock_once_per_warehouse"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="inventory_stock_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(on_hand__gte=F("reserved")), name="inventory_stock_on_hand_gte_reserved"
            ),
        ]
        indexes = [
            models.Index(fields=["sku", "warehouse"], name="inventory_stock_sku_wh"),
            models.Index(fields=["shop", "sku"], name="inventory_stock_shop_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"


class LedgerReason(models.TextChoices):
    PURCHASE_RECEIPT = "purchase_receipt", _("采购入库")
    SALE = "sale", _("销售出库")
    RESERVATION = "reservation", _("下单预占")
    RELEASE = "release", _("释放预占")
    RETURN = "return", _("退货入库")
    ADJUSTMENT = "adjustment", _("库存调整")
    TRANSFER_OUT = "transfer_out", _("调拨出库")
    TRANSFER_IN = "transfer_in", _("调拨入库")


class StockLedgerEntry(models.Model):
    """One change of one stock row: append-only, never edited."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="ledger")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="stock_ledger")
    reason = models.CharField(_("原因"), max_length=20, choices=LedgerReason.choices)
    on_hand_delta = models.IntegerField(_("在库变化"), default=0)
    reserved_delta = models.IntegerField(_("预占变化"), default=0)
    # The row's figures right after this change: lets a reader audit any entry without a running sum.
    on_hand_after = models.IntegerField(_("变更后在库"))
    reserved_after = models.IntegerField(_("变更后预占"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reference = models.CharField(_("单据号"), max_length=64, blank=True, db_index=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("库存流水")
        verbose_name_plural = _("库存流水")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "-created_at"], name="inventory_ledger_shop_time"),
            models.Index(fields=["sku", "reason", "created_at"], name="inventory_ledger_sku_reason"),
            models.Index(fields=["warehouse", "sku"], name="inventory_ledger_wh_sku"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(on_hand_delta=0) | ~Q(reserved_delta=0), name="inventory_ledger_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.sku_id}@{self.warehouse_id} {self.on_hand_delta:+d}"


# --------------------------------------------------------------------------------------------------
# Reservations
# --------------------------------------------------------------------------------------------------


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("预占中")
    COMMITTED = "committed", _("已扣减")
    RELEASED = "released", _("已释放")


class ReleaseReason(models.TextChoices):
    CANCELLED = "cancelled", _("订单取消")
    EXPIRED = "expired", _("超时未付款")


class Reservation(models.Model):
    """Units of one SKU held for one unpaid order, possibly spread over several warehouses."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="reservations")
    order_ref = models.CharField(_("订单号"), max_length=64)
    quantity = models.PositiveIntegerField(_("数量"))
    status = models.CharField(
        _("状态"), max_length=12, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE
    )
    expires_at = models.DateTimeField(_("过期时间"))
    release_reason = models.CharField(_("释放原因"), max_length=12, choices=ReleaseReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("库存预占")
        verbose_name_plural = _("库存预占")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The idempotency key: one reservation per order line (order_ref + SKU).
            models.UniqueConstraint(fields=["order_ref", "sku"], name="inventory_reservation_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_reservation_qty_gt_0"),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="active"),
                name="inventory_reservation_expiring",
            ),
            models.Index(fields=["shop", "status"], name="inventory_reservation_shop"),
        ]

    def __str__(self) -> str:
        return f"{self.order_ref} · {self.sku_id} x{self.quantity} ({self.status})"


class ReservationAllocation(models.Model):
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="allocations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["reservation", "warehouse"], name="inventory_allocation_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_allocation_qty_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.reservation_id}@{self.warehouse_id} x{self.quantity}"


# --------------------------------------------------------------------------------------------------
# Settings, thresholds and alerts
# --------------------------------------------------------------------------------------------------


class InventorySettings(models.Model):
    """A shop's inventory defaults. A shop without a row uses the field defaults."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="inventory_settings")
    default_low_stock_threshold = models.PositiveIntegerField(
        _("默认低库存阈值"), default=5, help_text=_("0 表示不提醒")
    )
    reservation_ttl_minutes = models.PositiveIntegerField(_("预占保留（分钟）"), default=30)
    demand_window_days = models.PositiveSmallIntegerField(_("销量统计窗口（天）"), default=28)
    default_lead_time_days = models.PositiveSmallIntegerField(_("默认采购周期（天）"), default=7)
    safety_stock_days = models.PositiveSmallIntegerField(_("安全库存（天）"), default=7)
    order_cycle_days = models.PositiveSmallIntegerField(_("补货覆盖（天）"), default=14)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("库存设置")
        verbose_name_plural = _("库存设置")
        constraints = [
            models.CheckConstraint(condition=Q(demand_window_days__gte=1), name="inventory_window_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id} inventory settings"


class LowStockThreshold(models.Model):
    """A low-stock level for one SKU, or the default for a category (and its subcategories)."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    sku = models.ForeignKey("catalog.Sku", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    threshold = models.PositiveIntegerField(
        _("阈值"), help_text=_("可售库存小于等于该值时提醒；0 表示不提醒")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("低库存阈值")
        verbose_name_plural = _("低库存阈值")
        ordering = ["shop_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(sku__isnull=False) & Q(category__isnull=True))
                | (Q(sku__isnull=True) & Q(category__isnull=False)),
                name="inventory_threshold_sku_xor_category",
            ),
            models.UniqueConstraint(
                fields=["shop", "sku"], condition=Q(sku__isnull=False), name="inventory_threshold_sku_once"
            ),
            models.UniqueConstraint(
                fields=["shop", "category"],
                condition=Q(category__isnull=False),
                name="inventory_threshold_category_once",
            ),
        ]

    def __str__(self) -> str:
        target = f"SKU {self.sku_id}" if self.sku_id else f"category {self.category_id}"
        return f"{target} <= {self.threshold}"


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已恢复")


class LowStockAlert(models.Model):
    """Raised once when a SKU's available stock (all active warehouses) falls to its threshold,
    resolved when it climbs back above. At most one open alert per SKU (partial unique index)."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="low_stock_alerts")
    threshold = models.PositiveIntegerField(_("阈值"))
    available = models.IntegerField(_("触发时可售"))
    status = models.CharField(_("状态"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    created_at = models.DateTimeField(_("触发时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    resolved_available = models.IntegerField(_("恢复时可售"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("低库存提醒")
        verbose_name_plural = _("低库存提醒")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sku"], condition=Q(status="open"), name="inventory_one_open_alert_per_sku"
            ),
        ]
        indexes = [models.Index(fields=["shop", "status", "-created_at"], name="inventory_alert_shop")]

    def __str__(self) -> str:
        return f"SKU {self.sku_id}: {self.available} <= {self.threshold} ({self.status})"


# --------------------------------------------------------------------------------------------------
# Suppliers and purchase orders
# --------------------------------------------------------------------------------------------------


class Supplier(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="suppliers")
    code = models.SlugField(_("供应商代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=80)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(_("交货周期（天）"), default=7)
    payment_terms = models.CharField(_("付款条件"), max_length=80, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("供应商")
        verbose_name_plural = _("供应商")
        ordering = ["shop_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "code"], name="inventory_supplier_code_per_shop"),
        ]

    def __str__(self) -> str:
        return self.name


class SupplierItem(models.Model):
    """What a supplier sells us of one SKU: its cost, minimum order, pack size and lead time."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="supplier_items")
    supplier_sku_code = models.CharField(_("供应商货号"), max_length=64, blank=True)
    unit_cost = MoneyField(_("采购单价"))
    min_order_quantity = models.PositiveIntegerField(_("最小起订量"), default=1)
    pack_size = models.PositiveIntegerField(_("包装规格"), default=1, help_text=_("按此倍数订货"))
    lead_time_days = models.PositiveSmallIntegerField(
        _("交货周期（天）"), null=True, blank=True, help_text=_("留空则使用供应商的交货周期")
    )
    is_preferred = models.BooleanField(_("首选供应商"), default=False)

    class Meta:
        verbose_name = _("供应商商品")
        verbose_name_plural = _("供应商商品")
        ordering = ["supplier_id", "sku_id"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "sku"], name="inventory_supplier_item_once"),
            models.UniqueConstraint(
                fields=["sku"], condition=Q(is_preferred=True), name="inventory_one_preferred_supplier"
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="inventory_supplier_cost_gte_0"),
            models.CheckConstraint(condition=Q(min_order_quantity__gte=1), name="inventory_moq_gte_1"),
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="inventory_pack_size_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} · {self.sku_id}"


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SENT = "sent", _("已发送")
    PARTIALLY_RECEIVED = "partially_received", _("部分到货")
    RECEIVED = "received", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class PurchaseOrder(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="purchase_orders")
    number = models.CharField(_("采购单号"), max_length=32, unique=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("收货仓库"), on_delete=models.PROTECT, related_name="purchase_orders"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.DRAFT
    )
    expected_at = models.DateField(_("预计到货"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("采购单")
        verbose_name_plural = _("采购单")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "status"], name="inventory_po_shop_status")]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    quantity_ordered = models.PositiveIntegerField(_("采购数量"))
    quantity_received = models.PositiveIntegerField(_("已收数量"), default=0)
    unit_cost = MoneyField(_("采购单价"))

    class Meta:
        verbose_name = _("采购明细")
        verbose_name_plural = _("采购明细")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "sku"], name="inventory_po_line_once"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="inventory_po_line_qty_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_received__lte=F("quantity_ordered")),
                name="inventory_po_line_no_over_receipt",
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="inventory_po_line_cost_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order_id}: {self.sku_id} {self.quantity_received}/{self.quantity_ordered}"

    @property
    def quantity_outstanding(self) -> int:
        return self.quantity_ordered - self.quantity_received

    @property
    def line_total(self):
        return self.unit_cost * self.quantity_ordered


class PurchaseReceipt(models.Model):
    """One delivery booked against a purchase order (a PO may arrive in several)."""

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="receipts")
    number = models.CharField(_("入库单号"), max_length=32, unique=True)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("收货时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("采购入库单")
        verbose_name_plural = _("采购入库单")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class PurchaseReceiptLine(models.Model):
    receipt = models.ForeignKey(PurchaseReceipt, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.CASCADE, related_name="receipt_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_receipt_line_qty_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id}: line {self.po_line_id} x{self.quantity}"


# --------------------------------------------------------------------------------------------------
# Transfers and stocktakes
# --------------------------------------------------------------------------------------------------


class StockTransfer(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    number = models.CharField(_("调拨单号"), max_length=32, unique=True)
    from_warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("调出仓"), on_delete=models.PROTECT, related_name="+"
    )
    to_warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("调入仓"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("调拨单")
        verbose_name_plural = _("调拨单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_warehouse=F("to_warehouse")), name="inventory_transfer_distinct_warehouses"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class StockTransferLine(models.Model):
    transfer = models.ForeignKey(StockTransfer, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_transfer_line_qty_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}: {self.sku_id} x{self.quantity}"


class Stocktake(models.Model):
    """A count of some SKUs in one warehouse; applying it sets on_hand to the counted figures."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    number = models.CharField(_("盘点单号"), max_length=32, unique=True)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("原因"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("盘点单")
        verbose_name_plural = _("盘点单")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class StocktakeLine(models.Model):
    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    on_hand_before = models.IntegerField(_("盘点前在库"))
    counted = models.PositiveIntegerField(_("实盘数量"))
    delta = models.IntegerField(_("差异"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "sku"], name="inventory_stocktake_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stocktake_id}: {self.sku_id} {self.on_hand_before}->{self.counted}"
