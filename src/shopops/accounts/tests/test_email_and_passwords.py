import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.cache import SessionStore
from django.core import mail, signing
from django.test import RequestFactory

from shopops.accounts import emails, services
from shopops.accounts.errors import InvalidVerificationToken
from shopops.accounts.models import User
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-Pass9"


def link_token(message, kind):
    match = re.search(rf"/accounts/{kind}/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


def in_future(monkeypatch, seconds):
    real = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() + seconds)


# --- Email verification ----------------------------------------------------------------------------


def test_link_from_the_email_verifies_the_address(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/register", {"email": "mei@example.com", "password": DEFAULT_PASSWORD})
    token = link_token(mail.outbox[0], "verify-email")
    response = api.post("/email/verify", {"token": token})
    assert response.status_code == 200
    assert response.json()["email_verified"] is True
    assert User.objects.get(email="mei@example.com").email_verified_at is not None
    assert api.post("/email/verify", {"token": token}).status_code == 200  # idempotent


def test_tampered_email_token_is_refused(user):
    token = emails.make_email_verification_token(user)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(InvalidVerificationToken) as exc:
        services.verify_email(token=tampered)
    assert exc.value.code == "token_invalid"


def test_expired_email_token_is_refused(api, user, monkeypatch, settings):
    token = emails.make_email_verification_token(user)
    in_future(monkeypatch, settings.EMAIL_VERIFICATION_MAX_AGE.total_seconds() + 10)
    response = api.post("/email/verify", {"token": token})
    assert response.status_code == 400
    assert response.json()["code"] == "token_expired"


def test_link_for_an_old_address_does_not_verify_the_new_one(user):
    token = emails.make_email_verification_token(user)
    services.update_profile(user=user, email="new.address@example.com")
    with pytest.raises(InvalidVerificationToken):
        services.verify_email(token=token)


def test_reset_token_is_not_an_email_token(user):
    with pytest.raises(InvalidVerificationToken):
        services.verify_email(token=emails.make_password_reset_token(user))


def test_resend_verification_has_a_cooldown(signed_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_in.post("/email/resend").status_code == 202
    assert len(mail.outbox) == 1
    assert signed_in.post("/email/resend").status_code == 429


def test_resend_when_already_verified_is_409(api):
    user = UserFactory(verified_email=True)
    api.login(user.username)
    assert api.post("/email/resend").status_code == 409


# --- Password change -------------------------------------------------------------------------------


def test_change_password_needs_the_old_one(signed_in):
    response = signed_in.post(
        "/password/change", {"old_password": "Not-it-123", "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert "old_password" in response.json()["details"]["fields"]


def test_change_password_validates_the_new_one(signed_in):
    response = signed_in.post("/password/change", {"old_password": DEFAULT_PASSWORD, "new_password": "short"})
    assert response.status_code == 422
    assert "new_password" in response.json()["details"]["fields"]


def test_repeated_wrong_old_passwords_are_throttled(signed_in):
    for _ in range(5):
        signed_in.post("/password/change", {"old_password": "Not-it-123", "new_password": NEW_PASSWORD})
    response = signed_in.post(
        "/password/change", {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 429


def test_change_password_keeps_the_current_web_session_only(client, user, django_capture_on_commit_callbacks):
    from django.test import Client

    other_browser = Client()
    other_browser.force_login(user)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/accounts/password/change",
            {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["tokens"] is None
    assert client.get("/api/v1/accounts/me").status_code == 200
    assert other_browser.get("/api/v1/accounts/me").status_code == 401
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_change_password_service_with_a_web_request(user):
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    services.login_with_password(request, user.username, DEFAULT_PASSWORD)
    services.change_password(
        user=user, old_password=DEFAULT_PASSWORD, new_password=NEW_PASSWORD, request=request
    )
    assert request.session["_auth_user_hash"] == user.get_session_auth_hash()


def test_password_changed_notice_goes_to_a_verified_address(
    signed_in, user, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=user.pk).update(email_verified_at="2024-01-01T00:00:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post("/password/change", {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})
    assert len(mail.outbox) == 1
    assert "密码已修改" in mail.outbox[0].subject


# --- Password reset by email -----------------------------------------------------------------------


def request_reset(api, email, capture):
    with capture(execute=True):
        response = api.post("/password/reset", {"email": email})
    assert response.status_code == 202
    return response


def test_reset_by_email_link(api, user, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://shop.example.cn/"
    request_reset(api, user.email.upper(), django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert "https://shop.example.cn/accounts/reset/" in message.body
    assert "重置" in message.subject and "Reset" in message.subject
    token = link_token(message, "reset")
    assert api.post("/password/reset/check", {"token": token}).json() == {"valid": True}
    response = api.post("/password/reset/confirm", {"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    assert api.post("/token", {"identifier": user.username, "password": NEW_PASSWORD}).status_code == 200
    user.refresh_from_db()
    assert user.email_verified_at is not None  # the link proved the mailbox


def test_reset_link_works_only_once(api, user):
    token = emails.make_password_reset_token(user)
    assert (
        api.post("/password/reset/confirm", {"token": token, "new_password": NEW_PASSWORD}).status_code == 200
    )
    again = api.post("/password/reset/confirm", {"token": token, "new_password": "Another-9x"})
    assert again.status_code == 400
    assert again.json()["code"] == "token_invalid"


def test_reset_revokes_existing_tokens(api, user):
    pair = api.login(user.username)
    user.refresh_from_db()  # signing in changed last_login, which reset links are bound to
    services.reset_password(token=emails.make_password_reset_token(user), new_password=NEW_PASSWORD)
    assert api.get("/me", token=pair["access"]).status_code == 401


def test_expired_reset_link_is_refused(api, user, monkeypatch, settings):
    token = emails.make_password_reset_token(user)
    in_future(monkeypatch, settings.PASSWORD_RESET_TIMEOUT + 10)
    response = api.post("/password/reset/confirm", {"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "token_expired"


def test_tampered_reset_link_is_refused(api, user):
    token = emails.make_password_reset_token(user)
    forged = signing.TimestampSigner(salt="another-salt").sign_object({"u": user.pk, "s": "x"})
    for bad in (token + "x", forged, "garbage"):
        response = api.post("/password/reset/confirm", {"token": bad, "new_password": NEW_PASSWORD})
        assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_reset_request_for_unknown_email_looks_the_same(api, django_capture_on_commit_callbacks):
    response = request_reset(api, "nobody@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 202
    assert mail.outbox == []


def test_reset_requests_have_a_cooldown(api, user, django_capture_on_commit_callbacks):
    request_reset(api, user.email, django_capture_on_commit_callbacks)
    assert api.post("/password/reset", {"email": user.email}).status_code == 429


def test_weak_new_password_on_reset_keeps_the_link_usable(api, user):
    token = emails.make_password_reset_token(user)
    weak = api.post("/password/reset/confirm", {"token": token, "new_password": "123"})
    assert weak.status_code == 422
    assert (
        api.post("/password/reset/confirm", {"token": token, "new_password": NEW_PASSWORD}).status_code == 200
    )


def test_reset_lifts_a_login_lockout(api, user):
    for i in range(5):
        api.post("/token", {"identifier": user.username, "password": f"Wrong-pass{i}"})
    assert api.post("/token", {"identifier": user.username, "password": DEFAULT_PASSWORD}).status_code == 429
    services.reset_password(token=emails.make_password_reset_token(user), new_password=NEW_PASSWORD)
    assert api.post("/token", {"identifier": user.username, "password": NEW_PASSWORD}).status_code == 200


# --- Password reset by SMS -------------------------------------------------------------------------


def test_reset_by_sms_code(api, sms_code):
    user = UserFactory(with_phone=True)
    assert api.post("/sms/send", {"phone": user.phone, "purpose": "reset_password"}).status_code == 200
    response = api.post(
        "/password/reset/confirm",
        {"phone": user.phone, "code": sms_code(user.phone, "reset_password"), "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_reset_by_sms_with_wrong_code_changes_nothing(api, sms_code):
    user = UserFactory(with_phone=True)
    api.post("/sms/send", {"phone": user.phone, "purpose": "reset_password"})
    code = sms_code(user.phone)
    response = api.post(
        "/password/reset/confirm",
        {"phone": user.phone, "code": f"{(int(code) + 1) % 10**6:06d}", "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 422
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_reset_without_token_or_phone_is_422(api):
    response = api.post("/password/reset/confirm", {"new_password": NEW_PASSWORD})
    assert response.status_code == 422


def test_email_verification_max_age_setting_is_used(settings):
    assert emails.email_verification_max_age() == settings.EMAIL_VERIFICATION_MAX_AGE
    settings.EMAIL_VERIFICATION_MAX_AGE = timedelta(hours=1)
    assert emails.email_verification_max_age() == timedelta(hours=1)
