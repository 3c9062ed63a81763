"""The gateway interface: what payments needs from any payment provider.

An adapter turns one provider's protocol into these plain values and exceptions, so the payment
services never see a provider's field names. Adapters talk to the network only through an injected
`transport.HttpTransport`, which is how the tests run every adapter offline.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse

if TYPE_CHECKING:
    from shopops.payments.models import Payment, Refund


class PaymentState(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CLOSED = "closed"
    NOT_FOUND = "not_found"


class RefundState(StrEnum):
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class InvalidSignature(Exception):
    """A notification that cannot be trusted: bad or missing signature, wrong merchant, undecryptable."""

    def __init__(self, code: str = "invalid_signature", detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


class GatewayError(Exception):
    """A call to the provider did not give a usable answer.

    `retryable` is True for transport failures and the provider's own transient errors (the same
    request, with the same idempotent number, may be sent again); False for a refusal.
    """

    def __init__(self, code: str, detail: str = "", *, retryable: bool = True) -> None:
        self.code = code
        self.detail = detail
        self.retryable = retryable
        super().__init__(f"{code}: {detail}" if detail else code)


TRADE_ALREADY_PAID = "trade_already_paid"


@dataclass(frozen=True)
class PaymentAction:
    """What the shopper's browser or app does next to pay.

    kind: "redirect" (send the browser to `url`), "qr_code" (show `qr_code` to scan), "form" (POST
    `form_fields` to `url`) or "jsapi" (call the wallet's JS bridge with `params`).
    """

    kind: str
    url: str = ""
    qr_code: str = ""
    form_fields: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PaymentAction:
        return cls(
            kind=str(data.get("kind", "")),
            url=str(data.get("url", "")),
            qr_code=str(data.get("qr_code", "")),
            form_fields=dict(data.get("form_fields") or {}),
            params=dict(data.get("params") or {}),
        )


@dataclass(frozen=True)
class ParsedNotification:
    """A verified notification in provider-neutral terms.

    kind "payment": `state`/`amount`/`currency` describe the trade `payment_no`.
    kind "refund": `refund_no`/`refund_state`/`refund_amount` describe one refund of that trade
    (`refund_amount` None when the provider does not say the single refund's amount).
    """

    kind: str
    payment_no: str
    event_id: str = ""
    state: PaymentState | None = None
    amount: Decimal | None = None
    currency: str = "CNY"
    gateway_trade_id: str = ""
    paid_at: datetime | None = None
    paid_with: str = ""
    refund_no: str = ""
    refund_state: RefundState | None = None
    refund_amount: Decimal | None = None
    gateway_refund_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The parsed fields as JSON-safe values (stored beside the raw notification)."""
        data = asdict(self)
        data.pop("raw")
        return {k: (str(v) if isinstance(v, Decimal | datetime) else v) for k, v in data.items()}


@dataclass(frozen=True)
class GatewayStatus:
    state: PaymentState
    amount: Decimal | None = None
    currency: str = "CNY"
    gateway_trade_id: str = ""
    paid_at: datetime | None = None
    paid_with: str = ""
    # Total refunded so far at the provider, when the query tells it (None: unknown).
    refunded_amount: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayRefundResult:
    state: RefundState
    gateway_refund_id: str = ""
    failure_code: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


class PaymentGateway(ABC):
    """One payment provider. Instances are cheap; build one per use through gateways.get_gateway."""

    channel: str = ""
    # Payment scenes the adapter understands ("" = its default), checked before anything is created.
    scenes: tuple[str, ...] = ("",)

    @abstractmethod
    def create_payment(
        self, payment: Payment, *, payer_openid: str = "", client_ip: str = ""
    ) -> PaymentAction:
        """Open the trade at the provider (or sign the request for it) and say how the shopper pays."""

    @abstractmethod
    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> ParsedNotification:
        """Verify and decode an asynchronous notification. Raises InvalidSignature."""

    @abstractmethod
    def query(self, payment: Payment) -> GatewayStatus:
        """Ask the provider for the trade's state. Raises GatewayError."""

    @abstractmethod
    def refund(self, refund: Refund) -> GatewayRefundResult:
        """Ask for a refund. Idempotent at the provider on refund.refund_no. Raises GatewayError."""

    @abstractmethod
    def query_refund(self, refund: Refund) -> GatewayRefundResult:
        """Ask the provider for a refund's state. Raises GatewayError."""

    @abstractmethod
    def close(self, payment: Payment) -> None:
        """Close the trade so it can no longer be paid. Raises GatewayError(TRADE_ALREADY_PAID) if paid."""

    def notification_response(self, *, success: bool) -> HttpResponse:
        """The answer the provider expects to the notify call (it retries until it gets success)."""
        return HttpResponse("success" if success else "fail", status=200 if success else 400)
