"""Reads of the customer-service app.

my_tickets(user, *, status=None) / my_ticket(user, number)       TicketNotFound for others'
shop_tickets(*, shop_ids, status=None, priority=None, overdue=None, assignee_id=None, q="")
shop_ticket(shop_id, number)
overdue_tickets(*, shop_ids=None, now=None)    waiting for the shop beyond their SLA right now
thread(ticket) -> list[TicketMessage]
assignable_staff(shop_id) -> list[User]         members who may handle tickets
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from shopops.service.errors import TicketNotFound
from shopops.service.models import PRIORITY_RANK, Ticket, TicketMessage, TicketStatus

ACTIVE_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED)


def _details(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.select_related("shop", "user", "order", "assignee")


def _priority_rank() -> Case:
    return Case(
        *[When(priority=p, then=Value(r)) for p, r in PRIORITY_RANK.items()], output_field=IntegerField()
    )


def my_tickets(user: Any, *, status: str | None = None) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(user_id=getattr(user, "pk", None))
    if status:
        qs = qs.filter(status=status)
    return _details(qs).order_by("-created_at", "-id")


def my_ticket(user: Any, number: str) -> Ticket:
    ticket = _details(Ticket.objects.filter(user_id=getattr(user, "pk", None), number=number)).first()
    if ticket is None:
        raise TicketNotFound(number=number)
    return ticket


def shop_tickets(
    *,
    shop_ids: Iterable[int] | None,
    status: str | None = None,
    priority: str | None = None,
    overdue: bool | None = None,
    assignee_id: int | None = None,
    q: str = "",
    now: datetime | None = None,
) -> QuerySet[Ticket]:
    """The queue: overdue first, then by priority and due time."""
    now = now or timezone.now()
    qs = Ticket.objects.all()
    if shop_ids is not None:
        qs = qs.filter(shop_id__in=list(shop_ids))
    if status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    past_due = Q(status=TicketStatus.OPEN, sla_due_at__lt=now)
    if overdue is True:
        qs = qs.filter(past_due)
    elif overdue is False:
        qs = qs.exclude(past_due)
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id or None)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number=q) | Q(order__number=q) | Q(subject__icontains=q))
    qs = qs.annotate(
        past_due_rank=Case(When(past_due, then=Value(0)), default=Value(1), output_field=IntegerField()),
        priority_rank=_priority_rank(),
    )
    return _details(qs).order_by("past_due_rank", "priority_rank", "sla_due_at", "-created_at")


def shop_ticket(shop_id: int, number: str) -> Ticket:
    ticket = _details(Ticket.objects.filter(shop_id=shop_id, number=number)).first()
    if ticket is None:
        raise TicketNotFound(number=number)
    return ticket


def overdue_tickets(
    *, shop_ids: Iterable[int] | None = None, now: datetime | None = None
) -> QuerySet[Ticket]:
    return shop_tickets(shop_ids=shop_ids, overdue=True, now=now)


def thread(ticket: Ticket) -> list[TicketMessage]:
    return list(ticket.messages.select_related("author").order_by("created_at", "id"))


def open_ticket_count(user: Any) -> int:
    return Ticket.objects.filter(user_id=user.pk, status__in=ACTIVE_STATUSES).count()


def assignable_staff(shop_id: int) -> list[Any]:
    from shopops.shops import selectors as shop_selectors

    members = shop_selectors.shop_members(shop_id).filter(status="active")
    return [
        m.user
        for m in members
        if "service.manage" in {p for r in m.roles.all() for p in (r.permissions or [])}
    ]


def queue_counts(shop_ids: Iterable[int] | None, *, now: datetime | None = None) -> dict[str, int]:
    base = shop_tickets(shop_ids=shop_ids, now=now)
    return {
        "open": base.filter(status=TicketStatus.OPEN).count(),
        "pending_customer": base.filter(status=TicketStatus.PENDING_CUSTOMER).count(),
        "overdue": overdue_tickets(shop_ids=shop_ids, now=now).count(),
    }
