from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

import pytest

from shopops.payments import services, signals
from shopops.payments.gateways import override_gateway
from shopops.payments.models import Payment
from shopops.payments.tests.providers import FakeAlipay, FakeWechatPay, alipay_gateway, wechat_gateway
from shopops.shops.tests.factories import make_user

_refs = itertools.count(1)


@pytest.fixture(autouse=True)
def payment_settings(settings):
    settings.PAYMENTS_CHANNELS = ["sandbox", "alipay", "wechat"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.PAYMENTS_SANDBOX_SECRET = "test-sandbox-secret"
    settings.PAYMENTS_SANDBOX_NOTIFY_TRANSPORT = "inprocess"
    settings.SITE_URL = "http://testserver"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return settings


@pytest.fixture
def payer(db):
    return make_user()


@pytest.fixture
def fake_alipay() -> Iterator[FakeAlipay]:
    fake = FakeAlipay()
    with override_gateway("alipay", alipay_gateway(fake)):
        yield fake


@pytest.fixture
def fake_wechat() -> Iterator[FakeWechatPay]:
    fake = FakeWechatPay()
    with override_gateway("wechat", wechat_gateway(fake)):
        yield fake


def new_reference() -> str:
    return f"TPG{next(_refs):010d}"


def open_payment(
    payer, *, amount: str | Decimal = "99.00", channel: str = "sandbox", reference: str | None = None, **kw
) -> Payment:
    return services.create_payment(
        payer=payer,
        amount=amount,
        reference=reference or new_reference(),
        subject="测试订单",
        channel=channel,
        **kw,
    ).payment


class SignalLog:
    """Records every payments signal sent, by name."""

    def __init__(self) -> None:
        self.sent: dict[str, list[dict]] = defaultdict(list)

    def count(self, name: str) -> int:
        return len(self.sent[name])


@pytest.fixture
def signal_log() -> Iterator[SignalLog]:
    log = SignalLog()
    names = [
        "payment_succeeded",
        "payment_failed",
        "payment_closed",
        "payment_succeeded_after_close",
        "payment_flagged",
        "refund_succeeded",
        "refund_failed",
    ]
    receivers = {}
    for name in names:

        def receiver(sender, _name=name, **kwargs):
            log.sent[_name].append(kwargs)

        receivers[name] = receiver
        getattr(signals, name).connect(receiver, weak=False, dispatch_uid=f"test-{name}")
    yield log
    for name in names:
        getattr(signals, name).disconnect(dispatch_uid=f"test-{name}")
