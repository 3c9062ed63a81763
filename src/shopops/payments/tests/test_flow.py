"""The whole sandbox journey through the Django test client, and the payer API around it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shopops.payments import hooks, services
from shopops.payments.errors import AlreadyPaid, PayableNotFound
from shopops.payments.models import (
    Payment,
    PaymentNotification,
    PaymentStatus,
    SandboxDeliveryStatus,
    SandboxNotification,
    SandboxTrade,
)
from shopops.payments.tests.conftest import new_reference, open_payment
from shopops.shops.tests.factories import api_as, make_user

ORDERS: dict[str, tuple[object, Decimal]] = {}


def resolve_test_order(*, reference: str, user) -> hooks.Payable:
    """Stands in for the orders app's resolver: the amount comes from the server-side order."""
    owner, amount = ORDERS.get(reference, (None, None))
    if owner is None or owner.pk != user.pk:
        raise PayableNotFound(reference=reference)
    return hooks.Payable(amount=amount, subject=f"订单 {reference}", return_url=f"/orders/{reference}/")


@pytest.fixture(autouse=True)
def order_resolver():
    hooks.register_payable_resolver("TPG", resolve_test_order)
    yield
    hooks.unregister_payable_resolver("TPG")
    ORDERS.clear()


def an_order(user, amount="88.80") -> str:
    reference = new_reference()
    ORDERS[reference] = (user, Decimal(amount))
    return reference


@pytest.mark.django_db
def test_shopper_pays_in_the_sandbox_end_to_end(
    client, payer, signal_log, django_capture_on_commit_callbacks
):
    reference = an_order(payer, "88.80")
    api = api_as(client, payer)

    created = api.post("/payments", {"reference": reference, "channel": "sandbox"})
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["amount"], data["status"], data["action"]["kind"]) == ("88.80", "pending", "redirect")
    payment_no = data["payment_no"]

    checkout = client.get(f"/pay/checkout/{payment_no}/")
    assert checkout.status_code == 302
    assert checkout["Location"] == f"/pay/sandbox/{payment_no}/"

    cashier = client.get(checkout["Location"])
    assert cashier.status_code == 200
    page = cashier.content.decode()
    assert "88.80" in page and "支付宝" in page and "微信支付" in page and "银行卡" in page

    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(checkout["Location"], {"action": "pay", "method": "wechat"})
    assert paid.status_code == 302
    assert paid["Location"] == f"/orders/{reference}/"

    payment = Payment.objects.get(payment_no=payment_no)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.paid_with == "wechat"
    assert signal_log.count("payment_succeeded") == 1
    delivered = SandboxNotification.objects.get()
    assert (delivered.status, delivered.attempts) == (SandboxDeliveryStatus.DELIVERED, 1)
    assert PaymentNotification.objects.get().result == "credited"

    detail = api.get(f"/payments/{payment_no}").json()
    assert (detail["status"], detail["action"], detail["refunded_amount"]) == ("succeeded", None, "0.00")
    listed = api.get("/payments", reference=reference).json()
    assert listed["count"] == 1 and listed["items"][0]["payment_no"] == payment_no
    result = client.get(f"/pay/result/{payment_no}/")
    assert "支付成功" in result.content.decode()
    # Paying again for the same order is refused.
    again = api.post("/payments", {"reference": reference, "channel": "sandbox"})
    assert (again.status_code, again.json()["code"]) == (409, "already_paid")


@pytest.mark.django_db
def test_failed_attempt_then_successful_retry(client, payer, signal_log, django_capture_on_commit_callbacks):
    payment = open_payment(payer, amount="10.00")
    url = f"/pay/sandbox/{payment.payment_no}/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "fail", "method": "card"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert "支付宝" in client.get(url).content.decode()  # still payable at the cashier
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "pay", "method": "alipay"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (signal_log.count("payment_failed"), signal_log.count("payment_succeeded")) == (1, 1)


@pytest.mark.django_db
def test_closed_trade_cannot_be_paid_at_the_cashier(client, payer):
    payment = open_payment(payer)
    services.close_payment(payment=payment)
    response = client.post(f"/pay/sandbox/{payment.payment_no}/", {"action": "pay", "method": "card"})
    assert response.status_code == 400
    assert SandboxTrade.objects.get(out_trade_no=payment.payment_no).status == "closed"


@pytest.mark.django_db
def test_cashier_rejects_an_unknown_method_and_unknown_trades(client, payer):
    payment = open_payment(payer)
    response = client.post(f"/pay/sandbox/{payment.payment_no}/", {"action": "pay", "method": "bitcoin"})
    assert response.status_code == 400
    assert client.get("/pay/sandbox/P0000/").status_code == 404


@pytest.mark.django_db
def test_cashier_is_gone_when_the_sandbox_is_disabled(client, payer, settings):
    payment = open_payment(payer)
    settings.PAYMENTS_SANDBOX_ENABLED = False
    assert client.get(f"/pay/sandbox/{payment.payment_no}/").status_code == 404


@pytest.mark.django_db
def test_return_url_to_another_site_is_not_followed(client, payer, django_capture_on_commit_callbacks):
    payment = open_payment(payer, return_url="https://evil.example/steal")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/pay/sandbox/{payment.payment_no}/", {"action": "pay", "method": "card"})
    assert response["Location"] == f"/pay/result/{payment.payment_no}/"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/x", "ftp://x/y"])
def test_unsafe_return_urls_are_refused(payer, url):
    from shopops.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        open_payment(payer, return_url=url)


@pytest.mark.django_db
def test_another_users_payment_is_not_found(client, payer):
    payment = open_payment(payer)
    stranger = make_user()
    api = api_as(client, stranger)
    response = api.get(f"/payments/{payment.payment_no}")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "details"}
    assert api.post(f"/payments/{payment.payment_no}/sync").status_code == 404
    assert api.get("/payments").json()["count"] == 0
    assert client.get(f"/pay/result/{payment.payment_no}/").status_code == 404
    assert client.get(f"/pay/checkout/{payment.payment_no}/").status_code == 404


@pytest.mark.django_db
def test_signed_out_callers_get_401_and_pages_ask_to_sign_in(client, payer):
    payment = open_payment(payer)
    assert client.get(f"/api/v1/payments/{payment.payment_no}").status_code == 401
    assert client.post("/api/v1/payments", data="{}", content_type="application/json").status_code == 401
    assert client.get(f"/pay/result/{payment.payment_no}/").status_code == 302


@pytest.mark.django_db
def test_someone_elses_order_cannot_be_paid_for(client, payer):
    reference = an_order(payer)
    response = api_as(client, make_user()).post("/payments", {"reference": reference, "channel": "sandbox"})
    assert (response.status_code, response.json()["code"]) == (404, "payable_not_found")
    assert not Payment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"reference": "TPGX", "channel": "paypal"}, 404, "payable_not_found"),
        ({"channel": "sandbox"}, 422, "validation_error"),
        ({"reference": "x" * 65, "channel": "sandbox"}, 422, "validation_error"),
    ],
)
def test_bad_create_requests_are_4xx_and_change_nothing(client, payer, body, status, code):
    response = api_as(client, payer).post("/payments", body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_unknown_channel_or_scene_is_422(client, payer):
    reference = an_order(payer)
    api = api_as(client, payer)
    response = api.post("/payments", {"reference": reference, "channel": "paypal"})
    assert (response.status_code, response.json()["code"]) == (422, "unknown_channel")
    response = api.post("/payments", {"reference": reference, "channel": "sandbox", "scene": "jsapi"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_scene")
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_reopening_the_pay_page_reuses_the_open_payment(client, payer):
    reference = an_order(payer)
    api = api_as(client, payer)
    first = api.post("/payments", {"reference": reference, "channel": "sandbox"}).json()
    second = api.post("/payments", {"reference": reference, "channel": "sandbox"}).json()
    assert first["payment_no"] == second["payment_no"]
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_switching_channel_closes_the_old_payment(
    payer, fake_wechat, signal_log, django_capture_on_commit_callbacks
):
    reference = new_reference()
    with django_capture_on_commit_callbacks(execute=True):
        old = open_payment(payer, reference=reference, channel="sandbox")
        new = open_payment(payer, reference=reference, channel="wechat")
    old.refresh_from_db()
    assert old.status == PaymentStatus.CLOSED
    assert SandboxTrade.objects.get(out_trade_no=old.payment_no).status == "closed"
    assert new.status == PaymentStatus.PENDING and new.pk != old.pk
    assert signal_log.count("payment_closed") == 1


@pytest.mark.django_db
def test_switching_channel_after_paying_is_refused(payer, fake_wechat, django_capture_on_commit_callbacks):
    reference = new_reference()
    old = open_payment(payer, reference=reference, channel="sandbox")
    SandboxTrade.objects.filter(out_trade_no=old.payment_no).update(status="succeeded")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyPaid):
        open_payment(payer, reference=reference, channel="wechat")
    old.refresh_from_db()
    assert old.status == PaymentStatus.SUCCEEDED
    assert Payment.objects.filter(reference=reference).count() == 1


@pytest.mark.django_db
def test_i_have_paid_button_asks_the_provider(client, payer, django_capture_on_commit_callbacks):
    payment = open_payment(payer)
    SandboxTrade.objects.filter(out_trade_no=payment.payment_no).update(
        status="succeeded", paid_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(client, payer).post(f"/payments/{payment.payment_no}/sync")
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"


@pytest.mark.django_db
def test_channels_endpoint_lists_enabled_channels(client, payer):
    response = api_as(client, payer).get("/payments/channels")
    assert [c["channel"] for c in response.json()] == ["sandbox", "alipay", "wechat"]


@pytest.mark.django_db
def test_expired_deadline_is_refused(payer):
    from shopops.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        open_payment(payer, expires_at=timezone.now() - timedelta(minutes=1))


def test_default_channels_follow_configuration(settings):
    from shopops.payments.gateways import enabled_channels

    del settings.PAYMENTS_CHANNELS
    settings.PAYMENTS_SANDBOX_ENABLED = False
    settings.ALIPAY_APP_ID = "2021000000000001"
    assert enabled_channels() == []  # an app id without keys is not a usable channel
    settings.ALIPAY_APP_PRIVATE_KEY, settings.ALIPAY_PUBLIC_KEY = "k", "k"
    settings.PAYMENTS_SANDBOX_ENABLED = True
    assert enabled_channels() == ["sandbox", "alipay"]
