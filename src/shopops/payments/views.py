"""Web pages under /pay/: the sandbox provider's cashier, and the shopper's checkout and result pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from shopops.payments import selectors, services
from shopops.payments.errors import GatewayRejected, GatewayUnavailable, PaymentNotFound, UnknownChannel
from shopops.payments.gateways import sandbox, sandbox_enabled
from shopops.payments.gateways.base import PaymentAction
from shopops.payments.models import OPEN_PAYMENT_STATUSES, Payment, PaymentStatus, SandboxTradeStatus
from shopops.payments.qr import qr_svg

SYNC_THROTTLE_SECONDS = 3


def _safe_return(request: HttpRequest, url: str, payment_no: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url
    return reverse("payments:result", args=[payment_no])


def _own_payment(request: HttpRequest, payment_no: str) -> Payment:
    try:
        return selectors.payment_for_payer(user=request.user, payment_no=payment_no)
    except PaymentNotFound as exc:
        raise Http404 from exc


def _refresh_if_open(payment: Payment) -> Payment:
    """Ask the provider about an unfinished payment, at most once every few seconds per payment."""
    if payment.status not in (*OPEN_PAYMENT_STATUSES, PaymentStatus.FAILED):
        return payment
    if not cache.add(f"payments:sync:{payment.pk}", 1, timeout=SYNC_THROTTLE_SECONDS):
        return payment
    try:
        return services.sync_payment_status(payment=payment)
    except (GatewayUnavailable, GatewayRejected, UnknownChannel):
        return payment


# --- the sandbox provider ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sandbox_cashier(request: HttpRequest, payment_no: str) -> HttpResponse:
    """The pretend Alipay/WeChat/bank-card page. Public like a real cashier: the number is unguessable."""
    if not sandbox_enabled():
        raise Http404
    trade = sandbox.trade_for(payment_no)
    if trade is None:
        raise Http404
    error = ""
    if request.method == "POST":
        action, method = request.POST.get("action"), request.POST.get("method", "")
        if action not in ("pay", "fail") or method not in sandbox.SANDBOX_METHODS:
            error = "请选择付款方式 / Choose how to pay"
        else:
            try:
                if action == "pay":
                    sandbox.provider_pay(payment_no, method=method)
                else:
                    sandbox.provider_fail(payment_no, method=method)
            except sandbox.SandboxTradeClosed:
                error = "交易已关闭或已支付，不能继续付款 / This trade is closed or already paid"
            else:
                return HttpResponseRedirect(_safe_return(request, trade.return_url, payment_no))
        trade.refresh_from_db()
    status = 400 if error else 200
    return render(
        request,
        "payments/sandbox_cashier.html",
        {
            "trade": trade,
            "methods": sandbox.SANDBOX_METHODS,
            "payable": trade.status in (SandboxTradeStatus.WAITING, SandboxTradeStatus.FAILED),
            "error": error,
            "notifications": trade.notifications.all()[:10],
        },
        status=status,
    )


# --- the shopper's pages -----------------------------------------------------------------------------


@login_required
def checkout(request: HttpRequest, payment_no: str) -> HttpResponse:
    """Take the shopper to the provider: redirect, QR code, auto-posted form or WeChat JSAPI."""
    payment = _own_payment(request, payment_no)
    if payment.status != PaymentStatus.PENDING or not payment.action:
        return redirect("payments:result", payment_no=payment_no)
    action = PaymentAction.from_dict(payment.action)
    if action.kind == "redirect":
        return HttpResponseRedirect(action.url)
    context: dict[str, object] = {
        "payment": payment,
        "action": action,
        "expired": _expired(payment),
        "continue_url": _safe_return(request, payment.return_url, payment_no),
    }
    if action.kind == "qr_code":
        if context["expired"]:
            # The provider will refuse a code past its deadline: show no code rather than one that fails.
            return render(request, "payments/checkout.html", context, status=410)
        context["qr_svg"] = qr_svg(action.qr_code, title=f"¥{payment.amount} {payment.reference}")
        seconds = _seconds_left(payment)
        context.update(seconds_left=seconds, clock=f"{seconds // 60:02d}:{seconds % 60:02d}")
    return render(request, "payments/checkout.html", context)


@login_required
def checkout_poll(request: HttpRequest, payment_no: str) -> HttpResponse:
    """Polled by the QR page (htmx, every few seconds): sends the browser on once the payment ends.

    Paid -> the page the payment was started from (the order); failed/closed -> the result page;
    past the deadline -> a fragment without the polling trigger, so the page stops asking.
    """
    payment = _refresh_if_open(_own_payment(request, payment_no))
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.SUCCEEDED_AFTER_CLOSE):
        return HttpResponseClientRedirect(_safe_return(request, payment.return_url, payment_no))
    if payment.status not in OPEN_PAYMENT_STATUSES:
        return HttpResponseClientRedirect(reverse("payments:result", args=[payment_no]))
    return render(
        request,
        "payments/partials/qr_poll.html",
        {
            "payment": payment,
            "expired": _expired(payment),
            "continue_url": _safe_return(request, payment.return_url, payment_no),
        },
    )


def _expired(payment: Payment) -> bool:
    return payment.expires_at <= timezone.now()


def _seconds_left(payment: Payment) -> int:
    return max(0, int((payment.expires_at - timezone.now()).total_seconds()))


@login_required
def result(request: HttpRequest, payment_no: str) -> HttpResponse:
    payment = _refresh_if_open(_own_payment(request, payment_no))
    return render(
        request,
        "payments/result.html",
        {
            "payment": payment,
            "continue_url": _safe_return(request, payment.return_url, payment_no)
            if payment.return_url
            else "",
            "refunded": selectors.refunded_total(payment),
            "paid_with": sandbox.SANDBOX_METHODS.get(payment.paid_with, payment.paid_with),
        },
    )


@login_required
def status(request: HttpRequest, payment_no: str) -> JsonResponse:
    """Polled by the QR code page until the payment ends."""
    payment = _refresh_if_open(_own_payment(request, payment_no))
    return JsonResponse(
        {
            "payment_no": payment.payment_no,
            "status": payment.status,
            "finished": payment.status not in OPEN_PAYMENT_STATUSES,
            "result_url": reverse("payments:result", args=[payment_no]),
        }
    )
