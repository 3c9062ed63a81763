"""The only way gateway adapters reach the network, so tests can put a fake provider behind it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import requests
from requests.structures import CaseInsensitiveDict

from shopops.payments.gateways.base import GatewayError


@dataclass
class HttpReply:
    status: int
    text: str
    headers: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)


class HttpTransport(Protocol):
    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        timeout: float = 15.0,
    ) -> HttpReply: ...


class RequestsTransport:
    """Real HTTP through a pooled requests.Session. Network failures become retryable GatewayErrors."""

    def __init__(self) -> None:
        self._session = requests.Session()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        timeout: float = 15.0,
    ) -> HttpReply:
        try:
            response = self._session.request(
                method,
                url,
                headers=dict(headers or {}),
                data=body.encode() if body else None,
                timeout=timeout,
            )
        except requests.RequestException as exc:
            raise GatewayError("transport_error", str(exc)[:200], retryable=True) from exc
        return HttpReply(
            status=response.status_code, text=response.text, headers=CaseInsensitiveDict(response.headers)
        )


_default_transport: RequestsTransport | None = None


def default_transport() -> RequestsTransport:
    global _default_transport
    if _default_transport is None:
        _default_transport = RequestsTransport()
    return _default_transport
