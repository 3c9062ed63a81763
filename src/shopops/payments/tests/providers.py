"""Offline stand-ins for Alipay and WeChat Pay: key pairs made here, messages signed as the real
providers sign them, and fake HTTP transports that answer the adapters' server calls.

Only the outside services are faked; the adapters and the SDKs under them run for real.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from requests.structures import CaseInsensitiveDict

from shopops.core.money import to_fen
from shopops.payments.gateways.alipay import AlipayConfig, AlipayGateway
from shopops.payments.gateways.transport import HttpReply
from shopops.payments.gateways.wechat import WechatPayConfig, WechatPayGateway


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey

    @property
    def private_pem(self) -> str:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    @property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    @property
    def public_base64(self) -> str:
        """The bare base64 form the Alipay console shows."""
        return "".join(self.public_pem.strip().splitlines()[1:-1])

    def sign(self, message: str) -> str:
        signature = self.private.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def verify(self, message: str, signature: str) -> bool:
        try:
            self.private.public_key().verify(
                base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return False
        return True


@lru_cache(maxsize=8)
def key_pair(name: str) -> KeyPair:
    """One 2048-bit RSA key pair per name for the whole test session (generation is slow)."""
    return KeyPair(rsa.generate_private_key(public_exponent=65537, key_size=2048))


# --- Alipay ------------------------------------------------------------------------------------------

ALIPAY_APP_ID = "2021000000000001"
ALIPAY_SELLER_ID = "2088000000000001"


def alipay_sign_string(data: dict[str, str]) -> str:
    """Alipay's string to sign: sorted key=value pairs, sign and sign_type left out, values raw."""
    return "&".join(f"{k}={v}" for k, v in sorted(data.items()) if k not in ("sign", "sign_type") and v != "")


def alipay_notification(*, key: KeyPair | None = None, **fields: Any) -> bytes:
    """A trade_status_sync notification signed with Alipay's private key, form-encoded as sent."""
    data = {
        "notify_time": "2026-01-01 12:00:05",
        "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16),
        "app_id": ALIPAY_APP_ID,
        "charset": "utf-8",
        "version": "1.0",
        "seller_id": ALIPAY_SELLER_ID,
        "buyer_id": "2088102177846880",
        "trade_no": "2026010122001400000000000001",
        "trade_status": "TRADE_SUCCESS",
        "gmt_create": "2026-01-01 12:00:00",
        "gmt_payment": "2026-01-01 12:00:04",
        "subject": "ShopOps 订单",
        **{k: str(v) for k, v in fields.items()},
    }
    data["sign"] = (key or key_pair("alipay")).sign(alipay_sign_string(data))
    data["sign_type"] = "RSA2"
    return urlencode(data).encode()


@dataclass
class FakeAlipay:
    """Alipay's openapi gateway: checks our request signature, answers signed like Alipay does."""

    trades: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    down: bool = False

    def request(self, method: str, url: str, *, headers=None, body=None, timeout: float = 15.0) -> HttpReply:
        from shopops.payments.gateways.base import GatewayError

        if self.down:
            raise GatewayError("transport_error", "connection refused", retryable=True)
        params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        signature = params.pop("sign")
        message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        assert key_pair("alipay-app").verify(message, signature), "request not signed with the app key"
        assert params["app_id"] == ALIPAY_APP_ID
        name = params["method"]
        self.calls.append(name)
        biz = json.loads(params.get("biz_content") or "{}")
        content = getattr(self, "_" + name.replace(".", "_"))(biz)
        content_json = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        response_type = name.replace(".", "_") + "_response"
        sign = key_pair("alipay").sign(content_json)
        return HttpReply(200, f'{{"{response_type}":{content_json},"sign":"{sign}"}}', CaseInsensitiveDict())

    def pay(self, out_trade_no: str, amount: str, status: str = "TRADE_SUCCESS") -> None:
        self.trades[out_trade_no] = {
            "trade_no": f"2026{len(self.trades):024d}",
            "total_amount": amount,
            "trade_status": status,
            "send_pay_date": "2026-01-01 12:00:04",
        }

    def _alipay_trade_query(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self.trades.get(biz["out_trade_no"])
        if trade is None:
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"}
        return {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"], **trade}

    def _alipay_trade_refund(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self.trades.get(biz["out_trade_no"])
        if trade is None or trade["trade_status"] != "TRADE_SUCCESS":
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR"}
        if biz["out_request_no"] in self.refunds:
            return {"code": "10000", "msg": "Success", "fund_change": "N", "trade_no": trade["trade_no"]}
        refunded = sum(
            Decimal(r["amount"]) for r in self.refunds.values() if r["trade"] == biz["out_trade_no"]
        )
        if refunded + Decimal(biz["refund_amount"]) > Decimal(trade["total_amount"]):
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"}
        self.refunds[biz["out_request_no"]] = {"trade": biz["out_trade_no"], "amount": biz["refund_amount"]}
        return {
            "code": "10000",
            "msg": "Success",
            "fund_change": "Y",
            "trade_no": trade["trade_no"],
            "refund_fee": str(refunded + Decimal(biz["refund_amount"])),
        }

    def _alipay_trade_fastpay_refund_query(self, biz: dict[str, Any]) -> dict[str, Any]:
        refund = self.refunds.get(biz["out_request_no"])
        if refund is None:
            return {"code": "10000", "msg": "Success"}
        return {
            "code": "10000",
            "msg": "Success",
            "refund_status": "REFUND_SUCCESS",
            "refund_amount": refund["amount"],
        }

    def _alipay_trade_close(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self.trades.get(biz["out_trade_no"])
        if trade is None:
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"}
        if trade["trade_status"] != "WAIT_BUYER_PAY":
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR"}
        trade["trade_status"] = "TRADE_CLOSED"
        return {"code": "10000", "msg": "Success"}


def alipay_gateway(
    transport: FakeAlipay | None = None, *, public_key_as_base64: bool = True
) -> AlipayGateway:
    alipay_key = key_pair("alipay")
    return AlipayGateway(
        AlipayConfig(
            app_id=ALIPAY_APP_ID,
            app_private_key=key_pair("alipay-app").private_pem,
            alipay_public_key=alipay_key.public_base64 if public_key_as_base64 else alipay_key.public_pem,
            seller_id=ALIPAY_SELLER_ID,
        ),
        transport=transport or FakeAlipay(),
    )


# --- WeChat Pay --------------------------------------------------------------------------------------

WECHAT_MCHID = "1900000109"
WECHAT_APPID = "wxd678efh567hg6787"
WECHAT_APIV3_KEY = "0123456789abcdef0123456789abcdef"  # 32 bytes, as WeChat Pay requires
WECHAT_PUBLIC_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000"
WECHAT_MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
GATEWAY = "https://api.mch.weixin.qq.com"


def wechat_signed_headers(
    text: str, *, key: KeyPair | None = None, timestamp: int | None = None
) -> dict[str, str]:
    ts, nonce = str(timestamp if timestamp is not None else int(time.time())), secrets.token_hex(16)
    return {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": WECHAT_PUBLIC_KEY_ID,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Wechatpay-Signature": (key or key_pair("wechat-platform")).sign(f"{ts}\n{nonce}\n{text}\n"),
    }


def encrypt_resource(
    resource: dict[str, Any], *, apiv3_key: str = WECHAT_APIV3_KEY, kind: str = "transaction"
) -> dict:
    nonce = secrets.token_hex(6)  # 12 characters, as in WeChat's notifications
    associated_data = kind
    sealed = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), associated_data.encode()
    )
    return {
        "original_type": kind,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def wechat_transaction(out_trade_no: str, amount: Decimal | str, **overrides: Any) -> dict[str, Any]:
    return {
        "mchid": WECHAT_MCHID,
        "appid": WECHAT_APPID,
        "out_trade_no": out_trade_no,
        "transaction_id": "4200000000202601010000000001",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "CMC",
        "success_time": "2026-01-01T12:00:04+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {
            "total": to_fen(amount),
            "payer_total": to_fen(amount),
            "currency": "CNY",
            "payer_currency": "CNY",
        },
        **overrides,
    }


def wechat_notification(
    resource: dict[str, Any],
    *,
    event_type: str = "TRANSACTION.SUCCESS",
    key: KeyPair | None = None,
    apiv3_key: str = WECHAT_APIV3_KEY,
    timestamp: int | None = None,
) -> tuple[dict[str, str], bytes]:
    """(headers, body) of a notification exactly as WeChat Pay v3 sends it."""
    kind = "refund" if event_type.startswith("REFUND") else "transaction"
    body = json.dumps(
        {
            "id": f"EV-{secrets.token_hex(8)}",
            "create_time": "2026-01-01T12:00:05+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": encrypt_resource(resource, apiv3_key=apiv3_key, kind=kind),
        },
        ensure_ascii=False,
    )
    return wechat_signed_headers(body, key=key, timestamp=timestamp), body.encode()


_AUTH = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class FakeWechatPay:
    """api.mch.weixin.qq.com: checks our Authorization signature, answers signed with the platform key."""

    trades: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    last_body: dict[str, Any] = field(default_factory=dict)

    def request(self, method: str, url: str, *, headers=None, body=None, timeout: float = 15.0) -> HttpReply:
        path = url.removeprefix(GATEWAY)
        scheme, _, params = headers["Authorization"].partition(" ")
        auth = dict(_AUTH.findall(params))
        assert scheme == "WECHATPAY2-SHA256-RSA2048" and auth["mchid"] == WECHAT_MCHID
        message = f"{method}\n{path}\n{auth['timestamp']}\n{auth['nonce_str']}\n{body or ''}\n"
        assert key_pair("wechat-merchant").verify(message, auth["signature"]), (
            "request not signed by merchant"
        )
        self.calls.append(f"{method} {path}")
        self.last_body = json.loads(body) if body else {}
        status, payload = self._route(method, path, self.last_body)
        text = json.dumps(payload, ensure_ascii=False) if payload is not None else ""
        reply_headers = CaseInsensitiveDict(
            {"Content-Type": "application/json", **wechat_signed_headers(text)}
        )
        return HttpReply(status, text, reply_headers)

    def pay(self, out_trade_no: str, amount: Decimal | str, state: str = "SUCCESS") -> None:
        self.trades[out_trade_no] = wechat_transaction(out_trade_no, amount, trade_state=state)

    def _route(self, method: str, path: str, data: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        if method == "POST" and path.startswith("/v3/pay/transactions/") and "/out-trade-no/" not in path:
            scene = path.rsplit("/", 1)[1]
            self.trades.setdefault(
                data["out_trade_no"], wechat_transaction(data["out_trade_no"], "0", trade_state="NOTPAY")
            )
            self.trades[data["out_trade_no"]]["amount"]["total"] = data["amount"]["total"]
            if scene == "native":
                return 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_hex(4)}"}
            if scene == "h5":
                return 200, {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"}
            return 200, {"prepay_id": "wx201410272009395522657a690389285100"}
        match = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/?]+)(/close)?(\?.*)?", path)
        if match:
            trade = self.trades.get(match.group(1))
            if match.group(2):  # close
                if trade is None:
                    return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
                if trade["trade_state"] == "SUCCESS":
                    return 400, {"code": "ORDERPAID", "message": "订单已支付"}
                trade["trade_state"] = "CLOSED"
                return 204, None
            if trade is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            return 200, trade
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            trade = self.trades.get(data["out_trade_no"])
            if trade is None or trade["trade_state"] not in ("SUCCESS", "REFUND"):
                return 400, {"code": "INVALID_REQUEST", "message": "订单状态不正确"}
            refund = self.refunds.setdefault(
                data["out_refund_no"],
                {
                    "refund_id": f"5030{len(self.refunds):024d}",
                    "out_refund_no": data["out_refund_no"],
                    "status": "PROCESSING",
                    "amount": data["amount"],
                },
            )
            return 200, refund
        match = re.fullmatch(r"/v3/refund/domestic/refunds/([^/?]+)", path)
        if match:
            refund = self.refunds.get(match.group(1))
            return (
                (200, refund) if refund else (404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
            )
        return 404, {"code": "NOT_FOUND", "message": path}


def wechat_gateway(transport: FakeWechatPay | None = None) -> WechatPayGateway:
    return WechatPayGateway(
        WechatPayConfig(
            mchid=WECHAT_MCHID,
            appid=WECHAT_APPID,
            private_key=key_pair("wechat-merchant").private_pem,
            cert_serial_no=WECHAT_MERCHANT_SERIAL,
            apiv3_key=WECHAT_APIV3_KEY,
            public_key=key_pair("wechat-platform").public_pem,
            public_key_id=WECHAT_PUBLIC_KEY_ID,
        ),
        transport=transport or FakeWechatPay(),
    )
