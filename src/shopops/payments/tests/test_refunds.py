"""Refunds: never above the amount paid, idempotent, partial ones add up, resent when the provider is down."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from shopops.core.errors import DomainError
from shopops.payments import selectors, services, tasks
from shopops.payments.errors import (
    IdempotencyKeyReused,
    InvalidAmount,
    PaymentNotRefundable,
    RefundExceedsPaid,
)
from shopops.payments.gateways import sandbox
from shopops.payments.models import Refund, RefundStatus, SandboxRefund, SandboxTrade
from shopops.payments.tests.conftest import open_payment


def paid_payment(payer, capture, amount="99.00", method="alipay"):
    payment = open_payment(payer, amount=amount)
    with capture(execute=True):
        sandbox.provider_pay(payment.payment_no, method=method)
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    return payment


@pytest.mark.django_db
def test_refund_larger_than_paid_is_refused_with_a_clear_code(payer, django_capture_on_commit_callbacks):
    payment = paid_payment(payer, django_capture_on_commit_callbacks)
    with pytest.raises(RefundExceedsPaid) as caught:
        services.refund(payment=payment, amount="99.01", reason="太多", idempotency_key="k1")

    assert caught.value.code == "refund_exceeds_paid"
    assert caught.value.status == 422
    assert caught.value.details["refundable"] == Decimal("99.00")
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_partial_refunds_add_up_to_the_total_and_no_further(
    payer, signal_log, django_capture_on_commit_callbacks
):
    payment = paid_payment(payer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.refund(payment=payment, amount="30.00", reason="少发一件", idempotency_key="a")
        second = services.refund(payment=payment, amount="69.00", reason="退货", idempotency_key="b")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert selectors.refunded_total(payment) == Decimal("99.00")
    assert selectors.refundable_amount(payment) == Decimal("0.00")
    assert SandboxTrade.objects.get(out_trade_no=payment.payment_no).refunded_amount == Decimal("99.00")
    assert signal_log.count("refund_succeeded") == 2
    with pytest.raises(RefundExceedsPaid):
        services.refund(payment=payment, amount="0.01", idempotency_key="c")


@pytest.mark.django_db
def test_refund_is_idempotent_on_its_key(payer, django_capture_on_commit_callbacks):
    payment = paid_payment(payer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.refund(payment=payment, amount="10.00", idempotency_key="after-sale-7")
        again = services.refund(payment=payment, amount="10.00", idempotency_key="after-sale-7")

    assert first.pk == again.pk
    assert Refund.objects.count() == 1
    assert SandboxRefund.objects.count() == 1  # the provider was asked once
    with pytest.raises(IdempotencyKeyReused) as caught:
        services.refund(payment=payment, amount="12.00", idempotency_key="after-sale-7")
    assert caught.value.status == 409


@pytest.mark.django_db
def test_unpaid_payment_cannot_be_refunded(payer):
    payment = open_payment(payer)
    with pytest.raises(PaymentNotRefundable) as caught:
        services.refund(payment=payment, amount="1.00", idempotency_key="x")
    assert caught.value.status == 409


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["0", "-1", "abc", "1e400", "1000000000000"])
def test_nonsense_refund_amounts_are_refused(payer, django_capture_on_commit_callbacks, amount):
    payment = paid_payment(payer, django_capture_on_commit_callbacks)
    with pytest.raises((InvalidAmount, DomainError)):
        services.refund(payment=payment, amount=amount, idempotency_key="x")
    assert not Refund.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_never_exceed_what_was_paid(payer):
    payment = open_payment(payer, amount="99.00")
    sandbox.provider_pay(payment.payment_no, method="card")
    payment.refresh_from_db()

    def try_refund(i: int) -> str:
        try:
            services.refund(payment=payment, amount="20.00", idempotency_key=f"k{i}")
            return "ok"
        except RefundExceedsPaid:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(try_refund, range(10)))

    assert outcomes.count("ok") == 4
    assert outcomes.count("refused") == 6
    assert selectors.refunded_total(payment) == Decimal("80.00")
    assert SandboxTrade.objects.get(out_trade_no=payment.payment_no).refunded_amount == Decimal("80.00")


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_refund_make_one_refund(payer):
    payment = open_payment(payer, amount="99.00")
    sandbox.provider_pay(payment.payment_no, method="card")
    payment.refresh_from_db()

    def try_refund(_: int) -> int:
        try:
            return services.refund(payment=payment, amount="20.00", idempotency_key="same").pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(try_refund, range(6)))

    assert len(ids) == 1
    assert SandboxRefund.objects.count() == 1


@pytest.mark.django_db
def test_refund_waits_and_is_resent_when_the_provider_is_down(
    payer, fake_alipay, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer, channel="alipay", amount="66.00")
    fake_alipay.pay(payment.payment_no, "66.00")
    services.sync_payment_status(payment=payment)
    payment.refresh_from_db()
    assert payment.status == "succeeded"

    fake_alipay.down = True
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(payment=payment, amount="16.00", idempotency_key="r1")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED
    assert "transport_error" in refund.last_error
    assert refund.attempts == 1

    fake_alipay.down = False
    Refund.objects.filter(pk=refund.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.retry_refunds()["submitted"] == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.attempts == 2
    assert signal_log.count("refund_succeeded") == 1
    assert fake_alipay.refunds[refund.refund_no]["amount"] == "16.00"


@pytest.mark.django_db
def test_refund_inside_the_callers_transaction_goes_out_only_after_commit(
    payer, django_capture_on_commit_callbacks
):
    payment = paid_payment(payer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refund = services.refund(payment=payment, amount="5.00", idempotency_key="in-tx")
    assert refund.status == RefundStatus.REQUESTED
    assert not SandboxRefund.objects.exists()  # nothing sent while the caller could still roll back
    for callback in callbacks:
        callback()
    refund.refresh_from_db()
    assert refund.status in (RefundStatus.PROCESSING, RefundStatus.SUCCEEDED)
    assert SandboxRefund.objects.count() == 1
