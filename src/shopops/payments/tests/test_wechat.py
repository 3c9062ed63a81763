"""WeChat Pay v3 adapter, offline: RSA signatures and AES-256-GCM resources made here as WeChat makes them."""

from __future__ import annotations

import base64
import json
import time

import pytest

from shopops.payments import services
from shopops.payments.errors import AlreadyPaid, GatewayRejected
from shopops.payments.gateways.base import InvalidSignature
from shopops.payments.models import PaymentNotification, PaymentStatus, RefundStatus
from shopops.payments.tests.conftest import open_payment
from shopops.payments.tests.providers import (
    WECHAT_APPID,
    key_pair,
    wechat_gateway,
    wechat_notification,
    wechat_transaction,
)

NOTIFY = "/api/v1/payments/notify/wechat"


def post(client, headers: dict[str, str], body: bytes):
    return client.post(NOTIFY, data=body, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_native_payment_returns_a_code_url_from_a_signed_request(payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    assert payment.action["kind"] == "qr_code"
    assert payment.action["qr_code"].startswith("weixin://wxpay/bizpayurl")
    assert fake_wechat.calls == ["POST /v3/pay/transactions/native"]  # the fake checked the signature
    sent = fake_wechat.last_body
    assert sent["amount"] == {"total": 1234, "currency": "CNY"}
    assert sent["out_trade_no"] == payment.payment_no
    assert sent["notify_url"] == "http://testserver/api/v1/payments/notify/wechat"


@pytest.mark.django_db
def test_jsapi_payment_returns_bridge_parameters_signed_by_the_merchant(payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", scene="jsapi", payer_openid="oUpF8uMuAJO")
    params = payment.action["params"]
    assert params["appId"] == WECHAT_APPID and params["package"].startswith("prepay_id=")
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    assert key_pair("wechat-merchant").verify(message, params["paySign"])
    assert fake_wechat.last_body["payer"] == {"openid": "oUpF8uMuAJO"}


@pytest.mark.django_db
def test_jsapi_without_openid_is_refused(payer, fake_wechat):
    with pytest.raises(GatewayRejected):
        open_payment(payer, channel="wechat", scene="jsapi")


@pytest.mark.django_db
def test_genuine_notification_is_decrypted_verified_and_credits(
    client, payer, fake_wechat, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    headers, body = wechat_notification(wechat_transaction(payment.payment_no, "12.34"))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, headers, body)

    assert response.status_code == 200
    assert response.json()["code"] == "SUCCESS"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.gateway_trade_id == "4200000000202601010000000001"
    assert signal_log.count("payment_succeeded") == 1
    assert PaymentNotification.objects.get().parsed["amount"] == "12.34"


@pytest.mark.django_db
def test_body_swapped_under_a_valid_signature_is_rejected(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    headers, _ = wechat_notification(wechat_transaction(payment.payment_no, "12.34"))
    _, cheaper_body = wechat_notification(wechat_transaction(payment.payment_no, "0.01"))
    response = post(client, headers, cheaper_body)

    assert response.status_code == 400
    assert response.json()["code"] == "FAIL"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert PaymentNotification.objects.get().error_code == "invalid_signature"


@pytest.mark.django_db
def test_notification_signed_by_another_key_is_rejected(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    headers, body = wechat_notification(
        wechat_transaction(payment.payment_no, "12.34"), key=key_pair("impostor")
    )
    assert post(client, headers, body).status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_tampered_signature_bytes_are_rejected(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    headers, body = wechat_notification(wechat_transaction(payment.payment_no, "12.34"))
    raw = bytearray(base64.b64decode(headers["Wechatpay-Signature"]))
    raw[10] ^= 0xFF
    headers["Wechatpay-Signature"] = base64.b64encode(bytes(raw)).decode()
    assert post(client, headers, body).status_code == 400


@pytest.mark.django_db
def test_resource_encrypted_with_another_apiv3_key_is_rejected(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    headers, body = wechat_notification(
        wechat_transaction(payment.payment_no, "12.34"), apiv3_key="ffffffffffffffffffffffffffffffff"
    )
    assert post(client, headers, body).status_code == 400
    assert PaymentNotification.objects.get().signature_valid is False


@pytest.mark.django_db
def test_notification_for_another_merchant_is_rejected(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    headers, body = wechat_notification(wechat_transaction(payment.payment_no, "12.34", mchid="1900000999"))
    assert post(client, headers, body).status_code == 400
    assert PaymentNotification.objects.get().error_code == "mchid_mismatch"


@pytest.mark.django_db
def test_replayed_old_notification_is_rejected(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    headers, body = wechat_notification(
        wechat_transaction(payment.payment_no, "12.34"), timestamp=int(time.time()) - 3600
    )
    assert post(client, headers, body).status_code == 400
    assert PaymentNotification.objects.get().error_code == "stale_timestamp"


@pytest.mark.django_db
def test_unknown_key_id_is_rejected_without_calling_wechat(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    headers, body = wechat_notification(wechat_transaction(payment.payment_no, "12.34"))
    headers["Wechatpay-Serial"] = "PUB_KEY_ID_SOMEONE_ELSE"
    calls_before = list(fake_wechat.calls)
    assert post(client, headers, body).status_code == 400
    assert fake_wechat.calls == calls_before
    assert PaymentNotification.objects.get().error_code == "unknown_key"


@pytest.mark.django_db
def test_genuine_notification_with_wrong_amount_is_flagged_not_credited(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    headers, body = wechat_notification(wechat_transaction(payment.payment_no, "1.23"))
    response = post(client, headers, body)
    assert response.status_code == 400
    payment.refresh_from_db()
    assert (payment.status, payment.attention_reason) == (PaymentStatus.PENDING, "amount_mismatch")


def test_django_meta_style_headers_are_understood():
    headers, body = wechat_notification(wechat_transaction("P1", "1.00"))
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    with pytest.raises(InvalidSignature):
        wechat_gateway().parse_notification(meta, body)  # META keys are not HTTP header names
    parsed = wechat_gateway().parse_notification(headers, body)
    assert (parsed.payment_no, str(parsed.amount)) == ("P1", "1.00")


@pytest.mark.django_db
def test_refund_is_processing_then_confirmed_by_wechats_notification(
    client, payer, fake_wechat, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    fake_wechat.pay(payment.payment_no, "12.34")
    services.sync_payment_status(payment=payment)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(payment=payment, amount="2.34", reason="不想要了", idempotency_key="w1")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PROCESSING
    assert fake_wechat.last_body["amount"] == {"refund": 234, "total": 1234, "currency": "CNY"}

    resource = {
        "mchid": "1900000109",
        "out_trade_no": payment.payment_no,
        "transaction_id": "4200000000202601010000000001",
        "out_refund_no": refund.refund_no,
        "refund_id": refund.gateway_refund_id,
        "refund_status": "SUCCESS",
        "success_time": "2026-01-02T10:00:00+08:00",
        "amount": {"total": 1234, "refund": 234, "payer_total": 1234, "payer_refund": 234},
    }
    headers, body = wechat_notification(resource, event_type="REFUND.SUCCESS")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, headers, body).status_code == 200
        assert post(client, headers, body).status_code == 200  # duplicate: once
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert signal_log.count("refund_succeeded") == 1


@pytest.mark.django_db
def test_refund_notification_with_wrong_amount_is_flagged(
    client, payer, fake_wechat, django_capture_on_commit_callbacks
):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    fake_wechat.pay(payment.payment_no, "12.34")
    services.sync_payment_status(payment=payment)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(payment=payment, amount="2.34", idempotency_key="w2")
    resource = {
        "mchid": "1900000109",
        "out_trade_no": payment.payment_no,
        "out_refund_no": refund.refund_no,
        "refund_status": "SUCCESS",
        "amount": {"total": 1234, "refund": 1234},
    }
    headers, body = wechat_notification(resource, event_type="REFUND.SUCCESS")
    assert post(client, headers, body).status_code == 400
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PROCESSING
    payment.refresh_from_db()
    assert payment.attention_reason == "refund_mismatch"


@pytest.mark.django_db
def test_processing_refund_is_settled_by_the_retry_task(
    payer, fake_wechat, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from shopops.payments import tasks
    from shopops.payments.models import Refund

    payment = open_payment(payer, channel="wechat", amount="12.34")
    fake_wechat.pay(payment.payment_no, "12.34")
    services.sync_payment_status(payment=payment)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(payment=payment, amount="12.34", idempotency_key="w3")
    fake_wechat.refunds[refund.refund_no]["status"] = "SUCCESS"
    Refund.objects.filter(pk=refund.pk).update(submitted_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.retry_refunds()["synced"] == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED


@pytest.mark.django_db
def test_query_and_close(payer, fake_wechat, django_capture_on_commit_callbacks):
    waiting = open_payment(payer, channel="wechat", amount="5.00")
    assert services.sync_payment_status(payment=waiting).status == PaymentStatus.PENDING
    assert services.close_payment(payment=waiting).status == PaymentStatus.CLOSED
    assert fake_wechat.trades[waiting.payment_no]["trade_state"] == "CLOSED"

    paid = open_payment(payer, channel="wechat", amount="6.00")
    fake_wechat.pay(paid.payment_no, "6.00")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyPaid):
        services.close_payment(payment=paid)
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.SUCCEEDED


def test_malformed_notification_bodies_are_rejected():
    gateway = wechat_gateway()
    for body in (b"", b"not json", json.dumps({"resource": None}).encode(), b"\xff\xfe"):
        with pytest.raises(InvalidSignature):
            gateway.parse_notification({}, body)
