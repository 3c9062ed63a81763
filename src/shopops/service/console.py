"""Operator console pages of customer service (/console/service/): the ticket queue with overdue flags
(overdue first, then by priority and due time) and one ticket's thread with reply, assignment,
priority, resolve and close."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shopops.aftersales import consolekit as kit
from shopops.core.errors import DomainError, NotFound
from shopops.service import selectors, services
from shopops.service.models import Ticket, TicketPriority, TicketStatus

PERM = "service.manage"
PAGE_SIZE = 25


def queue(request: HttpRequest) -> HttpResponse:
    ids, denied = kit.gate(request, PERM)
    if denied:
        return denied
    shop_id = kit.chosen_shop(request, ids)
    scope = [shop_id] if shop_id else ids
    status = request.GET.get("status", "active")
    priority = request.GET.get("priority") or ""
    priority = priority if priority in TicketPriority.values else ""
    overdue = True if request.GET.get("overdue") == "1" else None
    mine = request.GET.get("mine") == "1"
    tickets = selectors.shop_tickets(
        shop_ids=scope,
        status=status if status in TicketStatus.values else None,
        priority=priority or None,
        overdue=overdue,
        assignee_id=request.user.pk if mine else None,
        q=request.GET.get("q", ""),
    )
    if status == "active":
        tickets = tickets.exclude(status=TicketStatus.CLOSED)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "service/console/queue.html",
        kit.context(
            request,
            title=_("客服工单"),
            page=page,
            shops=kit.shops_for(ids),
            shop_id=shop_id,
            status=status,
            priority=priority,
            statuses=TicketStatus.choices,
            priorities=TicketPriority.choices,
            counts=selectors.queue_counts(scope),
            filters=request.GET,
            query=kit.query_without(request),
        ),
    )


def _ticket_for(request: HttpRequest, number: str) -> Ticket:
    ids, _denied = kit.gate(request, PERM)
    shop_id = Ticket.objects.filter(number=number).values_list("shop_id", flat=True).first()
    if shop_id is None:
        raise Http404
    kit.ensure_visible(ids, shop_id)
    try:
        return selectors.shop_ticket(shop_id, number)
    except NotFound as exc:
        raise Http404 from exc


def detail(request: HttpRequest, number: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return kit.gate(request, PERM)[1]
    ticket = _ticket_for(request, number)
    return render(
        request,
        "service/console/detail.html",
        kit.context(
            request,
            title=ticket.subject,
            ticket=ticket,
            thread=selectors.thread(ticket),
            staff=selectors.assignable_staff(ticket.shop_id),
            priorities=TicketPriority.choices,
        ),
    )


@require_POST
def act(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_for(request, number)
    user, post = request.user, request.POST
    action = post.get("action", "")
    try:
        if action == "reply":
            services.post_message(
                ticket=ticket,
                author=user,
                body=post.get("body", ""),
                attachment=request.FILES.get("attachment"),
            )
        elif action == "assign":
            raw = post.get("assignee_id") or ""
            services.assign(ticket=ticket, actor=user, assignee_id=int(raw) if raw.isdigit() else None)
        elif action == "priority":
            services.set_priority(ticket=ticket, actor=user, priority=post.get("priority", ""))
        elif action == "resolve":
            services.resolve(ticket=ticket, actor=user, note=post.get("note", ""))
        elif action == "close":
            services.close(ticket=ticket, actor=user, note=post.get("note", ""))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("操作成功"))
    return redirect("service_console:detail", number=ticket.number)
