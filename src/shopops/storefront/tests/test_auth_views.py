"""Sign-in, sign-up, verification and password reset pages over the accounts services."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from shopops.accounts.models import User
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Shop-2024-ok"


def login_post(client: Client, identifier: str, password: str, **extra):
    data = {"tab": "password", "pw-username": identifier, "pw-password": password, **extra}
    return client.post("/accounts/login/", data)


# ---------- Password login ----------


def test_empty_login_form_shows_errors_on_both_fields(client: Client):
    response = login_post(client, "", "")
    assert response.status_code == 400
    form = response.context["password_form"]
    assert form.errors.keys() >= {"username", "password"}
    assert 'aria-invalid="true"' in response.content.decode()


def test_wrong_password_is_a_form_error_and_does_not_sign_in(client: Client):
    user = UserFactory()
    response = login_post(client, user.username, "not-the-password")
    assert response.status_code == 400
    assert "账号或密码错误" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_login_goes_to_the_account_centre(client: Client):
    user = UserFactory()
    response = login_post(client, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_follows_a_local_next_but_never_an_external_one(client: Client):
    user = UserFactory()
    response = login_post(client, user.username, DEFAULT_PASSWORD, next="/account/addresses/")
    assert response["Location"] == "/account/addresses/"
    client.logout()
    response = login_post(client, user.username, DEFAULT_PASSWORD, next="https://evil.example/")
    assert response["Location"] == "/account/"


def test_repeated_failures_lock_the_login_with_429(client: Client):
    user = UserFactory()
    responses = [
        login_post(client, user.username, "wrong-password") for _ in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    locked = responses[-1]
    assert locked.status_code == 429
    assert "登录已暂时锁定" in locked.content.decode()
    # Even the right password is refused while locked.
    assert login_post(client, user.username, DEFAULT_PASSWORD).status_code == 429


def test_login_requires_csrf_token():
    client = Client(enforce_csrf_checks=True)
    user = UserFactory()
    response = client.post(
        "/accounts/login/", {"tab": "password", "pw-username": user.username, "pw-password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 403


# ---------- SMS codes ----------


def test_send_code_endpoint_rejects_a_bad_number(client: Client):
    response = client.post("/accounts/sms-code/", {"prefix": "sms", "sms-phone": "12345", "purpose": "login"})
    assert response.status_code == 422
    assert "手机号" in response.content.decode()


def test_send_code_endpoint_starts_a_countdown_and_enforces_the_cooldown(client: Client, shopper, sms_code):
    data = {"prefix": "sms", "sms-phone": shopper.phone, "purpose": "login"}
    first = client.post("/accounts/sms-code/", data)
    assert first.status_code == 200
    assert "sms-countdown" in first["HX-Trigger"]
    assert "验证码已发送" in first.content.decode()
    assert sms_code(shopper.phone, "login")

    again = client.post("/accounts/sms-code/", data)
    assert again.status_code == 429
    assert "sms-countdown" in again["HX-Trigger"]


def test_send_code_button_works_without_javascript(client: Client, shopper, sms_code):
    response = client.post("/accounts/login/", {"tab": "sms", "sms-phone": shopper.phone, "send_code": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "验证码已发送" in body
    assert "data-sms-wait=" in body
    # Only the phone was checked: the still-empty code field shows no error yet.
    assert not response.context["sms_form"].errors
    assert sms_code(shopper.phone, "login")


def test_sms_login_signs_in(client: Client, shopper, sms_code):
    client.post("/accounts/sms-code/", {"prefix": "sms", "sms-phone": shopper.phone, "purpose": "login"})
    response = client.post(
        "/accounts/login/",
        {"tab": "sms", "sms-phone": shopper.phone, "sms-code": sms_code(shopper.phone, "login")},
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(shopper.pk)


def test_wrong_sms_code_is_an_error_on_the_code_field(client: Client, shopper):
    client.post("/accounts/sms-code/", {"prefix": "sms", "sms-phone": shopper.phone, "purpose": "login"})
    response = client.post(
        "/accounts/login/", {"tab": "sms", "sms-phone": shopper.phone, "sms-code": "000001"}
    )
    assert response.status_code == 400
    assert "code" in response.context["sms_form"].errors


# ---------- Registration ----------


def test_phone_registration_checks_the_form_before_calling_the_service(client: Client):
    response = client.post(
        "/accounts/register/",
        {"tab": "phone", "ph-phone": "123", "ph-code": "12", "ph-password": "a", "ph-password_confirm": "b"},
    )
    assert response.status_code == 400
    errors = response.context["phone_form"].errors
    assert errors.keys() >= {"phone", "code", "password_confirm", "agree"}
    assert not User.objects.exists()


def test_phone_registration_with_a_valid_code_creates_and_signs_in(client: Client, sms_code):
    phone = "13712345678"
    client.post("/accounts/sms-code/", {"prefix": "ph", "ph-phone": phone, "purpose": "register"})
    response = client.post(
        "/accounts/register/",
        {
            "tab": "phone",
            "ph-phone": phone,
            "ph-code": sms_code(phone, "register"),
            "ph-password": NEW_PASSWORD,
            "ph-password_confirm": NEW_PASSWORD,
            "ph-agree": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get_by_phone(phone)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_weak_password_is_reported_on_the_password_field(client: Client, sms_code):
    phone = "13712345679"
    client.post("/accounts/sms-code/", {"prefix": "ph", "ph-phone": phone, "purpose": "register"})
    response = client.post(
        "/accounts/register/",
        {
            "tab": "phone",
            "ph-phone": phone,
            "ph-code": sms_code(phone, "register"),
            "ph-password": "12345678",
            "ph-password_confirm": "12345678",
            "ph-agree": "on",
        },
    )
    assert response.status_code == 400
    assert "password" in response.context["phone_form"].errors
    assert not User.objects.exists()


def test_registering_a_taken_email_says_so_on_the_email_field(client: Client):
    UserFactory(email="taken@example.com", verified_email=True)
    response = client.post(
        "/accounts/register/",
        {
            "tab": "email",
            "em-email": "taken@example.com",
            "em-password": NEW_PASSWORD,
            "em-password_confirm": NEW_PASSWORD,
            "em-agree": "on",
        },
    )
    assert response.status_code == 400
    assert "email" in response.context["email_form"].errors


def test_email_registration_sends_a_link_that_verifies_the_address(
    client: Client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/register/",
            {
                "tab": "email",
                "em-email": "new.shopper@example.com",
                "em-password": NEW_PASSWORD,
                "em-password_confirm": NEW_PASSWORD,
                "em-agree": "on",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/register/check-email/"
    assert "n*********r@example.com" in client.get(response["Location"]).content.decode()

    path = re.search(r"/accounts/verify-email/[^/\s]+/", mail.outbox[-1].body).group(0)
    page = client.get(path)
    assert page.status_code == 200
    assert "邮箱验证成功" in page.content.decode()
    assert User.objects.get(email="new.shopper@example.com").email_verified_at is not None


def test_forged_verification_link_explains_itself(client: Client):
    response = client.get("/accounts/verify-email/not-a-real-token/")
    assert response.status_code == 400
    assert "验证链接无效" in response.content.decode()


# ---------- Logout ----------


def test_logout_only_by_post(signed_in: Client):
    page = signed_in.get("/accounts/logout/")
    assert page.status_code == 200
    assert "_auth_user_id" in signed_in.session
    response = signed_in.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in signed_in.session


def test_logout_requires_csrf_token(shopper):
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper, backend="shopops.accounts.backends.IdentifierBackend")
    assert client.post("/accounts/logout/").status_code == 403
    assert "_auth_user_id" in client.session


# ---------- Password reset ----------


def test_password_reset_by_email_link(client: Client, django_capture_on_commit_callbacks):
    user = UserFactory(verified_email=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password-reset/", {"tab": "email", "em-email": user.email})
    assert response["Location"] == "/accounts/password-reset/sent/"
    path = re.search(r"/accounts/reset/[^/\s]+/", mail.outbox[-1].body).group(0)

    assert client.get(path).status_code == 200
    mismatch = client.post(path, {"password": NEW_PASSWORD, "password_confirm": "different-1!"})
    assert "password_confirm" in mismatch.context["form"].errors
    done = client.post(path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_unknown_email_gets_the_same_answer(client: Client):
    response = client.post("/accounts/password-reset/", {"tab": "email", "em-email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert not mail.outbox


def test_bad_reset_link_shows_an_explanation(client: Client):
    response = client.get("/accounts/reset/forged-token/")
    assert response.status_code == 400
    assert "重置链接无效" in response.content.decode()


def test_password_reset_by_sms_code(client: Client, shopper, sms_code):
    client.post(
        "/accounts/sms-code/", {"prefix": "sms", "sms-phone": shopper.phone, "purpose": "reset_password"}
    )
    response = client.post(
        "/accounts/password-reset/",
        {
            "tab": "sms",
            "sms-phone": shopper.phone,
            "sms-code": sms_code(shopper.phone, "reset_password"),
            "sms-password": NEW_PASSWORD,
            "sms-password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    shopper.refresh_from_db()
    assert shopper.check_password(NEW_PASSWORD)


def test_signed_in_shoppers_skip_the_login_and_register_pages(signed_in: Client):
    assert signed_in.get("/accounts/login/")["Location"] == "/account/"
    assert signed_in.get("/accounts/register/")["Location"] == "/account/"


def test_send_code_endpoint_requires_csrf_token(shopper):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/sms-code/", {"prefix": "sms", "sms-phone": shopper.phone, "purpose": "login"}
    )
    assert response.status_code == 403


def test_send_code_for_registration_of_a_taken_number_says_so(client: Client, shopper):
    response = client.post(
        "/accounts/sms-code/", {"prefix": "ph", "ph-phone": shopper.phone, "purpose": "register"}
    )
    assert response.status_code == 400
    assert "已注册" in response.content.decode()
