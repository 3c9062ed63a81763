"""Property: whatever order notifications, closes and refunds arrive in, money and signals stay sane."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from shopops.core.errors import DomainError
from shopops.payments import services
from shopops.payments.gateways import sandbox
from shopops.payments.models import PAID_STATUSES, Payment, PaymentStatus
from shopops.payments.services import held_refund_total
from shopops.payments.tests.conftest import open_payment

AMOUNT = Decimal("100.00")


@pytest.mark.django_db
def test_random_sequences_never_overpay_refunds_or_double_signal(
    payer, signal_log, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks

    class PaymentMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.payment = open_payment(payer, amount=AMOUNT)
            self.start = {name: signal_log.count(name) for name in ("payment_succeeded", "payment_closed")}
            self.keys = 0
            self.ever_paid = False

        def signals(self, name: str) -> int:
            return signal_log.count(name) - self.start[name]

        @rule(
            event=st.sampled_from(["payment.succeeded", "payment.failed", "payment.closed"]),
            amount=st.sampled_from([AMOUNT, Decimal("99.99")]),
            repeats=st.integers(1, 3),
        )
        def notify(self, event: str, amount: Decimal, repeats: int) -> None:
            body = json.dumps(
                {
                    "event": event,
                    "out_trade_no": self.payment.payment_no,
                    "trade_no": "SBX1",
                    "amount": str(amount),
                    "currency": "CNY",
                }
            )
            with capture(execute=True):
                for _ in range(repeats):
                    services.handle_notification(
                        channel="sandbox", headers=sandbox.signed_headers(body), body=body.encode()
                    )

        @rule()
        def close(self) -> None:
            with capture(execute=True), contextlib.suppress(DomainError):
                services.close_payment(payment=self.payment)

        @rule(
            amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("120"), places=2),
            reuse=st.booleans(),
        )
        def refund(self, amount: Decimal, reuse: bool) -> None:
            if not reuse:
                self.keys += 1
            with capture(execute=True), contextlib.suppress(DomainError):
                services.refund(
                    payment=self.payment, amount=amount, idempotency_key=f"{self.payment.pk}-{self.keys}"
                )

        @invariant()
        def books_are_sane(self) -> None:
            payment = Payment.objects.get(pk=self.payment.pk)
            self.ever_paid = self.ever_paid or payment.status in PAID_STATUSES
            assert held_refund_total(payment) <= payment.amount
            if held_refund_total(payment) > 0:
                assert payment.status in PAID_STATUSES
            # Money once recorded is never un-recorded by a later notification.
            if self.ever_paid:
                assert payment.status in PAID_STATUSES
            assert self.signals("payment_succeeded") == (
                1 if payment.status == PaymentStatus.SUCCEEDED else 0
            )
            assert self.signals("payment_closed") <= 1

    run_state_machine_as_test(
        PaymentMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
