"""The demo stock loader: realistic, consistent with the ledger, quick and idempotent."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal

import pytest
from django.core.management import call_command

from shopops.catalog.models import Product, Sku
from shopops.inventory import selectors
from shopops.inventory.demo import load_demo_stock
from shopops.inventory.models import (
    LedgerReason,
    PurchaseOrder,
    PurchaseOrderStatus,
    Stock,
    StockLedgerEntry,
    Supplier,
    SupplierItem,
    Warehouse,
)
from shopops.inventory.tests.factories import make_category

_batch = itertools.count(1)


def catalogue(shop, count: int) -> list[int]:
    category = make_category("演示")
    batch = next(_batch)
    products = Product.objects.bulk_create(
        [Product(shop=shop, category=category, title=f"演示商品{i}") for i in range(count)]
    )
    skus = Sku.objects.bulk_create(
        [
            Sku(
                shop=shop,
                product=p,
                code=f"DEMO-{batch}-{i:05d}",
                price=Decimal("59.00"),
                cost=Decimal("21.00") if i % 3 else None,
            )
            for i, p in enumerate(products)
        ]
    )
    return [s.id for s in skus]


def test_demo_stock_fills_every_sku_through_the_ledger_and_is_idempotent(shop):
    sku_ids = catalogue(shop, 400)
    started = time.perf_counter()
    result = load_demo_stock(shop)
    elapsed = time.perf_counter() - started

    assert {w.name for w in Warehouse.objects.filter(shop=shop)} == {"上海仓", "广州仓", "北京仓"}
    shanghai = Warehouse.objects.get(shop=shop, code="sh")
    assert (shanghai.latitude, shanghai.longitude) == (Decimal("31.237100"), Decimal("121.198400"))
    assert set(Stock.objects.filter(shop=shop).values_list("sku_id", flat=True)) == set(sku_ids)
    assert result.skus_stocked == 400
    assert selectors.ledger_mismatches(shop_id=shop.id) == []
    assert Supplier.objects.filter(shop=shop).count() == 2
    assert SupplierItem.objects.filter(supplier__shop=shop, is_preferred=True).count() == 400
    po = PurchaseOrder.objects.get(shop=shop)
    assert po.status == PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert result.sales > 0 and StockLedgerEntry.objects.filter(shop=shop, reason=LedgerReason.SALE).exists()
    assert result.open_alerts >= 5  # the deliberately low SKUs
    assert elapsed < 60  # generous: the point is bulk writes, not one query per unit

    entries = StockLedgerEntry.objects.count()
    again = load_demo_stock(shop)
    assert (again.warehouses_created, again.skus_stocked, again.suppliers_created, again.sales) == (
        0,
        0,
        0,
        0,
    )
    assert StockLedgerEntry.objects.count() == entries
    assert PurchaseOrder.objects.filter(shop=shop).count() == 1


def test_new_skus_get_stock_on_the_next_run(shop):
    catalogue(shop, 5)
    load_demo_stock(shop)
    [new_sku] = catalogue(shop, 1)
    assert load_demo_stock(shop).skus_stocked == 1
    assert selectors.available_by_sku([new_sku])[new_sku] > 0


def test_management_command(shop, capsys):
    catalogue(shop, 3)
    call_command("load_demo_stock", "--shop", shop.slug)
    assert "3 SKUs stocked" in capsys.readouterr().out


@pytest.mark.parametrize("shop_arg", ["no-such-shop"])
def test_management_command_rejects_unknown_shop(db, shop_arg):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_demo_stock", "--shop", shop_arg)
