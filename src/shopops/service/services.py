"""Every write of the customer-service app.

    open_ticket(*, user, kind, subject, body, shop_id=None, order_no=None, attachment=None) -> Ticket
        About one of the shopper's own orders (someone else's: 404) or, with no order, a trading shop.
    post_message(*, ticket, author, body, attachment=None) -> TicketMessage
        The shopper (ticket waits for the shop again, SLA restarts) or staff holding service.manage
        (the clock stops: pending_customer). Not on a closed ticket (409).
    assign(*, ticket, actor, assignee_id) / set_priority(*, ticket, actor, priority)
    resolve(*, ticket, actor, note="") / close(*, ticket, actor, note="")
    mark_overdue(*, now=None) -> int          beat task: flags open tickets past their SLA
    close_resolved(*, now=None) -> int        beat task: resolved tickets nobody reopened

Status changes go through `_move`, which holds the one transition table; an illegal move is 409.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shopops.core import audit
from shopops.core.errors import IllegalTransition, InvalidInput
from shopops.core.ids import time_sortable_number
from shopops.core.images import clean_image
from shopops.core.text import plain_text
from shopops.service import selectors, sla
from shopops.service.errors import (
    InvalidAssignee,
    NotYourTicket,
    ShopRequired,
    TicketClosed,
    TooManyOpenTickets,
)
from shopops.service.models import (
    NUMBER_PREFIX,
    AuthorRole,
    Ticket,
    TicketKind,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)

MANAGE_PERMISSION = "service.manage"
MAX_SUBJECT = 120
MAX_BODY = 2000
S = TicketStatus
SHOPPER, STAFF, SYSTEM = AuthorRole.SHOPPER, AuthorRole.STAFF, AuthorRole.SYSTEM


def max_open_tickets() -> int:
    return int(getattr(settings, "SERVICE_MAX_OPEN_TICKETS", 20))


def auto_close_days() -> int:
    return int(getattr(settings, "SERVICE_AUTO_CLOSE_DAYS", 7))


# The transition table: (status, event) -> new status and who may cause it.
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (S.OPEN, "shopper_message"): (S.OPEN, frozenset({SHOPPER})),
    (S.PENDING_CUSTOMER, "shopper_message"): (S.OPEN, frozenset({SHOPPER})),
    (S.RESOLVED, "shopper_message"): (S.OPEN, frozenset({SHOPPER})),  # reopens
    (S.OPEN, "staff_message"): (S.PENDING_CUSTOMER, frozenset({STAFF})),
    (S.PENDING_CUSTOMER, "staff_message"): (S.PENDING_CUSTOMER, frozenset({STAFF})),
    (S.RESOLVED, "staff_message"): (S.RESOLVED, frozenset({STAFF})),
    (S.OPEN, "resolve"): (S.RESOLVED, frozenset({STAFF})),
    (S.PENDING_CUSTOMER, "resolve"): (S.RESOLVED, frozenset({STAFF})),
    (S.OPEN, "close"): (S.CLOSED, frozenset({SHOPPER, STAFF})),
    (S.PENDING_CUSTOMER, "close"): (S.CLOSED, frozenset({SHOPPER, STAFF})),
    (S.RESOLVED, "close"): (S.CLOSED, frozenset({SHOPPER, STAFF, SYSTEM})),
}


def role_of(actor: Any, ticket: Ticket) -> str:
    """The shopper who opened it, staff of its shop holding service.manage, or the system (None)."""
    if actor is None:
        return SYSTEM
    if actor.pk == ticket.user_id:
        return SHOPPER
    from shopops.shops.selectors import has_shop_perm

    if has_shop_perm(actor, ticket.shop_id, MANAGE_PERMISSION):
        return STAFF
    raise NotYourTicket(number=ticket.number)


def _ensure_staff(actor: Any, ticket: Ticket) -> None:
    if actor is None or role_of(actor, ticket) != STAFF:
        raise NotYourTicket(number=ticket.number)


def _move(ticket: Ticket, event: str, role: str, now: datetime) -> None:
    """Apply `event` to the locked `ticket` (not saved here). IllegalTransition when not in the table."""
    rule = TRANSITIONS.get((ticket.status, event))
    if rule is None or role not in rule[1]:
        if ticket.status == S.CLOSED:
            raise TicketClosed(number=ticket.number)
        raise IllegalTransition(number=ticket.number, status=ticket.status, action=event)
    target = rule[0]
    if target == S.OPEN and (ticket.status != S.OPEN or ticket.awaiting_since is None):
        _start_clock(ticket, now)
    if target != S.OPEN:
        _stop_clock(ticket)
    if target == S.RESOLVED and ticket.status != S.RESOLVED:
        ticket.resolved_at = now
    if target == S.CLOSED:
        ticket.closed_at = now
    ticket.status = target


def _start_clock(ticket: Ticket, since: datetime) -> None:
    ticket.awaiting_since = since
    ticket.sla_due_at = sla.due_at(ticket.priority, since)
    ticket.is_overdue, ticket.overdue_at = False, None


def _stop_clock(ticket: Ticket) -> None:
    ticket.awaiting_since = None
    ticket.sla_due_at = None
    ticket.is_overdue, ticket.overdue_at = False, None


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("shop").get(pk=ticket.pk)


def _system_note(ticket: Ticket, body: str, now: datetime) -> TicketMessage:
    return TicketMessage.objects.create(
        ticket=ticket, author=None, author_role=SYSTEM, body=body, created_at=now
    )


# --- opening ------------------------------------------------------------------------------------------


def _resolve_shop(user: Any, shop_id: int | None, order_no: str | None) -> tuple[int, Any]:
    from shopops.orders import selectors as order_selectors
    from shopops.shops import selectors as shop_selectors

    order = None
    if order_no:
        order = order_selectors.my_order(user, order_no)  # someone else's order: 404
        if shop_id and int(shop_id) != order.shop_id:
            raise InvalidInput(code="shop_mismatch", fields={"shop_id": ["does not match the order's shop"]})
        return order.shop_id, order
    if not shop_id:
        raise ShopRequired(fields={"shop_id": ["required without an order"]})
    if not shop_selectors.shop_is_trading(int(shop_id)):
        from shopops.core.errors import NotFound

        raise NotFound("店铺不存在 / Shop not found", code="shop_not_found", shop_id=shop_id)
    return int(shop_id), None


def _clean_subject(subject: str) -> str:
    text = plain_text(subject, max_length=MAX_SUBJECT, multiline=False)
    if not text:
        raise InvalidInput(code="subject_required", fields={"subject": ["required"]})
    return text


def _clean_body(body: str) -> str:
    text = plain_text(body, max_length=MAX_BODY)
    if not text:
        raise InvalidInput(code="body_required", fields={"body": ["required"]})
    return text


def open_ticket(
    *,
    user: Any,
    kind: str,
    subject: str,
    body: str,
    shop_id: int | None = None,
    order_no: str | None = None,
    attachment: Any = None,
) -> Ticket:
    if kind not in TicketKind.values:
        raise InvalidInput(code="invalid_kind", fields={"kind": [f"one of {TicketKind.values}"]})
    subject, body = _clean_subject(subject), _clean_body(body)
    shop, order = _resolve_shop(user, shop_id, order_no)
    if selectors.open_ticket_count(user) >= max_open_tickets():
        raise TooManyOpenTickets(max_open=max_open_tickets())
    image = clean_image(attachment).content if attachment else None
    # Complaints start one step up the queue: an unhappy customer should not wait a full day.
    priority = TicketPriority.HIGH if kind == TicketKind.COMPLAINT else TicketPriority.NORMAL
    now = timezone.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                ticket = Ticket(
                    number=time_sortable_number(NUMBER_PREFIX, now),
                    shop_id=shop,
                    user=user,
                    order=order,
                    kind=kind,
                    subject=subject,
                    priority=priority,
                    last_message_at=now,
                    created_at=now,
                )
                _start_clock(ticket, now)
                ticket.save()
                TicketMessage.objects.create(
                    ticket=ticket,
                    author=user,
                    author_role=SHOPPER,
                    body=body,
                    attachment=image,
                    created_at=now,
                )
                return ticket
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# --- the thread ---------------------------------------------------------------------------------------


def post_message(*, ticket: Ticket, author: Any, body: str, attachment: Any = None) -> TicketMessage:
    body = _clean_body(body)
    image = clean_image(attachment).content if attachment else None
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(ticket)
        role = role_of(author, locked)
        if role == SYSTEM:
            raise NotYourTicket(number=locked.number)
        _move(locked, "shopper_message" if role == SHOPPER else "staff_message", role, now)
        if role == STAFF:
            locked.first_response_at = locked.first_response_at or now
            if locked.assignee_id is None:
                locked.assignee = author  # whoever answers first owns it unless reassigned
        locked.last_message_at = now
        locked.save()
        message = TicketMessage.objects.create(
            ticket=locked, author=author, author_role=role, body=body, attachment=image, created_at=now
        )
        _announce(locked, message, f"{role}_message", role)
    ticket.__dict__.update(locked.__dict__)
    return message


def _announce(ticket: Ticket, message: TicketMessage, event: str, role: str) -> None:
    """service.signals.ticket_changed once the change has committed (a failing receiver is logged)."""
    from shopops.service.signals import ticket_changed

    transaction.on_commit(
        lambda: ticket_changed.send_robust(Ticket, ticket=ticket, message=message, event=event, role=role),
        robust=True,
    )


def assign(*, ticket: Ticket, actor: Any, assignee_id: int | None) -> Ticket:
    from django.contrib.auth import get_user_model

    from shopops.shops.selectors import has_shop_perm

    _ensure_staff(actor, ticket)
    assignee = None
    if assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None or not has_shop_perm(assignee, ticket.shop_id, MANAGE_PERMISSION):
            raise InvalidAssignee(assignee_id=assignee_id)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.status == S.CLOSED:
            raise TicketClosed(number=locked.number)
        before = locked.assignee_id
        locked.assignee = assignee
        locked.save(update_fields=["assignee", "updated_at"])
        name = assignee.get_username() if assignee else "—"
        _system_note(locked, f"工单指派给 {name} / Assigned to {name}", now)
        audit.record(
            actor=actor,
            action="service.assign",
            obj=locked,
            object_id=locked.number,
            shop_id=locked.shop_id,
            before={"assignee": before},
            after={"assignee": assignee_id},
        )
    ticket.__dict__.update(locked.__dict__)
    return locked


def set_priority(*, ticket: Ticket, actor: Any, priority: str) -> Ticket:
    if priority not in TicketPriority.values:
        raise InvalidInput(code="invalid_priority", fields={"priority": [f"one of {TicketPriority.values}"]})
    _ensure_staff(actor, ticket)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.status == S.CLOSED:
            raise TicketClosed(number=locked.number)
        before = locked.priority
        locked.priority = priority
        if locked.status == S.OPEN and locked.awaiting_since is not None:
            # Same waiting start, new allowance: raising the priority can make a ticket overdue now.
            locked.sla_due_at = sla.due_at(priority, locked.awaiting_since)
            if locked.sla_due_at >= now:
                locked.is_overdue, locked.overdue_at = False, None
        locked.save()
        _system_note(locked, f"优先级 {before} → {priority} / Priority changed", now)
        audit.record(
            actor=actor,
            action="service.priority",
            obj=locked,
            object_id=locked.number,
            shop_id=locked.shop_id,
            before={"priority": before},
            after={"priority": priority},
        )
    ticket.__dict__.update(locked.__dict__)
    return locked


def _status_change(ticket: Ticket, actor: Any, event: str, note: str, text: str) -> Ticket:
    now = timezone.now()
    note = plain_text(note, max_length=255, multiline=False)
    with transaction.atomic():
        locked = _locked(ticket)
        role = role_of(actor, locked)
        _move(locked, event, role, now)
        locked.save()
        message = _system_note(locked, text + (f"：{note}" if note else ""), now)
        _announce(locked, message, event, role)
    ticket.__dict__.update(locked.__dict__)
    return locked


def resolve(*, ticket: Ticket, actor: Any, note: str = "") -> Ticket:
    _ensure_staff(actor, ticket)
    return _status_change(ticket, actor, "resolve", note, "客服已将工单标记为已解决 / Marked resolved")


def close(*, ticket: Ticket, actor: Any, note: str = "") -> Ticket:
    return _status_change(ticket, actor, "close", note, "工单已关闭 / Closed")


# --- beat tasks ---------------------------------------------------------------------------------------


def mark_overdue(*, now: datetime | None = None) -> int:
    """Flag open tickets whose SLA passed. One UPDATE; idempotent (already flagged ones are skipped)."""
    now = now or timezone.now()
    return Ticket.objects.filter(status=S.OPEN, sla_due_at__lt=now, is_overdue=False).update(
        is_overdue=True, overdue_at=now, updated_at=now
    )


def close_resolved(*, now: datetime | None = None, batch_size: int = 500) -> int:
    now = now or timezone.now()
    due = Ticket.objects.filter(status=S.RESOLVED, resolved_at__lte=now - timedelta(days=auto_close_days()))
    closed = 0
    for ticket in due.order_by("resolved_at", "id")[:batch_size]:
        try:
            _status_change(ticket, None, "close", "", "已解决工单自动关闭 / Closed automatically")
        except (IllegalTransition, TicketClosed):
            continue
        closed += 1
    return closed
