"""price_checkout: the one pricing function, its shipping rule and its extension point."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopops.cart import pricing, services
from shopops.cart.errors import CouponNotApplicable, ShippingMethodUnavailable, SkuUnavailable
from shopops.cart.pricing import CheckoutItem, Discount, PricingContext, price_checkout
from shopops.cart.shipping import shipping_fee
from shopops.core.money import ZERO, to_money
from shopops.orders.tests import factories
from shopops.shops.tests.factories import make_user

pytestmark = pytest.mark.django_db


@dataclass
class PercentOffShop:
    """A shop promotion for tests: percent off the shop's goods."""

    shop_id: int
    percent: int
    code: str = "shop-percent"

    def discounts(self, ctx: PricingContext) -> Iterable[Discount]:
        goods = sum((line.paid_amount for line in ctx.lines_of_shop(self.shop_id)), ZERO)
        if goods:
            yield Discount(
                self.code, f"{self.percent}% off", to_money(goods * self.percent / 100), self.shop_id
            )


@dataclass
class PlatformCoupon:
    """A platform coupon for tests: fixed money off every shop's goods, when its code is entered."""

    coupon: str
    amount: Decimal
    code: str = "platform-coupon"

    def discounts(self, ctx: PricingContext) -> Iterable[Discount]:
        if self.coupon in ctx.coupon_codes:
            yield Discount(self.code, "平台券", self.amount, None, coupon_code=self.coupon)


@dataclass
class FreeShippingCoupon:
    coupon: str
    shop_id: int
    code: str = "free-shipping"

    def discounts(self, ctx: PricingContext) -> Iterable[Discount]:
        if self.coupon in ctx.coupon_codes:
            yield Discount(
                self.code, "包邮券", Decimal("999"), self.shop_id, target="shipping", coupon_code=self.coupon
            )


def test_shipping_is_free_at_the_threshold_and_flat_below(settings):
    settings.SHIPPING_FREE_OVER = "99.00"
    settings.SHIPPING_STANDARD_FEE = "10.00"
    shop, _ = factories.sellable_sku()
    assert shipping_fee(shop_id=shop.id, method="standard", goods_amount=Decimal("98.99")) == Decimal("10.00")
    assert shipping_fee(shop_id=shop.id, method="standard", goods_amount=Decimal("99.00")) == ZERO
    assert shipping_fee(shop_id=shop.id, method="express", goods_amount=Decimal("500")) == Decimal("22.00")


def test_a_shops_own_rule_wins_and_may_drop_express():
    shop, _ = factories.sellable_sku()
    services.set_shipping_rule(shop_id=shop.id, standard_fee="6.00", free_over=None, express_fee=None)
    assert shipping_fee(shop_id=shop.id, method="standard", goods_amount=Decimal("10000")) == Decimal("6.00")
    with pytest.raises(ShippingMethodUnavailable):
        shipping_fee(shop_id=shop.id, method="express", goods_amount=Decimal("1"))


def test_the_breakdown_sums_per_shop_and_in_total():
    shop_a, sku_a = factories.sellable_sku(price="30.00")
    shop_b, sku_b = factories.sellable_sku(price="120.00")
    result = price_checkout(user=make_user(), items=[CheckoutItem(sku_a.id, 2), CheckoutItem(sku_b.id, 1)])
    a, b = result.shop(shop_a.id), result.shop(shop_b.id)
    assert (a.items_total, a.shipping_fee, a.total) == (Decimal("60.00"), Decimal("10.00"), Decimal("70.00"))
    assert (b.items_total, b.shipping_fee, b.total) == (Decimal("120.00"), ZERO, Decimal("120.00"))
    assert result.total == Decimal("190.00") == result.items_total + result.shipping_total


def test_per_shop_shipping_methods():
    shop_a, sku_a = factories.sellable_sku(price="300.00")
    result = price_checkout(
        user=make_user(), items=[CheckoutItem(sku_a.id, 1)], shipping_methods={shop_a.id: "express"}
    )
    assert result.shop(shop_a.id).shipping_fee == Decimal("22.00")
    assert result.shop(shop_a.id).shipping_methods == ["standard", "express"]


def test_an_entered_coupon_that_no_rule_accepts_is_refused():
    _, sku = factories.sellable_sku()
    with pytest.raises(CouponNotApplicable) as caught:
        price_checkout(user=make_user(), items=[CheckoutItem(sku.id, 1)], coupon_codes=["nosuch"])
    assert caught.value.details == {"coupon_codes": ["NOSUCH"]}


def test_unsellable_items_cannot_be_priced():
    with pytest.raises(SkuUnavailable):
        price_checkout(user=make_user(), items=[CheckoutItem(987654321, 1)])


def test_rules_registered_by_another_app_apply_and_are_allocated_exactly():
    shop_a, sku_a1 = factories.sellable_sku(price="33.33")
    _, sku_a2 = factories.sellable_sku(shop_a, price="10.01")
    shop_b, sku_b = factories.sellable_sku(price="50.00")
    pricing.register_pricing_rule(PercentOffShop(shop_a.id, 10))
    pricing.register_pricing_rule(PlatformCoupon("SAVE20", Decimal("20.00")))
    try:
        result = price_checkout(
            user=make_user(),
            items=[CheckoutItem(sku_a1.id, 3), CheckoutItem(sku_a2.id, 1), CheckoutItem(sku_b.id, 1)],
            coupon_codes=["save20"],
        )
    finally:
        pricing.unregister_pricing_rule("shop-percent")
        pricing.unregister_pricing_rule("platform-coupon")

    shop_discount, coupon = result.discounts
    assert shop_discount.amount == Decimal("11.00")  # 10% of 110.00
    assert coupon.amount == Decimal("20.00") and coupon.coupon_code == "SAVE20"
    for applied in result.discounts:
        assert sum(applied.allocation.values()) == applied.amount
    assert result.discount_total == Decimal("31.00")
    assert sum(line.discount for line in result.lines) == Decimal("31.00")
    assert all(line.paid_amount >= 0 for line in result.lines)
    assert result.total == result.items_total - result.discount_total + result.shipping_total
    # Each shop's part of the platform coupon is recorded for its order.
    parts = [
        d
        for s in (shop_a.id, shop_b.id)
        for d in result.discounts_for_shop(s)
        if d["code"] == "platform-coupon"
    ]
    assert sum(Decimal(p["amount"]) for p in parts) == Decimal("20.00")


def test_a_discount_never_exceeds_what_it_applies_to_and_shipping_discounts_stop_at_the_fee():
    shop, sku = factories.sellable_sku(price="5.00")
    pricing.register_pricing_rule(PlatformCoupon("BIG", Decimal("100.00")))
    pricing.register_pricing_rule(FreeShippingCoupon("SHIP", shop.id))
    try:
        result = price_checkout(
            user=make_user(), items=[CheckoutItem(sku.id, 2)], coupon_codes=["BIG", "SHIP"]
        )
    finally:
        pricing.unregister_pricing_rule("platform-coupon")
        pricing.unregister_pricing_rule("free-shipping")
    assert result.discount_total == Decimal("10.00")
    assert result.shipping_total == Decimal("10.00") and result.shipping_discount_total == Decimal("10.00")
    assert result.total == ZERO


def test_a_free_order_is_paid_at_once_without_a_payment():
    shop, sku = factories.sellable_sku(price="5.00", stock=5)
    shopper = factories.shopper_with_address()
    factories.fill_cart(shopper, (sku, 1))
    pricing.register_pricing_rule(PlatformCoupon("FREE", Decimal("5.00")))
    pricing.register_pricing_rule(FreeShippingCoupon("SHIP", shop.id))
    try:
        group = factories.place_order(shopper, coupon_codes=["FREE", "SHIP"]).group
    finally:
        pricing.unregister_pricing_rule("platform-coupon")
        pricing.unregister_pricing_rule("free-shipping")
    group.refresh_from_db()
    assert group.total == ZERO and group.payment_status == "paid"
    assert group.orders.get().status == "paid"


def test_registering_two_rules_with_one_code_is_a_programming_error():
    rule = PlatformCoupon("X", Decimal("1"))
    pricing.register_pricing_rule(rule)
    try:
        with pytest.raises(ValueError):
            pricing.register_pricing_rule(PlatformCoupon("Y", Decimal("1")))
    finally:
        pricing.unregister_pricing_rule(rule.code)


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prices=st.lists(money, min_size=1, max_size=6), quantities=st.data(), discount=money)
def test_item_discounts_split_over_lines_sum_exactly_and_never_go_negative(prices, quantities, discount):
    """Pure allocation (no database): the engine's step for one discount over priced lines."""
    lines = [
        pricing.PricedLine(
            sku_id=i,
            shop_id=1,
            product_id=i,
            sku_code="",
            title="",
            sku_label="",
            sku_attributes={},
            image_url="",
            unit_price=price,
            quantity=quantities.draw(st.integers(1, 5)),
            weight_grams=0,
            subtotal=ZERO,
        )
        for i, price in enumerate(prices)
    ]
    for line in lines:
        line.subtotal = line.unit_price * line.quantity
    shop = pricing.ShopBreakdown(1, "", lines, "standard", ["standard"])
    ctx = PricingContext(user=None, shops=[shop], coupon_codes=(), address=None, now=None)
    applied = pricing._apply_item_discount(ctx, Discount("d", "d", discount, 1))
    goods = sum(line.subtotal for line in lines)
    assert applied.amount == min(discount, goods)
    assert sum(line.discount for line in lines) == applied.amount
    assert all(ZERO <= line.discount <= line.subtotal for line in lines)
