"""Test data for inventory: SKUs (through the catalog's models), warehouses and opening stock."""

from __future__ import annotations

import itertools
from decimal import Decimal

from shopops.catalog.models import Category, Product, Sku
from shopops.inventory import services
from shopops.inventory.models import Warehouse
from shopops.shops.tests.factories import ShopFactory

_seq = itertools.count(1)


def make_shop(**kwargs):
    return ShopFactory(**kwargs)


def make_category(name: str = "服饰", parent: Category | None = None) -> Category:
    n = next(_seq)
    if parent is None:
        return Category.objects.add_root({"name": f"{name}{n}", "slug": f"inv-cat-{n}"})
    return Category.objects.add_child(parent, {"name": f"{name}{n}", "slug": f"inv-cat-{n}"})


def make_sku(
    shop,
    *,
    code: str | None = None,
    title: str = "纯棉T恤",
    category: Category | None = None,
    price: Decimal = Decimal("99.00"),
    cost: Decimal | None = Decimal("40.00"),
) -> Sku:
    n = next(_seq)
    product = Product.objects.create(shop=shop, category=category or make_category(), title=f"{title}{n}")
    return Sku.objects.create(shop=shop, product=product, code=code or f"SKU-{n}", price=price, cost=cost)


def make_warehouse(shop, code: str | None = None, **fields) -> Warehouse:
    n = next(_seq)
    return services.create_warehouse(
        shop_id=shop.id, code=code or f"wh-{n}", name=fields.pop("name", f"仓库{n}"), **fields
    )


def put_stock(warehouse: Warehouse, sku: Sku, quantity: int) -> None:
    """Book an opening receipt through the ledger service."""
    services.bulk_receive_new_stock(
        shop_id=warehouse.shop_id, quantities={(warehouse.id, sku.id): quantity}, reference="OPENING"
    )
