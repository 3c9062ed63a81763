"""Every write to carts. The storefront pages, the API and the orders app call these.

    add_item(*, owner, sku_id, quantity=1) -> Cart            adds to the line's quantity
    set_quantity(*, owner, sku_id, quantity) -> Cart          0 removes the line
    set_selected(*, owner, sku_ids, selected) -> Cart         tick lines for checkout
    remove_items(*, owner, sku_ids) -> Cart
    clear_cart(*, owner) -> None
    merge_guest_cart(*, user, token) -> Cart | None           at login (cart.signals)
    remove_purchased(*, user, quantities) -> None             after an order is submitted (orders)
    purge_guest_carts(*, older_than) -> int                   beat task
    set_shipping_rule(*, shop_id, standard_fee, free_over, express_fee, actor) -> ShippingRule

Quantities are checked against what inventory can sell now; the order submission checks again
(by reserving), since a cart holds nothing. Every write locks the cart row first, so two tabs
changing one cart serialise instead of losing an update.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from shopops.cart.errors import (
    CartFull,
    CartLineNotFound,
    NotEnoughStock,
    QuantityOutOfRange,
    SkuUnavailable,
)
from shopops.cart.models import MAX_CART_LINES, MAX_LINE_QUANTITY, Cart, CartLine, ShippingRule
from shopops.cart.selectors import CartOwner
from shopops.core import audit
from shopops.core.errors import InvalidInput, NotAuthenticated
from shopops.core.money import MoneyError, to_money


def _check_quantity(quantity: Any, *, allow_zero: bool = False) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise QuantityOutOfRange(quantity=quantity)
    low = 0 if allow_zero else 1
    if quantity < low or quantity > MAX_LINE_QUANTITY:
        raise QuantityOutOfRange(quantity=quantity, min=low, max=MAX_LINE_QUANTITY)
    return quantity


def _locked_cart(owner: CartOwner, *, create: bool) -> Cart | None:
    """The owner's cart row, locked for this transaction (created on demand)."""
    if owner.user is not None:
        lookup: dict[str, Any] = {"user": owner.user}
    elif owner.token:
        lookup = {"token": owner.token, "user__isnull": True}
    else:
        if create:
            raise NotAuthenticated("无法识别购物车 / No cart session")
        return None
    cart = _lock_and_touch(lookup)
    if cart is not None or not create:
        return cart
    try:
        with transaction.atomic():
            if owner.user is not None:
                Cart.objects.create(user=owner.user)
            else:
                Cart.objects.create(token=owner.token)
    except IntegrityError:
        pass  # created concurrently by another request of the same owner: use that one
    return _lock_and_touch(lookup)


def _lock_and_touch(lookup: dict[str, Any]) -> Cart | None:
    """Lock the owner's cart row and mark it used in ONE statement (an UPDATE takes the row lock that
    SELECT ... FOR UPDATE would): every write to a cart is a use (the guest-cart purge reads it)."""
    now = timezone.now()
    table = connection.ops.quote_name(Cart._meta.db_table)
    if "user" in lookup:
        where, key = "user_id = %s", lookup["user"].pk
    else:
        where, key = "token = %s AND user_id IS NULL", lookup["token"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET updated_at = %s WHERE {where} RETURNING id, user_id, token",  # noqa: S608
            [connection.ops.adapt_datetimefield_value(now), key],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    # created_at stays deferred: no write path reads it.
    return Cart.from_db(connection.alias, ["id", "user_id", "token", "updated_at"], [*row, now])


def _ensure_can_hold(sku_id: int, quantity: int) -> None:
    """The SKU is sellable and inventory could sell `quantity` of it now."""
    from shopops.catalog import selectors as catalog_selectors
    from shopops.inventory import selectors as inventory_selectors

    if sku_id not in catalog_selectors.sellable_sku_ids([sku_id]):
        raise SkuUnavailable(sku_id=sku_id)
    available = int(inventory_selectors.available_by_sku([sku_id]).get(sku_id) or 0)
    if available < quantity:
        raise NotEnoughStock(sku_id=sku_id, requested=quantity, available=available)


@transaction.atomic
def add_item(*, owner: CartOwner, sku_id: int, quantity: int = 1) -> Cart:
    """Put `quantity` more of a SKU in the cart (a new line, or added to the existing one)."""
    _check_quantity(quantity)
    cart = _locked_cart(owner, create=True)
    # One read answers both "is the SKU already a line?" and "is the cart full?" (a cart is small).
    lines = {
        line.sku_id: line for line in CartLine.objects.filter(cart=cart).only("id", "sku_id", "quantity")
    }
    line = lines.get(sku_id)
    wanted = quantity + (line.quantity if line else 0)
    if wanted > MAX_LINE_QUANTITY:
        raise QuantityOutOfRange(sku_id=sku_id, quantity=wanted, max=MAX_LINE_QUANTITY)
    _ensure_can_hold(sku_id, wanted)
    now = timezone.now()
    if line is None:
        if len(lines) >= MAX_CART_LINES:
            raise CartFull(max_lines=MAX_CART_LINES)
        CartLine.objects.create(cart=cart, sku_id=sku_id, quantity=wanted, added_at=now, updated_at=now)
    else:
        line.quantity, line.selected, line.updated_at = wanted, True, now
        line.save(update_fields=["quantity", "selected", "updated_at"])
    return cart


@transaction.atomic
def set_quantity(*, owner: CartOwner, sku_id: int, quantity: int) -> Cart:
    _check_quantity(quantity, allow_zero=True)
    cart = _locked_cart(owner, create=False)
    line = CartLine.objects.filter(cart=cart, sku_id=sku_id).first() if cart else None
    if line is None:
        raise CartLineNotFound(sku_id=sku_id)
    if quantity == 0:
        line.delete()
    elif quantity != line.quantity:
        if quantity > line.quantity:
            _ensure_can_hold(sku_id, quantity)  # lowering a quantity is always allowed
        line.quantity, line.updated_at = quantity, timezone.now()
        line.save(update_fields=["quantity", "updated_at"])
    return cart


@transaction.atomic
def set_selected(*, owner: CartOwner, sku_ids: Iterable[int], selected: bool) -> Cart | None:
    cart = _locked_cart(owner, create=False)
    ids = set(sku_ids)
    if cart is None:
        if ids:
            raise CartLineNotFound(sku_ids=sorted(ids))
        return None
    lines = CartLine.objects.filter(cart=cart)
    if ids:
        missing = ids - set(lines.filter(sku_id__in=ids).values_list("sku_id", flat=True))
        if missing:
            raise CartLineNotFound(sku_ids=sorted(missing))
        lines = lines.filter(sku_id__in=ids)
    lines.update(selected=selected, updated_at=timezone.now())
    return cart


@transaction.atomic
def remove_items(*, owner: CartOwner, sku_ids: Iterable[int]) -> Cart | None:
    cart = _locked_cart(owner, create=False)
    if cart is not None:
        CartLine.objects.filter(cart=cart, sku_id__in=set(sku_ids)).delete()
    return cart


@transaction.atomic
def clear_cart(*, owner: CartOwner) -> None:
    cart = _locked_cart(owner, create=False)
    if cart is not None:
        CartLine.objects.filter(cart=cart).delete()


@transaction.atomic
def merge_guest_cart(*, user: Any, token: str | None) -> Cart | None:
    """Move a guest cart's lines into the user's cart, then delete the guest cart.

    A SKU in both carts keeps the larger of the two quantities (a shopper who put 2 in the cart as a
    guest and finds 1 already there from last week wants 2, not 3), capped by the line limit and by
    what inventory can sell. Lines beyond the cart's line limit are dropped, oldest guest lines first.
    """
    if not token:
        return None
    guest = Cart.objects.select_for_update().filter(token=token, user__isnull=True).first()
    if guest is None:
        return None
    guest_lines = list(CartLine.objects.filter(cart=guest).order_by("-added_at", "-id"))
    if not guest_lines:
        guest.delete()
        return None
    from shopops.inventory import selectors as inventory_selectors

    cart = _locked_cart(CartOwner(user=user), create=True)
    existing = {line.sku_id: line for line in CartLine.objects.filter(cart=cart)}
    available = inventory_selectors.available_by_sku([line.sku_id for line in guest_lines])
    room = MAX_CART_LINES - len(existing)
    now = timezone.now()
    for guest_line in guest_lines:
        # Capped by what can be sold now; an out-of-stock line is kept as it was so the cart shows it.
        in_stock = int(available.get(guest_line.sku_id) or 0)
        cap = min(MAX_LINE_QUANTITY, in_stock) if in_stock > 0 else MAX_LINE_QUANTITY
        mine = existing.get(guest_line.sku_id)
        if mine is not None:
            merged = max(mine.quantity, min(guest_line.quantity, cap))
            if merged != mine.quantity:
                mine.quantity, mine.updated_at = merged, now
                mine.save(update_fields=["quantity", "updated_at"])
            continue
        if room <= 0:
            continue
        CartLine.objects.create(
            cart=cart,
            sku_id=guest_line.sku_id,
            quantity=min(guest_line.quantity, cap),
            selected=guest_line.selected,
            added_at=guest_line.added_at,
            updated_at=now,
        )
        room -= 1
    guest.delete()
    return cart


# No savepoint: it runs inside the order submission's transaction, which rolls back as a whole.
@transaction.atomic(savepoint=False)
def remove_purchased(*, user: Any, quantities: Mapping[int, int]) -> None:
    """After an order: take the bought units off the cart (a line bought in full disappears)."""
    cart = _locked_cart(CartOwner(user=user), create=False)
    if cart is None or not quantities:
        return
    bought_all, partly = [], []
    for sku_id, quantity in CartLine.objects.filter(cart=cart, sku_id__in=list(quantities)).values_list(
        "sku_id", "quantity"
    ):
        (bought_all if quantity <= quantities[sku_id] else partly).append(sku_id)
    if bought_all:
        CartLine.objects.filter(cart=cart, sku_id__in=bought_all).delete()
    for sku_id in partly:
        CartLine.objects.filter(cart=cart, sku_id=sku_id).update(
            quantity=F("quantity") - quantities[sku_id], updated_at=timezone.now()
        )


def purge_guest_carts(*, older_than: timedelta = timedelta(days=30)) -> int:
    """Delete guest carts untouched for `older_than` (their session is long gone)."""
    cutoff = timezone.now() - older_than
    _, per_model = Cart.objects.filter(user__isnull=True, updated_at__lt=cutoff).delete()
    return per_model.get(Cart._meta.label, 0)


def _fee(value: Any, field: str, *, required: bool) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(code="invalid_fee", fields={field: ["required"]})
        return None
    try:
        amount = to_money(value)
    except MoneyError as exc:
        raise InvalidInput(code="invalid_fee", fields={field: ["not an amount"]}) from exc
    if amount < 0 or amount > Decimal("100000"):
        raise InvalidInput(code="invalid_fee", fields={field: ["must be between 0 and 100000"]})
    return amount


@transaction.atomic
def set_shipping_rule(
    *,
    shop_id: int,
    standard_fee: Any,
    free_over: Any = None,
    express_fee: Any = None,
    actor: Any = None,
) -> ShippingRule:
    """Set a shop's shipping fee rule (the simple rule `cart.shipping.shipping_fee` applies)."""
    values = {
        "standard_fee": _fee(standard_fee, "standard_fee", required=True),
        "free_over": _fee(free_over, "free_over", required=False),
        "express_fee": _fee(express_fee, "express_fee", required=False),
    }
    rule, _ = ShippingRule.objects.update_or_create(shop_id=shop_id, defaults=values)
    audit.record(
        actor=actor,
        action="cart.shipping_rule.set",
        obj=rule,
        shop_id=shop_id,
        after={k: str(v) if v is not None else None for k, v in values.items()},
    )
    return rule
