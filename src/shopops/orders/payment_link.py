"""Where orders meet payments: starting and closing the group's payment, refunds, and the reactions
to the payments app's signals.

Payments knows nothing about orders; orders calls `payments.services` and listens to
`payments.signals` (connected in OrdersConfig.ready):

    payment_succeeded              -> record_payment(): the group's pending orders become paid
                                      (idempotent; stock reservations are committed)
    payment_closed                 -> the group is closed if its payment deadline has passed
    payment_succeeded_after_close  -> the money is refunded in full (policy: a closed order is never
                                      reopened, its stock was released), noted on the timeline
    refund_succeeded / _failed     -> the OrderRefund and the order's refunded figures follow

Refund idempotency keys are "order:<order number>:<purpose>", so a repeated cancel or a retried
after-sales refund never pays twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from shopops.core.money import ZERO, to_money
from shopops.orders.errors import NotPayable, OrderGroupNotFound, PaymentArrivedMeanwhile, RefundExceedsPaid
from shopops.orders.models import (
    GroupPaymentStatus,
    Order,
    OrderGroup,
    OrderLine,
    OrderRefund,
    OrderRefundStatus,
    OrderStatus,
)

logger = logging.getLogger(__name__)


# --- starting and closing the group's payment ---------------------------------------------------------


def group_subject(group: OrderGroup) -> str:
    return f"ShopOps 订单 {group.number}"


def group_return_url(group: OrderGroup) -> str:
    return reverse("orders:pay_result", args=[group.number])


def start_payment(
    *, group: OrderGroup, user: Any, channel: str, client_ip: str = "", return_url: str = ""
) -> Any:
    """Open (or reuse) the payment for what the group still owes. Returns payments' CreatedPayment.

    Holds the group's row lock while the payment is opened, so a concurrent cancel (which changes
    the amount owed and closes the open payment) cannot interleave with it.
    """
    from shopops.payments import services as payments

    with transaction.atomic():
        locked = OrderGroup.objects.select_for_update().get(pk=group.pk)
        if locked.user_id != getattr(user, "pk", None):
            raise OrderGroupNotFound(number=group.number)
        if locked.payment_status != GroupPaymentStatus.UNPAID or locked.amount_due <= ZERO:
            raise NotPayable(number=locked.number, payment_status=locked.payment_status)
        if locked.pay_deadline <= timezone.now():
            raise NotPayable(
                "已超过付款时限，订单即将关闭 / The payment deadline has passed", number=locked.number
            )
        return payments.create_payment(
            payer=user,
            amount=locked.amount_due,
            reference=locked.number,
            subject=group_subject(locked),
            channel=channel,
            return_url=return_url or group_return_url(locked),
            expires_at=locked.pay_deadline,
            client_ip=client_ip,
        )


def open_payments(group: OrderGroup) -> list[Any]:
    from shopops.payments import selectors as payment_selectors
    from shopops.payments.models import OPEN_PAYMENT_STATUSES

    return list(
        payment_selectors.payments_for_reference(group.number).filter(status__in=OPEN_PAYMENT_STATUSES)
    )


def close_open_payments(group: OrderGroup, *, reason: str) -> None:
    """Close every payment that could still take money for the group. Idempotent.

    Raises PaymentArrivedMeanwhile when one turns out to be paid: the caller's change must not happen
    (the payment_succeeded signal is on its way and will mark the orders paid).
    """
    from shopops.payments import services as payments
    from shopops.payments.errors import AlreadyPaid

    for payment in open_payments(group):
        try:
            payments.close_payment(payment=payment, reason=reason)
        except AlreadyPaid as exc:
            raise PaymentArrivedMeanwhile(number=group.number) from exc


# --- refunds ---------------------------------------------------------------------------------------------


def _held_by_refunds(order: Order) -> tuple[Decimal, dict[int, Decimal]]:
    """Money of the order already given back or on its way, in total and per line."""
    total, per_line = ZERO, {}
    for refund in OrderRefund.objects.filter(order=order).exclude(status=OrderRefundStatus.FAILED):
        total += refund.amount
        for line_id, amount in (refund.line_amounts or {}).items():
            per_line[int(line_id)] = per_line.get(int(line_id), ZERO) + to_money(amount)
    return total, per_line


def refund_order(
    *,
    order: Order,
    amount: Decimal | None,
    actor: Any,
    reason: str,
    purpose: str,
    line_amounts: Mapping[int, Decimal] | None = None,
) -> OrderRefund | None:
    """Give `amount` of a paid order back through payments. Call inside a transaction holding the
    order's row lock (transition does; services.request_refund locks it).

    `purpose` names the refund ("cancel", "aftersales-<id>"...): with the order number it forms the
    idempotency key, so repeating a refund returns the first one. `amount` None means everything the
    order can still give back. `line_amounts` says which lines the
    money is for; by default it is spread over what each line still has. Raises RefundExceedsPaid
    (more than the order can still give back) and payments' errors.
    """
    from shopops.core.money import allocate
    from shopops.orders.state import record_event
    from shopops.payments import selectors as payment_selectors
    from shopops.payments import services as payments

    key = f"order:{order.number}:{purpose}"[:100]
    existing = OrderRefund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    held, held_per_line = _held_by_refunds(order)
    amount = order.total - held if amount is None else to_money(amount)
    if amount <= ZERO:
        return None
    if amount > order.total - held:
        raise RefundExceedsPaid(
            order_no=order.number, requested=amount, refundable=order.total - held, paid=order.total
        )
    lines = list(OrderLine.objects.filter(order=order).order_by("id"))
    room = {line.id: line.paid_amount - held_per_line.get(line.id, ZERO) for line in lines}
    if line_amounts is None:
        goods_part = min(amount, sum(room.values(), ZERO))
        weights = [room[line.id] for line in lines]
        parts = allocate(goods_part, weights) if goods_part > ZERO and sum(weights) > 0 else []
        split = {line.id: part for line, part in zip(lines, parts, strict=False) if part > ZERO}
    else:
        split = {int(k): to_money(v) for k, v in line_amounts.items() if to_money(v) > ZERO}
        unknown = [line_id for line_id in split if line_id not in room]
        over = [line_id for line_id, part in split.items() if line_id in room and part > room[line_id]]
        if unknown or over or sum(split.values(), ZERO) > amount:
            raise RefundExceedsPaid(
                "退款超过商品实付金额 / A line refund is more than the line paid",
                order_no=order.number,
                lines=sorted(unknown + over),
            )
    payment = payment_selectors.paid_payment_for_reference(order.group.number)
    if payment is None:
        raise RefundExceedsPaid(
            "订单没有可退的付款 / The order has no payment to refund", order_no=order.number
        )
    refund = payments.refund(
        payment=payment, amount=amount, reason=reason, idempotency_key=key, requested_by=actor
    )
    order_refund = OrderRefund.objects.create(
        order=order,
        refund_no=refund.refund_no,
        idempotency_key=key,
        amount=amount,
        line_amounts={str(k): str(v) for k, v in split.items()},
        reason=reason[:255],
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record_event(
        order,
        "refund_requested",
        actor,
        role="system" if actor is None else "merchant",
        reason=reason,
        data={"refund_no": refund.refund_no, "amount": str(amount)},
    )
    return order_refund


# --- reactions to payments' signals ---------------------------------------------------------------------


def _group_for(reference: str, *, lock: bool) -> OrderGroup | None:
    qs = OrderGroup.objects.filter(number=reference)
    return (qs.select_for_update() if lock else qs).first()


def record_payment(*, payment: Any) -> OrderGroup | None:
    """Money arrived for a group: its pending orders become paid. Safe to call any number of times."""
    from shopops.inventory.errors import ReservationReleased
    from shopops.orders.state import Action, pay_orders, transition

    with transaction.atomic():
        group = _group_for(payment.reference, lock=True)
        if group is None:
            return None  # not an order group (another app's reference)
        if group.payment_status == GroupPaymentStatus.PAID and group.payment_no == payment.payment_no:
            return group  # duplicate signal or reconciliation: already applied
        # Locked now (group row first, then its orders in id order: the app's lock order), so the
        # batched PAY below works on these rows as read.
        pending = list(
            Order.objects.select_for_update()
            .filter(group=group, status=OrderStatus.PENDING_PAYMENT)
            .order_by("id")
        )
        due = sum((o.total for o in pending), ZERO)
        if group.payment_status != GroupPaymentStatus.UNPAID or not pending or payment.amount != due:
            # Paid twice, paid for a closed group (staff accepted a late payment) or for an amount the
            # group no longer owes: never keep money that buys nothing. Give it all back.
            _refund_unmatched(group, payment, due)
            return group
        try:
            with transaction.atomic():  # a savepoint: a refused batch leaves nothing behind
                pay_orders(group, pending, payment_no=payment.payment_no, already_locked=True)
        except ReservationReleased:
            # Some stock was let go (the safety sweep ran before the money came). Order by order:
            # those that can be filled are paid, the others closed with their part refunded.
            for order in pending:
                try:
                    with transaction.atomic():
                        transition(order, Action.PAY, None, data={"payment_no": payment.payment_no})
                except ReservationReleased:
                    order.refresh_from_db()
                    _close_unfillable(order, payment)
        group.payment_status = GroupPaymentStatus.PAID
        group.paid_amount = payment.amount
        group.paid_at = getattr(payment, "paid_at", None) or timezone.now()
        group.payment_no = payment.payment_no
        group.amount_due = ZERO
        group.closed_at = None
        group.save(
            update_fields=[
                "payment_status",
                "paid_amount",
                "paid_at",
                "payment_no",
                "amount_due",
                "closed_at",
                "updated_at",
            ]
        )
    return group


def _close_unfillable(order: Order, payment: Any) -> None:
    """Paid, but the reservation was already released: close the order and refund its total."""
    from shopops.orders.state import Action, transition

    # A normal close (its group bookkeeping is overwritten by record_payment, which marks the group
    # paid right after), then the order's money goes back.
    transition(order, Action.CLOSE, None, reason="库存已释放，自动退款 / Stock was released; refunded")
    from shopops.payments import services as payments

    refund = payments.refund(
        payment=payment,
        amount=order.total,
        reason="订单无法履约，原路退回 / Order could not be filled, refunded",
        idempotency_key=f"order:{order.number}:unfillable",
    )
    OrderRefund.objects.get_or_create(
        idempotency_key=f"order:{order.number}:unfillable",
        defaults={
            "order": order,
            "refund_no": refund.refund_no,
            "amount": order.total,
            "reason": "unfillable",
        },
    )


def _refund_unmatched(group: OrderGroup, payment: Any, due: Decimal) -> None:
    from shopops.orders.state import record_event
    from shopops.payments import services as payments

    logger.error(
        "payment %s for group %s does not match (group %s, due %s, paid %s): refunding it",
        payment.payment_no,
        group.number,
        group.payment_status,
        due,
        payment.amount,
    )
    payments.refund(
        payment=payment,
        amount=payment.amount,
        reason="支付与订单不符，原路退回 / Payment does not match the order, refunded",
        idempotency_key=f"unmatched:{payment.payment_no}",
    )
    for order in Order.objects.filter(group=group):
        record_event(
            order, "payment_mismatch_refunded", None, role="system", data={"payment_no": payment.payment_no}
        )


def on_payment_succeeded(sender: Any, payment: Any, **kwargs: Any) -> None:
    record_payment(payment=payment)


def on_payment_closed(sender: Any, payment: Any, **kwargs: Any) -> None:
    """A payment closed (timeout at payments, or superseded by a new one): close the group if it is due."""
    from shopops.orders import services

    group = _group_for(payment.reference, lock=False)
    if group is not None and group.payment_status == GroupPaymentStatus.UNPAID:
        services.close_unpaid_group(group=group, only_if_due=True)


def on_payment_succeeded_after_close(sender: Any, payment: Any, **kwargs: Any) -> None:
    """Money for a group already closed: refund it in full (the policy: closed orders stay closed)."""
    from shopops.orders.state import record_event
    from shopops.payments import services as payments
    from shopops.payments.errors import NothingToResolve

    group = _group_for(payment.reference, lock=False)
    if group is None:
        return
    with transaction.atomic():
        try:
            payments.resolve_late_payment(
                payment=payment,
                action="refund",
                reason="订单已关闭，原路退回 / The order was closed; refunded",
            )
        except NothingToResolve:
            return  # already resolved (a duplicate signal, or staff acted first)
        for order in Order.objects.filter(group=group).order_by("id"):
            record_event(
                order, "late_payment_refunded", None, role="system", data={"payment_no": payment.payment_no}
            )


def _apply_refund_result(refund: Any, *, succeeded: bool) -> None:
    from shopops.orders.state import record_event

    with transaction.atomic():
        order_refund = OrderRefund.objects.select_for_update().filter(refund_no=refund.refund_no).first()
        if order_refund is None or order_refund.status != OrderRefundStatus.PROCESSING:
            return  # not an order refund, or already applied
        order = Order.objects.select_for_update().get(pk=order_refund.order_id)
        order_refund.status = OrderRefundStatus.SUCCEEDED if succeeded else OrderRefundStatus.FAILED
        order_refund.finished_at = timezone.now()
        order_refund.save(update_fields=["status", "finished_at"])
        if succeeded:
            Order.objects.filter(pk=order.pk).update(
                refunded_amount=F("refunded_amount") + order_refund.amount
            )
            for line_id, amount in (order_refund.line_amounts or {}).items():
                OrderLine.objects.filter(pk=int(line_id), order=order).update(
                    refunded_amount=F("refunded_amount") + to_money(amount)
                )
        order.refresh_from_db()
        record_event(
            order,
            "refund_succeeded" if succeeded else "refund_failed",
            None,
            role="system",
            data={"refund_no": refund.refund_no, "amount": str(order_refund.amount)},
        )


def on_refund_succeeded(sender: Any, refund: Any, **kwargs: Any) -> None:
    _apply_refund_result(refund, succeeded=True)


def on_refund_failed(sender: Any, refund: Any, **kwargs: Any) -> None:
    _apply_refund_result(refund, succeeded=False)


def connect_signals() -> None:
    from shopops.payments import signals

    signals.payment_succeeded.connect(on_payment_succeeded, dispatch_uid="orders.payment_succeeded")
    signals.payment_closed.connect(on_payment_closed, dispatch_uid="orders.payment_closed")
    signals.payment_succeeded_after_close.connect(
        on_payment_succeeded_after_close, dispatch_uid="orders.payment_succeeded_after_close"
    )
    signals.refund_succeeded.connect(on_refund_succeeded, dispatch_uid="orders.refund_succeeded")
    signals.refund_failed.connect(on_refund_failed, dispatch_uid="orders.refund_failed")


# --- the payable resolver (POST /api/v1/payments with reference "PG...") --------------------------------


def resolve_order_group(*, reference: str, user: Any) -> Any:
    from shopops.payments.errors import PayableNotFound
    from shopops.payments.hooks import Payable

    group = OrderGroup.objects.filter(
        number=reference, user_id=getattr(user, "pk", None), payment_status=GroupPaymentStatus.UNPAID
    ).first()
    if group is None or group.amount_due <= ZERO or group.pay_deadline <= timezone.now():
        raise PayableNotFound(reference=reference)
    return Payable(
        amount=group.amount_due,
        subject=group_subject(group),
        expires_at=group.pay_deadline,
        return_url=group_return_url(group),
    )
