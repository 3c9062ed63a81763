"""Operator console pages for orders (/console/orders/): the order list with filters and bulk actions,
the order detail with its timeline and actions, and the order analytics page.

Who sees what follows the shop roles, as everywhere: the list shows orders of the shops where the
user holds `orders.view` (every shop for platform staff); acting needs `orders.manage` in the
order's shop, checked again by the services (the state machine refuses anyone else).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shopops.core import audit
from shopops.core.errors import DomainError
from shopops.orders import selectors, services
from shopops.orders.models import ExceptionKind, Order, OrderStatus
from shopops.orders.presenters import merchant_actions, timeline_entries
from shopops.orders.state import Action, transition
from shopops.shops import selectors as shop_selectors

PAGE_SIZE = 25


def _staff(request: HttpRequest) -> Any:
    user = request.user
    if not user.is_authenticated:
        return None
    return user


def _visible_shop_ids(user: Any, *perms: str) -> list[int] | None:
    """Shops where the user holds any of `perms`; None = every shop (platform staff)."""
    if user.is_superuser or shop_selectors.is_platform_admin(user):
        return None
    ids: set[int] = set()
    for perm in perms:
        ids.update(shop_selectors.shop_ids_with_perm(user, perm) or [])
    return sorted(ids)


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), **extra}


def _shops_for(ids: list[int] | None):
    from shopops.shops.models import Shop

    qs = Shop.objects.order_by("id")
    return qs if ids is None else qs.filter(id__in=ids)


def _chosen_shop(request: HttpRequest, ids: list[int] | None) -> int | None:
    raw = request.GET.get("shop") or request.POST.get("shop")
    if not raw:
        return None
    try:
        shop_id = int(raw)
    except ValueError as exc:
        raise Http404 from exc
    if ids is not None and shop_id not in ids:
        raise Http404  # another merchant's shop: not found, as in the API
    return shop_id


def _login_or_403(request: HttpRequest, user: Any, ids: list[int] | None) -> HttpResponse | None:
    if user is None:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if ids is not None and not ids:
        raise PermissionDenied
    return None


def _date(value: str | None) -> date | None:
    return parse_date(value) if value else None


# --- list and bulk actions --------------------------------------------------------------------------------


def order_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    ids = _visible_shop_ids(user, "orders.view") if user else []
    denied = _login_or_403(request, user, ids)
    if denied:
        return denied
    shop_id = _chosen_shop(request, ids)
    scope = [shop_id] if shop_id else ids
    status = request.GET.get("status") or ""
    if status not in OrderStatus.values:
        status = ""
    since, until = _date(request.GET.get("since")), _date(request.GET.get("until"))
    start, end = selectors.local_day_bounds(since, until)
    exception = request.GET.get("exception")
    orders = selectors.shop_orders(
        shop_ids=scope,
        status=status or None,
        since=start,
        until=end,
        q=request.GET.get("q", ""),
        has_exception=True if exception == "1" else None,
    )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    manage_ids = _visible_shop_ids(user, "orders.manage")
    keep = {k: v for k, v in request.GET.items() if k != "page"}
    return render(
        request,
        "orders/console/order_list.html",
        _context(
            request,
            title=_("订单管理"),
            page=page,
            shops=_shops_for(ids),
            shop_id=shop_id,
            status=status,
            statuses=OrderStatus.choices,
            counts=selectors.shop_status_counts(scope),
            filters=request.GET,
            query=urlencode(keep),
            exception_kinds=ExceptionKind.choices,
            can_manage={o.pk: manage_ids is None or o.shop_id in manage_ids for o in page.object_list},
        ),
    )


@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    ids = _visible_shop_ids(user, "orders.manage") if user else []
    denied = _login_or_403(request, user, ids)
    if denied:
        return denied
    numbers = [n for n in request.POST.getlist("number") if n]
    action = request.POST.get("action")
    back = request.POST.get("next") or reverse("orders_console:list")
    if not numbers:
        messages.warning(request, _("请先勾选订单"))
        return redirect(back)
    orders = Order.objects.filter(number__in=numbers)
    if ids is not None:
        orders = orders.filter(shop_id__in=ids)
    by_shop: dict[int, list[str]] = {}
    for number, order_shop in orders.values_list("number", "shop_id"):
        by_shop.setdefault(order_shop, []).append(number)
    results: list[services.BulkResult] = []
    for shop_id, shop_numbers in by_shop.items():
        if action == "ship":
            items = [
                services.ShipItem(
                    n,
                    request.POST.get(f"carrier_{n}", "").strip(),
                    request.POST.get(f"waybill_{n}", "").strip(),
                )
                for n in shop_numbers
            ]
            results += services.bulk_ship(shop_id=shop_id, actor=user, items=items)
        elif action == "exception":
            results += services.bulk_mark_exception(
                shop_id=shop_id,
                actor=user,
                numbers=shop_numbers,
                kind=request.POST.get("kind", ""),
                note=request.POST.get("note", ""),
            )
        else:
            messages.error(request, _("未知的批量操作"))
            return redirect(back)
    missing = len(set(numbers)) - sum(len(v) for v in by_shop.values())
    ok = sum(r.ok for r in results)
    if ok:
        messages.success(request, _("成功处理 %(n)d 个订单") % {"n": ok})
    for failed in [r for r in results if not r.ok][:10]:
        messages.error(request, f"{failed.number}: {failed.message}")
    if missing:
        messages.error(request, _("%(n)d 个订单不存在或无权操作") % {"n": missing})
    return redirect(back)


# --- detail -----------------------------------------------------------------------------------------------


def _order_for(request: HttpRequest, number: str, perm: str) -> tuple[Any, Order]:
    user = _staff(request)
    if user is None:
        raise PermissionDenied
    order = selectors.order_by_number(number)
    if order is None:
        raise Http404
    if not shop_selectors.has_shop_perm(user, order.shop_id, perm):
        if shop_selectors.is_shop_member(user, order.shop_id) and perm != "orders.view":
            raise PermissionDenied
        raise Http404  # not this user's shop: the order does not exist for them
    return user, order


def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    user, order = _order_for(request, number, "orders.view")
    can_manage = shop_selectors.has_shop_perm(user, order.shop_id, "orders.manage")
    events = selectors.timeline(order)
    return render(
        request,
        "orders/console/order_detail.html",
        _context(
            request,
            title=_("订单 %(n)s") % {"n": order.number},
            order=order,
            timeline=timeline_entries(events, show_actor_names=True),
            actions=merchant_actions(order) if can_manage else [],
            can_manage=can_manage,
            refunds=selectors.refunds_of(order),
            exception_kinds=ExceptionKind.choices,
            revealed=request.session.pop(f"orders:revealed:{order.number}", None),
        ),
    )


@require_POST
def order_action(request: HttpRequest, number: str) -> HttpResponse:
    user, order = _order_for(request, number, "orders.manage")
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "").strip()[:200]
    try:
        if action == Action.CANCEL:
            services.cancel_order(order=order, actor=user, reason=reason or _("商家取消"))
        elif action in (Action.SHIP, Action.DELIVER, Action.MARK_EXCEPTION, Action.CLEAR_EXCEPTION):
            data = {
                "carrier_name": request.POST.get("carrier_name", ""),
                "waybill_no": request.POST.get("waybill_no", ""),
                "kind": request.POST.get("kind", ""),
            }
            transition(order, action, user, reason, data=data)
        elif action == "note":
            services.set_merchant_note(order=order, actor=user, note=request.POST.get("note", ""))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("操作成功"))
    return redirect("orders_console:detail", number=number)


@require_POST
def reveal_address(request: HttpRequest, number: str) -> HttpResponse:
    """Show the full receiver details once (for a shipping label); every reveal is audited."""
    user, order = _order_for(request, number, "orders.manage")
    audit.record(
        actor=user, action="orders.address.reveal", obj=order, shop_id=order.shop_id, request=request
    )
    request.session[f"orders:revealed:{order.number}"] = {
        "receiver_name": order.receiver_name,
        "receiver_phone": order.receiver_phone,
        "address": f"{order.region_text} {order.address_detail}",
    }
    return redirect("orders_console:detail", number=number)


# --- analytics --------------------------------------------------------------------------------------------


def analytics(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    ids = _visible_shop_ids(user, "analytics.view", "orders.view") if user else []
    denied = _login_or_403(request, user, ids)
    if denied:
        return denied
    shop_id = _chosen_shop(request, ids)
    metrics = selectors.order_metrics(
        shop_ids=[shop_id] if shop_id else ids,
        since=_date(request.GET.get("since")),
        until=_date(request.GET.get("until")),
    )
    chart = {
        "days": [row.label for row in metrics.by_day],
        "gmv": [str(row.gmv) for row in metrics.by_day],
        "placed": [row.placed for row in metrics.by_day],
        "paid": [row.paid for row in metrics.by_day],
        "shops": [row.label for row in metrics.by_shop[:15]],
        "shop_gmv": [str(row.gmv) for row in metrics.by_shop[:15]],
    }
    return render(
        request,
        "orders/console/analytics.html",
        _context(
            request,
            title=_("订单分析"),
            metrics=metrics,
            shops=_shops_for(ids),
            shop_id=shop_id,
            since=metrics.since,
            last_day=metrics.by_day[-1].key if metrics.by_day else metrics.since,
            chart=json.loads(json.dumps(chart, cls=DjangoJSONEncoder)),
        ),
    )
