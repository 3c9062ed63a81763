"""The sandbox gateway: a pretend payment provider that runs on the same machine.

It has two sides, kept apart as they would be with a real provider:

- The merchant side (`SandboxGateway`) implements the gateway interface for the payment services.
- The provider side (`provider_pay`, `provider_fail`, `provider_*`) is what the provider would do
  on its own servers: it keeps its books in the Sandbox* models, shows the cashier page
  (/pay/sandbox/<payment_no>/, views.sandbox_cashier) and sends asynchronous notifications signed
  with HMAC-SHA256 through a Celery task with retries (tasks.deliver_sandbox_notification).

Notification protocol (modelled on WeChat Pay v3, with a shared secret instead of RSA):
  POST {notify_url}  Content-Type: application/json
  X-Sandbox-Timestamp: unix seconds   X-Sandbox-Nonce: random   X-Sandbox-Signature: hex HMAC-SHA256
  over "{timestamp}\\n{nonce}\\n{body}\\n" with PAYMENTS_SANDBOX_SECRET.
  Body: {"id", "event": "payment.succeeded" | "payment.failed" | "payment.closed" | "refund.succeeded",
         "out_trade_no", "trade_no", "amount", "currency", "method", "paid_at", ...refund fields}
  Answer: 200 {"code": "SUCCESS"}; anything else is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shopops.core.ids import random_token, time_sortable_number
from shopops.core.money import MoneyError, to_money
from shopops.payments.gateways.base import (
    TRADE_ALREADY_PAID,
    GatewayError,
    GatewayRefundResult,
    GatewayStatus,
    InvalidSignature,
    ParsedNotification,
    PaymentAction,
    PaymentGateway,
    PaymentState,
    RefundState,
)
from shopops.payments.models import (
    Payment,
    Refund,
    SandboxNotification,
    SandboxRefund,
    SandboxTrade,
    SandboxTradeStatus,
)

SIGNATURE_HEADER = "X-Sandbox-Signature"
TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
NONCE_HEADER = "X-Sandbox-Nonce"

# The methods a tester can pretend to pay with on the cashier page.
SANDBOX_METHODS = {"alipay": "支付宝", "wechat": "微信支付", "card": "银行卡"}

_TRADE_STATES = {
    SandboxTradeStatus.WAITING: PaymentState.PENDING,
    SandboxTradeStatus.SUCCEEDED: PaymentState.SUCCEEDED,
    SandboxTradeStatus.FAILED: PaymentState.FAILED,
    SandboxTradeStatus.CLOSED: PaymentState.CLOSED,
}
_EVENT_STATES = {
    "payment.succeeded": PaymentState.SUCCEEDED,
    "payment.failed": PaymentState.FAILED,
    "payment.closed": PaymentState.CLOSED,
}


def sandbox_secret() -> bytes:
    configured = getattr(settings, "PAYMENTS_SANDBOX_SECRET", "")
    if configured:
        return configured.encode()
    return hashlib.sha256(f"shopops:payments-sandbox:{settings.SECRET_KEY}".encode()).digest()


def sign(timestamp: str, nonce: str, body: str) -> str:
    message = f"{timestamp}\n{nonce}\n{body}\n".encode()
    return hmac.new(sandbox_secret(), message, hashlib.sha256).hexdigest()


def signed_headers(body: str) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: sign(timestamp, nonce, body),
    }


def _max_skew() -> int:
    return int(getattr(settings, "PAYMENTS_NOTIFY_MAX_SKEW_SECONDS", 300))


class SandboxGateway(PaymentGateway):
    channel = "sandbox"

    @classmethod
    def from_settings(cls) -> SandboxGateway:
        return cls()

    # --- merchant side ---------------------------------------------------------------------------

    def create_payment(
        self, payment: Payment, *, payer_openid: str = "", client_ip: str = ""
    ) -> PaymentAction:
        trade, created = SandboxTrade.objects.get_or_create(
            out_trade_no=payment.payment_no,
            defaults={
                "trade_no": time_sortable_number("SBX"),
                "amount": payment.amount,
                "currency": payment.currency,
                "subject": payment.subject,
                "return_url": payment.return_url,
                "expires_at": payment.expires_at,
            },
        )
        if not created and trade.amount != payment.amount:
            raise GatewayError("out_trade_no_reused", "same number, different amount", retryable=False)
        return PaymentAction(kind="redirect", url=reverse("payments:sandbox", args=[payment.payment_no]))

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> ParsedNotification:
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        nonce = headers.get(NONCE_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if not (timestamp and nonce and signature):
            raise InvalidSignature("missing_signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidSignature("malformed", "body is not UTF-8") from exc
        if not hmac.compare_digest(sign(timestamp, nonce, text), signature):
            raise InvalidSignature("invalid_signature")
        if not timestamp.isdigit() or (_max_skew() and abs(time.time() - int(timestamp)) > _max_skew()):
            raise InvalidSignature("stale_timestamp", "timestamp outside the accepted window")
        try:
            data = json.loads(text)
            return _parse_event(data)
        except (ValueError, KeyError, TypeError, MoneyError) as exc:
            raise InvalidSignature("malformed", str(exc)[:200]) from exc

    def query(self, payment: Payment) -> GatewayStatus:
        trade = SandboxTrade.objects.filter(out_trade_no=payment.payment_no).first()
        if trade is None:
            return GatewayStatus(state=PaymentState.NOT_FOUND)
        return GatewayStatus(
            state=_TRADE_STATES[trade.status],
            amount=trade.amount,
            currency=trade.currency,
            gateway_trade_id=trade.trade_no,
            paid_at=trade.paid_at,
            paid_with=trade.method,
            refunded_amount=trade.refunded_amount,
            raw={"status": trade.status},
        )

    def refund(self, refund: Refund) -> GatewayRefundResult:
        with transaction.atomic():
            existing = SandboxRefund.objects.filter(out_refund_no=refund.refund_no).first()
            if existing is not None:
                return _refund_result(existing)
            trade = (
                SandboxTrade.objects.select_for_update()
                .filter(out_trade_no=refund.payment.payment_no)
                .first()
            )
            if trade is None or trade.status != SandboxTradeStatus.SUCCEEDED:
                return GatewayRefundResult(state=RefundState.FAILED, failure_code="TRADE_NOT_PAID")
            if trade.refunded_amount + refund.amount > trade.amount:
                return GatewayRefundResult(state=RefundState.FAILED, failure_code="REFUND_AMOUNT_EXCEEDED")
            SandboxTrade.objects.filter(pk=trade.pk).update(
                refunded_amount=F("refunded_amount") + refund.amount
            )
            sandbox_refund = SandboxRefund.objects.create(
                trade=trade,
                out_refund_no=refund.refund_no,
                refund_id=time_sortable_number("SBXR"),
                amount=refund.amount,
                status="processing",
            )
            # Like WeChat Pay: accepted now, confirmed by a notification a moment later.
            transaction.on_commit(lambda: provider_settle_refund(sandbox_refund.pk))
            return _refund_result(sandbox_refund)

    def query_refund(self, refund: Refund) -> GatewayRefundResult:
        existing = SandboxRefund.objects.filter(out_refund_no=refund.refund_no).first()
        if existing is None:
            raise GatewayError("refund_not_found", retryable=False)
        return _refund_result(existing)

    def close(self, payment: Payment) -> None:
        with transaction.atomic():
            trade = SandboxTrade.objects.select_for_update().filter(out_trade_no=payment.payment_no).first()
            if trade is None or trade.status == SandboxTradeStatus.CLOSED:
                return
            if trade.status == SandboxTradeStatus.SUCCEEDED:
                raise GatewayError(TRADE_ALREADY_PAID, retryable=False)
            trade.status = SandboxTradeStatus.CLOSED
            trade.save(update_fields=["status"])

    def notification_response(self, *, success: bool) -> HttpResponse:
        if success:
            return JsonResponse({"code": "SUCCESS"})
        return JsonResponse({"code": "FAIL", "message": "失败"}, status=400)


def _refund_result(sandbox_refund: SandboxRefund) -> GatewayRefundResult:
    state = RefundState.SUCCEEDED if sandbox_refund.status == "succeeded" else RefundState.PROCESSING
    return GatewayRefundResult(state=state, gateway_refund_id=sandbox_refund.refund_id)


def _parse_event(data: dict[str, Any]) -> ParsedNotification:
    event = data["event"]
    amount = to_money(data["amount"]) if data.get("amount") not in (None, "") else None
    paid_at = parse_datetime(data["paid_at"]) if data.get("paid_at") else None
    common = {
        "payment_no": str(data["out_trade_no"]),
        "event_id": str(data.get("id", "")),
        "gateway_trade_id": str(data.get("trade_no", "")),
        "currency": str(data.get("currency", "CNY")),
        "raw": data,
    }
    if event in _EVENT_STATES:
        return ParsedNotification(
            kind="payment",
            state=_EVENT_STATES[event],
            amount=amount,
            paid_at=paid_at,
            paid_with=str(data.get("method", "")),
            **common,
        )
    if event in ("refund.succeeded", "refund.failed"):
        return ParsedNotification(
            kind="refund",
            refund_no=str(data["out_refund_no"]),
            refund_state=RefundState.SUCCEEDED if event == "refund.succeeded" else RefundState.FAILED,
            refund_amount=to_money(data["refund_amount"]),
            gateway_refund_id=str(data.get("refund_id", "")),
            **common,
        )
    raise ValueError(f"unknown sandbox event {event!r}")


# --- provider side ---------------------------------------------------------------------------------


class SandboxTradeClosed(Exception):
    """The tester tried to pay a trade the provider no longer accepts payment for."""


def trade_for(payment_no: str) -> SandboxTrade | None:
    return SandboxTrade.objects.filter(out_trade_no=payment_no).first()


def _trade_payload(trade: SandboxTrade, event: str) -> dict[str, Any]:
    return {
        "id": random_token(12),
        "event": event,
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
        "amount": str(trade.amount),
        "currency": trade.currency,
        "method": trade.method,
        "paid_at": trade.paid_at.isoformat() if trade.paid_at else None,
    }


def queue_notification(trade: SandboxTrade, payload: dict[str, Any], event: str) -> SandboxNotification:
    """Sign the notification now; deliver it after commit through the Celery task (with retries)."""
    from shopops.payments.tasks import deliver_sandbox_notification

    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    notification = SandboxNotification.objects.create(
        trade=trade, event=event, headers=signed_headers(body), body=body
    )
    transaction.on_commit(lambda: deliver_sandbox_notification.delay(notification.pk))
    return notification


@transaction.atomic
def provider_pay(payment_no: str, *, method: str, now: datetime | None = None) -> SandboxTrade:
    """The tester pays: the trade succeeds at the provider, and a signed notification goes out."""
    now = now or timezone.now()
    trade = SandboxTrade.objects.select_for_update().get(out_trade_no=payment_no)
    if trade.status == SandboxTradeStatus.SUCCEEDED:
        return trade
    if trade.status == SandboxTradeStatus.CLOSED or (trade.expires_at and trade.expires_at <= now):
        raise SandboxTradeClosed(payment_no)
    trade.status, trade.method, trade.paid_at = SandboxTradeStatus.SUCCEEDED, method, now
    trade.save(update_fields=["status", "method", "paid_at"])
    queue_notification(trade, _trade_payload(trade, "payment.succeeded"), "payment.succeeded")
    return trade


@transaction.atomic
def provider_fail(payment_no: str, *, method: str) -> SandboxTrade:
    """The tester's payment fails (card declined...); the trade stays payable, as at a real cashier."""
    trade = SandboxTrade.objects.select_for_update().get(out_trade_no=payment_no)
    if trade.status in (SandboxTradeStatus.SUCCEEDED, SandboxTradeStatus.CLOSED):
        raise SandboxTradeClosed(payment_no)
    trade.status, trade.method = SandboxTradeStatus.FAILED, method
    trade.save(update_fields=["status", "method"])
    queue_notification(trade, _trade_payload(trade, "payment.failed"), "payment.failed")
    return trade


@transaction.atomic
def provider_settle_refund(sandbox_refund_id: int) -> None:
    """The provider finishes a refund it accepted and notifies the merchant."""
    sandbox_refund = (
        SandboxRefund.objects.select_for_update().select_related("trade").get(pk=sandbox_refund_id)
    )
    if sandbox_refund.status == "succeeded":
        return
    sandbox_refund.status = "succeeded"
    sandbox_refund.save(update_fields=["status"])
    payload = {
        **_trade_payload(sandbox_refund.trade, "refund.succeeded"),
        "out_refund_no": sandbox_refund.out_refund_no,
        "refund_id": sandbox_refund.refund_id,
        "refund_amount": str(sandbox_refund.amount),
    }
    queue_notification(sandbox_refund.trade, payload, "refund.succeeded")
