"""Small view helpers shared by the storefront, console and API: labels, steps and the actions a
given viewer can take on an order (derived from the transition table, never hard-coded per page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shopops.orders.models import ActorRole, ExceptionKind, Order, OrderEvent, OrderStatus
from shopops.orders.state import ACTION_LABELS, Action, allowed_actions

STEP_FLOW = [
    (OrderStatus.PENDING_PAYMENT, _("已下单")),
    (OrderStatus.PAID, _("付款成功")),
    (OrderStatus.SHIPPED, _("商家发货")),
    (OrderStatus.DELIVERED, _("送达")),
    (OrderStatus.COMPLETED, _("交易完成")),
]
_RANK = {status: index for index, (status, _) in enumerate(STEP_FLOW)}


@dataclass(frozen=True)
class Step:
    label: Any
    done: bool
    current: bool


def order_steps(order: Order) -> list[Step]:
    """The progress bar: where the order is on the happy path (cancelled/closed stop where they were)."""
    if order.status in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
        reached = _RANK[OrderStatus.PAID] if order.paid_at else _RANK[OrderStatus.PENDING_PAYMENT]
    else:
        reached = _RANK[order.status]
    return [Step(label, index <= reached, index == reached) for index, (_, label) in enumerate(STEP_FLOW)]


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    label: str
    actor: str
    reason: str
    data: dict


_ROLE_LABELS = {ActorRole.SHOPPER: _("买家"), ActorRole.MERCHANT: _("商家"), ActorRole.SYSTEM: _("系统")}


def timeline_entries(events: list[OrderEvent], *, show_actor_names: bool = False) -> list[TimelineEntry]:
    entries = []
    for event in events:
        actor = str(_ROLE_LABELS.get(event.actor_role, event.actor_role))
        if show_actor_names and event.actor is not None:
            actor = f"{actor} · {event.actor.label}"
        label = ACTION_LABELS.get(event.action, event.action)
        if event.action == Action.MARK_EXCEPTION:
            kind = dict(ExceptionKind.choices).get((event.data or {}).get("kind", ""), "")
            label = f"{label} · {kind}" if kind else label
        entries.append(TimelineEntry(event.created_at, label, actor, event.reason, event.data or {}))
    return entries


def shopper_actions(order: Order) -> list[str]:
    """Buttons for the order's buyer: the table's shopper actions, plus paying while unpaid."""
    actions = [a for a in allowed_actions(order.status, ActorRole.SHOPPER) if a != Action.PAY]
    if order.status == OrderStatus.PENDING_PAYMENT and order.group.pay_deadline > timezone.now():
        actions.insert(0, "pay")
    return actions


def merchant_actions(order: Order) -> list[str]:
    actions = allowed_actions(order.status, ActorRole.MERCHANT)
    if order.has_exception:
        actions = [a for a in actions if a != Action.MARK_EXCEPTION]
    else:
        actions = [a for a in actions if a != Action.CLEAR_EXCEPTION]
    return actions
