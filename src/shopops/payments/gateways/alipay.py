"""Alipay (支付宝) adapter on python-alipay-sdk, RSA2 (SHA256withRSA) signatures.

Settings (read with getattr, see the app docstring):
  ALIPAY_APP_ID, ALIPAY_APP_PRIVATE_KEY (our app's private key, PEM or bare base64),
  ALIPAY_PUBLIC_KEY (Alipay's public key from the open platform console, PEM or bare base64),
  ALIPAY_SANDBOX (True: Alipay's own sandbox environment), ALIPAY_SELLER_ID (optional: also check
  the seller of every notification), ALIPAY_TIMEOUT_SECONDS.

Scenes: "page" (PC cashier, default) and "wap" (mobile browser) -> a redirect to Alipay's cashier.
The SDK fetches server APIs (query, refund, close) with urllib; `_TransportAliPay` sends them through
our injected transport instead, so its request signing and response verification still run and the
tests can answer with a fake Alipay that signs like the real one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from Cryptodome.PublicKey import RSA
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from shopops.core.money import MoneyError, to_money
from shopops.payments.gateways import absolute_url, notify_url
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
from shopops.payments.gateways.transport import HttpTransport, default_transport
from shopops.payments.models import Payment, Refund

BEIJING = ZoneInfo("Asia/Shanghai")
SUCCESS_CODE = "10000"
# Alipay's own transient failures: the same request may be sent again.
RETRYABLE_SUB_CODES = {"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR", "ACQ.REFUND_FEE_ERROR_RETRY"}

_TRADE_STATES = {
    "WAIT_BUYER_PAY": PaymentState.PENDING,
    "TRADE_SUCCESS": PaymentState.SUCCEEDED,
    "TRADE_FINISHED": PaymentState.SUCCEEDED,
    "TRADE_CLOSED": PaymentState.CLOSED,
}


@dataclass(frozen=True)
class AlipayConfig:
    app_id: str
    app_private_key: str
    alipay_public_key: str
    sandbox: bool = False
    seller_id: str = ""
    timeout: float = 15.0


def to_pem(key: str, *, private: bool) -> str:
    """Accept a PEM or the bare base64 the Alipay console hands out; return PEM the SDK can load."""
    key = key.strip()
    if key.startswith("-----BEGIN"):
        return key
    try:
        der = base64.b64decode("".join(key.split()))
        return RSA.import_key(der).export_key(format="PEM", pkcs=8 if private else 1).decode()
    except (ValueError, IndexError, TypeError, binascii.Error) as exc:
        raise ValueError("not an RSA key in PEM or base64 DER form") from exc


class _TransportAliPay(AliPay):
    """AliPay whose server API calls go through an HttpTransport instead of urlopen."""

    def __init__(self, *args: Any, transport: HttpTransport, timeout: float, **kwargs: Any) -> None:
        self._transport = transport
        self._timeout_seconds = timeout
        super().__init__(*args, **kwargs)

    def verified_sync_response(self, data: dict[str, Any], response_type: str) -> dict[str, Any]:
        url = self._gateway + "?" + self.sign_data(data)
        reply = self._transport.request("GET", url, timeout=self._timeout_seconds)
        if reply.status >= 500:
            raise GatewayError("gateway_http_error", f"HTTP {reply.status}", retryable=True)
        return self._verify_and_return_sync_response(reply.text, response_type)


def _beijing(value: datetime) -> str:
    return timezone.localtime(value, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _parse_beijing(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def _absolute(url: str) -> str | None:
    if not url:
        return None
    return absolute_url(url) if url.startswith("/") else url


def _money_or_none(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return to_money(str(value))


class AlipayGateway(PaymentGateway):
    channel = "alipay"
    scenes = ("", "page", "wap")

    def __init__(self, config: AlipayConfig, *, transport: HttpTransport | None = None) -> None:
        self.config = config
        self.client = _TransportAliPay(
            appid=config.app_id,
            app_private_key_string=to_pem(config.app_private_key, private=True),
            alipay_public_key_string=to_pem(config.alipay_public_key, private=False),
            sign_type="RSA2",
            debug=config.sandbox,
            transport=transport or default_transport(),
            timeout=config.timeout,
        )

    @classmethod
    def from_settings(cls) -> AlipayGateway:
        return cls(
            AlipayConfig(
                app_id=getattr(settings, "ALIPAY_APP_ID", ""),
                app_private_key=getattr(settings, "ALIPAY_APP_PRIVATE_KEY", ""),
                alipay_public_key=getattr(settings, "ALIPAY_PUBLIC_KEY", ""),
                sandbox=bool(getattr(settings, "ALIPAY_SANDBOX", False)),
                seller_id=getattr(settings, "ALIPAY_SELLER_ID", ""),
                timeout=float(getattr(settings, "ALIPAY_TIMEOUT_SECONDS", 15)),
            )
        )

    # --- creating a payment ------------------------------------------------------------------------

    def create_payment(
        self, payment: Payment, *, payer_openid: str = "", client_ip: str = ""
    ) -> PaymentAction:
        arguments = {
            "subject": payment.subject[:256],
            "out_trade_no": payment.payment_no,
            "total_amount": str(payment.amount),
            "return_url": _absolute(payment.return_url),
            "notify_url": notify_url(self.channel),
            "time_expire": _beijing(payment.expires_at),
        }
        if payment.scene == "wap":
            signed = self.client.api_alipay_trade_wap_pay(**arguments)
        else:
            signed = self.client.api_alipay_trade_page_pay(**arguments)
        return PaymentAction(kind="redirect", url=f"{self.client._gateway}?{signed}")

    # --- notifications -----------------------------------------------------------------------------

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> ParsedNotification:
        try:
            data = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidSignature("malformed", "not a form-encoded UTF-8 body") from exc
        signature = data.pop("sign", "")
        if not signature:
            raise InvalidSignature("missing_signature")
        unsigned = {k: v for k, v in data.items() if k != "sign_type"}
        if data.get("sign_type", "RSA2") != "RSA2":
            raise InvalidSignature("unsupported_sign_type", data.get("sign_type", ""))
        try:
            valid = self.client.verify(dict(unsigned), signature)
        except (ValueError, TypeError, binascii.Error) as exc:
            raise InvalidSignature("invalid_signature", str(exc)[:200]) from exc
        if not valid:
            raise InvalidSignature("invalid_signature")
        # A valid signature only proves Alipay sent it: it must also be for our app (and seller).
        if data.get("app_id") != self.config.app_id:
            raise InvalidSignature("app_id_mismatch", data.get("app_id", ""))
        if self.config.seller_id and data.get("seller_id") != self.config.seller_id:
            raise InvalidSignature("seller_id_mismatch", data.get("seller_id", ""))
        try:
            return self._to_parsed(data)
        except (KeyError, MoneyError) as exc:
            raise InvalidSignature("malformed", str(exc)[:200]) from exc

    def _to_parsed(self, data: dict[str, str]) -> ParsedNotification:
        common = {
            "payment_no": data["out_trade_no"],
            "event_id": data.get("notify_id", ""),
            "gateway_trade_id": data.get("trade_no", ""),
            "currency": data.get("trans_currency") or "CNY",
            "raw": data,
        }
        # A refund shows up as a trade_status_sync carrying out_biz_no (our refund number). Its
        # refund_fee is the trade's running refund total, not this refund's amount.
        if data.get("out_biz_no") and (data.get("refund_fee") or data.get("gmt_refund")):
            return ParsedNotification(
                kind="refund",
                refund_no=data["out_biz_no"],
                refund_state=RefundState.SUCCEEDED,
                refund_amount=None,
                **common,
            )
        trade_status = data["trade_status"]
        if trade_status not in _TRADE_STATES:
            raise KeyError(f"unknown trade_status {trade_status}")
        return ParsedNotification(
            kind="payment",
            state=_TRADE_STATES[trade_status],
            amount=to_money(data["total_amount"]),
            paid_at=_parse_beijing(data.get("gmt_payment")),
            paid_with="alipay",
            **common,
        )

    def notification_response(self, *, success: bool) -> HttpResponse:
        # Alipay stops retrying only on the exact plain-text body "success".
        return HttpResponse("success" if success else "failure", content_type="text/plain")

    # --- server APIs -------------------------------------------------------------------------------

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self.client, method)(**kwargs)
        except AliPayValidationError as exc:
            raise GatewayError("response_signature_invalid", method, retryable=True) from exc
        except AliPayException as exc:
            raise GatewayError("gateway_error", str(exc)[:200], retryable=True) from exc
        except (ValueError, json.JSONDecodeError) as exc:
            raise GatewayError("malformed_response", str(exc)[:200], retryable=True) from exc

    @staticmethod
    def _failure(response: dict[str, Any]) -> GatewayError:
        sub_code = response.get("sub_code", "")
        retryable = response.get("code") == "20000" or sub_code in RETRYABLE_SUB_CODES
        return GatewayError(
            sub_code or f"alipay_{response.get('code')}", response.get("sub_msg", ""), retryable=retryable
        )

    def query(self, payment: Payment) -> GatewayStatus:
        response = self._call("api_alipay_trade_query", out_trade_no=payment.payment_no)
        if response.get("code") != SUCCESS_CODE:
            if response.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return GatewayStatus(state=PaymentState.NOT_FOUND, raw=response)
            raise self._failure(response)
        return GatewayStatus(
            state=_TRADE_STATES.get(response.get("trade_status", ""), PaymentState.PENDING),
            amount=_money_or_none(response.get("total_amount")),
            currency=response.get("trans_currency") or "CNY",
            gateway_trade_id=response.get("trade_no", ""),
            paid_at=_parse_beijing(response.get("send_pay_date")),
            paid_with="alipay",
            raw=response,
        )

    def refund(self, refund: Refund) -> GatewayRefundResult:
        response = self._call(
            "api_alipay_trade_refund",
            refund_amount=str(refund.amount),
            out_trade_no=refund.payment.payment_no,
            out_request_no=refund.refund_no,
            refund_reason=refund.reason[:256] or None,
        )
        if response.get("code") == SUCCESS_CODE:
            # fund_change "N" also answers a repeat of a refund already made: confirm it by query.
            state = RefundState.SUCCEEDED if response.get("fund_change") == "Y" else RefundState.PROCESSING
            return GatewayRefundResult(
                state=state, gateway_refund_id=response.get("trade_no", ""), raw=response
            )
        error = self._failure(response)
        if error.retryable:
            raise error
        return GatewayRefundResult(state=RefundState.FAILED, failure_code=error.code, raw=response)

    def query_refund(self, refund: Refund) -> GatewayRefundResult:
        response = self._call(
            "api_alipay_trade_fastpay_refund_query",
            out_request_no=refund.refund_no,
            out_trade_no=refund.payment.payment_no,
        )
        if response.get("code") != SUCCESS_CODE:
            raise self._failure(response)
        if response.get("refund_status") == "REFUND_SUCCESS":
            return GatewayRefundResult(
                state=RefundState.SUCCEEDED, gateway_refund_id=response.get("trade_no", ""), raw=response
            )
        return GatewayRefundResult(state=RefundState.PROCESSING, raw=response)

    def close(self, payment: Payment) -> None:
        response = self._call("api_alipay_trade_close", out_trade_no=payment.payment_no)
        if response.get("code") == SUCCESS_CODE:
            return
        sub_code = response.get("sub_code", "")
        if sub_code == "ACQ.TRADE_NOT_EXIST":
            return  # the shopper never opened the cashier: nothing to close at Alipay
        if sub_code == "ACQ.TRADE_STATUS_ERROR":
            status = self.query(payment)
            if status.state == PaymentState.SUCCEEDED:
                raise GatewayError(TRADE_ALREADY_PAID, retryable=False)
            if status.state in (PaymentState.CLOSED, PaymentState.NOT_FOUND):
                return
        raise self._failure(response)
