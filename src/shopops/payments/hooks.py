"""Where other apps plug into payments without payments importing them.

Payable resolvers let the payer API (`POST /api/v1/payments`) start a payment for a reference that
another app owns, taking the amount from that app and never from the client:

    # orders/apps.py, in ready()
    from shopops.payments.hooks import Payable, register_payable_resolver

    def resolve_order_group(*, reference: str, user) -> Payable:
        group = selectors.unpaid_group_for(user=user, number=reference)  # raise PayableNotFound if none
        return Payable(amount=group.total, subject=f"订单 {group.number}", expires_at=group.pay_deadline,
                       return_url=f"/orders/{group.number}/")

    register_payable_resolver("PG", resolve_order_group)

The resolver is picked by the longest registered prefix of the reference. It must raise
`payments.errors.PayableNotFound` (404) when the reference is not the user's or not payable, so the
API never tells one user about another's orders.

For reactions to payment events, use the signals in `payments.signals`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shopops.payments.errors import PayableNotFound


@dataclass(frozen=True)
class Payable:
    amount: Decimal
    subject: str
    expires_at: datetime | None = None
    return_url: str = ""


PayableResolver = Callable[..., Payable]

_RESOLVERS: dict[str, PayableResolver] = {}


def register_payable_resolver(prefix: str, resolver: PayableResolver) -> None:
    if not prefix:
        raise ValueError("a payable resolver needs a non-empty reference prefix")
    _RESOLVERS[prefix] = resolver


def unregister_payable_resolver(prefix: str) -> None:
    _RESOLVERS.pop(prefix, None)


def resolve_payable(*, reference: str, user: Any) -> Payable:
    matches = [prefix for prefix in _RESOLVERS if reference.startswith(prefix)]
    if not matches:
        raise PayableNotFound(reference=reference)
    return _RESOLVERS[max(matches, key=len)](reference=reference, user=user)
