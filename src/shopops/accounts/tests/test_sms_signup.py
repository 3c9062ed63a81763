"""验证码登录即注册: a correct login code for a number without an account opens one, once the client
says the terms were accepted; every SMS protection still applies."""

import pytest
from django.test import Client

from shopops.accounts import services
from shopops.accounts.models import SmsCode, User, phone_digest
from shopops.accounts.tests.factories import UserFactory, next_phone
from shopops.core.models import AuditLog

pytestmark = pytest.mark.django_db


def send_login_code(api, phone, sms_code):
    assert api.post("/sms/send", {"phone": phone, "purpose": "login"}).status_code == 200
    return sms_code(phone, "login")


def sms_token(api, phone, code, **extra):
    return api.post("/token", {"grant_type": "sms", "phone": phone, "code": code, **extra})


def test_new_number_with_accepted_terms_opens_an_account_and_signs_in(api, sms_code):
    phone = next_phone()
    code = send_login_code(api, phone, sms_code)
    response = sms_token(api, phone, code, accept_terms=True)
    assert response.status_code == 200, response.content
    assert response.json()["new_account"] is True
    user = User.objects.get(phone_digest=phone_digest(phone))
    assert user.phone == phone and user.phone_verified_at is not None
    assert user.username.startswith("user_") and user.display_name == f"用户{phone[-4:]}"
    assert not user.has_usable_password()
    api.token = response.json()["access"]
    assert api.get("/me").json()["id"] == user.pk
    entry = AuditLog.objects.get(action="accounts.user.sms_signup")
    assert entry.object_id == str(user.pk) and entry.after["terms_accepted"] is True


def test_without_accepted_terms_the_client_is_told_to_show_them_and_the_code_stays(api, sms_code):
    phone = next_phone()
    code = send_login_code(api, phone, sms_code)
    response = sms_token(api, phone, code)
    assert response.status_code == 422
    assert response.json()["code"] == "terms_not_accepted"
    assert response.json()["details"]["field"] == "accept_terms"
    assert not User.objects.filter(phone_digest=phone_digest(phone)).exists()
    # Same code, now with the terms accepted.
    response = sms_token(api, phone, code, accept_terms=True)
    assert response.status_code == 200 and response.json()["new_account"] is True


def test_wrong_code_for_a_new_number_is_a_wrong_code_not_a_terms_question(api, sms_code):
    phone = next_phone()
    code = send_login_code(api, phone, sms_code)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = sms_token(api, phone, wrong)  # must not reveal that the number has no account
    assert response.status_code == 422 and response.json()["code"] == "sms_code_invalid"
    assert not User.objects.filter(phone_digest=phone_digest(phone)).exists()


def test_known_number_signs_in_without_terms_and_is_not_new(api, sms_code):
    user = UserFactory(with_phone=True)
    code = send_login_code(api, user.phone, sms_code)
    response = sms_token(api, user.phone, code)
    assert response.status_code == 200 and response.json()["new_account"] is False
    assert User.objects.filter(phone_digest=phone_digest(user.phone)).count() == 1


def test_wrong_try_limit_still_kills_the_code(api, sms_code, settings):
    phone = next_phone()
    code = send_login_code(api, phone, sms_code)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(settings.SMS_MAX_WRONG_TRIES):
        sms_token(api, phone, wrong, accept_terms=True)
    response = sms_token(api, phone, code, accept_terms=True)
    assert response.status_code == 422 and response.json()["code"] == "sms_code_exhausted"
    assert not User.objects.filter(phone_digest=phone_digest(phone)).exists()


def test_cooldown_and_daily_cap_apply_to_new_numbers(api, settings):
    phone = next_phone()
    assert api.post("/sms/send", {"phone": phone, "purpose": "login"}).status_code == 200
    response = api.post("/sms/send", {"phone": phone, "purpose": "login"})
    assert response.status_code == 429 and response.json()["code"] == "sms_cooldown"
    settings.SMS_DAILY_CAP_PER_IP = 1
    response = api.post("/sms/send", {"phone": next_phone(), "purpose": "login"})
    assert response.status_code == 429 and response.json()["code"] == "sms_daily_cap"


def test_new_accounts_per_ip_are_capped_and_the_code_survives(api, sms_code, monkeypatch):
    monkeypatch.setattr(services, "REGISTRATIONS_PER_IP_HOURLY", 1)
    first = next_phone()
    assert sms_token(api, first, send_login_code(api, first, sms_code), accept_terms=True).status_code == 200
    second = next_phone()
    code = send_login_code(api, second, sms_code)
    response = sms_token(api, second, code, accept_terms=True)
    assert response.status_code == 429 and response.json()["details"]["scope"] == "registration"
    assert not User.objects.filter(phone_digest=phone_digest(second)).exists()
    assert SmsCode.objects.get(phone_digest=phone_digest(second)).consumed_at is None


def test_disabled_account_fails_like_a_wrong_code(api, sms_code):
    user = UserFactory(with_phone=True, is_active=False)
    api.post("/sms/send", {"phone": user.phone, "purpose": "login"})
    response = sms_token(api, user.phone, "123456", accept_terms=True)
    assert response.status_code == 422 and response.json()["code"] == "sms_code_invalid"
    assert User.objects.filter(phone_digest=phone_digest(user.phone)).count() == 1


def test_web_session_sign_up_through_the_session_api(sms_code):
    client = Client()
    phone = next_phone()
    client.post(
        "/api/v1/accounts/sms/send", {"phone": phone, "purpose": "login"}, content_type="application/json"
    )
    response = client.post(
        "/api/v1/accounts/session",
        {"method": "sms", "phone": phone, "code": sms_code(phone), "accept_terms": True},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["new_account"] is True
    assert client.get("/api/v1/accounts/me").json()["phone_masked"].endswith(phone[-4:])


def test_an_sms_account_can_set_a_password_with_an_sms_reset(api, sms_code):
    phone = next_phone()
    sms_token(api, phone, send_login_code(api, phone, sms_code), accept_terms=True)
    api.post("/sms/send", {"phone": phone, "purpose": "reset_password"})
    response = api.post(
        "/password/reset/confirm",
        {"phone": phone, "code": sms_code(phone, "reset_password"), "new_password": "Fresh-Pass9"},
    )
    assert response.status_code == 200, response.content
    assert api.post("/token", {"identifier": phone, "password": "Fresh-Pass9"}).status_code == 200
