"""The order state machine: ONE transition table and ONE function, `transition()`, that changes state.

    transition(order, action, actor, reason="", *, data=None) -> Order

Everything that moves an order (the shopper's buttons, the merchant console and API, the admin,
payment signals, the beat tasks) calls `transition`. In one transaction it locks the order (and its
group first when money of the group moves), checks the table and who is acting, runs the action's
side effects (stock, payments), sets the new status and writes the OrderEvent for the timeline.

Who is acting: `actor=None` is the system (payment signals, timeouts, auto-confirmation); a user is
the shopper when they own the order, else the merchant when they hold `orders.manage` in the
order's shop (platform admins hold every shop permission). Anyone else is refused (403).

An action that the table does not list for the current state raises IllegalTransition (409,
code "illegal_transition") and changes nothing.

The exception flag (异常) is not a state: `mark_exception` / `clear_exception` set or clear it with
a kind (logistics, quality...) while the status stays, and are recorded on the timeline like the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shopops.core.errors import IllegalTransition
from shopops.core.money import ZERO
from shopops.orders.errors import NotYourAction, ShippingInfoRequired
from shopops.orders.models import (
    ActorRole,
    ExceptionKind,
    GroupPaymentStatus,
    Order,
    OrderEvent,
    OrderGroup,
    OrderStatus,
)

logger = logging.getLogger(__name__)

S = OrderStatus
SHOPPER, MERCHANT, SYSTEM = ActorRole.SHOPPER, ActorRole.MERCHANT, ActorRole.SYSTEM


class Action(StrEnum):
    PAY = "pay"
    CLOSE = "close"
    CANCEL = "cancel"
    SHIP = "ship"
    DELIVER = "deliver"
    CONFIRM = "confirm"
    MARK_EXCEPTION = "mark_exception"
    CLEAR_EXCEPTION = "clear_exception"


ACTION_LABELS: dict[str, str] = {
    "submit": "提交订单 / Order placed",
    Action.PAY: "付款成功 / Paid",
    Action.CLOSE: "订单关闭 / Closed",
    Action.CANCEL: "订单取消 / Cancelled",
    Action.SHIP: "商家发货 / Shipped",
    Action.DELIVER: "已送达 / Delivered",
    Action.CONFIRM: "确认收货 / Receipt confirmed",
    Action.MARK_EXCEPTION: "标记异常 / Exception flagged",
    Action.CLEAR_EXCEPTION: "解除异常 / Exception cleared",
    "refund_requested": "发起退款 / Refund requested",
    "refund_succeeded": "退款成功 / Refund succeeded",
    "refund_failed": "退款失败 / Refund failed",
    "late_payment_refunded": "关闭后到账，已原路退款 / Paid after close, refunded",
    "payment_mismatch_refunded": "支付金额不符，已原路退款 / Payment did not match, refunded",
}


@dataclass(frozen=True)
class Rule:
    to: str | None  # None: the status stays (flags)
    roles: frozenset[str]


def _rule(to: str | None, *roles: str) -> Rule:
    return Rule(to, frozenset(roles))


# The transition table: (current status, action) -> new status and who may do it.
TRANSITIONS: dict[tuple[str, str], Rule] = {
    (S.PENDING_PAYMENT, Action.PAY): _rule(S.PAID, SYSTEM),
    (S.PENDING_PAYMENT, Action.CLOSE): _rule(S.CLOSED, SYSTEM),
    (S.PENDING_PAYMENT, Action.CANCEL): _rule(S.CANCELLED, SHOPPER, MERCHANT, SYSTEM),
    # After payment only the merchant cancels (with a full refund); a shopper asks through after-sales.
    (S.PAID, Action.CANCEL): _rule(S.CANCELLED, MERCHANT, SYSTEM),
    (S.PAID, Action.SHIP): _rule(S.SHIPPED, MERCHANT),
    (S.SHIPPED, Action.DELIVER): _rule(S.DELIVERED, MERCHANT, SYSTEM),
    # A shopper may confirm as soon as the parcel is in hand, even before the carrier reports delivery.
    (S.SHIPPED, Action.CONFIRM): _rule(S.COMPLETED, SHOPPER),
    (S.DELIVERED, Action.CONFIRM): _rule(S.COMPLETED, SHOPPER, SYSTEM),
}
for _status in (S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED):
    TRANSITIONS[(_status, Action.MARK_EXCEPTION)] = _rule(None, MERCHANT, SYSTEM)
    TRANSITIONS[(_status, Action.CLEAR_EXCEPTION)] = _rule(None, MERCHANT, SYSTEM)

# Actions that move the group's money: they lock the group row before the order row.
GROUP_ACTIONS = {Action.PAY, Action.CLOSE, Action.CANCEL}


def allowed_actions(status: str, role: str | None = None) -> list[str]:
    """Actions the table allows from `status` (for `role` when given), in table order."""
    return [
        action
        for (state, action), rule in TRANSITIONS.items()
        if state == status and (role is None or role in rule.roles)
    ]


def auto_confirm_days() -> int:
    return int(getattr(settings, "ORDER_AUTO_CONFIRM_DAYS", 10))


# --- the one function ----------------------------------------------------------------------------------


def transition(order: Order, action: str, actor: Any, reason: str = "", *, data: dict | None = None) -> Order:
    """Apply `action` to `order` as `actor` (None: the system). Returns the updated order.

    Raises IllegalTransition (409) when the table has no such move from the current status,
    NotYourAction (403) when the actor may not do it, and the side effects' own errors (e.g.
    inventory InsufficientStock, payments RefundExceedsPaid), in which case nothing changes.
    """
    data = dict(data or {})
    reason = (reason or "").strip()[:255]
    with transaction.atomic():
        locked = _lock(order, action)
        rule = _rule_for(locked, action)
        role = _role_of(actor, locked, rule)
        before = locked.status
        columns = _column_values(locked)
        event_data = EFFECTS[action](locked, actor=actor, role=role, reason=reason, data=data)
        if rule.to is not None:
            locked.status = rule.to
        # Write only what the action changed: no rewrite (and re-encryption) of the address snapshot.
        changed = [name for name, value in _column_values(locked).items() if columns[name] != value]
        locked.save(update_fields=[*changed, "updated_at"])
        OrderEvent.objects.create(
            order=locked,
            action=action,
            from_status=before,
            to_status=locked.status,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_role=role,
            reason=reason,
            data=event_data or {},
        )
    order.__dict__.update(locked.__dict__)
    return locked


def pay_orders(
    group: OrderGroup, orders: list[Order], *, payment_no: str, already_locked: bool = False
) -> list[Order]:
    """Action.PAY for the pending orders of a group whose payment arrived: the batched form of
    `transition` for the hottest path (one payment pays a checkout's shop orders together).

    The same table, actor (the system), side effects and timeline as calling `transition` per order,
    with one statement per kind of write instead of one per order. The caller holds the group's row
    lock (`payment_link.record_payment`); the orders are locked here in id order (unless the caller
    read them with select_for_update in this transaction: `already_locked`). Any error (an illegal
    move, a released reservation) raises with nothing of the batch applied, provided the caller runs
    it in its own savepoint (`transaction.atomic()`) as record_payment does; it may then fall back to
    `transition` order by order. (No savepoint of its own: the caller's is the one that matters.)
    """
    from shopops.inventory import services as inventory

    with transaction.atomic(savepoint=False):
        if already_locked:
            locked = sorted((o for o in orders if o.group_id == group.pk), key=lambda o: o.pk)
        else:
            ids = [o.pk for o in orders]
            locked = list(Order.objects.select_for_update().filter(pk__in=ids, group=group).order_by("pk"))
        for order in locked:
            _role_of(None, order, _rule_for(order, Action.PAY))
        inventory.commit_orders(order_refs=[order.number for order in locked], actor=None)
        now = timezone.now()
        Order.objects.filter(pk__in=[order.pk for order in locked]).update(
            status=S.PAID, paid_at=now, updated_at=now
        )
        OrderEvent.objects.bulk_create(
            [
                OrderEvent(
                    order=order,
                    action=Action.PAY,
                    from_status=order.status,
                    to_status=S.PAID,
                    actor_role=SYSTEM,
                    data={"payment_no": payment_no},
                    created_at=now,
                )
                for order in locked
            ]
        )
        for order in locked:
            order.status, order.paid_at, order.updated_at = S.PAID, now, now
        _record_sales_on_commit(locked, sign=1)
    return locked


def record_event(
    order: Order, action: str, actor: Any, *, role: str, reason: str = "", data: dict | None = None
):
    """A timeline entry that is not a state change (refund results, late payments)."""
    return OrderEvent.objects.create(
        order=order,
        action=action,
        from_status=order.status,
        to_status=order.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_role=role,
        reason=(reason or "")[:255],
        data=data or {},
    )


def _rule_for(order: Order, action: str) -> Rule:
    """The table's rule for `action` from the order's status; IllegalTransition (409) when none."""
    rule = TRANSITIONS.get((order.status, action))
    if rule is None:
        raise IllegalTransition(
            order_no=order.number, status=order.status, action=action, allowed=allowed_actions(order.status)
        )
    return rule


def _column_values(order: Order) -> dict[str, Any]:
    return {field.attname: getattr(order, field.attname) for field in Order._meta.concrete_fields}


def _lock(order: Order, action: str) -> Order:
    if action in GROUP_ACTIONS:
        # Lock order across the app: group row, then order rows (see services module doc).
        OrderGroup.objects.select_for_update().filter(pk=order.group_id).values_list("pk", flat=True).get()
    return Order.objects.select_for_update().select_related("group").get(pk=order.pk)


def _role_of(actor: Any, order: Order, rule: Rule) -> str:
    if actor is None:
        if SYSTEM in rule.roles:
            return SYSTEM
        raise NotYourAction(order_no=order.number)
    is_buyer = actor.pk == order.user_id
    if is_buyer and SHOPPER in rule.roles:
        return SHOPPER
    from shopops.shops.selectors import has_shop_perm

    if MERCHANT in rule.roles and has_shop_perm(actor, order.shop_id, "orders.manage"):
        return MERCHANT
    raise NotYourAction(order_no=order.number, allowed_roles=sorted(rule.roles))


# --- side effects, one per action (run inside transition's transaction) --------------------------------

Effect = Callable[..., dict | None]


def _pay(order: Order, *, actor: Any, role: str, reason: str, data: dict) -> dict:
    from shopops.inventory import services as inventory

    inventory.commit_order(order_ref=order.number, actor=None)
    order.paid_at = timezone.now()
    _record_sales_on_commit(order, sign=1)
    return {"payment_no": data.get("payment_no", "")}


def _close(order: Order, *, actor: Any, role: str, reason: str, data: dict) -> dict:
    from shopops.inventory import services as inventory
    from shopops.inventory.models import ReleaseReason
    from shopops.orders import payment_link

    # The shopper must not be able to pay for an order that no longer exists (idempotent).
    payment_link.close_open_payments(order.group, reason="order_closed")
    inventory.release_order(order_ref=order.number, reason=ReleaseReason.EXPIRED)
    order.closed_at = timezone.now()
    _leave_unpaid_group(order)
    return {}


def _cancel(order: Order, *, actor: Any, role: str, reason: str, data: dict) -> dict:
    from shopops.inventory import services as inventory
    from shopops.inventory.models import ReleaseReason
    from shopops.orders import payment_link

    order.cancelled_at = timezone.now()
    if order.status == S.PENDING_PAYMENT:
        # The group's open payment was for the old amount: close it (AlreadyPaid aborts the cancel,
        # the payment signal then marks the order paid). The shopper pays the rest anew.
        payment_link.close_open_payments(order.group, reason="order_cancelled")
        inventory.release_order(order_ref=order.number, reason=ReleaseReason.CANCELLED)
        _leave_unpaid_group(order)
        return {}
    # Paid, not shipped: give all the money back and put the sold units back on the shelf.
    refund = payment_link.refund_order(
        order=order,
        amount=None,  # everything the order can still give back
        actor=actor,
        reason=reason or "订单取消，全额退款 / Order cancelled, full refund",
        purpose="cancel",
    )
    for line in order.lines.all():
        if line.sku_id:
            inventory.return_stock(
                sku_id=line.sku_id,
                quantity=line.quantity,
                reference=order.number,
                actor=actor if role != SYSTEM else None,
                note="订单取消回库 / Order cancelled before shipment",
            )
    _record_sales_on_commit(order, sign=-1)
    return {
        "refund_no": refund.refund_no if refund else "",
        "refund_amount": str(refund.amount if refund else 0),
    }


def _ship(order: Order, *, actor: Any, role: str, reason: str, data: dict) -> dict:
    carrier = str(data.get("carrier_name") or "").strip()[:40]
    waybill = str(data.get("waybill_no") or "").strip()[:40]
    if not carrier or not waybill:
        raise ShippingInfoRequired(order_no=order.number)
    order.carrier_name, order.waybill_no, order.shipped_at = carrier, waybill, timezone.now()
    _announce_shipped(order, carrier, waybill)
    return {"carrier_name": carrier, "waybill_no": waybill}


def _announce_shipped(order: Order, carrier: str, waybill: str) -> None:
    """orders.signals.order_shipped once the shipment has committed (never for a rolled-back one);
    a failing receiver is logged, never turned into a failed shipment."""
    from shopops.orders.signals import order_shipped

    transaction.on_commit(
        lambda: order_shipped.send_robust(Order, order=order, carrier_name=carrier, waybill_no=waybill),
        robust=True,
    )


def _deliver(order: Order, *, actor: Any, role: str, reason: str, data: dict) -> dict:
    now = timezone.now()
    order.delivered_at = now
    order.auto_confirm_at = now + timedelta(days=auto_confirm_days())
    return {"auto_confirm_at": order.auto_confirm_at.isoformat()}


def _confirm(order: Order, *, actor: Any, role: str, reason: str, data: dict) -> dict:
    order.completed_at = timezone.now()
    order.auto_confirm_at = None
    return {"auto": role == SYSTEM}


def _mark_exception(order: Order, *, actor: Any, role: str, reason: str, data: dict) -> dict:
    kind = str(data.get("kind") or "")
    if kind not in ExceptionKind.values:
        from shopops.core.errors import InvalidInput

        raise InvalidInput(
            "异常类型无效 / Unknown exception kind",
            code="invalid_exception_kind",
            allowed=list(ExceptionKind.values),
        )
    order.has_exception, order.exception_kind, order.exception_note = True, kind, reason
    return {"kind": kind}


def _clear_exception(order: Order, *, actor: Any, role: str, reason: str, data: dict) -> dict:
    if not order.has_exception:
        raise IllegalTransition(
            "订单没有异常标记 / The order is not flagged",
            order_no=order.number,
            action=Action.CLEAR_EXCEPTION,
        )
    previous = order.exception_kind
    order.has_exception, order.exception_kind, order.exception_note = False, "", ""
    return {"kind": previous}


EFFECTS: dict[str, Effect] = {
    Action.PAY: _pay,
    Action.CLOSE: _close,
    Action.CANCEL: _cancel,
    Action.SHIP: _ship,
    Action.DELIVER: _deliver,
    Action.CONFIRM: _confirm,
    Action.MARK_EXCEPTION: _mark_exception,
    Action.CLEAR_EXCEPTION: _clear_exception,
}
assert {action for _, action in TRANSITIONS} <= set(EFFECTS), "every action in the table needs an effect"


# --- helpers ---------------------------------------------------------------------------------------------


def _leave_unpaid_group(order: Order) -> None:
    """An unpaid order left its group (cancelled or closed): the group owes less, or is over."""
    group = order.group
    group.amount_due = max(group.amount_due - order.total, ZERO)
    still_pending = Order.objects.filter(group=group, status=S.PENDING_PAYMENT).exclude(pk=order.pk).exists()
    if not still_pending and group.payment_status == GroupPaymentStatus.UNPAID:
        group.payment_status = GroupPaymentStatus.CLOSED
        group.closed_at = timezone.now()
        group.amount_due = ZERO
    group.save(update_fields=["amount_due", "payment_status", "closed_at", "updated_at"])


def _record_sales_on_commit(orders: Order | list[Order], *, sign: int) -> None:
    """Sales counts are display figures: updated after commit, off the order's critical path."""
    from shopops.orders.models import OrderLine

    orders = orders if isinstance(orders, list) else [orders]
    per_product: dict[int, int] = {}
    lines = OrderLine.objects.filter(order_id__in=[o.pk for o in orders]).values_list(
        "product_id", "quantity"
    )
    for product_id, quantity in lines:
        if product_id:
            per_product[product_id] = per_product.get(product_id, 0) + sign * quantity
    if not per_product:
        return
    numbers = ", ".join(o.number for o in orders)

    def send() -> None:
        from shopops.orders.tasks import record_sales

        try:
            record_sales.delay(per_product)
        except Exception:  # a broker outage must not fail an order that has committed
            logger.exception("could not queue sales counts for orders %s", numbers)

    transaction.on_commit(send)
