"""Operator console pages of after-sales (/console/aftersales/): the queue and one request with its
timeline and the actions customer service takes (approve, reject, receive, refund, replacement, close)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shopops.aftersales import consolekit as kit
from shopops.aftersales import selectors, services
from shopops.aftersales.errors import AfterSalesNotFound
from shopops.aftersales.models import AfterSalesKind, AfterSalesRequest, AfterSalesStatus
from shopops.aftersales.state import STAFF, allowed_actions, label_for
from shopops.core.errors import DomainError

PERM = "aftersales.manage"
PAGE_SIZE = 25


def queue(request: HttpRequest) -> HttpResponse:
    ids, denied = kit.gate(request, PERM)
    if denied:
        return denied
    shop_id = kit.chosen_shop(request, ids)
    scope = [shop_id] if shop_id else ids
    status = request.GET.get("status") or ""
    status = status if status in AfterSalesStatus.values else ""
    kind = request.GET.get("kind") or ""
    kind = kind if kind in AfterSalesKind.values else ""
    open_only = request.GET.get("open") == "1"
    found = selectors.shop_requests(
        shop_ids=scope,
        status=status or None,
        kind=kind or None,
        q=request.GET.get("q", ""),
        open_only=open_only,
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "aftersales/console/queue.html",
        kit.context(
            request,
            title=_("售后工作台"),
            page=page,
            shops=kit.shops_for(ids),
            shop_id=shop_id,
            status=status,
            kind=kind,
            statuses=AfterSalesStatus.choices,
            kinds=AfterSalesKind.choices,
            counts=selectors.status_counts(scope),
            filters=request.GET,
            base_query=kit.query_without(request, "status"),
            query=kit.query_without(request),
        ),
    )


def _request_for(request: HttpRequest, number: str) -> AfterSalesRequest:
    ids, _denied = kit.gate(request, PERM)
    found = AfterSalesRequest.objects.filter(number=number).values_list("shop_id", flat=True).first()
    if found is None:
        raise Http404
    kit.ensure_visible(ids, found)
    try:
        return selectors.shop_request(found, number)
    except AfterSalesNotFound as exc:
        raise Http404 from exc


def detail(request: HttpRequest, number: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return kit.gate(request, PERM)[1]
    found = _request_for(request, number)
    events = selectors.timeline(found)
    return render(
        request,
        "aftersales/console/detail.html",
        kit.context(
            request,
            title=_("售后单 %(n)s") % {"n": found.number},
            req=found,
            timeline=[(e, label_for(e.action)) for e in events],
            actions=allowed_actions(found, STAFF),
            room=selectors.line_room(found.order_line),
        ),
    )


@require_POST
def act(request: HttpRequest, number: str) -> HttpResponse:
    found = _request_for(request, number)
    user, post = request.user, request.POST
    action = post.get("action", "")
    note = post.get("note", "")
    handlers = {
        "approve": lambda: services.approve(request=found, actor=user, note=note),
        "reject": lambda: services.reject(request=found, actor=user, reason=post.get("reason", "")),
        "inspect_pass": lambda: services.receive(
            request=found, actor=user, passed=True, note=note, restock=post.get("restock") == "on"
        ),
        "inspect_fail": lambda: services.receive(request=found, actor=user, passed=False, note=note),
        "refund": lambda: services.refund(request=found, actor=user),
        "ship_replacement": lambda: services.ship_replacement(
            request=found,
            actor=user,
            carrier_name=post.get("carrier_name", ""),
            waybill_no=post.get("waybill_no", ""),
        ),
        "close": lambda: services.close(request=found, actor=user, note=note),
    }
    handler = handlers.get(action)
    if handler is None:
        raise Http404
    try:
        handler()
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("操作成功"))
    return redirect("aftersales_console:detail", number=found.number)
