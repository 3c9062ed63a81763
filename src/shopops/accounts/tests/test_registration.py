import pytest
from django.core import mail

from shopops.accounts import services
from shopops.accounts.models import SmsCode, User, phone_digest
from shopops.accounts.sms import sms_outbox
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory, next_phone

pytestmark = pytest.mark.django_db


def send_register_code(api, phone):
    response = api.post("/sms/send", {"phone": phone, "purpose": "register"})
    assert response.status_code == 200, response.content
    return response


def test_register_with_username_and_password_signs_in(api):
    response = api.post("/register", {"username": "alice_w", "password": DEFAULT_PASSWORD})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["username"] == "alice_w"
    assert body["tokens"]["token_type"] == "Bearer"
    me = api.get("/me", token=body["tokens"]["access"])
    assert me.status_code == 200
    assert me.json()["username"] == "alice_w"


def test_password_is_stored_with_argon2(api):
    api.post("/register", {"username": "argon_user", "password": DEFAULT_PASSWORD})
    assert User.objects.get(username="argon_user").password.startswith("argon2")


def test_register_by_phone_with_sms_code_verifies_the_phone(api, sms_code):
    phone = next_phone()
    send_register_code(api, phone)
    response = api.post(
        "/register", {"phone": phone, "password": DEFAULT_PASSWORD, "sms_code": sms_code(phone, "register")}
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(phone_digest=phone_digest(phone))
    assert user.phone == phone
    assert user.phone_verified_at is not None
    assert user.username.startswith("user_")  # generated
    assert user.display_name == f"用户{phone[-4:]}"
    assert response.json()["user"]["phone_masked"] == f"{phone[:3]}****{phone[-4:]}"


def test_register_by_phone_without_code_is_422_on_sms_code(api):
    response = api.post("/register", {"phone": next_phone(), "password": DEFAULT_PASSWORD})
    assert response.status_code == 422
    assert "sms_code" in response.json()["details"]["fields"]


def test_register_by_phone_with_wrong_code_creates_nothing(api, sms_code):
    phone = next_phone()
    send_register_code(api, phone)
    right = sms_code(phone)
    wrong = "000000" if right != "000000" else "111111"
    response = api.post("/register", {"phone": phone, "password": DEFAULT_PASSWORD, "sms_code": wrong})
    assert response.status_code == 422
    assert response.json()["code"] == "sms_code_invalid"
    assert response.json()["details"]["remaining_attempts"] == 4
    assert not User.objects.filter(phone_digest=phone_digest(phone)).exists()


def test_register_by_email_sends_bilingual_verification_link(
    api, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://shop.example.cn"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/register", {"email": "Li.Lei@Example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 201, response.content
    user = User.objects.get(email="li.lei@example.com")
    assert user.email_verified_at is None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li.lei@example.com"]
    assert "验证" in message.subject and "Verify" in message.subject
    assert "https://shop.example.cn/accounts/verify-email/" in message.body
    assert "Please confirm" in message.body and "请点击" in message.body


def test_weak_password_gets_field_errors(api):
    response = api.post("/register", {"username": "weakling", "password": "12345678"})
    assert response.status_code == 422
    messages = response.json()["details"]["fields"]["password"]
    assert any("Use at least two of" in m for m in messages)  # CharacterClassValidator
    assert len(messages) >= 2  # also too common / entirely numeric


def test_password_similar_to_username_is_refused(api):
    response = api.post("/register", {"username": "zhangwei88", "password": "zhangwei88!"})
    assert response.status_code == 422
    assert "password" in response.json()["details"]["fields"]


def test_several_bad_fields_are_reported_together(api):
    response = api.post(
        "/register", {"username": "1bad", "email": "not-an-email", "phone": "12345", "password": "x"}
    )
    assert response.status_code == 422
    fields = response.json()["details"]["fields"]
    assert {"username", "email", "phone", "password"} <= set(fields)


def test_no_identifier_at_all_is_422(api):
    response = api.post("/register", {"password": DEFAULT_PASSWORD})
    assert response.status_code == 422
    assert "__all__" in response.json()["details"]["fields"]


def test_reserved_username_is_refused(api):
    response = api.post("/register", {"username": "Admin", "password": DEFAULT_PASSWORD})
    assert response.status_code == 422
    assert "username" in response.json()["details"]["fields"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("username", "Taken_Name", "username_taken"),
        ("email", "TAKEN@example.com", "email_taken"),
    ],
)
def test_taken_identifier_is_409(api, field, value, code):
    UserFactory(username="taken_name", email="taken@example.com", verified_email=True)
    response = api.post("/register", {field: value, "password": DEFAULT_PASSWORD})
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert response.json()["details"]["field"] == field


def test_sending_register_code_to_a_registered_phone_is_409(api):
    owner = UserFactory(with_phone=True)
    response = api.post("/sms/send", {"phone": owner.phone, "purpose": "register"})
    assert response.status_code == 409
    assert response.json()["code"] == "phone_taken"
    assert sms_outbox(owner.phone) == []


def test_register_code_is_used_up_after_success(api, sms_code):
    phone = next_phone()
    send_register_code(api, phone)
    code = sms_code(phone)
    assert (
        api.post("/register", {"phone": phone, "password": DEFAULT_PASSWORD, "sms_code": code}).status_code
        == 201
    )
    assert SmsCode.objects.get(phone_digest=phone_digest(phone)).consumed_at is not None


def test_registrations_per_ip_are_capped(api, monkeypatch):
    monkeypatch.setattr(services, "REGISTRATIONS_PER_IP_HOURLY", 2)
    for name in ("first_one", "second_one"):
        assert api.post("/register", {"username": name, "password": DEFAULT_PASSWORD}).status_code == 201
    response = api.post("/register", {"username": "third_one", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_register_service_can_be_called_from_a_page():
    user = services.register_user(username="page_user", password=DEFAULT_PASSWORD, display_name="  小 明 ")
    assert user.pk and user.display_name == "小 明"
    assert user.check_password(DEFAULT_PASSWORD)
