"""Pages for the accounts rules: SMS sign-in opens accounts (terms box), changing the phone needs the
owner's proof, and an email address belongs to whoever verifies it first."""

from __future__ import annotations

import pytest
from django.test import Client

from shopops.accounts import emails
from shopops.accounts.models import User, phone_digest
from shopops.accounts.sms import sms_outbox
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory, next_phone
from shopops.core.models import AuditLog

pytestmark = pytest.mark.django_db


def login_code(client: Client, phone: str, sms_code) -> str:
    client.post("/accounts/sms-code/", {"prefix": "sms", "sms-phone": phone, "purpose": "login"})
    return sms_code(phone, "login")


# ---------- 验证码登录即注册 ----------


def test_login_page_has_the_terms_box(client: Client):
    body = client.get("/accounts/login/?tab=sms").content.decode()
    assert 'name="sms-accept_terms"' in body
    assert "未注册的手机号验证后将自动注册账号" in body


def test_new_number_without_the_terms_box_is_asked_to_accept_them(client: Client, sms_code):
    phone = next_phone()
    code = login_code(client, phone, sms_code)
    response = client.post("/accounts/login/", {"tab": "sms", "sms-phone": phone, "sms-code": code})
    assert response.status_code == 400
    assert "accept_terms" in response.context["sms_form"].errors
    assert "请阅读并同意" in response.content.decode()
    assert not User.objects.filter(phone_digest=phone_digest(phone)).exists()
    # Ticking the box with the same code opens the account and signs in.
    response = client.post(
        "/accounts/login/", {"tab": "sms", "sms-phone": phone, "sms-code": code, "sms-accept_terms": "on"}
    )
    assert response.status_code == 302
    user = User.objects.get(phone_digest=phone_digest(phone))
    assert client.session["_auth_user_id"] == str(user.pk)
    assert not user.has_usable_password()
    # Its security page offers setting a password instead of asking for an old one.
    body = client.get("/account/security/").content.decode()
    assert "尚未设置登录密码" in body and 'name="pw-old_password"' not in body


def test_english_terms_error(client: Client, sms_code):
    phone = next_phone()
    code = login_code(client, phone, sms_code)
    response = client.post(
        "/accounts/login/",
        {"tab": "sms", "sms-phone": phone, "sms-code": code},
        headers={"accept-language": "en"},
    )
    body = response.content.decode()
    assert "accept the Terms of Service" in body
    assert "A number without an account gets one once the code is verified" in body


def test_english_change_phone_form(signed_in: Client):
    body = signed_in.get("/account/security/", headers={"accept-language": "en"}).content.decode()
    assert "Change mobile number" in body and "Send to current number" in body


# ---------- Changing the phone ----------


def test_changing_the_phone_with_the_password(
    signed_in: Client, shopper, sms_code, django_capture_on_commit_callbacks
):
    old = shopper.phone
    phone = next_phone()
    signed_in.post("/accounts/sms-code/", {"prefix": "ph", "ph-phone": phone, "purpose": "bind_phone"})
    data = {"action": "bind_phone", "ph-phone": phone, "ph-code": sms_code(phone, "bind_phone")}
    response = signed_in.post("/account/security/", data)
    assert response.status_code == 400  # no proof of the owner yet
    assert "请输入当前密码或原手机号收到的验证码" in response.content.decode()
    response = signed_in.post("/account/security/", {**data, "ph-password": "wrong-pass-1"})
    assert response.status_code == 400 and "password" in response.context["phone_form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post("/account/security/", {**data, "ph-password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.phone == phone
    assert AuditLog.objects.filter(action="accounts.phone.change", object_id=str(shopper.pk)).exists()
    assert sms_outbox(old)[-1]["template"] == "phone_changed"


def test_changing_the_phone_with_a_code_to_the_current_number(signed_in: Client, shopper, sms_code):
    body = signed_in.get("/account/security/").content.decode()
    assert 'name="send_current_code"' in body and "更换手机号" in body
    # htmx button: no phone is posted, the code goes to the account's own number.
    response = signed_in.post("/accounts/sms-code/", {"purpose": "change_phone"})
    assert response.status_code == 200 and "sms-countdown" in response["HX-Trigger"]
    current = sms_code(shopper.phone, "change_phone")
    phone = next_phone()
    signed_in.post("/accounts/sms-code/", {"prefix": "ph", "ph-phone": phone, "purpose": "bind_phone"})
    data = {"action": "bind_phone", "ph-phone": phone, "ph-code": sms_code(phone, "bind_phone")}
    wrong = f"{(int(current) + 1) % 10**6:06d}"
    response = signed_in.post("/account/security/", {**data, "ph-current_code": wrong})
    assert response.status_code == 400 and "current_code" in response.context["phone_form"].errors
    response = signed_in.post("/account/security/", {**data, "ph-current_code": current})
    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.phone == phone


def test_current_number_button_without_javascript(signed_in: Client, shopper, sms_code):
    response = signed_in.post("/account/security/", {"action": "bind_phone", "send_current_code": "1"})
    assert response.status_code == 200
    assert "data-sms-wait=" in response.content.decode()
    assert sms_code(shopper.phone, "change_phone")


def test_current_number_code_needs_sign_in(client: Client):
    response = client.post("/accounts/sms-code/", {"purpose": "change_phone"})
    assert response.status_code == 400


# ---------- Email ownership ----------


def test_a_released_claims_link_explains_itself(client: Client):
    squatter = UserFactory(email="mine@example.com")
    owner = UserFactory(email="mine@example.com")
    squatter_link = emails.make_email_verification_token(squatter)
    assert (
        client.get(f"/accounts/verify-email/{emails.make_email_verification_token(owner)}/").status_code
        == 200
    )
    response = client.get(f"/accounts/verify-email/{squatter_link}/")
    assert response.status_code == 400
    assert "该邮箱已被其他账号验证" in response.content.decode()


def test_unverified_email_on_the_profile_explains_the_rule(client: Client):
    user = UserFactory(email="pending@example.com")
    client.force_login(user, backend="shopops.accounts.backends.IdentifierBackend")
    assert "邮箱验证后才归属于您的账号" in client.get("/account/profile/").content.decode()
