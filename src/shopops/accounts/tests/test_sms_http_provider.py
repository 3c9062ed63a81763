"""HttpSmsProvider against a real (tiny, local) HTTP server."""

import hashlib
import hmac
import json

import pytest

from shopops.accounts import services
from shopops.accounts.errors import SmsDeliveryFailed
from shopops.accounts.models import SmsCode, phone_digest
from shopops.accounts.sms import HttpSmsProvider, SmsMessage
from shopops.accounts.tests.conftest import API_KEY
from shopops.accounts.tests.factories import next_phone


def message(phone="13812345678"):
    return SmsMessage(phone=phone, text="【ShopOps】code 123456", template="login", params={"code": "123456"})


def test_posts_signed_json_and_returns_the_gateway_message_id(gateway):
    provider = HttpSmsProvider(url=gateway.url, api_key=API_KEY, sign_name="ShopOps", timeout=2)
    assert provider.send(message()) == "gw-42"
    [request] = gateway.requests
    body = json.loads(request["raw"])
    assert body == {
        "phone": "13812345678",
        "sign_name": "ShopOps",
        "template": "login",
        "params": {"code": "123456"},
        "text": "【ShopOps】code 123456",
    }
    headers = request["headers"]
    assert headers["X-Api-Key"] == API_KEY
    assert headers["Content-Type"].startswith("application/json")
    expected = hmac.new(
        API_KEY.encode(),
        headers["X-Timestamp"].encode() + b"\n" + headers["X-Nonce"].encode() + b"\n" + request["raw"],
        hashlib.sha256,
    ).hexdigest()
    assert headers["X-Signature"] == expected


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, b'{"error": "boom"}'), (401, b"{}"), (200, b'{"ok": false, "error": "blacklisted"}')],
)
def test_gateway_refusal_raises_delivery_failed(gateway, status, body):
    gateway.status, gateway.body = status, body
    with pytest.raises(SmsDeliveryFailed):
        HttpSmsProvider(url=gateway.url, api_key=API_KEY, timeout=2).send(message())


def test_timeout_raises_delivery_failed(gateway):
    gateway.stall_seconds = 3
    with pytest.raises(SmsDeliveryFailed):
        HttpSmsProvider(url=gateway.url, api_key=API_KEY, timeout=0.3).send(message())


def test_unreachable_gateway_raises_delivery_failed():
    with pytest.raises(SmsDeliveryFailed):
        HttpSmsProvider(url="http://127.0.0.1:9/", api_key=API_KEY, timeout=1).send(message())


def test_unconfigured_url_is_refused():
    with pytest.raises(SmsDeliveryFailed):
        HttpSmsProvider(url="", api_key=API_KEY)


@pytest.mark.django_db
def test_settings_select_the_http_provider_for_real_sends(gateway, settings):
    settings.SMS_PROVIDER = "shopops.accounts.sms.HttpSmsProvider"
    settings.SMS_HTTP_URL = gateway.url
    settings.SMS_HTTP_API_KEY = API_KEY
    phone = next_phone()
    services.send_sms_code(phone=phone, purpose="register")
    body = json.loads(gateway.requests[0]["raw"])
    assert body["phone"] == phone and body["template"] == "register"
    record = SmsCode.objects.get(phone_digest=phone_digest(phone))
    assert record.provider == "http" and record.provider_message_id == "gw-42"


@pytest.mark.django_db
def test_gateway_failure_through_the_api_is_503_and_stores_no_code(api, gateway, settings):
    settings.SMS_PROVIDER = "shopops.accounts.sms.HttpSmsProvider"
    settings.SMS_HTTP_URL = gateway.url
    gateway.status = 502
    phone = next_phone()
    response = api.post("/sms/send", {"phone": phone, "purpose": "register"})
    assert response.status_code == 503
    assert response.json()["code"] == "sms_delivery_failed"
    assert not SmsCode.objects.filter(phone_digest=phone_digest(phone)).exists()
