"""Cart API (/api/v1/cart): the caller's cart, checkout preview, and a shop's shipping fee rule.

The cart endpoints serve guests too, so they are declared public and authenticate by hand
(`_owner`): a JWT bearer token when one is sent, else the session's user, else the guest cart whose
random token lives in the session. They only ever touch the caller's own cart (no cart id is ever
taken from the request). Cookie callers writing must pass the CSRF check, as with session auth.
"""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.utils import check_csrf

from shopops.accounts import selectors as accounts_selectors
from shopops.accounts.auth import api_auth
from shopops.accounts.tokens import user_from_access_token
from shopops.cart import selectors, services
from shopops.cart.identity import cart_owner
from shopops.cart.models import MAX_LINE_QUANTITY, ShippingMethod
from shopops.cart.pricing import CheckoutItem, CheckoutPricing, price_checkout
from shopops.cart.selectors import CartOwner, CartView
from shopops.cart.shipping import rules_for
from shopops.core.errors import PermissionDenied
from shopops.shops.access import public, shop_permission, signed_in

router = Router(tags=["cart"])

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PUBLIC_NOTE = (
    "Guest carts: acts only on the caller's own cart, found from the JWT, the session user or the "
    "guest session's random token; never by an id from the request."
)


def _owner(request: HttpRequest, *, create: bool = False) -> CartOwner:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = user_from_access_token(header[7:].strip())  # InvalidToken -> 401
        return CartOwner(user=user)
    if request.method not in SAFE_METHODS and check_csrf(request) is not None:
        raise PermissionDenied("CSRF 校验失败 / CSRF check failed", code="csrf_failed")
    return cart_owner(request, create=create)


# --- schemas ----------------------------------------------------------------------------------------------


class CartLineOut(Schema):
    sku_id: int
    product_id: int
    title: str
    sku_label: str
    image_url: str
    unit_price: Decimal
    quantity: int
    subtotal: Decimal
    selected: bool
    available: int
    problem: str


class CartShopOut(Schema):
    shop_id: int
    shop_name: str
    lines: list[CartLineOut]


class CartOut(Schema):
    shops: list[CartShopOut]
    unavailable: list[CartLineOut]
    count: int
    selected_count: int
    selected_total: Decimal


class AddItemIn(Schema):
    sku_id: int
    quantity: int = Field(1, ge=1, le=MAX_LINE_QUANTITY)


class QuantityIn(Schema):
    quantity: int = Field(..., ge=0, le=MAX_LINE_QUANTITY, description="0 removes the line")


class SelectionIn(Schema):
    sku_ids: list[int] = Field(default_factory=list, max_length=200, description="empty: every line")
    selected: bool


class ItemIn(Schema):
    sku_id: int
    quantity: int = Field(..., ge=1, le=MAX_LINE_QUANTITY)


class CheckoutIn(Schema):
    address_id: int | None = None
    shipping_method: ShippingMethod = ShippingMethod.STANDARD
    shipping_methods: dict[int, ShippingMethod] = Field(default_factory=dict, description="per shop id")
    coupon_codes: list[str] = Field(default_factory=list, max_length=5)
    sku_ids: list[int] | None = Field(
        None, max_length=200, description="cart lines to buy (default: selected)"
    )
    items: list[ItemIn] | None = Field(None, max_length=50, description='"buy now" items instead of the cart')


class PricedLineOut(Schema):
    sku_id: int
    product_id: int
    title: str
    sku_label: str
    image_url: str
    unit_price: Decimal
    quantity: int
    subtotal: Decimal
    discount: Decimal
    paid_amount: Decimal


class ShopPricingOut(Schema):
    shop_id: int
    shop_name: str
    lines: list[PricedLineOut]
    shipping_method: str
    shipping_methods: list[str]
    items_total: Decimal
    discount_total: Decimal
    shipping_fee: Decimal
    shipping_discount: Decimal
    total: Decimal


class DiscountOut(Schema):
    code: str
    label: str
    amount: Decimal
    target: str
    shop_id: int | None
    coupon_code: str


class CheckoutOut(Schema):
    shops: list[ShopPricingOut]
    discounts: list[DiscountOut]
    items_total: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    shipping_discount_total: Decimal
    total: Decimal
    currency: str
    address_id: int | None


class ShippingRuleIn(Schema):
    standard_fee: Decimal = Field(..., ge=0, le=100000, decimal_places=2)
    free_over: Decimal | None = Field(None, ge=0, le=10000000, decimal_places=2)
    express_fee: Decimal | None = Field(None, ge=0, le=100000, decimal_places=2)


class ShippingRuleOut(Schema):
    shop_id: int
    standard_fee: Decimal
    free_over: Decimal | None
    express_fee: Decimal | None


def cart_out(view: CartView) -> dict:
    def line(item) -> dict:
        return {**item.__dict__, "subtotal": item.subtotal, "problem": item.problem}

    return {
        "shops": [
            {"shop_id": s.shop_id, "shop_name": s.shop_name, "lines": [line(x) for x in s.lines]}
            for s in view.shops
        ],
        "unavailable": [line(x) for x in view.unavailable],
        "count": view.count,
        "selected_count": view.selected_count,
        "selected_total": view.selected_total,
    }


def checkout_out(pricing: CheckoutPricing, address_id: int | None) -> dict:
    return {
        "shops": [
            {
                "shop_id": shop.shop_id,
                "shop_name": shop.shop_name,
                "lines": [{**line.__dict__, "paid_amount": line.paid_amount} for line in shop.lines],
                "shipping_method": shop.shipping_method,
                "shipping_methods": shop.shipping_methods,
                "items_total": shop.items_total,
                "discount_total": shop.discount_total,
                "shipping_fee": shop.shipping_fee,
                "shipping_discount": shop.shipping_discount,
                "total": shop.total,
            }
            for shop in pricing.shops
        ],
        "discounts": [d.__dict__ for d in pricing.discounts],
        "items_total": pricing.items_total,
        "discount_total": pricing.discount_total,
        "shipping_total": pricing.shipping_total,
        "shipping_discount_total": pricing.shipping_discount_total,
        "total": pricing.total,
        "currency": pricing.currency,
        "address_id": address_id,
    }


# --- the caller's cart ------------------------------------------------------------------------------------


@router.get("", response=CartOut, auth=None, summary="My cart (guest or signed in), with live prices")
@public(PUBLIC_NOTE)
def get_cart(request: HttpRequest):
    return cart_out(selectors.cart_view(_owner(request)))


@router.post("/items", response={201: CartOut}, auth=None, summary="Add a SKU to my cart")
@public(PUBLIC_NOTE)
def add_item(request: HttpRequest, payload: AddItemIn):
    owner = _owner(request, create=True)
    services.add_item(owner=owner, sku_id=payload.sku_id, quantity=payload.quantity)
    return Status(201, cart_out(selectors.cart_view(owner)))


@router.put(
    "/items/{int:sku_id}", response=CartOut, auth=None, summary="Set a line's quantity (0 removes it)"
)
@public(PUBLIC_NOTE)
def set_quantity(request: HttpRequest, sku_id: int, payload: QuantityIn):
    owner = _owner(request)
    services.set_quantity(owner=owner, sku_id=sku_id, quantity=payload.quantity)
    return cart_out(selectors.cart_view(owner))


@router.delete("/items/{int:sku_id}", response=CartOut, auth=None, summary="Remove a line")
@public(PUBLIC_NOTE)
def remove_item(request: HttpRequest, sku_id: int):
    owner = _owner(request)
    services.remove_items(owner=owner, sku_ids=[sku_id])
    return cart_out(selectors.cart_view(owner))


@router.post("/selection", response=CartOut, auth=None, summary="Tick lines for checkout (none given: all)")
@public(PUBLIC_NOTE)
def select_items(request: HttpRequest, payload: SelectionIn):
    owner = _owner(request)
    services.set_selected(owner=owner, sku_ids=payload.sku_ids, selected=payload.selected)
    return cart_out(selectors.cart_view(owner))


@router.delete("", response={204: None}, auth=None, summary="Empty my cart")
@public(PUBLIC_NOTE)
def clear_cart(request: HttpRequest):
    services.clear_cart(owner=_owner(request))
    return Status(204, None)


# --- checkout preview -------------------------------------------------------------------------------------


@router.post(
    "/checkout/preview", response=CheckoutOut, auth=api_auth, summary="Price a checkout (nothing is saved)"
)
@signed_in("Prices the caller's own cart and address; the address is looked up through the caller.")
def preview_checkout(request: HttpRequest, payload: CheckoutIn):
    user = request.auth
    address = None
    if payload.address_id is not None:
        address = accounts_selectors.get_address(
            user=user, address_id=payload.address_id
        )  # 404 if not theirs
    else:
        address = accounts_selectors.default_address(user)
    if payload.items is not None:
        items = [CheckoutItem(i.sku_id, i.quantity) for i in payload.items]
    else:
        items = selectors.checkout_items(user=user, sku_ids=payload.sku_ids)
    if not items:
        from shopops.cart.errors import NothingToCheckout

        raise NothingToCheckout()
    pricing = price_checkout(
        user=user,
        items=items,
        shipping_method=payload.shipping_method,
        shipping_methods={k: v.value for k, v in payload.shipping_methods.items()},
        address=address,
        coupon_codes=payload.coupon_codes,
    )
    return checkout_out(pricing, address.pk if address else None)


# --- a shop's shipping rule ---------------------------------------------------------------------------------


@router.get(
    "/shops/{int:shop_id}/shipping-rule", response=ShippingRuleOut, auth=api_auth, summary="Shipping fee rule"
)
@shop_permission("shop.view")
def get_shipping_rule(request: HttpRequest, shop_id: int):
    rule = rules_for([shop_id])[shop_id]
    return rule.__dict__


@router.put(
    "/shops/{int:shop_id}/shipping-rule", response=ShippingRuleOut, auth=api_auth, summary="Set the rule"
)
@shop_permission("logistics.manage")
def set_shipping_rule(request: HttpRequest, shop_id: int, payload: ShippingRuleIn):
    services.set_shipping_rule(shop_id=shop_id, actor=request.auth, **payload.dict())
    return rules_for([shop_id])[shop_id].__dict__
