"""Asynchronous notifications (sandbox protocol): trust, money checks, idempotency, ordering, audit."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from shopops.payments import services
from shopops.payments.errors import AlreadyPaid
from shopops.payments.gateways import sandbox
from shopops.payments.models import (
    AttentionReason,
    NotificationResult,
    PaymentNotification,
    PaymentStatus,
    SandboxTrade,
    SandboxTradeStatus,
)
from shopops.payments.tests.conftest import open_payment

NOTIFY = "/api/v1/payments/notify/sandbox"


def event_body(payment, *, event="payment.succeeded", amount=None, currency="CNY", trade_no=None) -> str:
    return json.dumps(
        {
            "id": "evt-1",
            "event": event,
            "out_trade_no": payment.payment_no,
            "trade_no": trade_no or f"SBX-{payment.payment_no}",
            "amount": str(amount if amount is not None else payment.amount),
            "currency": currency,
            "method": "alipay",
            "paid_at": "2026-01-01T12:00:04+08:00",
        }
    )


def post(client, body: str, headers: dict[str, str] | None = None, **extra):
    headers = headers if headers is not None else sandbox.signed_headers(body)
    headers = {k: v for k, v in headers.items() if k != "Content-Type"}
    return client.post(NOTIFY, data=body, content_type="application/json", headers=headers, **extra)


def forged_headers(body: str, secret: bytes = b"not-the-secret") -> dict[str, str]:
    ts, nonce = str(int(time.time())), "n0nce"
    digest = hmac.new(secret, f"{ts}\n{nonce}\n{body}\n".encode(), hashlib.sha256).hexdigest()
    return {sandbox.TIMESTAMP_HEADER: ts, sandbox.NONCE_HEADER: nonce, sandbox.SIGNATURE_HEADER: digest}


@pytest.mark.django_db
def test_signed_success_credits_the_payment_and_answers_success(
    client, payer, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer, amount="99.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, event_body(payment))

    assert response.status_code == 200
    assert response.json() == {"code": "SUCCESS"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.paid_with == "alipay"
    assert payment.gateway_trade_id == f"SBX-{payment.payment_no}"
    assert payment.paid_at is not None
    assert signal_log.count("payment_succeeded") == 1
    assert signal_log.sent["payment_succeeded"][0]["payment"].pk == payment.pk
    note = PaymentNotification.objects.get()
    assert note.signature_valid is True
    assert note.result == NotificationResult.CREDITED
    assert note.payment_id == payment.pk


@pytest.mark.django_db
def test_forged_signature_is_rejected_stored_and_changes_nothing(client, payer, signal_log):
    payment = open_payment(payer)
    body = event_body(payment)
    response = post(client, body, forged_headers(body))

    assert response.status_code == 400
    assert response.json()["code"] == "FAIL"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert signal_log.count("payment_succeeded") == 0
    note = PaymentNotification.objects.get()
    assert (note.signature_valid, note.result, note.error_code) == (False, "rejected", "invalid_signature")
    assert note.body == body  # kept raw for audit


@pytest.mark.django_db
def test_amount_changed_after_signing_is_rejected(client, payer):
    payment = open_payment(payer, amount="99.00")
    headers = sandbox.signed_headers(event_body(payment))
    response = post(client, event_body(payment, amount="0.01"), headers)

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert PaymentNotification.objects.get().error_code == "invalid_signature"


@pytest.mark.django_db
def test_missing_signature_headers_are_rejected(client, payer):
    payment = open_payment(payer)
    response = post(client, event_body(payment), headers={})
    assert response.status_code == 400
    assert PaymentNotification.objects.get().error_code == "missing_signature"


@pytest.mark.django_db
def test_replayed_old_notification_is_rejected(client, payer):
    payment = open_payment(payer)
    body = event_body(payment)
    ts, nonce = str(int(time.time()) - 3600), "abc"
    headers = {
        sandbox.TIMESTAMP_HEADER: ts,
        sandbox.NONCE_HEADER: nonce,
        sandbox.SIGNATURE_HEADER: sandbox.sign(ts, nonce, body),
    }
    response = post(client, body, headers)
    assert response.status_code == 400
    assert PaymentNotification.objects.get().error_code == "stale_timestamp"


@pytest.mark.django_db
def test_wrong_amount_is_stored_flagged_not_credited_and_answered_failure(
    client, payer, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer, amount="99.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, event_body(payment, amount="9.90"))

    assert response.status_code == 400
    assert response.json()["code"] == "FAIL"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.needs_attention is True
    assert payment.attention_reason == AttentionReason.AMOUNT_MISMATCH
    assert signal_log.count("payment_succeeded") == 0
    assert signal_log.count("payment_flagged") == 1
    note = PaymentNotification.objects.get()
    assert (note.signature_valid, note.result, note.error_code) == (True, "flagged", "amount_mismatch")
    assert note.parsed["amount"] == "9.90"


@pytest.mark.django_db
def test_wrong_currency_is_flagged_not_credited(client, payer):
    payment = open_payment(payer)
    response = post(client, event_body(payment, currency="USD"))
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.attention_reason == AttentionReason.CURRENCY_MISMATCH


@pytest.mark.django_db
def test_ten_duplicate_deliveries_credit_once(client, payer, signal_log, django_capture_on_commit_callbacks):
    payment = open_payment(payer)
    body = event_body(payment)
    with django_capture_on_commit_callbacks(execute=True):
        responses = [post(client, body) for _ in range(10)]

    assert [r.status_code for r in responses] == [200] * 10
    assert signal_log.count("payment_succeeded") == 1
    results = list(PaymentNotification.objects.values_list("result", flat=True))
    assert len(results) == 10
    assert results.count(NotificationResult.CREDITED) == 1
    assert results.count(NotificationResult.DUPLICATE) == 9


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_deliveries_credit_once(payer, signal_log):
    payment = open_payment(payer)
    body = event_body(payment).encode()
    headers = sandbox.signed_headers(body.decode())

    def deliver(_: int) -> bool:
        try:
            return services.handle_notification(channel="sandbox", headers=headers, body=body).accepted
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        accepted = list(pool.map(deliver, range(10)))

    assert accepted == [True] * 10
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.count("payment_succeeded") == 1
    results = list(PaymentNotification.objects.values_list("result", flat=True))
    assert results.count(NotificationResult.CREDITED) == 1
    assert results.count(NotificationResult.DUPLICATE) == 9


@pytest.mark.django_db
def test_success_after_close_is_recorded_and_flagged_not_reopened(
    client, payer, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer)
    with django_capture_on_commit_callbacks(execute=True):
        services.close_payment(payment=payment, reason="order timed out")
        response = post(client, event_body(payment))

    assert response.status_code == 200  # recorded: the provider must stop retrying
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED_AFTER_CLOSE
    assert payment.needs_attention and payment.attention_reason == AttentionReason.PAID_AFTER_CLOSE
    assert payment.paid_at is not None
    assert signal_log.count("payment_closed") == 1
    assert signal_log.count("payment_succeeded") == 0
    assert signal_log.count("payment_succeeded_after_close") == 1


@pytest.mark.django_db
def test_late_payment_accepted_when_the_order_is_reopened(
    client, payer, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer)
    with django_capture_on_commit_callbacks(execute=True):
        services.close_payment(payment=payment)
        post(client, event_body(payment))
        services.resolve_late_payment(payment=payment, action="accept", actor=None)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.needs_attention is False
    assert signal_log.count("payment_succeeded") == 1


@pytest.mark.django_db
def test_late_payment_refunded_in_full(client, payer, signal_log, django_capture_on_commit_callbacks):
    payment = open_payment(payer, amount="50.00")
    with django_capture_on_commit_callbacks(execute=True):
        services.close_payment(payment=payment)
        post(client, event_body(payment))
    # At the provider the money did arrive (the shopper paid just before the close went through).
    SandboxTrade.objects.filter(out_trade_no=payment.payment_no).update(status=SandboxTradeStatus.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve_late_payment(payment=payment, action="refund")

    refund = payment.refunds.get()
    assert refund.amount == Decimal("50.00")
    assert refund.status == "succeeded"
    assert signal_log.count("refund_succeeded") == 1
    payment.refresh_from_db()
    assert payment.needs_attention is False


@pytest.mark.django_db
def test_failure_arriving_after_success_changes_nothing(
    client, payer, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, event_body(payment))
        response = post(client, event_body(payment, event="payment.failed"))

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.count("payment_failed") == 0
    last = PaymentNotification.objects.order_by("-id").first()
    assert (last.result, last.error_code) == ("ignored", "failed_after_succeeded")


@pytest.mark.django_db
def test_success_after_a_failed_attempt_credits(
    client, payer, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, event_body(payment, event="payment.failed"))
        post(client, event_body(payment))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (signal_log.count("payment_failed"), signal_log.count("payment_succeeded")) == (1, 1)


@pytest.mark.django_db
def test_notification_for_unknown_payment_is_stored_and_refused(client, payer):
    payment = open_payment(payer)
    body = event_body(payment).replace(payment.payment_no, "P2026010100000000000000")
    response = post(client, body)
    assert response.status_code == 400
    note = PaymentNotification.objects.get()
    assert (note.result, note.error_code, note.payment_id) == ("rejected", "unknown_payment", None)


@pytest.mark.django_db
def test_raw_notification_is_stored_without_credentials(client, payer):
    payment = open_payment(payer)
    body = event_body(payment)
    post(client, body, HTTP_COOKIE="sessionid=secret", REMOTE_ADDR="10.1.2.3")
    note = PaymentNotification.objects.get()
    assert note.body == body
    assert note.body_sha256 == hashlib.sha256(body.encode()).hexdigest()
    assert sandbox.SIGNATURE_HEADER in note.headers
    assert not any(k.lower() == "cookie" for k in note.headers)
    assert note.remote_addr == "10.1.2.3"


@pytest.mark.django_db
def test_unknown_channel_is_404_in_error_shape(client):
    response = client.post("/api/v1/payments/notify/paypal", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_channel"


@pytest.mark.django_db
def test_closing_a_payment_the_shopper_just_paid_keeps_the_money(
    payer, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer)
    # The shopper pays; the provider's notification has not reached us yet.
    SandboxTrade.objects.filter(out_trade_no=payment.payment_no).update(status=SandboxTradeStatus.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyPaid):
        services.close_payment(payment=payment, reason="order timed out")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert signal_log.count("payment_succeeded") == 1
    assert signal_log.count("payment_closed") == 0


@pytest.mark.django_db
def test_notify_endpoint_needs_no_csrf_token_or_session(payer, django_capture_on_commit_callbacks):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    payment = open_payment(payer)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(strict, event_body(payment))
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
