"""Sending text messages: one small interface, a development provider and an HTTP gateway provider.

The provider is chosen by ``settings.SMS_PROVIDER`` (a dotted path), so production plugs in its
gateway without touching the verification logic in services.py.

Development outbox
    ``ConsoleSmsProvider`` logs every message and keeps the last ``OUTBOX_SIZE`` messages per phone
    in the cache under ``sms:outbox:<11-digit phone>`` (with the cache's KEY_PREFIX) for
    ``OUTBOX_TTL_SECONDS``. Tests, e2e journeys and demos read it through ``sms_outbox(phone)`` or
    ``last_sms_code(phone)`` instead of a real handset.

HTTP gateway protocol (``HttpSmsProvider``)
    POST settings.SMS_HTTP_URL with a JSON body
        {"phone": "13812345678", "sign_name": "ShopOps", "template": "register",
         "params": {"code": "123456", "minutes": "5"}, "text": "【ShopOps】..."}
    and headers
        X-Api-Key:   settings.SMS_HTTP_API_KEY
        X-Timestamp: unix seconds;  X-Nonce: random hex
        X-Signature: hex HMAC-SHA256(key=API key, msg="<timestamp>\\n<nonce>\\n<raw body>")
    Any 2xx answer whose JSON does not say {"ok": false} counts as accepted; its "message_id" (or
    "id") is kept for support. Timeouts, connection errors and other statuses raise SmsDeliveryFailed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string

from shopops.accounts.errors import SmsDeliveryFailed
from shopops.core.masking import mask_phone

logger = logging.getLogger(__name__)

OUTBOX_SIZE = 10
OUTBOX_TTL_SECONDS = 3600


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    template: str
    params: dict[str, str]


class SmsProvider(ABC):
    """Delivers one text message; returns the gateway's message id ("" when it gives none)."""

    name: str = "abstract"

    @abstractmethod
    def send(self, message: SmsMessage) -> str:
        """Raise SmsDeliveryFailed when the message was not accepted."""


def outbox_key(phone: str) -> str:
    return f"sms:outbox:{phone}"


class ConsoleSmsProvider(SmsProvider):
    """Development and tests: log the message and keep it in the cache outbox (see module docstring)."""

    name = "console"

    def send(self, message: SmsMessage) -> str:
        message_id = f"console-{secrets.token_hex(6)}"
        logger.info("SMS to %s [%s]: %s", mask_phone(message.phone), message.template, message.text)
        entry = {
            "id": message_id,
            "phone": message.phone,
            "text": message.text,
            "template": message.template,
            "params": dict(message.params),
            "sent_at": timezone.now().isoformat(),
        }
        key = outbox_key(message.phone)
        outbox = cache.get(key) or []
        cache.set(key, [*outbox, entry][-OUTBOX_SIZE:], timeout=OUTBOX_TTL_SECONDS)
        return message_id


def sms_outbox(phone: str) -> list[dict[str, Any]]:
    """Messages the console provider 'sent' to `phone`, oldest first."""
    from shopops.accounts.validators import normalise_phone

    return list(cache.get(outbox_key(normalise_phone(phone))) or [])


def last_sms_code(phone: str, purpose: str | None = None) -> str | None:
    """The newest code sent to `phone` (optionally for one purpose) through the console provider."""
    for entry in reversed(sms_outbox(phone)):
        if purpose is None or entry["template"] == purpose:
            return entry["params"].get("code")
    return None


def clear_sms_outbox(phone: str) -> None:
    from shopops.accounts.validators import normalise_phone

    cache.delete(outbox_key(normalise_phone(phone)))


class HttpSmsProvider(SmsProvider):
    """A JSON-over-HTTPS SMS gateway (protocol in the module docstring)."""

    name = "http"

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        sign_name: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.url = url if url is not None else settings.SMS_HTTP_URL
        self.api_key = api_key if api_key is not None else settings.SMS_HTTP_API_KEY
        self.sign_name = sign_name if sign_name is not None else settings.SMS_HTTP_SIGN_NAME
        self.timeout = timeout if timeout is not None else float(getattr(settings, "SMS_HTTP_TIMEOUT", 5))
        if not self.url.startswith(("https://", "http://")):
            raise SmsDeliveryFailed(reason="SMS_HTTP_URL is not configured")

    def sign(self, timestamp: str, nonce: str, body: bytes) -> str:
        payload = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
        return hmac.new(self.api_key.encode(), payload, hashlib.sha256).hexdigest()

    def send(self, message: SmsMessage) -> str:
        body = json.dumps(
            {
                "phone": message.phone,
                "sign_name": self.sign_name,
                "template": message.template,
                "params": message.params,
                "text": message.text,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "X-Api-Key": self.api_key,
                "X-Timestamp": timestamp,
                "X-Nonce": nonce,
                "X-Signature": self.sign(timestamp, nonce, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read(65536)
        except urllib.error.HTTPError as exc:
            logger.warning("SMS gateway answered %s for %s", exc.code, mask_phone(message.phone))
            raise SmsDeliveryFailed(reason=f"gateway status {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            logger.warning("SMS gateway unreachable for %s: %s", mask_phone(message.phone), exc)
            raise SmsDeliveryFailed(reason="gateway unreachable") from exc
        return self._message_id(status, raw)

    @staticmethod
    def _message_id(status: int, raw: bytes) -> str:
        if not 200 <= status < 300:
            raise SmsDeliveryFailed(reason=f"gateway status {status}")
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {}
        if isinstance(answer, dict) and answer.get("ok") is False:
            raise SmsDeliveryFailed(reason=str(answer.get("error", "rejected"))[:120])
        if isinstance(answer, dict):
            return str(answer.get("message_id") or answer.get("id") or "")[:120]
        return ""


@lru_cache(maxsize=4)
def _provider_class(path: str) -> type[SmsProvider]:
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, SmsProvider)):
        raise TypeError(f"SMS_PROVIDER {path} is not an SmsProvider")
    return cls


def get_sms_provider() -> SmsProvider:
    """A provider instance per send, so settings changes (tests, reloads) are honoured."""
    return _provider_class(settings.SMS_PROVIDER)()


def code_message(*, phone: str, purpose: str, code: str, minutes: int) -> SmsMessage:
    """The verification text. Chinese first (what carriers expect), English after."""
    purpose_zh = {
        "register": "注册",
        "login": "登录",
        "reset_password": "重置密码",
        "bind_phone": "绑定手机",
        "change_phone": "更换手机号",
    }.get(purpose, "验证")
    text = (
        f"【{settings.SMS_HTTP_SIGN_NAME}】您的{purpose_zh}验证码为 {code}，{minutes} 分钟内有效，"
        f"请勿告诉他人。Your code is {code}, valid for {minutes} min."
    )
    return SmsMessage(
        phone=phone, text=text, template=purpose, params={"code": code, "minutes": str(minutes)}
    )


def phone_changed_message(*, phone: str, new_phone: str) -> SmsMessage:
    """The notice to the old number after the account moved to `new_phone` (shown masked)."""
    masked = mask_phone(new_phone)
    text = (
        f"【{settings.SMS_HTTP_SIGN_NAME}】您的账号已将绑定手机号更换为 {masked}。"
        "如非本人操作，请立即联系客服。"
        f"The mobile number of your account was changed to {masked}. Not you? Contact support now."
    )
    return SmsMessage(phone=phone, text=text, template="phone_changed", params={"new_phone": masked})
