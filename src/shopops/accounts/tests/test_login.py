import pytest
from django.contrib.sessions.backends.cache import SessionStore
from django.test import Client, RequestFactory

from shopops.accounts import services
from shopops.accounts.errors import InvalidCredentials, LoginLocked
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def token(api, identifier, password=DEFAULT_PASSWORD):
    return api.post("/token", {"identifier": identifier, "password": password})


@pytest.mark.parametrize("how", ["username", "email", "phone", "phone_with_prefix", "EMAIL_UPPER"])
def test_password_login_accepts_username_email_or_phone(api, how):
    user = UserFactory(with_phone=True, username="login_me", email="login.me@example.com")
    identifier = {
        "username": "login_me",
        "email": "login.me@example.com",
        "phone": user.phone,
        "phone_with_prefix": f"+86 {user.phone}",
        "EMAIL_UPPER": "LOGIN.ME@EXAMPLE.COM",
    }[how]
    response = token(api, identifier)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert api.get("/me", token=body["access"]).json()["id"] == user.id


def test_wrong_password_is_401_invalid_credentials(api, user):
    response = token(api, user.username, "Wrong-pass1")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_unknown_account_answers_like_a_wrong_password(api):
    response = token(api, "nobody_here", "Wrong-pass1")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_inactive_account_cannot_sign_in(api):
    user = UserFactory(is_active=False)
    assert token(api, user.username).status_code == 401


def test_missing_fields_are_422(api):
    response = api.post("/token", {"identifier": "", "password": ""})
    assert response.status_code == 422
    assert {"identifier", "password"} <= set(response.json()["details"]["fields"])


def test_five_failures_lock_the_account_with_429_and_retry_after(api, user):
    statuses = [token(api, user.username, f"Wrong-pass{i}").status_code for i in range(5)]
    assert statuses[:4] == [401, 401, 401, 401]
    assert statuses[4] == 429
    response = token(api, user.username)  # even the right password
    assert response.status_code == 429
    assert response.json()["code"] == "login_locked"
    assert int(response["Retry-After"]) == 15 * 60
    assert response.json()["details"]["retry_after"] == 15 * 60


def test_lockout_counts_every_identifier_of_the_account(api):
    user = UserFactory(with_phone=True)
    for identifier in [user.username, user.email, user.phone, user.username.upper(), user.email]:
        token(api, identifier, "Wrong-pass1")
    assert token(api, user.phone).status_code == 429


def test_lockout_is_per_account_and_address(api, user):
    for i in range(5):
        token(api, user.username, f"Wrong-pass{i}")
    api.ip = "10.9.9.9"
    assert token(api, user.username).status_code == 200


def test_success_resets_the_failure_count(api, user):
    for i in range(4):
        token(api, user.username, f"Wrong-pass{i}")
    assert token(api, user.username).status_code == 200
    for i in range(4):
        assert token(api, user.username, f"Wrong-pass{i}").status_code == 401


def test_many_accounts_from_one_address_are_throttled(api, monkeypatch):
    monkeypatch.setattr(services, "LOGIN_FAILURES_PER_IP_HOURLY", 3)
    for i in range(3):
        assert token(api, f"ghost{i}", "Wrong-pass1").status_code == 401
    response = token(api, "ghost99", "Wrong-pass1")
    assert response.status_code == 429
    assert response.json()["code"] == "login_locked"


def test_successful_token_login_records_last_login(api, user):
    assert user.last_login is None
    token(api, user.username)
    user.refresh_from_db()
    assert user.last_login is not None


def test_sms_login_issues_tokens_and_verifies_phone(api, sms_code):
    user = UserFactory(with_phone=True, phone_verified_at=None)
    assert api.post("/sms/send", {"phone": user.phone, "purpose": "login"}).status_code == 200
    response = api.post("/token", {"grant_type": "sms", "phone": user.phone, "code": sms_code(user.phone)})
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.phone_verified_at is not None


def test_sms_login_with_wrong_code_is_422(api, sms_code):
    user = UserFactory(with_phone=True)
    api.post("/sms/send", {"phone": user.phone, "purpose": "login"})
    code = sms_code(user.phone)
    response = api.post(
        "/token", {"grant_type": "sms", "phone": user.phone, "code": f"{(int(code) + 1) % 10**6:06d}"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "sms_code_invalid"


def test_sms_login_for_unknown_phone_fails_like_a_wrong_code(api):
    phone = "13700000001"
    api.post("/sms/send", {"phone": phone, "purpose": "login"})
    response = api.post("/token", {"grant_type": "sms", "phone": phone, "code": "123456"})
    assert response.status_code == 422
    assert response.json()["code"] == "sms_code_invalid"


def test_register_code_cannot_be_used_to_log_in(api, sms_code):
    phone = "13700000002"
    api.post("/sms/send", {"phone": phone, "purpose": "register"})
    code = sms_code(phone)
    api.post("/register", {"phone": phone, "password": DEFAULT_PASSWORD, "sms_code": code})
    response = api.post("/token", {"grant_type": "sms", "phone": phone, "code": code})
    assert response.status_code == 422


# --- Web session helpers used by the storefront ----------------------------------------------------


def web_request(ip="10.5.0.1"):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=ip)
    request.session = SessionStore()
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    return request


def test_login_with_password_starts_a_session(user):
    request = web_request()
    logged_in = services.login_with_password(request, user.username, DEFAULT_PASSWORD)
    assert logged_in == user
    assert request.session["_auth_user_id"] == str(user.pk)


def test_login_with_password_raises_typed_errors(user):
    with pytest.raises(InvalidCredentials):
        services.login_with_password(web_request(), user.username, "Wrong-pass1")
    for _ in range(4):
        with pytest.raises((InvalidCredentials, LoginLocked)):
            services.login_with_password(web_request(), user.username, "Wrong-pass1")
    with pytest.raises(LoginLocked) as exc:
        services.login_with_password(web_request(), user.username, DEFAULT_PASSWORD)
    assert exc.value.retry_after == 900


def test_login_user_starts_a_session_after_sign_up():
    user = services.register_user(username="fresh_signup", password=DEFAULT_PASSWORD)
    request = web_request()
    services.login_user(request, user)
    assert request.session["_auth_user_id"] == str(user.pk)


def test_login_with_sms_starts_a_session(sms_code):
    user = UserFactory(with_phone=True)
    services.send_sms_code(phone=user.phone, purpose="login")
    request = web_request()
    assert services.login_with_sms(request, user.phone, sms_code(user.phone)) == user
    assert request.session["_auth_user_id"] == str(user.pk)


def test_session_api_login_requires_csrf(user):
    client = Client(enforce_csrf_checks=True)
    denied = client.post(
        "/api/v1/accounts/session",
        {"identifier": user.username, "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "csrf_failed"
    status = client.get("/api/v1/accounts/session")
    assert status.json() == {"authenticated": False, "user": None}
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/accounts/session",
        {"identifier": user.username, "password": DEFAULT_PASSWORD},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == user.id
    me = client.get("/api/v1/accounts/me")
    assert me.status_code == 200 and me.json()["id"] == user.id
    # Login rotates the CSRF token; sign out with the new one.
    out = client.delete(
        "/api/v1/accounts/session", headers={"X-CSRFToken": client.cookies["csrftoken"].value}
    )
    assert out.status_code == 204
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_session_writes_without_csrf_token_are_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.patch("/api/v1/accounts/me", {"display_name": "x"}, content_type="application/json")
    assert response.status_code == 403


def test_web_lockout_page_is_429_even_without_a_storefront_template(rf):
    from shopops.accounts.throttling import lockout_response

    response = lockout_response(rf.post("/accounts/login/"))
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    api_response = lockout_response(rf.post("/api/v1/accounts/token"))
    assert api_response.status_code == 429
    assert api_response["Content-Type"].startswith("application/json")
