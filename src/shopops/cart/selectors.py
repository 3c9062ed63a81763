"""Reads of the cart: what the cart page and API show, and what checkout buys.

    CartOwner(user=..., token=...)                  who a cart belongs to (user, or guest session)
    find_cart(owner) -> Cart | None
    cart_view(owner) -> CartView                    lines grouped by shop with live prices and stock
    cart_count(owner) -> int                        units in the cart (header badge)
    checkout_items(*, user, sku_ids=None) -> list[CheckoutItem]   what a checkout of this cart buys

Prices and availability are read live from the catalog and inventory every time: a cart never
stores a price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from shopops.cart.errors import CartLineNotFound
from shopops.cart.models import Cart, CartLine
from shopops.cart.pricing import CheckoutItem
from shopops.core.money import ZERO, to_money


@dataclass(frozen=True)
class CartOwner:
    """A signed-in user, or a guest identified by the random token in their session."""

    user: Any = None
    token: str | None = None

    @property
    def is_guest(self) -> bool:
        return self.user is None

    def __post_init__(self) -> None:
        if self.user is not None and not getattr(self.user, "is_authenticated", False):
            object.__setattr__(self, "user", None)


@dataclass
class CartLineView:
    sku_id: int
    product_id: int
    shop_id: int
    title: str
    sku_label: str
    image_url: str
    unit_price: Decimal
    quantity: int
    selected: bool
    available: int
    sellable: bool

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def problem(self) -> str:
        """ "" when the line can be bought as it is; else unavailable / insufficient_stock."""
        if not self.sellable:
            return "unavailable"
        if self.available < self.quantity:
            return "insufficient_stock"
        return ""

    @property
    def buyable(self) -> bool:
        return not self.problem


@dataclass
class CartShopView:
    shop_id: int
    shop_name: str
    lines: list[CartLineView] = field(default_factory=list)


@dataclass
class CartView:
    shops: list[CartShopView]
    unavailable: list[CartLineView]

    @property
    def lines(self) -> list[CartLineView]:
        return [line for shop in self.shops for line in shop.lines]

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines) + sum(line.quantity for line in self.unavailable)

    @property
    def selected_lines(self) -> list[CartLineView]:
        return [line for line in self.lines if line.selected and line.buyable]

    @property
    def selected_count(self) -> int:
        return sum(line.quantity for line in self.selected_lines)

    @property
    def selected_total(self) -> Decimal:
        """Goods only, before discounts and shipping (the checkout page has the full breakdown)."""
        return sum((line.subtotal for line in self.selected_lines), ZERO)

    @property
    def is_empty(self) -> bool:
        return not self.shops and not self.unavailable


def find_cart(owner: CartOwner) -> Cart | None:
    if owner.user is not None:
        return Cart.objects.filter(user=owner.user).first()
    if owner.token:
        return Cart.objects.filter(token=owner.token, user__isnull=True).first()
    return None


def cart_lines(cart: Cart | None) -> list[CartLine]:
    if cart is None:
        return []
    return list(CartLine.objects.filter(cart=cart).order_by("-added_at", "-id"))


def owner_lines(owner: CartOwner) -> list[CartLine]:
    """The owner's cart lines in one query (no separate look-up of the cart row)."""
    if owner.user is not None:
        qs = CartLine.objects.filter(cart__user=owner.user)
    elif owner.token:
        qs = CartLine.objects.filter(cart__token=owner.token, cart__user__isnull=True)
    else:
        return []
    return list(qs.order_by("-added_at", "-id"))


def cart_view(owner: CartOwner) -> CartView:
    from shopops.catalog import selectors as catalog_selectors
    from shopops.inventory import selectors as inventory_selectors

    lines = owner_lines(owner)
    if not lines:
        return CartView(shops=[], unavailable=[])
    sku_ids = [line.sku_id for line in lines]
    cards = catalog_selectors.sku_cards(sku_ids)
    available = inventory_selectors.available_by_sku(sku_ids)

    shops: dict[int, CartShopView] = {}
    unavailable: list[CartLineView] = []
    for line in lines:
        card = cards.get(line.sku_id)
        if card is None:
            continue
        view = CartLineView(
            sku_id=card.sku_id,
            product_id=card.product_id,
            shop_id=card.shop_id,
            title=card.title,
            sku_label=card.label,
            image_url=card.image_url,
            unit_price=to_money(card.price),
            quantity=line.quantity,
            selected=line.selected,
            available=int(available.get(card.sku_id) or 0),
            sellable=card.sellable,
        )
        if not view.sellable:
            unavailable.append(view)
            continue
        shop = shops.setdefault(card.shop_id, CartShopView(card.shop_id, card.shop_name))
        shop.lines.append(view)
    return CartView(shops=sorted(shops.values(), key=lambda s: s.shop_id), unavailable=unavailable)


def cart_count(owner: CartOwner) -> int:
    cart = find_cart(owner)
    if cart is None:
        return 0
    return int(CartLine.objects.filter(cart=cart).aggregate(n=Sum("quantity"))["n"] or 0)


def checkout_items(*, user: Any, sku_ids: list[int] | None = None) -> list[CheckoutItem]:
    """The items a checkout of the user's cart buys.

    With `sku_ids` (what the checkout page showed): exactly those lines, each of which must be in the
    cart (CartLineNotFound otherwise; an unsellable one makes pricing raise SkuUnavailable, so it is
    never dropped silently). Without: the selected lines whose SKU is still sellable.
    """
    from shopops.catalog import selectors as catalog_selectors

    lines = owner_lines(CartOwner(user=user))
    if sku_ids is not None:
        by_sku = {line.sku_id: line for line in lines}
        missing = [sku_id for sku_id in sku_ids if sku_id not in by_sku]
        if missing:
            raise CartLineNotFound(sku_ids=missing)
        return [CheckoutItem(sku_id, by_sku[sku_id].quantity) for sku_id in dict.fromkeys(sku_ids)]
    selected = [line for line in lines if line.selected]
    sellable = catalog_selectors.sellable_sku_ids([line.sku_id for line in selected])
    return [CheckoutItem(line.sku_id, line.quantity) for line in selected if line.sku_id in sellable]
