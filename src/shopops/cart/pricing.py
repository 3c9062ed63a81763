"""Checkout pricing: ONE function, `price_checkout()`, turns items into the full money breakdown.

Everything that costs money goes through here, for the checkout page, the API preview and the order
submission alike, so what the shopper saw is what the order charges. Prices come from the catalog at
the moment of the call; nothing the client sends is a price.

Steps:
1. Lines: each sellable SKU at its current unit price x quantity (unsellable ones raise).
2. Pricing rules, in order: each rule (`PricingRule`) looks at the context and returns `Discount`s.
   An item discount is spread over the lines it applies to with `core.money.allocate` (weights: the
   lines' amounts still payable), so the shares sum exactly to the discount and no line goes below
   zero. Later rules see the lines as earlier rules left them (stacking order = rule order).
3. Shipping: per shop, through `cart.shipping.shipping_fee()` on the goods' amount after discounts.
4. Shipping discounts (target "shipping") are taken off each shop's fee, never below zero.
5. Coupon codes: every code the shopper entered must be claimed by some rule's discount, otherwise
   CouponNotApplicable: a code is never silently ignored.

Extension point for the marketing app: `register_pricing_rule(rule)` in its AppConfig.ready(). No
rule is active by default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.utils import timezone

from shopops.cart import shipping
from shopops.cart.errors import CouponNotApplicable, QuantityOutOfRange, SkuUnavailable
from shopops.cart.models import MAX_LINE_QUANTITY, ShippingMethod
from shopops.core.money import CURRENCY, ZERO, allocate, to_money

MAX_COUPON_CODES = 5

ITEMS = "items"
SHIPPING = "shipping"


# --- inputs and outputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutItem:
    sku_id: int
    quantity: int


@dataclass
class PricedLine:
    sku_id: int
    shop_id: int
    product_id: int
    sku_code: str
    title: str
    sku_label: str
    sku_attributes: dict[str, str]
    image_url: str
    unit_price: Decimal
    quantity: int
    weight_grams: int
    subtotal: Decimal
    discount: Decimal = ZERO
    # {discount code: share of it on this line}
    discount_shares: dict[str, Decimal] = field(default_factory=dict)

    @property
    def paid_amount(self) -> Decimal:
        return self.subtotal - self.discount


@dataclass
class ShopBreakdown:
    shop_id: int
    shop_name: str
    lines: list[PricedLine]
    shipping_method: str
    shipping_methods: list[str]
    shipping_fee: Decimal = ZERO
    shipping_discount: Decimal = ZERO

    @property
    def items_total(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)

    @property
    def goods_amount(self) -> Decimal:
        return self.items_total - self.discount_total

    @property
    def total(self) -> Decimal:
        return self.goods_amount + self.shipping_fee - self.shipping_discount

    @property
    def weight_grams(self) -> int:
        return sum(line.weight_grams * line.quantity for line in self.lines)


@dataclass(frozen=True)
class Discount:
    """What a rule grants. `amount` is positive money off.

    shop_id None spreads an item discount over every eligible line of every shop (a platform
    coupon); a shipping discount must name its shop. `sku_ids` limits the eligible lines (None: all
    lines in scope). `coupon_code` marks the discount as the effect of a code the shopper entered.
    """

    code: str
    label: str
    amount: Decimal
    shop_id: int | None = None
    sku_ids: frozenset[int] | None = None
    target: str = ITEMS
    coupon_code: str = ""


@dataclass(frozen=True)
class AppliedDiscount:
    code: str
    label: str
    amount: Decimal  # what was actually taken off (a discount is capped at what it applies to)
    target: str
    shop_id: int | None
    coupon_code: str
    # {sku_id: share} for item discounts; {} for shipping discounts.
    allocation: dict[int, Decimal]


@dataclass
class CheckoutPricing:
    shops: list[ShopBreakdown]
    discounts: list[AppliedDiscount]
    coupon_codes: tuple[str, ...]
    priced_at: datetime
    currency: str = CURRENCY

    @property
    def lines(self) -> list[PricedLine]:
        return [line for shop in self.shops for line in shop.lines]

    @property
    def items_total(self) -> Decimal:
        return sum((s.items_total for s in self.shops), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((s.discount_total for s in self.shops), ZERO)

    @property
    def shipping_total(self) -> Decimal:
        return sum((s.shipping_fee for s in self.shops), ZERO)

    @property
    def shipping_discount_total(self) -> Decimal:
        return sum((s.shipping_discount for s in self.shops), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((s.total for s in self.shops), ZERO)

    def shop(self, shop_id: int) -> ShopBreakdown:
        return next(s for s in self.shops if s.shop_id == shop_id)

    def discounts_for_shop(self, shop_id: int) -> list[dict[str, Any]]:
        """This shop's part of each discount, for the order's pricing snapshot."""
        sku_ids = {line.sku_id for line in self.shop(shop_id).lines}
        result = []
        for applied in self.discounts:
            if applied.target == SHIPPING:
                if applied.shop_id == shop_id:
                    result.append(_discount_dict(applied, applied.amount))
                continue
            share = sum((v for k, v in applied.allocation.items() if k in sku_ids), ZERO)
            if share:
                result.append(_discount_dict(applied, share))
        return result


def _discount_dict(applied: AppliedDiscount, amount: Decimal) -> dict[str, Any]:
    return {
        "code": applied.code,
        "label": applied.label,
        "target": applied.target,
        "coupon_code": applied.coupon_code,
        "amount": str(amount),
    }


@dataclass
class PricingContext:
    """What a rule may look at. Rules must not write anything."""

    user: Any
    shops: list[ShopBreakdown]
    coupon_codes: tuple[str, ...]
    address: Any
    now: datetime

    @property
    def lines(self) -> list[PricedLine]:
        return [line for shop in self.shops for line in shop.lines]

    def lines_of_shop(self, shop_id: int) -> list[PricedLine]:
        return [line for line in self.lines if line.shop_id == shop_id]


class PricingRule(Protocol):
    """A promotion or coupon. `code` is stable (it is stored on orders); `discounts` is pure."""

    code: str

    def discounts(self, ctx: PricingContext) -> Iterable[Discount]: ...


# --- the rule registry (the marketing app's extension point) ------------------------------------------

PRICING_RULES: list[PricingRule] = []


def register_pricing_rule(rule: PricingRule) -> None:
    if any(existing.code == rule.code for existing in PRICING_RULES):
        raise ValueError(f"a pricing rule with code {rule.code!r} is already registered")
    PRICING_RULES.append(rule)


def unregister_pricing_rule(code: str) -> None:
    PRICING_RULES[:] = [rule for rule in PRICING_RULES if rule.code != code]


# --- the one pricing function ------------------------------------------------------------------------


def normalise_coupon_codes(codes: Iterable[str] | None) -> tuple[str, ...]:
    seen: list[str] = []
    for raw in codes or ():
        code = (raw or "").strip().upper()
        if code and code not in seen:
            seen.append(code)
    if len(seen) > MAX_COUPON_CODES:
        raise CouponNotApplicable(
            "一次最多使用 5 张优惠券 / At most 5 coupons per order", max=MAX_COUPON_CODES
        )
    return tuple(seen)


def price_checkout(
    *,
    user: Any,
    items: Sequence[CheckoutItem],
    shipping_method: str = ShippingMethod.STANDARD,
    shipping_methods: Mapping[int, str] | None = None,
    address: Any = None,
    coupon_codes: Iterable[str] | None = None,
    now: datetime | None = None,
    rules: Sequence[PricingRule] | None = None,
) -> CheckoutPricing:
    """The full breakdown for `items`, grouped by shop (shops in id order, lines in item order).

    `shipping_method` applies to every shop unless `shipping_methods[shop_id]` says otherwise.
    Raises SkuUnavailable, QuantityOutOfRange, ShippingMethodUnavailable, CouponNotApplicable.
    Reads only: safe for previews.
    """
    now = now or timezone.now()
    codes = normalise_coupon_codes(coupon_codes)
    lines, shop_names = _priced_lines(items)
    rules_by_shop = shipping.rules_for({line.shop_id for line in lines})
    shops = _group_by_shop(lines, shipping_method, shipping_methods or {}, shop_names, rules_by_shop)
    ctx = PricingContext(user=user, shops=shops, coupon_codes=codes, address=address, now=now)

    applied: list[AppliedDiscount] = []
    shipping_discounts: list[Discount] = []
    for rule in PRICING_RULES if rules is None else rules:
        for discount in rule.discounts(ctx):
            if discount.target == SHIPPING:
                shipping_discounts.append(discount)
            else:
                applied_item = _apply_item_discount(ctx, discount)
                if applied_item is not None:
                    applied.append(applied_item)

    for shop in shops:
        shop.shipping_fee = shipping.shipping_fee(
            shop_id=shop.shop_id,
            method=shop.shipping_method,
            goods_amount=shop.goods_amount,
            address=address,
            weight_grams=shop.weight_grams,
            rule=rules_by_shop[shop.shop_id],
        )
    for discount in shipping_discounts:
        applied_shipping = _apply_shipping_discount(shops, discount)
        if applied_shipping is not None:
            applied.append(applied_shipping)

    claimed = {d.coupon_code for d in applied if d.coupon_code}
    unclaimed = [code for code in codes if code not in claimed]
    if unclaimed:
        raise CouponNotApplicable(coupon_codes=unclaimed)
    return CheckoutPricing(shops=shops, discounts=applied, coupon_codes=codes, priced_at=now)


def _priced_lines(items: Sequence[CheckoutItem]) -> tuple[list[PricedLine], dict[int, str]]:
    from shopops.catalog import selectors as catalog_selectors

    merged: dict[int, int] = {}
    for item in items:
        if isinstance(item.quantity, bool) or not isinstance(item.quantity, int) or item.quantity < 1:
            raise QuantityOutOfRange(sku_id=item.sku_id, quantity=item.quantity)
        merged[item.sku_id] = merged.get(item.sku_id, 0) + item.quantity
    for sku_id, quantity in merged.items():
        if quantity > MAX_LINE_QUANTITY:
            raise QuantityOutOfRange(sku_id=sku_id, quantity=quantity, max=MAX_LINE_QUANTITY)
    cards = catalog_selectors.sku_cards(list(merged))
    missing = [sku_id for sku_id in merged if sku_id not in cards or not cards[sku_id].sellable]
    if missing:
        raise SkuUnavailable(sku_ids=missing)
    names = {card.shop_id: card.shop_name for card in cards.values()}
    return [_line(cards[sku_id], quantity) for sku_id, quantity in merged.items()], names


def _line(card: Any, quantity: int) -> PricedLine:
    """A checkout line from the SKU's card (catalog.selectors.SkuCard), priced server-side."""
    unit_price = to_money(card.price)
    return PricedLine(
        sku_id=card.sku_id,
        shop_id=card.shop_id,
        product_id=card.product_id,
        sku_code=card.code,
        title=card.title,
        sku_label=card.label,
        sku_attributes=dict(card.attributes),
        image_url=card.image_url,
        unit_price=unit_price,
        quantity=quantity,
        weight_grams=card.weight_grams,
        subtotal=unit_price * quantity,
    )


def _group_by_shop(
    lines: list[PricedLine],
    default_method: str,
    per_shop: Mapping[int, str],
    names: dict[int, str],
    rules: dict[int, shipping.ShopShippingRule],
) -> list[ShopBreakdown]:
    shop_ids = sorted({line.shop_id for line in lines})
    return [
        ShopBreakdown(
            shop_id=shop_id,
            shop_name=names.get(shop_id, ""),
            lines=[line for line in lines if line.shop_id == shop_id],
            shipping_method=per_shop.get(shop_id, default_method),
            shipping_methods=shipping.available_methods(shop_id=shop_id, rule=rules[shop_id]),
        )
        for shop_id in shop_ids
    ]


def _apply_item_discount(ctx: PricingContext, discount: Discount) -> AppliedDiscount | None:
    eligible = [
        line
        for line in ctx.lines
        if (discount.shop_id is None or line.shop_id == discount.shop_id)
        and (discount.sku_ids is None or line.sku_id in discount.sku_ids)
        and line.paid_amount > ZERO
    ]
    if not eligible or to_money(discount.amount) <= ZERO:
        return None
    payable = sum((line.paid_amount for line in eligible), ZERO)
    amount = min(to_money(discount.amount), payable)
    # Weighted by what each line still costs: a share can never exceed its line's remaining amount.
    shares = allocate(amount, [line.paid_amount for line in eligible])
    allocation: dict[int, Decimal] = {}
    for line, share in zip(eligible, shares, strict=True):
        if share:
            line.discount += share
            line.discount_shares[discount.code] = line.discount_shares.get(discount.code, ZERO) + share
            allocation[line.sku_id] = share
    return AppliedDiscount(
        code=discount.code,
        label=discount.label,
        amount=amount,
        target=ITEMS,
        shop_id=discount.shop_id,
        coupon_code=discount.coupon_code.strip().upper(),
        allocation=allocation,
    )


def _apply_shipping_discount(shops: list[ShopBreakdown], discount: Discount) -> AppliedDiscount | None:
    shop = next((s for s in shops if s.shop_id == discount.shop_id), None)
    if shop is None:
        return None
    room = shop.shipping_fee - shop.shipping_discount
    amount = min(to_money(discount.amount), room)
    if amount <= ZERO:
        return None
    shop.shipping_discount += amount
    return AppliedDiscount(
        code=discount.code,
        label=discount.label,
        amount=amount,
        target=SHIPPING,
        shop_id=shop.shop_id,
        coupon_code=discount.coupon_code.strip().upper(),
        allocation={},
    )
