"""Test data for cart and orders: shops with sellable, stocked SKUs, shoppers with an address, and
helpers that drive the sandbox payment the way a shopper would.

    shop, sku = sellable_sku(price="59.90", stock=10)
    shopper = shopper_with_address()
    fill_cart(shopper, (sku, 2))
    result = place_order(shopper)          # services.submit_order with a fresh idempotency key
    pay(result.group)                      # opens a sandbox payment and pays it as the provider
"""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from typing import Any

from shopops.accounts import services as accounts_services
from shopops.cart import services as cart_services
from shopops.cart.selectors import CartOwner
from shopops.catalog.models import Category, Product, ProductStatus, Sku
from shopops.inventory import services as inventory_services
from shopops.inventory.models import Warehouse
from shopops.orders import services
from shopops.orders.models import OrderGroup
from shopops.shops.tests.factories import ShopFactory, make_user

_seq = itertools.count(1)


def category() -> Category:
    n = next(_seq)
    return Category.objects.add_root(
        {"name": f"测试类目{n}", "slug": f"orders-cat-{n}-{uuid.uuid4().hex[:6]}"}
    )


def warehouse_for(shop: Any) -> Warehouse:
    existing = Warehouse.objects.filter(shop=shop, is_active=True).first()
    if existing is not None:
        return existing
    n = next(_seq)
    return inventory_services.create_warehouse(shop_id=shop.id, code=f"wh-{n}", name=f"{shop.name}仓")


def sellable_sku(
    shop: Any = None,
    *,
    price: str | Decimal = "99.00",
    stock: int = 10,
    title: str = "纯棉T恤",
    weight_grams: int = 300,
) -> tuple[Any, Sku]:
    """An on-sale product of an active shop with one SKU and `stock` units in the shop's warehouse."""
    shop = shop or ShopFactory()
    n = next(_seq)
    product = Product.objects.create(
        shop=shop, category=category(), title=f"{title}{n}", status=ProductStatus.ON_SALE
    )
    sku = Sku.objects.create(
        shop=shop,
        product=product,
        code=f"OS-{n}-{uuid.uuid4().hex[:6]}",
        price=Decimal(price),
        weight_grams=weight_grams,
    )
    if stock:
        warehouse = warehouse_for(shop)
        inventory_services.bulk_receive_new_stock(
            shop_id=shop.id, quantities={(warehouse.id, sku.id): stock}, reference="OPENING"
        )
    return shop, sku


def add_address(user: Any, **overrides: Any) -> Any:
    values = {
        "receiver_name": "张三",
        "receiver_phone": "13812345678",
        "province": "上海市",
        "city": "上海市",
        "district": "浦东新区",
        "detail": "世纪大道100号8楼",
        "is_default": True,
    }
    values.update(overrides)
    return accounts_services.create_address(user=user, **values)


def shopper_with_address(username: str | None = None) -> Any:
    user = make_user(username)
    add_address(user)
    return user


def fill_cart(user: Any, *lines: tuple[Sku, int]) -> None:
    for sku, quantity in lines:
        cart_services.add_item(owner=CartOwner(user=user), sku_id=sku.id, quantity=quantity)


def place_order(user: Any, *, key: str | None = None, **kwargs: Any) -> services.SubmitResult:
    address = user.addresses.order_by("-is_default", "id").first()
    return services.submit_order(
        user=user,
        idempotency_key=key or uuid.uuid4().hex,
        address_id=kwargs.pop("address_id", address.id if address else 0),
        **kwargs,
    )


def open_payment(group: OrderGroup, user: Any = None, channel: str = "sandbox") -> Any:
    group.refresh_from_db()
    return services.start_payment(group=group, user=user or group.user, channel=channel).payment


def provider_pays(payment: Any, method: str = "alipay") -> None:
    """The sandbox provider takes the money and notifies us (eager Celery delivers at once)."""
    from shopops.payments.gateways import sandbox

    sandbox.provider_pay(payment.payment_no, method=method)


def pay(group: OrderGroup, user: Any = None) -> Any:
    payment = open_payment(group, user)
    provider_pays(payment)
    group.refresh_from_db()
    return payment
