"""Binding or changing the mobile number needs the owner (password or a code on the current number)
and the new number (a code sent to it); it is audited and the old number and email are told."""

import json

import pytest
from django.core import mail

from shopops.accounts import services
from shopops.accounts.errors import NoCurrentPhone
from shopops.accounts.models import SmsCode, User, phone_digest
from shopops.accounts.sms import sms_outbox
from shopops.accounts.tests.conftest import API_KEY
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory, next_phone
from shopops.core.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(api):
    user = UserFactory(with_phone=True, verified_email=True)
    api.login(user.username)
    return user


def new_number_code(api, sms_code):
    phone = next_phone()
    assert api.post("/me/phone/code", {"phone": phone}).status_code == 200
    return phone, sms_code(phone, "bind_phone")


def current_number_code(api, owner, sms_code):
    response = api.post("/me/phone/current/code")
    assert response.status_code == 200, response.content
    return sms_code(owner.phone, "change_phone")


def wrong(code):
    return f"{(int(code) + 1) % 10**6:06d}"


def assert_unchanged(user):
    before = user.phone
    user.refresh_from_db()
    assert user.phone == before
    assert not AuditLog.objects.filter(action__startswith="accounts.phone.").exists()


def test_change_with_the_current_password(api, owner, sms_code, django_capture_on_commit_callbacks):
    old = owner.phone
    phone, code = new_number_code(api, sms_code)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/me/phone", {"phone": phone, "code": code, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content
    owner.refresh_from_db()
    assert owner.phone == phone and owner.phone_verified_at is not None
    entry = AuditLog.objects.get(action="accounts.phone.change")
    assert entry.actor_id == owner.pk and entry.after["proof"] == "password"
    assert entry.before["phone"] == f"{old[:3]}****{old[-4:]}"  # masked, never the number
    # The old number and the verified email are told.
    notice = sms_outbox(old)[-1]
    assert notice["template"] == "phone_changed" and phone[-4:] in notice["text"]
    [message] = mail.outbox
    assert message.to == [owner.email] and phone[-4:] in message.body and phone not in message.body


def test_change_with_a_code_sent_to_the_current_number(api, owner, sms_code):
    current = current_number_code(api, owner, sms_code)
    phone, code = new_number_code(api, sms_code)
    response = api.post("/me/phone", {"phone": phone, "code": code, "current_code": current})
    assert response.status_code == 200, response.content
    assert AuditLog.objects.get(action="accounts.phone.change").after["proof"] == "current_phone_code"
    # Both codes are used up.
    assert not SmsCode.objects.filter(consumed_at__isnull=True, superseded_at__isnull=True).exists()


def test_no_owner_proof_is_422_and_lists_what_the_account_can_use(api, owner, sms_code):
    phone, code = new_number_code(api, sms_code)
    response = api.post("/me/phone", {"phone": phone, "code": code})
    assert response.status_code == 422
    assert response.json()["code"] == "owner_proof_required"
    assert response.json()["details"]["methods"] == ["password", "current_phone_code"]
    assert_unchanged(owner)
    # The new number's code was not touched: it still works with a proof.
    response = api.post("/me/phone", {"phone": phone, "code": code, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200


def test_wrong_password_is_422_and_changes_nothing(api, owner, sms_code):
    phone, code = new_number_code(api, sms_code)
    response = api.post("/me/phone", {"phone": phone, "code": code, "password": "not-it-123"})
    assert response.status_code == 422
    assert response.json()["code"] == "current_password_invalid"
    assert_unchanged(owner)


def test_repeated_wrong_passwords_are_throttled(api, owner, sms_code):
    phone, code = new_number_code(api, sms_code)
    for _ in range(5):
        api.post("/me/phone", {"phone": phone, "code": code, "password": "not-it-123"})
    response = api.post("/me/phone", {"phone": phone, "code": code, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert_unchanged(owner)


def test_wrong_current_code_is_422_counts_the_try_and_keeps_the_new_code(api, owner, sms_code):
    current = current_number_code(api, owner, sms_code)
    phone, code = new_number_code(api, sms_code)
    response = api.post("/me/phone", {"phone": phone, "code": code, "current_code": wrong(current)})
    assert response.status_code == 422
    assert response.json()["code"] == "current_sms_code_invalid"
    assert response.json()["details"]["field"] == "current_code"
    assert_unchanged(owner)
    record = SmsCode.objects.get(phone_digest=phone_digest(owner.phone), purpose="change_phone")
    assert record.wrong_attempts == 1 and record.consumed_at is None
    assert SmsCode.objects.get(phone_digest=phone_digest(phone)).consumed_at is None


def test_wrong_new_code_keeps_the_current_code_usable(api, owner, sms_code):
    current = current_number_code(api, owner, sms_code)
    phone, code = new_number_code(api, sms_code)
    response = api.post("/me/phone", {"phone": phone, "code": wrong(code), "current_code": current})
    assert response.status_code == 422
    assert response.json()["code"] == "sms_code_invalid"
    assert_unchanged(owner)
    assert SmsCode.objects.get(phone_digest=phone_digest(phone)).wrong_attempts == 1
    response = api.post("/me/phone", {"phone": phone, "code": code, "current_code": current})
    assert response.status_code == 200, response.content


def test_a_code_for_the_new_number_cannot_stand_in_for_the_current_one(api, owner, sms_code):
    phone, code = new_number_code(api, sms_code)
    response = api.post("/me/phone", {"phone": phone, "code": code, "current_code": code})
    assert response.status_code == 422
    assert response.json()["code"] == "current_sms_code_invalid"
    assert_unchanged(owner)


def test_current_code_without_a_current_number_is_422(api, sms_code):
    user = UserFactory()
    api.login(user.username)
    response = api.post("/me/phone/current/code")
    assert response.status_code == 422 and response.json()["code"] == "no_current_phone"
    phone, code = new_number_code(api, sms_code)
    response = api.post("/me/phone", {"phone": phone, "code": code, "current_code": "123456"})
    assert response.status_code == 422 and response.json()["code"] == "no_current_phone"


def test_first_binding_needs_the_password_and_is_audited_as_a_bind(api, sms_code):
    user = UserFactory()
    api.login(user.username)
    phone, code = new_number_code(api, sms_code)
    response = api.post("/me/phone", {"phone": phone, "code": code})
    assert response.json()["details"]["methods"] == ["password"]
    response = api.post("/me/phone", {"phone": phone, "code": code, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert AuditLog.objects.get(action="accounts.phone.bind").before is None


def test_same_number_is_422_and_a_taken_number_is_409(api, owner, sms_code):
    response = api.post("/me/phone", {"phone": owner.phone, "code": "123456", "password": DEFAULT_PASSWORD})
    assert response.status_code == 422 and response.json()["code"] == "phone_unchanged"
    other = UserFactory(with_phone=True)
    response = api.post("/me/phone", {"phone": other.phone, "code": "123456", "password": DEFAULT_PASSWORD})
    assert response.status_code == 409 and response.json()["code"] == "phone_taken"
    assert_unchanged(owner)


def test_current_number_code_goes_only_to_the_callers_own_number(api, owner):
    other = UserFactory(with_phone=True)
    assert api.post("/me/phone/current/code").status_code == 200
    assert sms_outbox(owner.phone)[-1]["template"] == "change_phone"
    assert sms_outbox(other.phone) == []
    with pytest.raises(NoCurrentPhone):
        services.send_sms_code(phone=other.phone, purpose="change_phone", user=owner)
    response = api.post("/sms/send", {"phone": other.phone, "purpose": "change_phone"})
    assert response.status_code == 422  # not a public purpose


def test_old_number_is_told_through_the_http_gateway(
    api, owner, gateway, settings, django_capture_on_commit_callbacks
):
    settings.SMS_PROVIDER = "shopops.accounts.sms.HttpSmsProvider"
    settings.SMS_HTTP_URL = gateway.url
    settings.SMS_HTTP_API_KEY = API_KEY
    old = owner.phone
    phone = next_phone()
    services.send_sms_code(phone=phone, purpose="bind_phone", user=owner)
    code = json.loads(gateway.requests[-1]["raw"])["params"]["code"]
    with django_capture_on_commit_callbacks(execute=True):
        services.bind_phone(user=owner, phone=phone, code=code, password=DEFAULT_PASSWORD)
    notice = json.loads(gateway.requests[-1]["raw"])
    assert notice["phone"] == old and notice["template"] == "phone_changed"
    assert notice["params"] == {"new_phone": f"{phone[:3]}****{phone[-4:]}"}


def test_a_failing_gateway_does_not_undo_the_change(
    api, owner, sms_code, gateway, settings, django_capture_on_commit_callbacks
):
    phone, code = new_number_code(api, sms_code)  # console provider for the code
    settings.SMS_PROVIDER = "shopops.accounts.sms.HttpSmsProvider"
    settings.SMS_HTTP_URL = gateway.url
    gateway.status = 502
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/me/phone", {"phone": phone, "code": code, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert json.loads(gateway.requests[-1]["raw"])["template"] == "phone_changed"  # it was tried
    assert User.objects.get(pk=owner.pk).phone == phone
