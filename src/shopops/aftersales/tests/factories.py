"""Orders in the state after-sales, reviews and tickets start from, built through the orders services.

    order = delivered_order()                        # paid in the sandbox, shipped, delivered
    order = delivered_order(completed=True)          # and receipt confirmed
    order = delivered_order(lines=[("59.90", 3)], coupon_off="10.00")

Payments settle after COMMIT (signals, sandbox notifications): inside a test transaction the
helpers run those callbacks with TestCase.captureOnCommitCallbacks(execute=True), the same way the
transactional tests see them happen for real.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import TestCase, override_settings
from django.utils import timezone

from shopops.orders import services as order_services
from shopops.orders.models import Order, OrderStatus
from shopops.orders.tests import factories as of
from shopops.shops.permissions import CUSTOMER_SERVICE
from shopops.shops.tests.factories import ShopFactory, make_member

# Paying needs the sandbox channel, whichever app's tests (or the permission matrix) build the order.
SANDBOX = override_settings(
    PAYMENTS_CHANNELS=["sandbox"], PAYMENTS_SANDBOX_ENABLED=True, CELERY_TASK_ALWAYS_EAGER=True
)


@contextmanager
def after_commit():
    """Run on-commit callbacks now when inside an atomic block (tests); plain when autocommitting."""
    if connection.in_atomic_block:
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield
    else:
        yield


def paid_order(
    *,
    shop: Any = None,
    shopper: Any = None,
    lines: Sequence[tuple[str, int]] = (("59.90", 2),),
    stock: int = 20,
) -> Order:
    """One order of `shop` for `shopper`, paid through the sandbox. `lines`: (unit price, quantity)."""
    shop = shop or ShopFactory()
    shopper = shopper or of.shopper_with_address()
    for price, quantity in lines:
        _, sku = of.sellable_sku(shop, price=price, stock=stock)
        of.fill_cart(shopper, (sku, quantity))
    with after_commit():
        result = of.place_order(shopper)
    with SANDBOX, after_commit():
        of.pay(result.group, shopper)
    order = Order.objects.get(group=result.group, shop=shop)
    assert order.status == OrderStatus.PAID, order.status
    return order


def ship_and_deliver(order: Order, *, completed: bool = False, delivered_days_ago: int = 0) -> Order:
    merchant = order.shop.owner
    order_services.ship_order(order=order, actor=merchant, carrier_name="顺丰速运", waybill_no="SF1234567890")
    order_services.mark_delivered(order=order)
    if completed:
        order_services.confirm_receipt(order=order, actor=order.user)
    if delivered_days_ago:
        past = timezone.now() - timedelta(days=delivered_days_ago)
        fields = {"delivered_at": past}
        if completed:
            fields["completed_at"] = past
        Order.objects.filter(pk=order.pk).update(**fields)
    order.refresh_from_db()
    return order


def delivered_order(
    *,
    shop: Any = None,
    shopper: Any = None,
    lines: Sequence[tuple[str, int]] = (("59.90", 2),),
    completed: bool = False,
    delivered_days_ago: int = 0,
    stock: int = 20,
) -> Order:
    order = paid_order(shop=shop, shopper=shopper, lines=lines, stock=stock)
    return ship_and_deliver(order, completed=completed, delivered_days_ago=delivered_days_ago)


def service_agent(shop: Any) -> Any:
    """A customer-service member of `shop` (holds aftersales.manage, service.manage, payments.refund)."""
    return make_member(shop, CUSTOMER_SERVICE).user


def bare_order(
    shop: Any,
    *,
    user: Any = None,
    status: str = OrderStatus.DELIVERED,
    lines: Sequence[tuple[str, int]] = (("10.00", 2),),
    product: Any = None,
) -> Order:
    """Order rows written directly, without checkout, stock or payment: for tests that only need an
    order in a given state (the permission matrix runs a builder per role, so it must be cheap).
    Refunds need a real payment: use delivered_order() for those."""
    from decimal import Decimal

    from shopops.core.ids import time_sortable_number
    from shopops.orders.models import OrderGroup, OrderLine
    from shopops.shops.tests.factories import make_user

    user = user or make_user()
    now = timezone.now()
    total = sum((Decimal(price) * qty for price, qty in lines), Decimal("0.00"))
    group = OrderGroup.objects.create(
        number=time_sortable_number("PG"),
        user=user,
        idempotency_key=time_sortable_number("k"),
        request_fingerprint="test",
        payment_status="paid",
        items_total=total,
        total=total,
        paid_amount=total,
        pay_deadline=now,
        paid_at=now,
    )
    order = Order.objects.create(
        number=time_sortable_number(),
        group=group,
        shop=shop,
        user=user,
        status=status,
        items_total=total,
        total=total,
        shipping_method="standard",
        receiver_name="张三",
        receiver_phone="13812345678",
        province="上海市",
        city="上海市",
        district="浦东新区",
        address_detail="世纪大道100号",
        paid_at=now,
        shipped_at=now,
        delivered_at=now if status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED) else None,
        completed_at=now if status == OrderStatus.COMPLETED else None,
    )
    for price, quantity in lines:
        subtotal = Decimal(price) * quantity
        OrderLine.objects.create(
            order=order,
            product=product,
            sku_code="BARE",
            title=getattr(product, "title", "测试商品"),
            unit_price=Decimal(price),
            quantity=quantity,
            subtotal=subtotal,
            paid_amount=subtotal,
        )
    return order
