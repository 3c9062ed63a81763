"""Alipay adapter, offline: keys generated here, notifications signed as Alipay signs them."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from shopops.payments import services
from shopops.payments.errors import AlreadyPaid, GatewayUnavailable
from shopops.payments.gateways import override_gateway
from shopops.payments.gateways.base import GatewayError, InvalidSignature, PaymentState
from shopops.payments.models import NotificationResult, PaymentNotification, PaymentStatus
from shopops.payments.tests.conftest import open_payment
from shopops.payments.tests.providers import (
    ALIPAY_APP_ID,
    FakeAlipay,
    alipay_gateway,
    alipay_notification,
    key_pair,
)

NOTIFY = "/api/v1/payments/notify/alipay"


def post_form(client, body: bytes):
    return client.post(NOTIFY, data=body, content_type="application/x-www-form-urlencoded; charset=utf-8")


@pytest.mark.django_db
def test_page_pay_url_is_signed_with_the_app_key(payer, fake_alipay):
    payment = open_payment(payer, channel="alipay", amount="128.50", return_url="/orders/PG1/")
    action = payment.action

    assert action["kind"] == "redirect"
    url = urlsplit(action["url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://openapi.alipay.com/gateway.do"
    params = dict(parse_qsl(url.query))
    signature = params.pop("sign")
    assert key_pair("alipay-app").verify("&".join(f"{k}={v}" for k, v in sorted(params.items())), signature)
    biz = json.loads(params["biz_content"])
    assert biz["out_trade_no"] == payment.payment_no
    assert biz["total_amount"] == "128.50"
    assert biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert params["notify_url"] == "http://testserver/api/v1/payments/notify/alipay"
    assert params["return_url"] == "http://testserver/orders/PG1/"
    assert params["sign_type"] == "RSA2"


@pytest.mark.django_db
def test_wap_scene_uses_the_mobile_product(payer, fake_alipay):
    payment = open_payment(payer, channel="alipay", scene="wap")
    biz = json.loads(dict(parse_qsl(urlsplit(payment.action["url"]).query))["biz_content"])
    assert biz["product_code"] == "QUICK_WAP_PAY"


@pytest.mark.django_db
def test_genuine_notification_is_accepted_and_credits(
    client, payer, fake_alipay, signal_log, django_capture_on_commit_callbacks
):
    payment = open_payment(payer, channel="alipay", amount="128.50")
    body = alipay_notification(out_trade_no=payment.payment_no, total_amount="128.50", trade_no="2026TRADE1")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_form(client, body)

    assert response.status_code == 200
    assert response.content == b"success"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.gateway_trade_id == "2026TRADE1"
    assert payment.paid_with == "alipay"
    assert signal_log.count("payment_succeeded") == 1


@pytest.mark.django_db
def test_notification_with_amount_changed_after_signing_is_rejected(client, payer, fake_alipay):
    payment = open_payment(payer, channel="alipay", amount="128.50")
    fields = dict(
        parse_qsl(alipay_notification(out_trade_no=payment.payment_no, total_amount="128.50").decode())
    )
    fields["total_amount"] = "0.01"
    response = post_form(client, urlencode(fields).encode())

    assert response.content == b"failure"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    note = PaymentNotification.objects.get()
    assert (note.signature_valid, note.error_code) == (False, "invalid_signature")


@pytest.mark.django_db
def test_notification_signed_with_another_key_is_rejected(client, payer, fake_alipay):
    payment = open_payment(payer, channel="alipay", amount="10.00")
    body = alipay_notification(
        key=key_pair("impostor"), out_trade_no=payment.payment_no, total_amount="10.00"
    )
    assert post_form(client, body).content == b"failure"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_garbage_signature_is_rejected_not_a_crash(client, payer, fake_alipay):
    payment = open_payment(payer, channel="alipay", amount="10.00")
    fields = dict(
        parse_qsl(alipay_notification(out_trade_no=payment.payment_no, total_amount="10.00").decode())
    )
    fields["sign"] = "%%%not-base64"
    assert post_form(client, urlencode(fields).encode()).content == b"failure"
    assert PaymentNotification.objects.get().result == NotificationResult.REJECTED


@pytest.mark.django_db
def test_genuine_notification_for_another_app_is_rejected(client, payer, fake_alipay):
    payment = open_payment(payer, channel="alipay", amount="10.00")
    body = alipay_notification(
        out_trade_no=payment.payment_no, total_amount="10.00", app_id="2021999999999999"
    )
    assert post_form(client, body).content == b"failure"
    assert PaymentNotification.objects.get().error_code == "app_id_mismatch"


@pytest.mark.django_db
def test_genuine_notification_with_wrong_amount_is_flagged(client, payer, fake_alipay):
    payment = open_payment(payer, channel="alipay", amount="10.00")
    body = alipay_notification(out_trade_no=payment.payment_no, total_amount="1.00")
    assert post_form(client, body).content == b"failure"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.attention_reason == "amount_mismatch"


def test_parse_notification_reads_an_alipay_refund_notice():
    gateway = alipay_gateway()
    parsed = gateway.parse_notification(
        {},
        alipay_notification(
            out_trade_no="P1",
            total_amount="10.00",
            out_biz_no="R1",
            refund_fee="4.00",
            gmt_refund="2026-01-02 10:00:00",
        ),
    )
    assert (parsed.kind, parsed.refund_no, parsed.payment_no) == ("refund", "R1", "P1")
    with pytest.raises(InvalidSignature):
        gateway.parse_notification({}, b"not=a&valid=notification")


@pytest.mark.django_db
def test_query_recovers_a_payment_whose_notification_was_lost(payer, fake_alipay, signal_log):
    payment = open_payment(payer, channel="alipay", amount="10.00")
    fake_alipay.pay(payment.payment_no, "10.00")
    payment = services.sync_payment_status(payment=payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert fake_alipay.calls == ["alipay.trade.query"]


@pytest.mark.django_db
def test_query_of_a_trade_alipay_never_saw_changes_nothing(payer, fake_alipay):
    payment = open_payment(payer, channel="alipay", amount="10.00")
    status = alipay_gateway(fake_alipay).query(payment)
    assert status.state == PaymentState.NOT_FOUND
    assert services.sync_payment_status(payment=payment).status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_refund_through_alipay(payer, fake_alipay, signal_log, django_capture_on_commit_callbacks):
    payment = open_payment(payer, channel="alipay", amount="10.00")
    fake_alipay.pay(payment.payment_no, "10.00")
    services.sync_payment_status(payment=payment)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(payment=payment, amount="4.00", reason="破损", idempotency_key="k")
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert fake_alipay.refunds[refund.refund_no] == {"trade": payment.payment_no, "amount": "4.00"}
    assert signal_log.count("refund_succeeded") == 1


@pytest.mark.django_db
def test_repeated_refund_request_is_confirmed_by_query(payer, fake_alipay):
    payment = open_payment(payer, channel="alipay", amount="10.00")
    fake_alipay.pay(payment.payment_no, "10.00")
    services.sync_payment_status(payment=payment)
    gateway = alipay_gateway(fake_alipay)
    refund = payment.refunds.create(refund_no="R-1", amount=Decimal("3.00"), idempotency_key="x")
    assert gateway.refund(refund).state == "succeeded"
    assert gateway.refund(refund).state == "processing"  # fund_change N: a repeat
    assert gateway.query_refund(refund).state == "succeeded"


@pytest.mark.django_db
def test_close_of_an_unpaid_trade_and_of_a_paid_one(
    payer, fake_alipay, signal_log, django_capture_on_commit_callbacks
):
    unpaid = open_payment(payer, channel="alipay", amount="10.00")
    fake_alipay.pay(unpaid.payment_no, "10.00", status="WAIT_BUYER_PAY")
    assert services.close_payment(payment=unpaid).status == PaymentStatus.CLOSED
    assert fake_alipay.trades[unpaid.payment_no]["trade_status"] == "TRADE_CLOSED"

    paid = open_payment(payer, channel="alipay", amount="20.00")
    fake_alipay.pay(paid.payment_no, "20.00")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyPaid):
        services.close_payment(payment=paid)
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.SUCCEEDED
    assert signal_log.count("payment_succeeded") == 1


@pytest.mark.django_db
def test_response_not_signed_by_alipay_is_not_trusted(payer):
    class ForgedAlipay(FakeAlipay):
        def request(self, method, url, **kwargs):
            reply = super().request(method, url, **kwargs)
            reply.text = reply.text.replace('"10.00"', '"1.00"')
            return reply

    fake = ForgedAlipay()
    with override_gateway("alipay", alipay_gateway(fake)):
        payment = open_payment(payer, channel="alipay", amount="10.00")
        fake.pay(payment.payment_no, "10.00")
        with pytest.raises(GatewayUnavailable):
            services.sync_payment_status(payment=payment)
        with pytest.raises(GatewayError):
            alipay_gateway(fake).query(payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_keys_are_accepted_as_pem_or_bare_base64():
    assert alipay_gateway(public_key_as_base64=False).config.app_id == ALIPAY_APP_ID
    assert alipay_gateway(public_key_as_base64=True).config.app_id == ALIPAY_APP_ID
