from datetime import timedelta

import pytest
from django.utils import timezone

from shopops.accounts import services
from shopops.accounts.errors import SmsCodeInvalid, SmsCooldown, SmsDailyCapReached, SmsDeliveryFailed
from shopops.accounts.models import SmsCode, phone_digest
from shopops.accounts.sms import SmsProvider, last_sms_code, sms_outbox
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory, next_phone
from shopops.core.errors import NotAuthenticated

pytestmark = pytest.mark.django_db


def send(api, phone, purpose="register", ip=None):
    if ip:
        api.ip = ip
    return api.post("/sms/send", {"phone": phone, "purpose": purpose})


def register(api, phone, code):
    return api.post("/register", {"phone": phone, "password": DEFAULT_PASSWORD, "sms_code": code})


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 10**6:06d}"


def test_code_is_six_digits_and_only_a_hash_is_stored(api, sms_code):
    phone = next_phone()
    response = send(api, phone)
    assert response.json() == {"sent": True, "cooldown_seconds": 60, "expires_in": 300}
    code = sms_code(phone)
    assert len(code) == 6 and code.isdigit()
    record = SmsCode.objects.get(phone_digest=phone_digest(phone))
    assert code not in record.code_hash
    assert record.code_hash.startswith("hmac-sha256$")
    assert record.phone_masked == f"{phone[:3]}****{phone[-4:]}"
    assert (record.expires_at - record.created_at) == timedelta(seconds=300)


def test_console_provider_keeps_a_bilingual_message_in_the_outbox(api):
    phone = next_phone()
    send(api, phone)
    [message] = sms_outbox(phone)
    assert message["template"] == "register"
    assert message["params"]["code"] in message["text"]
    assert "验证码" in message["text"] and "Your code" in message["text"]
    assert last_sms_code(f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}") == message["params"]["code"]


def test_invalid_phone_or_purpose_is_422(api):
    response = api.post("/sms/send", {"phone": "1234", "purpose": "register"})
    assert response.status_code == 422
    assert "phone" in response.json()["details"]["fields"]
    response = api.post("/sms/send", {"phone": next_phone(), "purpose": "hack"})
    assert response.status_code == 422


def test_expired_code_is_refused(api, sms_code):
    phone = next_phone()
    send(api, phone)
    code = sms_code(phone)
    SmsCode.objects.filter(phone_digest=phone_digest(phone)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = register(api, phone, code)
    assert response.status_code == 422
    assert response.json()["code"] == "sms_code_expired"


def test_five_wrong_tries_kill_the_code(api, sms_code):
    phone = next_phone()
    send(api, phone)
    code = sms_code(phone)
    remaining = []
    for _ in range(5):
        response = register(api, phone, wrong_code(code))
        assert response.json()["code"] == "sms_code_invalid"
        remaining.append(response.json()["details"]["remaining_attempts"])
    assert remaining == [4, 3, 2, 1, 0]
    # The right code no longer works either.
    response = register(api, phone, code)
    assert response.status_code == 422
    assert response.json()["code"] == "sms_code_exhausted"
    assert SmsCode.objects.get(phone_digest=phone_digest(phone)).wrong_attempts == 5


def test_wrong_attempt_survives_the_failed_request_inside_an_outer_transaction():
    from django.db import transaction

    phone = next_phone()
    services.send_sms_code(phone=phone, purpose="register")
    with transaction.atomic(), pytest.raises(SmsCodeInvalid):
        services.register_user(
            phone=phone, sms_code=wrong_code(last_sms_code(phone)), password=DEFAULT_PASSWORD
        )
    assert SmsCode.objects.get(phone_digest=phone_digest(phone)).wrong_attempts == 1


def test_resend_within_60_seconds_is_429_with_retry_after(api):
    phone = next_phone()
    assert send(api, phone).status_code == 200
    response = send(api, phone)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "sms_cooldown"
    assert 0 < body["details"]["retry_after"] <= 60
    assert 0 < int(response["Retry-After"]) <= 60
    assert len(sms_outbox(phone)) == 1


def test_cooldown_is_per_phone_and_purpose(api):
    owner = UserFactory(with_phone=True)
    assert send(api, owner.phone, "login").status_code == 200
    assert send(api, owner.phone, "reset_password").status_code == 200
    assert send(api, next_phone(), "register").status_code == 200


def test_a_new_code_replaces_the_previous_one(api, sms_code, settings):
    settings.SMS_RESEND_COOLDOWN_SECONDS = 1
    phone = next_phone()
    send(api, phone)
    first = sms_code(phone)
    from django.core.cache import cache

    cache.delete(f"sms:cooldown:register:{phone_digest(phone)}")
    send(api, phone)
    second = sms_code(phone)
    if first != second:
        assert register(api, phone, first).status_code == 422
    assert register(api, phone, second).status_code == 201


def test_daily_cap_per_phone_is_429(api, settings):
    settings.SMS_DAILY_CAP_PER_PHONE = 3
    settings.SMS_RESEND_COOLDOWN_SECONDS = 1
    from django.core.cache import cache

    phone = next_phone()
    for i in range(3):
        cache.delete(f"sms:cooldown:register:{phone_digest(phone)}")
        assert send(api, phone, ip=f"10.1.0.{i}").status_code == 200
    cache.delete(f"sms:cooldown:register:{phone_digest(phone)}")
    response = send(api, phone, ip="10.1.0.99")
    assert response.status_code == 429
    assert response.json()["code"] == "sms_daily_cap"
    assert response.json()["details"]["scope"] == "phone"
    assert len(sms_outbox(phone)) == 3


def test_daily_cap_per_ip_is_429(api, settings):
    settings.SMS_DAILY_CAP_PER_IP = 2
    for _ in range(2):
        assert send(api, next_phone(), ip="10.2.0.1").status_code == 200
    phone = next_phone()
    response = send(api, phone, ip="10.2.0.1")
    assert response.status_code == 429
    assert response.json()["details"]["scope"] == "ip"
    assert sms_outbox(phone) == []
    # Another address is not affected, and the refused phone can retry at once from there.
    assert send(api, phone, ip="10.2.0.2").status_code == 200


def test_login_code_answer_does_not_reveal_whether_the_phone_is_registered(api):
    owner = UserFactory(with_phone=True)
    stranger = next_phone()
    known = send(api, owner.phone, "login")
    unknown = send(api, stranger, "login")
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert len(sms_outbox(owner.phone)) == 1
    # 验证码登录即注册: a new number gets a code too (its sign-in opens the account).
    assert len(sms_outbox(stranger)) == 1
    # Cooldown applies to unknown numbers too, so it cannot be used as an oracle either.
    assert send(api, stranger, "login").status_code == 429


def test_deactivated_account_gets_no_login_code(api):
    owner = UserFactory(with_phone=True, is_active=False)
    assert send(api, owner.phone, "login").status_code == 200
    assert sms_outbox(owner.phone) == []


def test_bind_phone_code_needs_sign_in(api):
    with pytest.raises(NotAuthenticated):
        services.send_sms_code(phone=next_phone(), purpose="bind_phone")
    response = api.post("/sms/send", {"phone": next_phone(), "purpose": "bind_phone"})
    assert response.status_code == 422  # not offered on the public endpoint


def test_service_raises_typed_errors():
    phone = next_phone()
    services.send_sms_code(phone=phone, purpose="register", ip="10.3.0.1")
    with pytest.raises(SmsCooldown) as exc:
        services.send_sms_code(phone=phone, purpose="register", ip="10.3.0.1")
    assert exc.value.retry_after and exc.value.retry_after <= 60


def test_failed_delivery_keeps_previous_code_and_frees_the_cooldown(api, settings, sms_code):
    phone = next_phone()
    send(api, phone)
    first = sms_code(phone)
    from django.core.cache import cache

    cache.delete(f"sms:cooldown:register:{phone_digest(phone)}")
    settings.SMS_PROVIDER = "shopops.accounts.tests.test_sms_codes.FailingProvider"
    response = send(api, phone)
    assert response.status_code == 503
    assert response.json()["code"] == "sms_delivery_failed"
    settings.SMS_PROVIDER = "shopops.accounts.sms.ConsoleSmsProvider"
    assert register(api, phone, first).status_code == 201


def test_daily_cap_error_type(settings):
    settings.SMS_DAILY_CAP_PER_IP = 0
    with pytest.raises(SmsDailyCapReached):
        services.send_sms_code(phone=next_phone(), purpose="register", ip="10.4.0.1")


class FailingProvider(SmsProvider):
    name = "failing"

    def send(self, message):
        raise SmsDeliveryFailed(reason="test")
