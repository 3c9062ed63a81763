"""WeChat Pay API v3 (微信支付) adapter on wechatpayv3.

Settings (read with getattr):
  WECHATPAY_MCHID, WECHATPAY_APPID, WECHATPAY_PRIVATE_KEY (merchant API private key, PEM),
  WECHATPAY_CERT_SERIAL_NO (serial of the merchant API certificate), WECHATPAY_APIV3_KEY (32 bytes),
  WECHATPAY_PUBLIC_KEY + WECHATPAY_PUBLIC_KEY_ID (the "微信支付公钥" that verifies WeChat's signatures),
  WECHATPAY_TIMEOUT_SECONDS.

Only the platform public-key mode is supported: WeChat Pay's recommended mode for merchants, and the
one that needs no certificate download at start-up (the legacy platform-certificate mode would fetch
/v3/certificates before every first use).

Notifications: RSA-SHA256 signature of "{Wechatpay-Timestamp}\\n{Wechatpay-Nonce}\\n{body}\\n" with
WeChat's key; the payload (`resource`) is AES-256-GCM encrypted with our APIv3 key. Both checked by
the SDK's callback(); we check the key id, the timestamp window and the merchant first.

Scenes: "native" (default: a code_url to show as a QR code), "jsapi" (inside WeChat: needs the
payer's openid; returns the parameters for WeixinJSBridge), "h5" (mobile browser: a redirect).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from requests.structures import CaseInsensitiveDict
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core
from wechatpayv3.type import RequestType
from wechatpayv3.utils import build_authorization

from shopops.core.money import from_fen, to_fen
from shopops.payments.gateways import notify_url
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

_TRADE_STATES = {
    "SUCCESS": PaymentState.SUCCEEDED,
    "REFUND": PaymentState.SUCCEEDED,  # paid, then (partly) refunded
    "NOTPAY": PaymentState.PENDING,
    "USERPAYING": PaymentState.PENDING,
    "ACCEPT": PaymentState.PENDING,
    "CLOSED": PaymentState.CLOSED,
    "REVOKED": PaymentState.CLOSED,
    "PAYERROR": PaymentState.FAILED,
}
_REFUND_STATES = {
    "SUCCESS": RefundState.SUCCEEDED,
    "PROCESSING": RefundState.PROCESSING,
    "CLOSED": RefundState.FAILED,
    "ABNORMAL": RefundState.FAILED,
}
_REFUND_EVENTS = {
    "REFUND.SUCCESS": RefundState.SUCCEEDED,
    "REFUND.ABNORMAL": RefundState.FAILED,
    "REFUND.CLOSED": RefundState.FAILED,
}
_SCENES = {"native": WeChatPayType.NATIVE, "jsapi": WeChatPayType.JSAPI, "h5": WeChatPayType.H5}
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"


@dataclass(frozen=True)
class WechatPayConfig:
    mchid: str
    appid: str
    private_key: str
    cert_serial_no: str
    apiv3_key: str
    public_key: str
    public_key_id: str
    timeout: float = 15.0
    max_skew_seconds: int = 300


class _TransportCore(Core):
    """The SDK core with its HTTP calls sent through our transport.

    Signing (build_authorization) and the check of WeChat's response signature are the SDK's own;
    only the HTTP send differs, because the SDK calls module-level `requests` functions that
    cannot be pointed elsewhere per instance.
    """

    def __init__(self, *, transport: HttpTransport, **kwargs: Any) -> None:
        self._transport = transport
        super().__init__(**kwargs)

    def request(
        self,
        path: str,
        method: RequestType = RequestType.GET,
        data: Any = None,
        skip_verify: bool = False,
        sign_data: Any = None,
        files: Any = None,
        cipher_data: bool = False,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        if files:
            raise GatewayError("unsupported", "file uploads are not used by ShopOps", retryable=False)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")) if data else ""
        request_headers = {
            **(headers or {}),
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "shopops-payments (wechatpayv3)",
            "Authorization": build_authorization(
                path,
                method.value,
                self._mchid,
                self._cert_serial_no,
                self._private_key,
                data=sign_data or body,
            ),
        }
        if self._public_key_id:
            request_headers["Wechatpay-Serial"] = self._public_key_id
        reply = self._transport.request(
            method.value,
            self._gate_way + path,
            headers=request_headers,
            body=body or None,
            timeout=self._timeout,
        )
        if reply.status >= 500 or reply.status == 429:
            raise GatewayError("gateway_http_error", f"HTTP {reply.status}", retryable=True)
        if (
            200 <= reply.status < 300
            and not skip_verify
            and not self._verify_signature(reply.headers, reply.text)
        ):
            raise GatewayError("response_signature_invalid", path, retryable=True)
        return reply.status, reply.text


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError as exc:
        raise GatewayError("malformed_response", text[:200], retryable=True) from exc
    return value if isinstance(value, dict) else {}


class WechatPayGateway(PaymentGateway):
    channel = "wechat"
    scenes = ("", "native", "jsapi", "h5")

    def __init__(self, config: WechatPayConfig, *, transport: HttpTransport | None = None) -> None:
        self.config = config
        self.client = WeChatPay(
            wechatpay_type=WeChatPayType.NATIVE,
            mchid=config.mchid,
            private_key=config.private_key,
            cert_serial_no=config.cert_serial_no,
            appid=config.appid,
            apiv3_key=config.apiv3_key,
            notify_url=notify_url(self.channel),
            public_key=config.public_key,
            public_key_id=config.public_key_id,
            timeout=config.timeout,
        )
        # Swap the SDK core for one that sends through our transport (see _TransportCore).
        self.client._core = _TransportCore(
            transport=transport or default_transport(),
            mchid=config.mchid,
            cert_serial_no=config.cert_serial_no,
            private_key=config.private_key,
            apiv3_key=config.apiv3_key,
            timeout=config.timeout,
            public_key=config.public_key,
            public_key_id=config.public_key_id,
        )

    @classmethod
    def from_settings(cls) -> WechatPayGateway:
        return cls(
            WechatPayConfig(
                mchid=getattr(settings, "WECHATPAY_MCHID", ""),
                appid=getattr(settings, "WECHATPAY_APPID", ""),
                private_key=getattr(settings, "WECHATPAY_PRIVATE_KEY", ""),
                cert_serial_no=getattr(settings, "WECHATPAY_CERT_SERIAL_NO", ""),
                apiv3_key=getattr(settings, "WECHATPAY_APIV3_KEY", ""),
                public_key=getattr(settings, "WECHATPAY_PUBLIC_KEY", ""),
                public_key_id=getattr(settings, "WECHATPAY_PUBLIC_KEY_ID", ""),
                timeout=float(getattr(settings, "WECHATPAY_TIMEOUT_SECONDS", 15)),
                max_skew_seconds=int(getattr(settings, "PAYMENTS_NOTIFY_MAX_SKEW_SECONDS", 300)),
            )
        )

    # --- creating a payment ------------------------------------------------------------------------

    def create_payment(
        self, payment: Payment, *, payer_openid: str = "", client_ip: str = ""
    ) -> PaymentAction:
        scene = payment.scene or "native"
        if scene not in _SCENES:
            raise GatewayError("unsupported_scene", scene, retryable=False)
        if scene == "jsapi" and not payer_openid:
            raise GatewayError("openid_required", "JSAPI payment needs the payer's openid", retryable=False)
        arguments: dict[str, Any] = {
            "description": payment.subject[:127],
            "out_trade_no": payment.payment_no,
            "amount": {"total": to_fen(payment.amount), "currency": payment.currency},
            "time_expire": timezone.localtime(payment.expires_at).isoformat(timespec="seconds"),
            "pay_type": _SCENES[scene],
        }
        if scene == "jsapi":
            arguments["payer"] = {"openid": payer_openid}
        if scene == "h5":
            arguments["scene_info"] = {
                "payer_client_ip": client_ip or "127.0.0.1",
                "h5_info": {"type": "Wap"},
            }
        status, text = self._call(self.client.pay, **arguments)
        data = _json(text)
        if status != 200:
            raise self._failure(status, data)
        if scene == "native":
            return PaymentAction(kind="qr_code", qr_code=data["code_url"])
        if scene == "h5":
            return PaymentAction(kind="redirect", url=data["h5_url"])
        return PaymentAction(kind="jsapi", params=self._jsapi_params(data["prepay_id"]))

    def _jsapi_params(self, prepay_id: str) -> dict[str, str]:
        timestamp, nonce, package = str(int(time.time())), secrets.token_hex(16), f"prepay_id={prepay_id}"
        return {
            "appId": self.config.appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": self.client.sign([self.config.appid, timestamp, nonce, package]),
        }

    # --- notifications -----------------------------------------------------------------------------

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> ParsedNotification:
        headers = CaseInsensitiveDict(headers)
        for name in ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"):
            if not headers.get(name):
                raise InvalidSignature("missing_signature", name)
        if headers.get("Wechatpay-Signature-Type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
            raise InvalidSignature("unsupported_sign_type", headers.get("Wechatpay-Signature-Type", ""))
        # Checked before the SDK: an unknown key id would make it download certificates per request.
        if headers["Wechatpay-Serial"] != self.config.public_key_id:
            raise InvalidSignature("unknown_key", headers["Wechatpay-Serial"])
        timestamp = headers["Wechatpay-Timestamp"]
        skew = self.config.max_skew_seconds
        if not timestamp.isdigit() or (skew and abs(time.time() - int(timestamp)) > skew):
            raise InvalidSignature("stale_timestamp", timestamp)
        headers.setdefault("Wechatpay-Signature-Type", SIGNATURE_TYPE)
        try:
            text = body.decode("utf-8")
            result = self.client.callback(headers, text)
        except InvalidSignature:
            raise
        except Exception as exc:  # the SDK raises bare Exception for unsupported algorithms
            raise InvalidSignature("invalid_signature", str(exc)[:200]) from exc
        if not result:
            # The SDK answers None for a bad signature and for a resource our APIv3 key cannot open.
            raise InvalidSignature("invalid_signature", "signature or resource decryption failed")
        try:
            return self._to_parsed(result)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidSignature("malformed", str(exc)[:200]) from exc

    def _to_parsed(self, result: dict[str, Any]) -> ParsedNotification:
        event_type = result.get("event_type", "")
        resource = result["resource"]
        if resource.get("mchid") != self.config.mchid:
            raise InvalidSignature("mchid_mismatch", str(resource.get("mchid")))
        common = {
            "payment_no": resource["out_trade_no"],
            "event_id": str(result.get("id", "")),
            "gateway_trade_id": resource.get("transaction_id", ""),
            "raw": result,
        }
        if event_type == "TRANSACTION.SUCCESS":
            if resource.get("appid") != self.config.appid:
                raise InvalidSignature("appid_mismatch", str(resource.get("appid")))
            amount = resource["amount"]
            return ParsedNotification(
                kind="payment",
                state=_TRADE_STATES.get(resource.get("trade_state", ""), PaymentState.PENDING),
                amount=from_fen(int(amount["total"])),
                currency=amount.get("currency", "CNY"),
                paid_at=parse_datetime(resource.get("success_time") or ""),
                paid_with="wechat",
                **common,
            )
        if event_type in _REFUND_EVENTS:
            return ParsedNotification(
                kind="refund",
                refund_no=resource["out_refund_no"],
                refund_state=_REFUND_EVENTS[event_type],
                refund_amount=from_fen(int(resource["amount"]["refund"])),
                gateway_refund_id=resource.get("refund_id", ""),
                **common,
            )
        raise ValueError(f"unhandled event_type {event_type!r}")

    def notification_response(self, *, success: bool) -> HttpResponse:
        if success:
            return JsonResponse({"code": "SUCCESS", "message": "成功"})
        return JsonResponse({"code": "FAIL", "message": "失败"}, status=400)

    # --- server APIs -------------------------------------------------------------------------------

    @staticmethod
    def _call(method: Any, **kwargs: Any) -> tuple[int, str]:
        try:
            return method(**kwargs)
        except GatewayError:
            raise
        except Exception as exc:  # the SDK raises bare Exception for missing arguments
            raise GatewayError("client_error", str(exc)[:200], retryable=False) from exc

    @staticmethod
    def _failure(status: int, data: dict[str, Any]) -> GatewayError:
        code = data.get("code") or f"http_{status}"
        retryable = code in {"SYSTEM_ERROR", "SYSTEMERROR", "FREQUENCY_LIMITED", "BANKERROR"}
        return GatewayError(code, data.get("message", ""), retryable=retryable)

    def query(self, payment: Payment) -> GatewayStatus:
        status, text = self._call(self.client.query, out_trade_no=payment.payment_no)
        data = _json(text)
        if status == 404 or data.get("code") == "ORDER_NOT_EXIST":
            return GatewayStatus(state=PaymentState.NOT_FOUND, raw=data)
        if status != 200:
            raise self._failure(status, data)
        amount = data.get("amount") or {}
        return GatewayStatus(
            state=_TRADE_STATES.get(data.get("trade_state", ""), PaymentState.PENDING),
            amount=from_fen(int(amount["total"])) if "total" in amount else None,
            currency=amount.get("currency", "CNY"),
            gateway_trade_id=data.get("transaction_id", ""),
            paid_at=parse_datetime(data.get("success_time") or ""),
            paid_with="wechat",
            raw=data,
        )

    def refund(self, refund: Refund) -> GatewayRefundResult:
        status, text = self._call(
            self.client.refund,
            out_refund_no=refund.refund_no,
            amount={
                "refund": to_fen(refund.amount),
                "total": to_fen(refund.payment.amount),
                "currency": "CNY",
            },
            out_trade_no=refund.payment.payment_no,
            reason=refund.reason[:80] or None,
        )
        return self._refund_result(status, _json(text))

    def query_refund(self, refund: Refund) -> GatewayRefundResult:
        status, text = self._call(self.client.query_refund, out_refund_no=refund.refund_no)
        return self._refund_result(status, _json(text))

    def _refund_result(self, status: int, data: dict[str, Any]) -> GatewayRefundResult:
        if status != 200:
            error = self._failure(status, data)
            if error.retryable:
                raise error
            return GatewayRefundResult(state=RefundState.FAILED, failure_code=error.code, raw=data)
        return GatewayRefundResult(
            state=_REFUND_STATES.get(data.get("status", ""), RefundState.PROCESSING),
            gateway_refund_id=data.get("refund_id", ""),
            raw=data,
        )

    def close(self, payment: Payment) -> None:
        status, text = self._call(self.client.close, out_trade_no=payment.payment_no)
        if status in (200, 204):
            return
        data = _json(text)
        if data.get("code") == "ORDERPAID":
            raise GatewayError(TRADE_ALREADY_PAID, retryable=False)
        if data.get("code") in ("ORDER_NOT_EXIST", "ORDERCLOSED"):
            return
        raise self._failure(status, data)
