"""Storefront pages of customer service: my tickets, opening one (optionally about an order), and one
ticket's message thread with a reply box. Lookups go through the signed-in shopper (404 otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shopops.core.errors import DomainError, NotFound
from shopops.service import selectors, services
from shopops.service.models import TicketKind

PAGE_SIZE = 10


def _my_ticket(request: HttpRequest, number: str):
    try:
        return selectors.my_ticket(request.user, number)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_tickets(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "service/my_tickets.html", {"page": page, "section": "service"})


def _order_choices(user):
    from shopops.orders import selectors as order_selectors

    return list(order_selectors.my_orders(user)[:20])


@login_required
@require_http_methods(["GET", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    form = {
        "kind": data.get("kind", TicketKind.CONSULTATION),
        "subject": data.get("subject", ""),
        "body": data.get("body", ""),
        "order": data.get("order", ""),
        "shop": data.get("shop", ""),
    }
    error = ""
    if request.method == "POST":
        try:
            shop_id = int(form["shop"]) if form["shop"].strip().isdigit() else None
            ticket = services.open_ticket(
                user=request.user,
                kind=form["kind"],
                subject=form["subject"],
                body=form["body"],
                shop_id=shop_id,
                order_no=form["order"] or None,
                attachment=request.FILES.get("attachment"),
            )
        except NotFound as exc:
            error = str(exc.message)
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("工单已提交，客服会尽快回复"))
            return redirect("service:detail", number=ticket.number)
    return render(
        request,
        "service/new_ticket.html",
        {
            "form": form,
            "error": error,
            "kinds": TicketKind.choices,
            "orders": _order_choices(request.user),
            "section": "service",
        },
        status=422 if error else 200,
    )


@login_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _my_ticket(request, number)
    return render(
        request,
        "service/ticket_detail.html",
        {"ticket": ticket, "thread": selectors.thread(ticket), "section": "service"},
    )


@login_required
@require_POST
def reply(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _my_ticket(request, number)
    try:
        services.post_message(
            ticket=ticket,
            author=request.user,
            body=request.POST.get("body", ""),
            attachment=request.FILES.get("attachment"),
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("service:detail", number=ticket.number)


@login_required
@require_POST
def close(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _my_ticket(request, number)
    try:
        services.close(ticket=ticket, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("工单已关闭"))
    return redirect("service:detail", number=ticket.number)
