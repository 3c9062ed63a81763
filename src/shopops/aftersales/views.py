"""Storefront pages of after-sales: the request form from an order, my requests, one request with its
timeline and the ship-back waybill form. Pages call services and selectors only; every lookup goes
through the signed-in shopper, so another shopper's order or request is simply "not found".
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shopops.aftersales import selectors, services
from shopops.aftersales.errors import AfterSalesNotFound
from shopops.aftersales.models import AfterSalesKind, AfterSalesReason, AfterSalesStatus
from shopops.aftersales.state import SHOPPER, allowed_actions, label_for
from shopops.core.errors import DomainError, NotFound

PAGE_SIZE = 10


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _my_request(request: HttpRequest, number: str):
    try:
        return selectors.my_request(request.user, number)
    except AfterSalesNotFound as exc:
        raise Http404 from exc


def _my_order(request: HttpRequest, order_no: str):
    from shopops.orders import selectors as order_selectors

    try:
        return order_selectors.my_order(request.user, order_no)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    if status not in AfterSalesStatus.values:
        status = ""
    page = Paginator(selectors.my_requests(request.user, status=status or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "aftersales/my_requests.html",
        {"page": page, "status": status, "section": "aftersales"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest, order_no: str) -> HttpResponse:
    order = _my_order(request, order_no)
    form = {
        "line": _int(request.GET.get("line")),
        "kind": AfterSalesKind.RETURN_REFUND,
        "reason": AfterSalesReason.NO_REASON,
        "quantity": 1,
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {
            "line": _int(request.POST.get("line")),
            "kind": request.POST.get("kind", ""),
            "reason": request.POST.get("reason", ""),
            "quantity": _int(request.POST.get("quantity")) or 0,
            "amount": (request.POST.get("amount") or "").strip(),
            "description": request.POST.get("description", ""),
            "replacement": _int(request.POST.get("replacement_sku")),
        }
        try:
            created = services.create_request(
                user=request.user,
                order_no=order.number,
                line_id=form["line"] or 0,
                kind=form["kind"],
                quantity=form["quantity"],
                reason=form["reason"],
                description=form["description"],
                amount=form["amount"] or None,
                replacement_sku_id=form["replacement"] if form["kind"] == AfterSalesKind.EXCHANGE else None,
            )
        except DomainError as exc:
            errors["form"] = str(exc.message)
            for field, problems in (exc.details.get("fields") or {}).items():
                if problems:
                    errors[field] = "; ".join(str(p) for p in problems)
        else:
            messages.success(request, _("售后申请已提交，客服将尽快处理"))
            return redirect("aftersales:detail", number=created.number)
    eligibility = selectors.order_eligibility(order)
    return render(
        request,
        "aftersales/request_form.html",
        {
            "order": order,
            "eligibility": eligibility,
            # Only worth a field when some line has another SKU to switch to.
            "has_exchange_options": any(
                not choice.same_sku for option in eligibility.lines for choice in option.exchange_options
            ),
            "form": form,
            "errors": errors,
            "kinds": AfterSalesKind.choices,
            "reasons": AfterSalesReason.choices,
            "section": "aftersales",
        },
        status=422 if errors else 200,
    )


@login_required
def request_detail(request: HttpRequest, number: str) -> HttpResponse:
    found = _my_request(request, number)
    events = selectors.timeline(found)
    return render(
        request,
        "aftersales/request_detail.html",
        {
            "req": found,
            "timeline": [(e, label_for(e.action)) for e in events],
            "actions": allowed_actions(found, SHOPPER),
            "section": "aftersales",
        },
    )


def _act(request: HttpRequest, number: str, act) -> HttpResponse:
    found = _my_request(request, number)
    try:
        act(found)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("操作成功"))
    return redirect("aftersales:detail", number=found.number)


@login_required
@require_POST
def ship_back(request: HttpRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        lambda r: services.ship_back(
            request=r,
            actor=request.user,
            carrier_name=request.POST.get("carrier_name", ""),
            waybill_no=request.POST.get("waybill_no", ""),
        ),
    )


@login_required
@require_POST
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, lambda r: services.cancel(request=r, actor=request.user))


@login_required
@require_POST
def confirm(request: HttpRequest, number: str) -> HttpResponse:
    return _act(
        request, number, lambda r: services.close(request=r, actor=request.user, note="买家确认收到换货")
    )
