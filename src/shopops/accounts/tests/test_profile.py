import pytest
from django.core import mail

from shopops.accounts import services
from shopops.accounts.models import User
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory, next_phone

pytestmark = pytest.mark.django_db


def test_me_shows_masked_phone_and_verification_flags(api):
    user = UserFactory(with_phone=True, verified_email=True)
    api.login(user.username)
    me = api.get("/me").json()
    assert me["phone_masked"] == f"{user.phone[:3]}****{user.phone[-4:]}"
    assert user.phone not in str(me)
    assert me["email_verified"] is True and me["phone_verified"] is True
    assert me["real_name_verified"] is False


def test_patch_display_name_and_username(signed_in, user):
    response = signed_in.patch("/me", {"display_name": "小李飞刀", "username": "xiaoli"})
    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == "小李飞刀"
    assert response.json()["username"] == "xiaoli"


def test_patch_only_touches_given_fields(signed_in, user):
    signed_in.patch("/me", {"display_name": "只改昵称"})
    user.refresh_from_db()
    assert user.display_name == "只改昵称" and user.email.endswith("@example.com")


def test_taken_username_is_409_case_insensitively(signed_in):
    UserFactory(username="bigboss")
    response = signed_in.patch("/me", {"username": "BigBoss"})
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"


def test_bad_profile_fields_are_422(signed_in):
    response = signed_in.patch("/me", {"username": "9lives", "email": "nope", "display_name": "x" * 40})
    assert response.status_code == 422
    assert {"username", "email", "display_name"} <= set(response.json()["details"]["fields"])


def test_new_email_is_unverified_and_gets_a_link(api, django_capture_on_commit_callbacks):
    user = UserFactory(verified_email=True)
    api.login(user.username)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch("/me", {"email": "New@Example.com"})
    assert response.json()["email"] == "new@example.com"
    assert response.json()["email_verified"] is False
    assert mail.outbox[0].to == ["new@example.com"]


def test_verified_email_of_another_account_is_409(signed_in):
    UserFactory(email="owner@example.com", verified_email=True)
    response = signed_in.patch("/me", {"email": "OWNER@example.com"})
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


def test_unverified_email_of_another_account_can_be_claimed_too(signed_in, user):
    UserFactory(email="claimed@example.com")
    response = signed_in.patch("/me", {"email": "Claimed@example.com"})
    assert response.status_code == 200, response.content
    assert response.json()["email"] == "claimed@example.com"
    assert response.json()["email_verified"] is False


def test_bind_phone_with_sms_code(signed_in, user, sms_code):
    phone = next_phone()
    assert signed_in.post("/me/phone/code", {"phone": phone}).status_code == 200
    response = signed_in.post(
        "/me/phone", {"phone": phone, "code": sms_code(phone, "bind_phone"), "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.phone == phone and user.phone_verified_at is not None
    assert response.json()["phone_masked"].startswith(phone[:3])


def test_bind_phone_of_another_account_is_409(signed_in):
    owner = UserFactory(with_phone=True)
    response = signed_in.post("/me/phone/code", {"phone": owner.phone})
    assert response.status_code == 409
    response = signed_in.post("/me/phone", {"phone": owner.phone, "code": "123456"})
    assert response.status_code == 409


def test_bind_phone_with_wrong_code_changes_nothing(signed_in, user, sms_code):
    phone = next_phone()
    signed_in.post("/me/phone/code", {"phone": phone})
    code = sms_code(phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = signed_in.post("/me/phone", {"phone": phone, "code": wrong, "password": DEFAULT_PASSWORD})
    assert response.status_code == 422
    user.refresh_from_db()
    assert user.phone == ""


def test_binding_needs_sign_in(api):
    assert api.post("/me/phone/code", {"phone": next_phone()}).status_code == 401


def test_bound_phone_becomes_a_login_identifier(signed_in, user, api, sms_code):
    phone = next_phone()
    services.send_sms_code(phone=phone, purpose="bind_phone", user=user)
    services.bind_phone(user=user, phone=phone, code=sms_code(phone), password=DEFAULT_PASSWORD)
    assert api.post("/token", {"identifier": phone, "password": "Passw0rd!x"}).status_code == 200


def test_phone_is_encrypted_at_rest():
    user = UserFactory(with_phone=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith("enc1:") and user.phone not in raw
    assert User.objects.get_by_phone(user.phone) == user
