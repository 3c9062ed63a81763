"""Every write of the orders app. Pages, the API, the admin, tasks and other apps call these.

Public API (keyword-only; raise DomainError subclasses):

    submit_order(*, user, idempotency_key, address_id, shipping_method="standard",
                 shipping_methods=None, coupon_codes=(), buyer_notes=None, sku_ids=None, items=None,
                 channel="", client_ip="") -> SubmitResult(group, created, payment)
        The cart's selected lines (or `sku_ids` of them, or explicit `items` for "buy now") become
        one OrderGroup with one Order per shop, their lines with a price snapshot, the address
        snapshot and the stock reservations: all in one transaction, or nothing (OutOfStock,
        SkuUnavailable, AddressNotFound...). The same idempotency key returns the same group, also
        under concurrent submits (unique (user, key) + IntegrityError handling). With `channel`, the
        payment is opened after the commit.
    start_payment(*, group, user, channel, client_ip="") -> CreatedPayment     (payment_link)
    cancel_order(*, order, actor, reason="") -> Order
        Unpaid: stock released, the group owes less. Paid (merchant only): full refund and restock.
    confirm_receipt(*, order, actor) -> Order
    ship_order(*, order, actor, carrier_name, waybill_no) -> Order
    mark_delivered(*, order, actor=None) -> Order
    mark_exception(*, order, actor, kind, note="") / clear_exception(*, order, actor, note="")
    bulk_ship(*, shop_id, actor, items) / bulk_mark_exception(*, shop_id, actor, numbers, kind, note)
        Each order in its own transaction; one result per order (ok / error code), never all-or-nothing.
    request_refund(*, order, amount, actor, reason, purpose, line_amounts=None) -> OrderRefund
        For after-sales: money back for part of a paid order (idempotent per purpose).
    set_merchant_note(*, order, actor, note) -> Order
    close_unpaid_group(*, group, only_if_due=True, reason="") -> OrderGroup
    close_expired_groups(*, now=None) -> int          beat task: unpaid past the deadline
    auto_confirm_delivered(*, now=None) -> int        beat task: delivered N days ago

Lock order (deadlock freedom): OrderGroup row, then Order rows (id order), then what inventory and
payments lock inside their services. Stock is reserved shop by shop in shop id order and SKU id
order within a shop, so two checkouts of the same SKUs take their row locks in the same order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shopops.cart.errors import NothingToCheckout
from shopops.cart.models import ShippingMethod
from shopops.cart.pricing import CheckoutItem, CheckoutPricing, normalise_coupon_codes, price_checkout
from shopops.core.errors import DomainError, InvalidInput
from shopops.core.ids import time_sortable_number
from shopops.core.money import ZERO
from shopops.orders import payment_link
from shopops.orders.errors import (
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    OrderNotFound,
    OutOfStock,
    PaymentArrivedMeanwhile,
)
from shopops.orders.models import (
    GROUP_NUMBER_PREFIX,
    ActorRole,
    GroupPaymentStatus,
    Order,
    OrderEvent,
    OrderGroup,
    OrderLine,
    OrderRefund,
    OrderStatus,
)
from shopops.orders.state import Action, transition

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9_\-:.]{1,64}$")
MAX_BUYER_NOTE = 200
MAX_BULK = 200
# Reservations outlive the payment deadline: orders releases them itself when it closes the order;
# inventory's own expiry sweep is only the safety net should the close task be down for long.
RESERVATION_GRACE = timedelta(hours=24)
NUMBER_ATTEMPTS = 3


def payment_timeout() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "ORDER_PAYMENT_TIMEOUT_MINUTES", 30)))


# ==========================================================================================================
# Submission
# ==========================================================================================================


@dataclass(frozen=True)
class SubmitResult:
    group: OrderGroup
    created: bool
    payment: Any = None  # payments' CreatedPayment when a channel was given and the payment opened


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not IDEMPOTENCY_KEY_RE.match(key):
        raise InvalidIdempotencyKey()
    return key


def _fingerprint(**request: Any) -> str:
    canonical = json.dumps(request, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(user: Any, key: str, fingerprint: str) -> OrderGroup | None:
    group = OrderGroup.objects.filter(user=user, idempotency_key=key).first()
    if group is not None and group.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(idempotency_key=key, number=group.number)
    return group


def _clean_notes(notes: Mapping[Any, str] | None) -> dict[int, str]:
    cleaned: dict[int, str] = {}
    for shop_id, note in (notes or {}).items():
        try:
            shop_key = int(shop_id)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                code="invalid_buyer_note", fields={"buyer_notes": ["keys are shop ids"]}
            ) from exc
        text = " ".join(str(note or "").split())
        if len(text) > MAX_BUYER_NOTE:
            raise InvalidInput(
                code="invalid_buyer_note", fields={"buyer_notes": [f"at most {MAX_BUYER_NOTE} characters"]}
            )
        if text:
            cleaned[shop_key] = text
    return cleaned


def submit_order(
    *,
    user: Any,
    idempotency_key: str,
    address_id: int,
    shipping_method: str = ShippingMethod.STANDARD,
    shipping_methods: Mapping[int, str] | None = None,
    coupon_codes: Iterable[str] | None = None,
    buyer_notes: Mapping[Any, str] | None = None,
    sku_ids: Sequence[int] | None = None,
    items: Sequence[CheckoutItem] | None = None,
    channel: str = "",
    client_ip: str = "",
) -> SubmitResult:
    """Place the order (see the module doc). Returns the same group for a repeated key."""
    key = _check_key(idempotency_key)
    codes = normalise_coupon_codes(coupon_codes)
    notes = _clean_notes(buyer_notes)
    per_shop = {int(k): v for k, v in (shipping_methods or {}).items()}
    fingerprint = _fingerprint(
        address_id=address_id,
        shipping_method=shipping_method,
        shipping_methods=sorted(per_shop.items()),
        coupon_codes=codes,
        buyer_notes=sorted(notes.items()),
        sku_ids=list(sku_ids) if sku_ids is not None else None,
        items=[(i.sku_id, i.quantity) for i in items] if items is not None else None,
    )
    group = _existing(user, key, fingerprint)
    created = False
    if group is None:
        group, created = _create_with_retries(
            user=user,
            key=key,
            fingerprint=fingerprint,
            address_id=address_id,
            shipping_method=shipping_method,
            shipping_methods=per_shop,
            coupon_codes=codes,
            buyer_notes=notes,
            sku_ids=sku_ids,
            items=items,
        )
    payment = None
    if channel and group.payment_status == GroupPaymentStatus.UNPAID and group.amount_due > ZERO:
        try:
            payment = payment_link.start_payment(group=group, user=user, channel=channel, client_ip=client_ip)
        except DomainError as exc:
            # The order stands; the shopper pays from the order page (the answer carries pay_url).
            logger.warning("order group %s placed but its payment did not open: %s", group.number, exc)
    return SubmitResult(group=group, created=created, payment=payment)


def _constraint_of(exc: IntegrityError) -> str:
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    return getattr(diag, "constraint_name", "") or str(exc)


def _create_with_retries(*, user: Any, key: str, fingerprint: str, **request: Any) -> tuple[OrderGroup, bool]:
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return _create_group(user=user, key=key, fingerprint=fingerprint, **request), True
        except IntegrityError as exc:
            constraint = _constraint_of(exc)
            if "orders_group_idempotency" in constraint:
                # A concurrent submit with the same key committed first: answer with its group.
                existing = _existing(user, key, fingerprint)
                if existing is not None:
                    return existing, False
                raise
            if "number" in constraint and attempt + 1 < NUMBER_ATTEMPTS:
                continue  # two random order numbers collided within the same second: draw again
            raise
    raise AssertionError("unreachable")


def _create_group(
    *,
    user: Any,
    key: str,
    fingerprint: str,
    address_id: int,
    shipping_method: str,
    shipping_methods: Mapping[int, str],
    coupon_codes: tuple[str, ...],
    buyer_notes: dict[int, str],
    sku_ids: Sequence[int] | None,
    items: Sequence[CheckoutItem] | None,
) -> OrderGroup:
    from shopops.accounts import selectors as accounts_selectors
    from shopops.cart import selectors as cart_selectors
    from shopops.cart import services as cart_services

    address = accounts_selectors.get_address(user=user, address_id=address_id)
    from_cart = items is None
    if from_cart:
        items = cart_selectors.checkout_items(
            user=user, sku_ids=list(sku_ids) if sku_ids is not None else None
        )
    if not items:
        raise NothingToCheckout()
    pricing = price_checkout(
        user=user,
        items=items,
        shipping_method=shipping_method,
        shipping_methods=shipping_methods,
        address=address,
        coupon_codes=coupon_codes,
    )
    now = timezone.now()
    deadline = now + payment_timeout()
    # The group row is the first write: a concurrent submit with the same key waits on its unique
    # index here until this transaction ends, then finds this group (see _create_with_retries).
    group = OrderGroup.objects.create(
        number=time_sortable_number(GROUP_NUMBER_PREFIX, now),
        user=user,
        idempotency_key=key,
        request_fingerprint=fingerprint,
        items_total=pricing.items_total,
        discount_total=pricing.discount_total + pricing.shipping_discount_total,
        shipping_total=pricing.shipping_total,
        total=pricing.total,
        amount_due=pricing.total,
        pay_deadline=deadline,
        created_at=now,
    )
    orders = _create_orders(group, pricing, accounts_selectors.address_snapshot(address), buyer_notes, now)
    _reserve_stock(orders, pricing, expires_at=deadline + RESERVATION_GRACE)
    if from_cart:
        cart_services.remove_purchased(user=user, quantities={i.sku_id: i.quantity for i in items})
    if group.total == ZERO:
        _settle_free_group(group)
    return group


def _create_orders(
    group: OrderGroup, pricing: CheckoutPricing, address: dict[str, Any], notes: dict[int, str], now: datetime
) -> list[Order]:
    orders = [
        Order(
            number=time_sortable_number(now=now),
            group=group,
            shop_id=shop.shop_id,
            user_id=group.user_id,
            status=OrderStatus.PENDING_PAYMENT,
            items_total=shop.items_total,
            discount_total=shop.discount_total,
            shipping_fee=shop.shipping_fee,
            shipping_discount=shop.shipping_discount,
            total=shop.total,
            shipping_method=shop.shipping_method,
            pricing={
                "discounts": pricing.discounts_for_shop(shop.shop_id),
                "coupon_codes": list(pricing.coupon_codes),
                "priced_at": pricing.priced_at.isoformat(),
            },
            receiver_name=address["receiver_name"],
            receiver_phone=address["receiver_phone"],
            province=address["province"],
            city=address["city"],
            district=address["district"],
            street=address.get("street", ""),
            address_detail=address["detail"],
            region_code=address.get("region_code", ""),
            postcode=address.get("postcode", ""),
            buyer_note=notes.get(shop.shop_id, ""),
            created_at=now,
        )
        for shop in pricing.shops
    ]
    Order.objects.bulk_create(orders)
    by_shop = {order.shop_id: order for order in orders}
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=by_shop[line.shop_id],
                sku_id=line.sku_id,
                product_id=line.product_id,
                sku_code=line.sku_code,
                title=line.title[:120],
                sku_label=line.sku_label[:200],
                sku_attributes=line.sku_attributes,
                image_url=line.image_url[:300],
                unit_price=line.unit_price,
                quantity=line.quantity,
                subtotal=line.subtotal,
                discount=line.discount,
                paid_amount=line.paid_amount,
            )
            for line in pricing.lines
        ]
    )
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(
                order=order,
                action="submit",
                from_status="",
                to_status=OrderStatus.PENDING_PAYMENT,
                actor_id=group.user_id,
                actor_role=ActorRole.SHOPPER,
                created_at=now,
            )
            for order in orders
        ]
    )
    return orders


def _reserve_stock(orders: list[Order], pricing: CheckoutPricing, *, expires_at: datetime) -> None:
    from shopops.inventory import services as inventory
    from shopops.inventory.errors import InsufficientStock

    # One call for every shop order of the checkout: inventory batches the statements.
    wanted = [
        inventory.OrderLines(
            order_ref=order.number,
            shop_id=order.shop_id,
            lines=[
                inventory.SkuQuantity(line.sku_id, line.quantity)
                for line in pricing.shop(order.shop_id).lines
            ],
        )
        for order in orders
    ]
    try:
        inventory.reserve_orders(orders=wanted, expires_at=expires_at)
    except InsufficientStock as exc:
        sku_id = exc.details.get("sku_id")
        title = next((line.title for line in pricing.lines if line.sku_id == sku_id), "")
        raise OutOfStock(
            sku_id=sku_id,
            title=title,
            requested=exc.details.get("requested"),
            available=exc.details.get("available"),
        ) from exc


def _settle_free_group(group: OrderGroup) -> None:
    """A checkout fully paid by discounts owes nothing: its orders are paid at once."""
    for order in Order.objects.filter(group=group).order_by("id"):
        transition(order, Action.PAY, None, reason="0 元订单 / Nothing to pay")
    group.payment_status = GroupPaymentStatus.PAID
    group.paid_at = timezone.now()
    group.save(update_fields=["payment_status", "paid_at", "updated_at"])


def start_payment(*, group: OrderGroup, user: Any, channel: str, client_ip: str = "") -> Any:
    return payment_link.start_payment(group=group, user=user, channel=channel, client_ip=client_ip)


# ==========================================================================================================
# Shopper and merchant actions
# ==========================================================================================================


def _fresh(order: Order) -> Order:
    return Order.objects.select_related("group").get(pk=order.pk)


def cancel_order(*, order: Order, actor: Any, reason: str = "") -> Order:
    """Cancel before shipment. The open payment of an unpaid group is closed first, outside the
    order's transaction, so a payment that slipped in is recorded (and the cancel refused) rather
    than rolled back with it."""
    order = _fresh(order)
    if order.status == OrderStatus.PENDING_PAYMENT:
        payment_link.close_open_payments(order.group, reason="order_cancelled")
    return transition(order, Action.CANCEL, actor, reason or "买家取消 / Cancelled")


def confirm_receipt(*, order: Order, actor: Any) -> Order:
    return transition(_fresh(order), Action.CONFIRM, actor, "确认收货 / Receipt confirmed")


def ship_order(*, order: Order, actor: Any, carrier_name: str, waybill_no: str) -> Order:
    return transition(
        _fresh(order), Action.SHIP, actor, data={"carrier_name": carrier_name, "waybill_no": waybill_no}
    )


def mark_delivered(*, order: Order, actor: Any = None, reason: str = "") -> Order:
    return transition(_fresh(order), Action.DELIVER, actor, reason)


def mark_exception(*, order: Order, actor: Any, kind: str, note: str = "") -> Order:
    return transition(_fresh(order), Action.MARK_EXCEPTION, actor, note, data={"kind": kind})


def clear_exception(*, order: Order, actor: Any, note: str = "") -> Order:
    return transition(_fresh(order), Action.CLEAR_EXCEPTION, actor, note)


@transaction.atomic
def set_merchant_note(*, order: Order, actor: Any, note: str) -> Order:
    from shopops.core import audit

    locked = Order.objects.select_for_update().get(pk=order.pk)
    note = " ".join((note or "").split())[:255]
    before = locked.merchant_note
    locked.merchant_note = note
    locked.save(update_fields=["merchant_note", "updated_at"])
    audit.record(
        actor=actor,
        action="orders.merchant_note",
        obj=locked,
        shop_id=locked.shop_id,
        before={"merchant_note": before},
        after={"merchant_note": note},
    )
    return locked


@dataclass(frozen=True)
class ShipItem:
    number: str
    carrier_name: str
    waybill_no: str


@dataclass(frozen=True)
class BulkResult:
    number: str
    ok: bool
    code: str = ""
    message: str = ""
    status: str = ""


def _bulk(shop_id: int, numbers: Sequence[str], act: Any) -> list[BulkResult]:
    if len(numbers) > MAX_BULK:
        raise InvalidInput(code="too_many", fields={"items": [f"at most {MAX_BULK} orders at once"]})
    orders = {o.number: o for o in Order.objects.filter(shop_id=shop_id, number__in=list(numbers))}
    results = []
    for number in numbers:
        order = orders.get(number)
        if order is None:
            results.append(BulkResult(number, False, OrderNotFound.code, str(OrderNotFound.message)))
            continue
        try:
            updated = act(order)
        except DomainError as exc:
            results.append(BulkResult(number, False, exc.code, str(exc.message), order.status))
        else:
            results.append(BulkResult(number, True, status=updated.status))
    return results


def bulk_ship(*, shop_id: int, actor: Any, items: Sequence[ShipItem]) -> list[BulkResult]:
    by_number = {item.number: item for item in items}
    return _bulk(
        shop_id,
        list(by_number),
        lambda order: ship_order(
            order=order,
            actor=actor,
            carrier_name=by_number[order.number].carrier_name,
            waybill_no=by_number[order.number].waybill_no,
        ),
    )


def bulk_mark_exception(
    *, shop_id: int, actor: Any, numbers: Sequence[str], kind: str, note: str = ""
) -> list[BulkResult]:
    return _bulk(
        shop_id,
        list(dict.fromkeys(numbers)),
        lambda order: mark_exception(order=order, actor=actor, kind=kind, note=note),
    )


def request_refund(
    *,
    order: Order,
    amount: Decimal,
    actor: Any,
    reason: str,
    purpose: str,
    line_amounts: Mapping[int, Decimal] | None = None,
) -> OrderRefund | None:
    """Money back for part (or all) of a paid order, e.g. an approved after-sales request.

    Idempotent per (order, purpose). RefundExceedsPaid (422) when the order cannot give that much
    back. The order's status does not change; the timeline records the request and the result.
    """
    if not re.match(r"^[A-Za-z0-9_\-.]{1,60}$", purpose or ""):
        raise InvalidInput(code="invalid_purpose", fields={"purpose": ["1-60 letters, digits, - _ ."]})
    with transaction.atomic():
        locked = Order.objects.select_for_update().select_related("group").get(pk=order.pk)
        if locked.paid_at is None:
            from shopops.orders.errors import RefundExceedsPaid

            raise RefundExceedsPaid("订单未付款 / The order was not paid", order_no=locked.number)
        return payment_link.refund_order(
            order=locked,
            amount=amount,
            actor=actor,
            reason=reason,
            purpose=purpose,
            line_amounts=line_amounts,
        )


# ==========================================================================================================
# Timeouts (beat tasks)
# ==========================================================================================================


def close_unpaid_group(*, group: OrderGroup, only_if_due: bool = True, reason: str = "") -> OrderGroup:
    """Close the group's unpaid orders and release their stock. A group paid meanwhile is kept.

    The open payment is closed first and outside the orders' transaction: if the money came in the
    meantime, payments records the success (and signals it) and the group is left alone.
    """
    now = timezone.now()
    if group.payment_status != GroupPaymentStatus.UNPAID or (only_if_due and group.pay_deadline > now):
        return group
    try:
        payment_link.close_open_payments(group, reason="order_timeout")
        with transaction.atomic():
            locked = OrderGroup.objects.select_for_update().get(pk=group.pk)
            if locked.payment_status != GroupPaymentStatus.UNPAID:
                return locked
            if only_if_due and locked.pay_deadline > now:
                return locked
            for order in Order.objects.filter(group=locked, status=OrderStatus.PENDING_PAYMENT).order_by(
                "id"
            ):
                transition(order, Action.CLOSE, None, reason or "超时未付款，订单关闭 / Not paid in time")
    except PaymentArrivedMeanwhile:
        logger.info("group %s was paid while it was being closed; kept", group.number)
    group.refresh_from_db()
    return group


def close_expired_groups(
    *, now: datetime | None = None, batch_size: int = 200, budget_seconds: float = 50
) -> int:
    """Close every unpaid group past its deadline, each in its own transaction, batch after batch
    until none is left or the time budget (under the beat interval) is spent. Returns how many."""
    import time

    now = now or timezone.now()
    started = time.monotonic()
    closed, failed = 0, set()
    while time.monotonic() - started < budget_seconds:
        due = (
            OrderGroup.objects.filter(payment_status=GroupPaymentStatus.UNPAID, pay_deadline__lte=now)
            .exclude(pk__in=failed)
            .order_by("pay_deadline", "id")[:batch_size]
        )
        batch = list(due)
        for group in batch:
            try:
                result = close_unpaid_group(group=group)
            except Exception:
                logger.exception("could not close unpaid order group %s", group.number)
                failed.add(group.pk)
                continue
            if result.payment_status == GroupPaymentStatus.CLOSED:
                closed += 1
            else:
                failed.add(group.pk)  # paid meanwhile: not to be looked at again in this run
        if len(batch) < batch_size:
            break
    return closed


def auto_confirm_delivered(
    *, now: datetime | None = None, batch_size: int = 500, budget_seconds: float = 500
) -> int:
    """Confirm receipt for orders delivered long enough ago that the shopper did not (system actor),
    batch after batch within the time budget."""
    import time

    now = now or timezone.now()
    started = time.monotonic()
    confirmed, skipped = 0, set()
    while time.monotonic() - started < budget_seconds:
        due = (
            Order.objects.filter(status=OrderStatus.DELIVERED, auto_confirm_at__lte=now)
            .exclude(pk__in=skipped)
            .order_by("auto_confirm_at", "id")[:batch_size]
        )
        batch = list(due)
        for order in batch:
            try:
                transition(order, Action.CONFIRM, None, "超时自动确认收货 / Receipt confirmed automatically")
            except DomainError:
                skipped.add(order.pk)  # changed meanwhile (confirmed by the shopper): nothing to do
                continue
            except Exception:
                logger.exception("could not auto-confirm order %s", order.number)
                skipped.add(order.pk)
                continue
            confirmed += 1
        if len(batch) < batch_size:
            break
    return confirmed
