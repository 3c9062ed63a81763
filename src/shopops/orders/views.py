"""Storefront pages of orders: checkout, paying, my orders, order detail, confirm receipt, cancel.

Pages call services and selectors only. Every order page looks the order up through the signed-in
shopper (selectors.my_order), so another shopper's order number is simply "not found".
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shopops.accounts import selectors as accounts_selectors
from shopops.cart import selectors as cart_selectors
from shopops.cart.models import ShippingMethod
from shopops.cart.pricing import CheckoutItem, price_checkout
from shopops.core.audit import client_ip
from shopops.core.errors import DomainError
from shopops.orders import selectors, services
from shopops.orders.errors import OrderGroupNotFound, OrderNotFound
from shopops.orders.models import FINAL_STATUSES, GroupPaymentStatus, OrderStatus
from shopops.orders.presenters import order_steps, shopper_actions, timeline_entries

STATUS_TABS = [
    ("", pgettext_lazy("order status", "全部订单")),
    (OrderStatus.PENDING_PAYMENT, pgettext_lazy("order status", "待付款")),
    (OrderStatus.PAID, pgettext_lazy("order status", "待发货")),
    (OrderStatus.SHIPPED, pgettext_lazy("order status", "待收货")),
    (OrderStatus.DELIVERED, pgettext_lazy("order status", "待确认")),
    (OrderStatus.COMPLETED, pgettext_lazy("order status", "已完成")),
    (OrderStatus.CANCELLED, pgettext_lazy("order status", "已取消")),
    (OrderStatus.CLOSED, pgettext_lazy("order status", "已关闭")),
]


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


# --- checkout -------------------------------------------------------------------------------------------


def _checkout_request(request: HttpRequest) -> dict[str, Any]:
    """What the shopper chose on the checkout page (GET to preview, POST to submit)."""
    data = request.POST if request.method == "POST" else request.GET
    buy = _int(data.get("buy"))
    items = None
    if buy is not None:
        items = [CheckoutItem(buy, max(_int(data.get("qty")) or 1, 1))]
    sku_ids = [i for i in (_int(v) for v in data.getlist("sku_id")) if i is not None] or None
    per_shop = {}
    for key, value in data.items():
        if key.startswith("ship_") and _int(key[5:]) is not None and value in ShippingMethod.values:
            per_shop[int(key[5:])] = value
    notes = {int(k[5:]): v for k, v in data.items() if k.startswith("note_") and _int(k[5:]) is not None}
    coupons = [c for c in (data.get("coupons") or "").replace("，", ",").split(",") if c.strip()]
    return {
        "address_id": _int(data.get("address")),
        "items": items,
        "sku_ids": sku_ids if items is None else None,
        "shipping_methods": per_shop,
        "buyer_notes": notes,
        "coupon_codes": coupons,
        "channel": data.get("channel", ""),
    }


def _checkout_context(request: HttpRequest, choice: dict[str, Any]) -> dict[str, Any]:
    from shopops.payments.gateways import enabled_channels

    user = request.user
    addresses = list(accounts_selectors.list_addresses(user))
    address = next((a for a in addresses if a.pk == choice["address_id"]), None) or (
        addresses[0] if addresses else None
    )
    items = choice["items"]
    if items is None:
        items = cart_selectors.checkout_items(user=user, sku_ids=choice["sku_ids"])
    pricing, error = None, None
    if items:
        try:
            pricing = price_checkout(
                user=user,
                items=items,
                shipping_methods=choice["shipping_methods"],
                address=address,
                coupon_codes=choice["coupon_codes"],
            )
        except DomainError as exc:
            error = exc
    return {
        "addresses": addresses,
        "address": address,
        "items": items,
        "pricing": pricing,
        "error": error,
        "choice": choice,
        "buy_item": choice["items"][0] if choice["items"] else None,
        "coupons_text": ", ".join(choice["coupon_codes"]),
        "channels": enabled_channels(),
        "shipping_labels": dict(ShippingMethod.choices),
        # A fresh key per rendering of the page: a double click or a resent form reuses it.
        "idempotency_key": request.POST.get("idempotency_key") or secrets.token_urlsafe(18),
        "timeout_minutes": int(services.payment_timeout().total_seconds() // 60),
    }


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    choice = _checkout_request(request)
    if request.method == "POST":
        if choice["address_id"] is None:
            messages.error(request, _("请选择收货地址 / Choose a delivery address"))
        else:
            try:
                result = services.submit_order(
                    user=request.user,
                    idempotency_key=request.POST.get("idempotency_key", ""),
                    address_id=choice["address_id"],
                    shipping_methods=choice["shipping_methods"],
                    coupon_codes=choice["coupon_codes"],
                    buyer_notes=choice["buyer_notes"],
                    sku_ids=choice["sku_ids"],
                    items=choice["items"],
                    channel=choice["channel"],
                    client_ip=client_ip(request) or "",
                )
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                if result.payment is not None:
                    return redirect("payments:checkout", payment_no=result.payment.payment.payment_no)
                return redirect("orders:pay", number=result.group.number)
    context = _checkout_context(request, choice)
    template = "orders/partials/checkout_summary.html" if request.htmx else "orders/checkout.html"
    status = 409 if request.method == "POST" else 200
    return render(request, template, context, status=status)


# --- paying ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, number: str) -> HttpResponse:
    """Choose how to pay the group (or pay again after a failed attempt), then go to the provider."""
    from shopops.payments.gateways import enabled_channels

    try:
        group = selectors.my_group(request.user, number)
    except OrderGroupNotFound as exc:
        raise Http404 from exc
    channels = enabled_channels()
    if request.method == "POST":
        channel = request.POST.get("channel", "")
        try:
            created = services.start_payment(
                group=group, user=request.user, channel=channel, client_ip=client_ip(request) or ""
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            return redirect("payments:checkout", payment_no=created.payment.payment_no)
    group.refresh_from_db()
    return render(
        request,
        "orders/pay.html",
        {
            "group": group,
            "orders": selectors.group_orders(group),
            "channels": channels,
            "payable": group.payment_status == GroupPaymentStatus.UNPAID
            and group.amount_due > 0
            and group.pay_deadline > timezone.now(),
        },
    )


@login_required
def pay_result(request: HttpRequest, number: str) -> HttpResponse:
    """Where the provider sends the shopper back. The notification may not have arrived yet: the
    page says so and offers to refresh rather than claiming failure."""
    try:
        group = selectors.my_group(request.user, number)
    except OrderGroupNotFound as exc:
        raise Http404 from exc
    return render(
        request, "orders/pay_result.html", {"group": group, "orders": selectors.group_orders(group)}
    )


# --- my orders ------------------------------------------------------------------------------------------


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in OrderStatus.values:
        status = ""
    paginator = Paginator(selectors.my_orders(request.user, status=status or None), 10)
    page = paginator.get_page(request.GET.get("page"))
    counts = selectors.my_status_counts(request.user)
    return render(
        request,
        "orders/my_orders.html",
        {
            "page": page,
            "status": status,
            "tabs": [(code, label, counts.get(code) if code else None) for code, label in STATUS_TABS],
            "actions": {order.pk: shopper_actions(order) for order in page.object_list},
        },
    )


def _my_order_or_404(request: HttpRequest, number: str):
    try:
        return selectors.my_order(request.user, number)
    except OrderNotFound as exc:
        raise Http404 from exc


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _my_order_or_404(request, number)
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "group": order.group,
            "steps": order_steps(order),
            "timeline": timeline_entries(selectors.timeline(order)),
            "actions": shopper_actions(order),
            "refunds": selectors.refunds_of(order),
            "is_final": order.status in FINAL_STATUSES,
        },
    )


@login_required
@require_POST
def confirm_receipt(request: HttpRequest, number: str) -> HttpResponse:
    order = _my_order_or_404(request, number)
    try:
        services.confirm_receipt(order=order, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已确认收货，感谢您的购买！"))
    return redirect("orders:detail", number=number)


@login_required
@require_POST
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    order = _my_order_or_404(request, number)
    reason = (request.POST.get("reason") or "").strip()[:200] or _("买家取消")
    try:
        services.cancel_order(order=order, actor=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("订单已取消"))
    next_url = request.POST.get("next")
    if next_url == "list":
        return redirect(reverse("orders:list"))
    return redirect("orders:detail", number=number)
