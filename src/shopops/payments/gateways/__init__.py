"""Gateway registry: which adapter serves which channel, read from settings.

    PAYMENTS_CHANNELS = ["sandbox", "alipay", "wechat"]      # enabled channels (default below)
    PAYMENTS_GATEWAYS = {"alipay": "dotted.path.Class"}      # optional: replace an adapter

Every adapter class has `from_settings()`. Tests swap in an instance with `override_gateway`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from shopops.payments.errors import UnknownChannel
from shopops.payments.gateways.base import PaymentGateway

DEFAULT_GATEWAYS: dict[str, str] = {
    "sandbox": "shopops.payments.gateways.sandbox.SandboxGateway",
    "alipay": "shopops.payments.gateways.alipay.AlipayGateway",
    "wechat": "shopops.payments.gateways.wechat.WechatPayGateway",
}

_OVERRIDES: dict[str, PaymentGateway] = {}


def enabled_channels() -> list[str]:
    """PAYMENTS_CHANNELS if set; otherwise the sandbox (when enabled) plus every configured provider."""
    configured = getattr(settings, "PAYMENTS_CHANNELS", None)
    if configured is not None:
        return [c for c in configured if c in gateway_paths()]
    channels = []
    if sandbox_enabled():
        channels.append("sandbox")
    if _all_set("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY"):
        channels.append("alipay")
    if _all_set("WECHATPAY_MCHID", "WECHATPAY_PRIVATE_KEY", "WECHATPAY_APIV3_KEY", "WECHATPAY_PUBLIC_KEY"):
        channels.append("wechat")
    return channels


def _all_set(*names: str) -> bool:
    """A provider counts as configured only with its id and keys (half a config would fail per request)."""
    return all(getattr(settings, name, "") for name in names)


def sandbox_enabled() -> bool:
    """The sandbox takes no money: on by default only when DEBUG is (demo sites set it explicitly)."""
    return bool(getattr(settings, "PAYMENTS_SANDBOX_ENABLED", settings.DEBUG))


def gateway_paths() -> dict[str, str]:
    return {**DEFAULT_GATEWAYS, **getattr(settings, "PAYMENTS_GATEWAYS", {})}


def get_gateway(channel: str) -> PaymentGateway:
    if channel in _OVERRIDES:
        return _OVERRIDES[channel]
    if channel not in enabled_channels():
        raise UnknownChannel(channel=channel)
    return import_string(gateway_paths()[channel]).from_settings()


@contextmanager
def override_gateway(channel: str, gateway: PaymentGateway) -> Iterator[PaymentGateway]:
    """Use `gateway` for `channel` inside the block (tests: an adapter wired to a fake provider)."""
    previous = _OVERRIDES.get(channel)
    _OVERRIDES[channel] = gateway
    try:
        yield gateway
    finally:
        if previous is None:
            _OVERRIDES.pop(channel, None)
        else:
            _OVERRIDES[channel] = previous


def absolute_url(path: str) -> str:
    base = getattr(settings, "PAYMENTS_NOTIFY_BASE_URL", "") or getattr(settings, "SITE_URL", "")
    return base.rstrip("/") + path


def notify_url(channel: str) -> str:
    """Public URL the provider posts notifications to (PAYMENTS_NOTIFY_BASE_URL or SITE_URL)."""
    return absolute_url(reverse("api:payments_notify", kwargs={"channel": channel}))
