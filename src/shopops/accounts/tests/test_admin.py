import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from shopops.accounts import services, tokens
from shopops.accounts.models import RealNameVerification, SmsCode
from shopops.accounts.tests.factories import AddressFactory, UserFactory, grant_platform_perms, make_id_number
from shopops.core.models import AuditLog

pytestmark = pytest.mark.django_db

ID_NUMBER = make_id_number(sequence="246")


@pytest.fixture
def shopper(db):
    user = UserFactory(with_phone=True)
    AddressFactory(user=user, receiver_phone="13912340000")
    services.send_sms_code(phone=user.phone, purpose="login")
    services.submit_real_name(user=user, name="诸葛亮", id_number=ID_NUMBER)
    tokens.issue_tokens(user)
    return user


@pytest.fixture
def superuser_client(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    return client


def page(client, name, *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200, (name, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("model", ["user", "address", "smscode", "realnameverification", "refreshtoken"])
def test_changelists_never_show_raw_pii(superuser_client, shopper, model):
    html = page(superuser_client, f"admin:accounts_{model}_changelist")
    assert shopper.phone not in html
    assert "13912340000" not in html
    assert ID_NUMBER not in html
    assert "enc1:" not in html


def test_user_page_shows_masked_phone_only(superuser_client, shopper):
    html = page(superuser_client, "admin:accounts_user_change", shopper.pk)
    assert shopper.masked_phone in html
    assert shopper.phone not in html and "enc1:" not in html


def test_sms_code_page_shows_no_code_or_hash(superuser_client, shopper):
    record = SmsCode.objects.get()
    html = page(superuser_client, "admin:accounts_smscode_change", record.pk)
    assert record.code_hash not in html and record.phone_digest not in html
    assert record.phone_masked in html


def test_search_users_by_phone(superuser_client, shopper):
    UserFactory(with_phone=True)
    response = superuser_client.get(reverse("admin:accounts_user_changelist"), {"q": shopper.phone})
    assert shopper.username in response.content.decode()
    assert response.context["cl"].result_count == 1


def test_real_name_page_is_masked(superuser_client, shopper):
    record = RealNameVerification.objects.get(user=shopper)
    html = page(superuser_client, "admin:accounts_realnameverification_change", record.pk)
    assert record.masked_id_number in html and ID_NUMBER not in html and "诸葛亮" not in html
    assert reverse("admin:accounts_realnameverification_reveal", args=[record.pk]) in html


def test_reveal_needs_a_reason_and_is_audited(superuser_client, shopper):
    record = RealNameVerification.objects.get(user=shopper)
    url = reverse("admin:accounts_realnameverification_reveal", args=[record.pk])
    form = superuser_client.get(url)
    assert form.status_code == 200 and ID_NUMBER not in form.content.decode()
    assert not AuditLog.objects.exists()
    no_reason = superuser_client.post(url, {"reason": " "})
    assert ID_NUMBER not in no_reason.content.decode()
    shown = superuser_client.post(url, {"reason": "公安协查 #12"})
    html = shown.content.decode()
    assert ID_NUMBER in html and "诸葛亮" in html
    assert "no-store" in shown["Cache-Control"]
    entry = AuditLog.objects.get(action="pii.realname.view")
    assert entry.reason == "公安协查 #12" and entry.object_id == str(record.pk)


def test_staff_without_pii_permission_cannot_reveal(client, shopper):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_realnameverification"))
    client.force_login(staff)
    record = RealNameVerification.objects.get(user=shopper)
    change_page = client.get(reverse("admin:accounts_realnameverification_change", args=[record.pk]))
    assert change_page.status_code == 200
    assert "/reveal/" not in change_page.content.decode()  # the button is not even offered
    response = client.post(
        reverse("admin:accounts_realnameverification_reveal", args=[record.pk]), {"reason": "curious"}
    )
    assert response.status_code == 403
    assert not AuditLog.objects.exists()


def test_staff_with_platform_pii_permission_can_reveal(client, shopper):
    officer = UserFactory(is_staff=True)
    officer.user_permissions.add(Permission.objects.get(codename="view_realnameverification"))
    grant_platform_perms(officer, "pii.realname")
    client.force_login(officer)
    record = RealNameVerification.objects.get(user=shopper)
    response = client.post(
        reverse("admin:accounts_realnameverification_reveal", args=[record.pk]), {"reason": "复核"}
    )
    assert response.status_code == 200 and ID_NUMBER in response.content.decode()
    assert AuditLog.objects.filter(action="pii.realname.view", actor=officer).count() == 1


def test_sign_out_everywhere_action(superuser_client, shopper):
    pair = tokens.issue_tokens(shopper)
    response = superuser_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "log_out_everywhere", "_selected_action": [shopper.pk]},
    )
    assert response.status_code == 302
    with pytest.raises(tokens.InvalidToken):
        tokens.user_from_access_token(pair.access)


def test_read_only_models_cannot_be_added(superuser_client):
    for model in ("smscode", "realnameverification", "refreshtoken", "address"):
        assert superuser_client.get(reverse(f"admin:accounts_{model}_add")).status_code == 403


def test_admin_can_create_a_user_with_a_validated_password(superuser_client):
    url = reverse("admin:accounts_user_add")
    assert superuser_client.get(url).status_code == 200
    weak = superuser_client.post(url, {"username": "new_staff", "password1": "123", "password2": "123"})
    assert weak.status_code == 200  # form redisplayed with errors
    ok = superuser_client.post(
        url, {"username": "new_staff", "email": "", "password1": "Str0ng-pass", "password2": "Str0ng-pass"}
    )
    assert ok.status_code == 302


def test_changing_email_in_admin_makes_it_unverified(superuser_client):
    user = UserFactory(verified_email=True)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = {
        "username": user.username,
        "display_name": user.display_name,
        "email": "changed@example.com",
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
    }
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.email == "changed@example.com" and user.email_verified_at is None
