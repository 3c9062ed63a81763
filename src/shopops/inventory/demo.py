"""Demo inventory for a shop: three warehouses with real coordinates, stock spread over them for every
SKU, two suppliers with prices, a purchase order part-way through receiving, some sales history (so
replenishment has a velocity to work with) and a few SKUs low enough to raise alerts.

Everything is written through inventory.services (opening stock in bulk through the ledger's bulk
path), and the loader is idempotent: running it again adds only what is missing, such as stock for
SKUs created since.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from shopops.core.money import to_money
from shopops.inventory import catalog_reads, selectors, services
from shopops.inventory.errors import InsufficientStock
from shopops.inventory.models import PurchaseOrder, Reservation, Stock, Supplier, Warehouse

logger = logging.getLogger(__name__)

# code, name, address, GB/T 2260 district, latitude, longitude, priority, share of stock
DEMO_WAREHOUSES = [
    ("sh", "上海仓", "上海市青浦区华新镇华志路 1688 号", "310118", "31.237100", "121.198400", 10, 0.45),
    (
        "gz",
        "广州仓",
        "广东省广州市白云区太和镇广从七路 168 号",
        "440111",
        "23.344600",
        "113.321500",
        20,
        0.35,
    ),
    ("bj", "北京仓", "北京市大兴区京南物流基地金苑路 26 号", "110115", "39.660200", "116.404800", 30, 0.20),
]
DEMO_SUPPLIERS = [
    ("sh-youpin", "上海优品供应链有限公司", "王磊", "021-5988 1200", "orders@youpin.example.cn", 5),
    ("gz-huanan", "广州华南商贸有限公司", "陈晓燕", "020-8666 3400", "sales@huanan.example.cn", 9),
]
OPENING_REFERENCE = "DEMO-OPENING"
LOW_STOCK_EVERY = 37  # roughly one SKU in 37 starts with 1-3 units, below the default threshold
SALES_SKUS = 20


@dataclass
class DemoStockResult:
    warehouses_created: int = 0
    skus_stocked: int = 0
    ledger_entries: int = 0
    suppliers_created: int = 0
    supplier_items: int = 0
    purchase_order: str = ""
    sales: int = 0
    open_alerts: int = 0


def _warehouses(shop: Any, result: DemoStockResult) -> list[Warehouse]:
    existing = {w.code: w for w in Warehouse.objects.filter(shop=shop)}
    warehouses = []
    for code, name, address, region, lat, lng, priority, _share in DEMO_WAREHOUSES:
        warehouse = existing.get(code)
        if warehouse is None:
            warehouse = services.create_warehouse(
                shop_id=shop.id,
                code=code,
                name=name,
                address=address,
                region_code=region,
                latitude=Decimal(lat),
                longitude=Decimal(lng),
                contact_name="仓库值班",
                contact_phone="400-820-8820",
                priority=priority,
            )
            result.warehouses_created += 1
        warehouses.append(warehouse)
    return warehouses


def _spread(rng: random.Random, total: int, shares: list[float]) -> list[int]:
    """Split `total` units over warehouses roughly by share; some SKUs skip a warehouse."""
    weights = [max(share * rng.uniform(0.5, 1.5), 0.0) for share in shares]
    if len(weights) > 2 and rng.random() < 0.3:
        weights[rng.randrange(len(weights))] = 0.0
    weight_sum = sum(weights) or 1.0
    parts = [int(total * w / weight_sum) for w in weights]
    parts[max(range(len(parts)), key=lambda i: weights[i])] += total - sum(parts)
    return parts


def _opening_stock(shop: Any, warehouses: list[Warehouse], result: DemoStockResult) -> None:
    stocked = set(Stock.objects.filter(shop=shop).values_list("sku_id", flat=True).distinct())
    shares = [share for *_, share in DEMO_WAREHOUSES]
    quantities: dict[tuple[int, int], int] = {}
    for index, (sku_id, _cost, _price) in enumerate(catalog_reads.shop_sku_costs(shop.id)):
        if sku_id in stocked:
            continue
        rng = random.Random(f"inventory-demo:{shop.id}:{sku_id}")  # the same figures on every machine
        total = rng.randint(1, 3) if index % LOW_STOCK_EVERY == 5 else rng.randint(24, 260)
        parts = _spread(rng, total, shares) if total > 3 else [total, 0, 0]
        for warehouse, units in zip(warehouses, parts, strict=False):
            if units > 0:
                quantities[(warehouse.id, sku_id)] = units
        result.skus_stocked += 1
    result.ledger_entries += services.bulk_receive_new_stock(
        shop_id=shop.id,
        quantities=quantities,
        reference=OPENING_REFERENCE,
        note="演示期初库存 / demo opening stock",
    )


def _suppliers(shop: Any, result: DemoStockResult) -> list[Supplier]:
    existing = {s.code: s for s in Supplier.objects.filter(shop=shop)}
    suppliers = []
    for code, name, contact, phone, email, lead_time in DEMO_SUPPLIERS:
        supplier = existing.get(code)
        if supplier is None:
            supplier = services.create_supplier(
                shop_id=shop.id,
                code=code,
                name=name,
                contact_name=contact,
                phone=phone,
                email=email,
                lead_time_days=lead_time,
                payment_terms="月结 30 天",
            )
            result.suppliers_created += 1
        suppliers.append(supplier)
    skus = catalog_reads.shop_sku_costs(shop.id)
    for position, supplier in enumerate(suppliers):
        items = []
        for index, (sku_id, cost, price) in enumerate(skus):
            base = cost if cost else price * Decimal("0.55")
            # The first supplier is preferred for even positions, the second for odd ones; both quote.
            markup = Decimal("1.00") if index % 2 == position else Decimal("1.06")
            items.append(
                {
                    "sku_id": sku_id,
                    "unit_cost": to_money(base * markup),
                    "min_order_quantity": 10 if position == 0 else 20,
                    "pack_size": 1 if position == 0 else 6,
                    "is_preferred": index % 2 == position,
                    "supplier_sku_code": f"{supplier.code.upper()}-{sku_id:06d}",
                }
            )
        if items:
            result.supplier_items += services.bulk_add_supplier_items(
                shop_id=shop.id, supplier_id=supplier.id, items=items
            )
    return suppliers


def _sample_purchase_order(
    shop: Any, suppliers: list[Supplier], warehouse: Warehouse, result: DemoStockResult
) -> None:
    if PurchaseOrder.objects.filter(shop=shop).exists():
        return
    sku_ids = [sku_id for sku_id, _c, _p in catalog_reads.shop_sku_costs(shop.id)[:3]]
    if not sku_ids:
        return
    po = services.create_purchase_order(
        shop_id=shop.id,
        supplier_id=suppliers[0].id,
        warehouse_id=warehouse.id,
        lines=[services.OrderLineInput(sku_id, 60 + 20 * i) for i, sku_id in enumerate(sku_ids)],
        expected_at=(timezone.localdate() + timedelta(days=suppliers[0].lead_time_days)),
        note="演示采购单：首批已到货 / demo PO, first delivery in",
    )
    po = services.send_purchase_order(shop_id=shop.id, po_id=po.id)
    services.receive_purchase_order(
        shop_id=shop.id,
        po_id=po.id,
        lines=[services.SkuQuantity(sku_ids[0], 60)],
        note="送货单 SH-DEMO-0001",
    )
    result.purchase_order = po.number


def _sales_history(shop: Any, result: DemoStockResult) -> None:
    """A few paid orders through reserve + commit, so replenishment has a sales velocity: SKUs with
    modest stock sell about three quarters of it, which brings them near or under their reorder point."""
    prefix = f"DEMO-SALE-{shop.id}-"
    if Reservation.objects.filter(order_ref__startswith=prefix).exists():
        return
    modest = [
        (s, a) for s, a in sorted(selectors.tracked_availability(shop_id=shop.id).items()) if 30 <= a <= 90
    ]
    rng = random.Random(f"inventory-demo-sales:{shop.id}")
    expires = timezone.now() + timedelta(hours=1)
    for n, (sku_id, available) in enumerate(modest[:SALES_SKUS]):
        per_order = available * 3 // 8
        for order in range(2):
            quantity = max(per_order + rng.randint(-2, 2), 1)
            ref = f"{prefix}{n:03d}{order}"
            try:
                services.reserve(sku_id=sku_id, quantity=quantity, order_ref=ref, expires_at=expires)
                services.commit_reservation(order_ref=ref, sku_id=sku_id)
            except InsufficientStock:
                break
            available -= quantity
            result.sales += 1


def load_demo_stock(shop: Any) -> DemoStockResult:
    """Give `shop` demo warehouses, stock, suppliers, a purchase order and sales. Idempotent."""
    result = DemoStockResult()
    warehouses = _warehouses(shop, result)
    _opening_stock(shop, warehouses, result)
    suppliers = _suppliers(shop, result)
    _sample_purchase_order(shop, suppliers, warehouses[0], result)
    _sales_history(shop, result)
    with transaction.atomic():
        services.refresh_low_stock(shop_id=shop.id)
    result.open_alerts = selectors.open_alerts(shop_id=shop.id).count()
    logger.info("demo stock for %s: %s", shop, result)
    return result
