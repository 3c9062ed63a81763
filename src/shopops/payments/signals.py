"""Domain events of the payments app: how orders (and anyone else) learn what happened to money.

Payments never imports orders. Orders connects receivers in its AppConfig.ready():

    from shopops.payments import signals as payment_signals

    payment_signals.payment_succeeded.connect(on_payment_succeeded, dispatch_uid="orders.paid")

Guarantees, for every signal below:
- It is sent once per state change: the change is made under a row lock with a status check, and the
  signal is queued with transaction.on_commit, so it fires only after the change is committed and
  never for a rolled-back one. A duplicate notification changes nothing and sends nothing.
- Receivers run after the commit, outside the payments transaction. A receiver that raises is logged
  and does not undo the payment (send_robust). Receivers must themselves be idempotent (a crash
  between commit and receiver means the receiver is not retried automatically; orders should also
  reconcile by reading `selectors.paid_payment_for_reference`).

Signals and their keyword arguments (all also get `sender=Payment` or `sender=Refund`):

    payment_succeeded(payment)             money for payment.reference arrived: mark the order paid.
    payment_failed(payment)                the shopper's attempt failed (they may retry, or switch channel).
    payment_closed(payment)                the payment can no longer be paid (timeout, closed by orders).
    payment_succeeded_after_close(payment) money arrived for a payment that was already closed. The
                                           payment is in status succeeded_after_close and flagged
                                           for attention. Orders decides: reopen the order and call
                                           services.resolve_late_payment(action="accept"), or refund it
                                           with action="refund". Nobody connected -> it waits for staff
                                           in the admin (flagged list).
    payment_flagged(payment, reason)       a notification did not match (amount, currency...) and was
                                           not credited; for alerting.
    refund_succeeded(refund)               the provider confirmed the refund: money is back with the shopper.
    refund_failed(refund)                  the provider refused the refund; its amount is free again.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

payment_succeeded = Signal()
payment_failed = Signal()
payment_closed = Signal()
payment_succeeded_after_close = Signal()
payment_flagged = Signal()
refund_succeeded = Signal()
refund_failed = Signal()


def send_on_commit(signal: Signal, sender: type, **kwargs: Any) -> None:
    """Queue `signal` to be sent once the current transaction commits."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error(
                    "payments signal receiver %r failed",
                    receiver,
                    exc_info=(type(result), result, result.__traceback__),
                )

    transaction.on_commit(send)
