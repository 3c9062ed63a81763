"""Orders API (/api/v1/orders).

Shopper endpoints act on the caller's own orders (another shopper's number is 404). Shop endpoints
carry the shop id in the path and check `orders.view` / `orders.manage` with @shop_permission; an
order of another shop is 404 there too. Order and group numbers, never database ids, identify
orders in paths.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from shopops.accounts.auth import api_auth
from shopops.cart.models import MAX_LINE_QUANTITY, ShippingMethod
from shopops.cart.pricing import CheckoutItem
from shopops.core import audit
from shopops.core.audit import client_ip
from shopops.core.pagination import PageNumberPagination
from shopops.orders import selectors, services
from shopops.orders.models import ExceptionKind, Order, OrderGroup, OrderStatus
from shopops.orders.presenters import merchant_actions, shopper_actions, timeline_entries
from shopops.orders.selectors import OrderMetrics
from shopops.orders.state import Action, transition
from shopops.shops.access import platform_permission, shop_permission, shop_permission_any, signed_in

router = Router(tags=["orders"], auth=api_auth)

OWN_ORDERS = "Acts only on the caller's own orders: numbers are looked up through the caller (404 otherwise)."


# --- schemas ----------------------------------------------------------------------------------------------


class ItemIn(Schema):
    sku_id: int
    quantity: int = Field(..., ge=1, le=MAX_LINE_QUANTITY)


class SubmitIn(Schema):
    idempotency_key: str | None = Field(
        None,
        max_length=64,
        description="Or the Idempotency-Key header. A repeat returns the same order group.",
    )
    address_id: int
    shipping_method: ShippingMethod = ShippingMethod.STANDARD
    shipping_methods: dict[int, ShippingMethod] = Field(default_factory=dict, description="per shop id")
    coupon_codes: list[str] = Field(default_factory=list, max_length=5)
    buyer_notes: dict[int, str] = Field(default_factory=dict, description="per shop id, 200 characters")
    sku_ids: list[int] | None = Field(
        None, max_length=200, description="cart lines to buy (default: selected)"
    )
    items: list[ItemIn] | None = Field(None, max_length=50, description='"buy now" items instead of the cart')
    channel: str = Field("", max_length=16, description="open the payment right away through this channel")


class LineOut(Schema):
    id: int
    sku_id: int | None
    product_id: int | None
    sku_code: str
    title: str
    sku_label: str
    sku_attributes: dict[str, str]
    image_url: str
    unit_price: Decimal
    quantity: int
    subtotal: Decimal
    discount: Decimal
    paid_amount: Decimal
    refunded_amount: Decimal


class OrderSummaryOut(Schema):
    number: str
    group_number: str
    status: str
    status_label: str
    shop_id: int
    shop_name: str
    items_total: Decimal
    discount_total: Decimal
    shipping_fee: Decimal
    shipping_discount: Decimal
    total: Decimal
    refunded_amount: Decimal
    has_exception: bool
    exception_kind: str
    created_at: datetime
    paid_at: datetime | None
    lines: list[LineOut]


class EventOut(Schema):
    at: datetime
    action: str
    label: str
    actor: str
    reason: str
    data: dict[str, Any]


class AddressOut(Schema):
    receiver_name: str
    receiver_phone: str
    region: str
    detail: str
    postcode: str


class RefundOut(Schema):
    refund_no: str
    amount: Decimal
    status: str
    reason: str
    created_at: datetime


class OrderDetailOut(OrderSummaryOut):
    shipping_method: str
    buyer_note: str
    carrier_name: str
    waybill_no: str
    address: AddressOut
    shipped_at: datetime | None
    delivered_at: datetime | None
    auto_confirm_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    closed_at: datetime | None
    pay_deadline: datetime
    actions: list[str]
    timeline: list[EventOut]
    refunds: list[RefundOut]


class MerchantOrderOut(OrderDetailOut):
    buyer: str
    merchant_note: str
    exception_note: str


class GroupOut(Schema):
    number: str
    payment_status: str
    items_total: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    total: Decimal
    amount_due: Decimal
    paid_amount: Decimal
    pay_deadline: datetime
    paid_at: datetime | None
    created_at: datetime
    pay_url: str
    orders: list[OrderSummaryOut]


class PaymentOut(Schema):
    payment_no: str
    status: str
    amount: Decimal
    channel: str
    action: dict[str, Any]
    checkout_url: str


class SubmitOut(Schema):
    created: bool
    group: GroupOut
    payment: PaymentOut | None


class PayIn(Schema):
    channel: str = Field(..., max_length=16)


class ReasonIn(Schema):
    reason: str = Field("", max_length=200)


class TransitionIn(Schema):
    action: Literal["ship", "deliver", "cancel", "mark_exception", "clear_exception"]
    reason: str = Field("", max_length=200)
    carrier_name: str = Field("", max_length=40)
    waybill_no: str = Field("", max_length=40)
    kind: ExceptionKind | None = None


class NoteIn(Schema):
    note: str = Field("", max_length=255)


class ShipItemIn(Schema):
    number: str = Field(..., max_length=32)
    carrier_name: str = Field(..., min_length=1, max_length=40)
    waybill_no: str = Field(..., min_length=1, max_length=40)


class BulkShipIn(Schema):
    items: list[ShipItemIn] = Field(..., min_length=1, max_length=services.MAX_BULK)


class BulkExceptionIn(Schema):
    numbers: list[str] = Field(..., min_length=1, max_length=services.MAX_BULK)
    kind: ExceptionKind
    note: str = Field("", max_length=200)


class BulkResultOut(Schema):
    number: str
    ok: bool
    code: str
    message: str
    status: str


class BulkOut(Schema):
    succeeded: int
    failed: int
    results: list[BulkResultOut]


class OrderFilter(Schema):
    status: OrderStatus | None = None
    since: date | None = Field(None, description="placed on or after (local date)")
    until: date | None = Field(None, description="placed on or before (local date)")
    q: str = Field("", max_length=40, description="order, group or waybill number (prefix)")
    exception: bool | None = None


class AnalyticsFilter(Schema):
    since: date | None = None
    until: date | None = None


class PlatformAnalyticsFilter(AnalyticsFilter):
    shop_id: int | None = None


class MetricOut(Schema):
    key: str
    label: str
    placed: int
    paid: int
    gmv: Decimal
    average_order_value: Decimal
    conversion: float
    refunded: Decimal
    refunded_orders: int
    refund_rate: float


class AnalyticsOut(Schema):
    since: date
    until: date
    total: MetricOut
    by_day: list[MetricOut]
    by_shop: list[MetricOut]


# --- shaping ----------------------------------------------------------------------------------------------


def _lines(order: Order) -> list[dict]:
    return [
        {
            "id": line.id,
            "sku_id": line.sku_id,
            "product_id": line.product_id,
            "sku_code": line.sku_code,
            "title": line.title,
            "sku_label": line.sku_label,
            "sku_attributes": line.sku_attributes or {},
            "image_url": line.image_url,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
            "subtotal": line.subtotal,
            "discount": line.discount,
            "paid_amount": line.paid_amount,
            "refunded_amount": line.refunded_amount,
        }
        for line in order.lines.all()
    ]


def order_summary(order: Order) -> dict:
    return {
        "number": order.number,
        "group_number": order.group.number,
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "shop_id": order.shop_id,
        "shop_name": order.shop.name,
        "items_total": order.items_total,
        "discount_total": order.discount_total,
        "shipping_fee": order.shipping_fee,
        "shipping_discount": order.shipping_discount,
        "total": order.total,
        "refunded_amount": order.refunded_amount,
        "has_exception": order.has_exception,
        "exception_kind": order.exception_kind,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "lines": _lines(order),
    }


def _masked_address(order: Order) -> dict:
    return {
        "receiver_name": order.masked_receiver_name,
        "receiver_phone": order.masked_receiver_phone,
        "region": order.region_text,
        "detail": "****",
        "postcode": order.postcode,
    }


def _full_address(order: Order) -> dict:
    return {
        "receiver_name": order.receiver_name,
        "receiver_phone": order.receiver_phone,
        "region": order.region_text,
        "detail": order.address_detail,
        "postcode": order.postcode,
    }


def order_detail(order: Order, *, merchant: bool) -> dict:
    events = selectors.timeline(order)
    detail = {
        **order_summary(order),
        "shipping_method": order.shipping_method,
        "buyer_note": order.buyer_note,
        "carrier_name": order.carrier_name,
        "waybill_no": order.waybill_no,
        # The shopper sees their own name and street; the phone stays masked everywhere it is shown.
        "address": _masked_address(order)
        if merchant
        else {**_full_address(order), "receiver_phone": order.masked_receiver_phone},
        "shipped_at": order.shipped_at,
        "delivered_at": order.delivered_at,
        "auto_confirm_at": order.auto_confirm_at,
        "completed_at": order.completed_at,
        "cancelled_at": order.cancelled_at,
        "closed_at": order.closed_at,
        "pay_deadline": order.group.pay_deadline,
        "actions": merchant_actions(order) if merchant else shopper_actions(order),
        "timeline": [
            {
                "at": e.at,
                "action": ev.action,
                "label": e.label,
                "actor": e.actor,
                "reason": e.reason,
                "data": e.data,
            }
            for e, ev in zip(timeline_entries(events, show_actor_names=merchant), events, strict=True)
        ],
        "refunds": [
            {
                "refund_no": r.refund_no,
                "amount": r.amount,
                "status": r.status,
                "reason": r.reason,
                "created_at": r.created_at,
            }
            for r in selectors.refunds_of(order)
        ],
    }
    if merchant:
        from shopops.core.masking import mask_middle

        detail.update(
            buyer=mask_middle(order.user.username, 1, 1),
            merchant_note=order.merchant_note,
            exception_note=order.exception_note,
        )
    return detail


def group_out(group: OrderGroup) -> dict:
    return {
        "number": group.number,
        "payment_status": group.payment_status,
        "items_total": group.items_total,
        "discount_total": group.discount_total,
        "shipping_total": group.shipping_total,
        "total": group.total,
        "amount_due": group.amount_due,
        "paid_amount": group.paid_amount,
        "pay_deadline": group.pay_deadline,
        "paid_at": group.paid_at,
        "created_at": group.created_at,
        "pay_url": reverse("orders:pay", args=[group.number]),
        "orders": [order_summary(o) for o in selectors.group_orders(group)],
    }


def payment_out(created: Any) -> dict:
    payment = created.payment
    return {
        "payment_no": payment.payment_no,
        "status": payment.status,
        "amount": payment.amount,
        "channel": payment.channel,
        "action": created.action.as_dict(),
        "checkout_url": reverse("payments:checkout", args=[payment.payment_no]),
    }


def metrics_out(metrics: OrderMetrics) -> dict:
    return {
        "since": metrics.since,
        "until": metrics.until,
        "total": metrics.total.as_dict(),
        "by_day": [row.as_dict() for row in metrics.by_day],
        "by_shop": [row.as_dict() for row in metrics.by_shop],
    }


# --- platform (declared before "/{number}" so the paths never collide) --------------------------------------


@router.get("/analytics", response=AnalyticsOut, summary="Order analytics across shops (platform)")
@platform_permission("platform.shops")
def platform_analytics(request: HttpRequest, filters: Query[PlatformAnalyticsFilter]):
    shop_ids = [filters.shop_id] if filters.shop_id else None
    return metrics_out(selectors.order_metrics(shop_ids=shop_ids, since=filters.since, until=filters.until))


# --- shop -------------------------------------------------------------------------------------------------


@router.get("/shops/{int:shop_id}/orders", response=list[MerchantOrderOut], summary="A shop's orders")
@paginate(PageNumberPagination)
@shop_permission("orders.view")
def shop_orders(request: HttpRequest, shop_id: int, filters: Query[OrderFilter]):
    since, until = selectors.local_day_bounds(filters.since, filters.until)
    qs = selectors.shop_orders(
        shop_ids=[shop_id],
        status=filters.status,
        since=since,
        until=until,
        q=filters.q,
        has_exception=filters.exception,
    )
    return _Shaped(qs, lambda order: order_detail(order, merchant=True))


class _Shaped:
    """A queryset the paginator slices, shaping only the rows of the page it asks for."""

    def __init__(self, qs, shape) -> None:
        self.qs, self.shape = qs, shape

    def __getitem__(self, item):
        return [self.shape(row) for row in self.qs[item]]

    def __len__(self) -> int:
        return self.qs.count()


@router.post("/shops/{int:shop_id}/orders/bulk-ship", response=BulkOut, summary="Ship many orders")
@shop_permission("orders.manage")
def bulk_ship(request: HttpRequest, shop_id: int, payload: BulkShipIn):
    results = services.bulk_ship(
        shop_id=shop_id,
        actor=request.auth,
        items=[services.ShipItem(i.number, i.carrier_name, i.waybill_no) for i in payload.items],
    )
    return _bulk_out(results)


@router.post("/shops/{int:shop_id}/orders/bulk-exception", response=BulkOut, summary="Flag many orders")
@shop_permission("orders.manage")
def bulk_exception(request: HttpRequest, shop_id: int, payload: BulkExceptionIn):
    results = services.bulk_mark_exception(
        shop_id=shop_id, actor=request.auth, numbers=payload.numbers, kind=payload.kind, note=payload.note
    )
    return _bulk_out(results)


def _bulk_out(results: list[services.BulkResult]) -> dict:
    ok = sum(r.ok for r in results)
    return {"succeeded": ok, "failed": len(results) - ok, "results": [r.__dict__ for r in results]}


@router.get(
    "/shops/{int:shop_id}/orders/{number}", response=MerchantOrderOut, summary="One order of the shop"
)
@shop_permission("orders.view")
def shop_order(request: HttpRequest, shop_id: int, number: str):
    return order_detail(selectors.shop_order(shop_id, number), merchant=True)


@router.post(
    "/shops/{int:shop_id}/orders/{number}/transitions",
    response=MerchantOrderOut,
    summary="Ship, deliver, cancel, flag",
)
@shop_permission("orders.manage")
def shop_transition(request: HttpRequest, shop_id: int, number: str, payload: TransitionIn):
    order = selectors.shop_order(shop_id, number)
    if payload.action == Action.CANCEL:
        services.cancel_order(
            order=order, actor=request.auth, reason=payload.reason or "商家取消 / Cancelled by the shop"
        )
    else:
        data = {"carrier_name": payload.carrier_name, "waybill_no": payload.waybill_no}
        if payload.kind is not None:
            data["kind"] = payload.kind.value
        transition(order, payload.action, request.auth, payload.reason, data=data)
    return order_detail(selectors.shop_order(shop_id, number), merchant=True)


@router.put("/shops/{int:shop_id}/orders/{number}/note", response=MerchantOrderOut, summary="Merchant's note")
@shop_permission("orders.manage")
def shop_note(request: HttpRequest, shop_id: int, number: str, payload: NoteIn):
    services.set_merchant_note(
        order=selectors.shop_order(shop_id, number), actor=request.auth, note=payload.note
    )
    return order_detail(selectors.shop_order(shop_id, number), merchant=True)


@router.post(
    "/shops/{int:shop_id}/orders/{number}/reveal-address",
    response=AddressOut,
    summary="The full delivery address, for a shipping label (audited)",
)
@shop_permission("orders.manage")
def reveal_address(request: HttpRequest, shop_id: int, number: str):
    order = selectors.shop_order(shop_id, number)
    audit.record(
        actor=request.auth, action="orders.address.reveal", obj=order, shop_id=shop_id, request=request
    )
    return _full_address(order)


@router.get("/shops/{int:shop_id}/analytics", response=AnalyticsOut, summary="Order analytics of a shop")
@shop_permission_any("analytics.view", "orders.view")
def shop_analytics(request: HttpRequest, shop_id: int, filters: Query[AnalyticsFilter]):
    return metrics_out(selectors.order_metrics(shop_ids=[shop_id], since=filters.since, until=filters.until))


# --- shopper ----------------------------------------------------------------------------------------------


@router.post(
    "", response={200: SubmitOut, 201: SubmitOut}, summary="Place an order from my cart (idempotent)"
)
@signed_in(
    "Places an order for the caller from the caller's cart and address (address checked to be theirs)."
)
def submit(request: HttpRequest, payload: SubmitIn):
    key = payload.idempotency_key or request.headers.get("Idempotency-Key", "")
    result = services.submit_order(
        user=request.auth,
        idempotency_key=key,
        address_id=payload.address_id,
        shipping_method=payload.shipping_method,
        shipping_methods={k: v.value for k, v in payload.shipping_methods.items()},
        coupon_codes=payload.coupon_codes,
        buyer_notes=payload.buyer_notes,
        sku_ids=payload.sku_ids,
        items=[CheckoutItem(i.sku_id, i.quantity) for i in payload.items]
        if payload.items is not None
        else None,
        channel=payload.channel,
        client_ip=client_ip(request) or "",
    )
    body = {
        "created": result.created,
        "group": group_out(result.group),
        "payment": payment_out(result.payment) if result.payment is not None else None,
    }
    return Status(201 if result.created else 200, body)


@router.get("", response=list[OrderSummaryOut], summary="My orders")
@paginate(PageNumberPagination)
@signed_in(OWN_ORDERS)
def my_orders(request: HttpRequest, status: OrderStatus | None = None):
    return _Shaped(selectors.my_orders(request.auth, status=status), order_summary)


@router.get("/groups/{number}", response=GroupOut, summary="One checkout (payment group) of mine")
@signed_in(OWN_ORDERS)
def my_group(request: HttpRequest, number: str):
    return group_out(selectors.my_group(request.auth, number))


@router.post("/groups/{number}/payments", response={201: PaymentOut}, summary="Pay what the group owes")
@signed_in(OWN_ORDERS)
def pay_group(request: HttpRequest, number: str, payload: PayIn):
    group = selectors.my_group(request.auth, number)
    created = services.start_payment(
        group=group, user=request.auth, channel=payload.channel, client_ip=client_ip(request) or ""
    )
    return Status(201, payment_out(created))


@router.get("/{number}", response=OrderDetailOut, summary="One order of mine, with its timeline")
@signed_in(OWN_ORDERS)
def my_order(request: HttpRequest, number: str):
    return order_detail(selectors.my_order(request.auth, number), merchant=False)


@router.post("/{number}/confirm-receipt", response=OrderDetailOut, summary="Confirm I received the order")
@signed_in(OWN_ORDERS)
def confirm_receipt(request: HttpRequest, number: str):
    services.confirm_receipt(order=selectors.my_order(request.auth, number), actor=request.auth)
    return order_detail(selectors.my_order(request.auth, number), merchant=False)


@router.post("/{number}/cancel", response=OrderDetailOut, summary="Cancel my unpaid order")
@signed_in(OWN_ORDERS)
def cancel(request: HttpRequest, number: str, payload: ReasonIn):
    order = selectors.my_order(request.auth, number)
    services.cancel_order(
        order=order, actor=request.auth, reason=payload.reason or "买家取消 / Cancelled by the buyer"
    )
    return order_detail(selectors.my_order(request.auth, number), merchant=False)
