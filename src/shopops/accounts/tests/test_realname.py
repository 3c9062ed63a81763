from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from shopops.accounts import services
from shopops.accounts.errors import AlreadyVerified, IdNumberInUse, RealNameRejected
from shopops.accounts.models import RealNameStatus, RealNameVerification
from shopops.accounts.realname import (
    RealNameProvider,
    RealNameResult,
    check_character,
    parse_id_number,
    validate_real_name,
)
from shopops.accounts.tests.factories import UserFactory, grant_platform_perms, make_id_number
from shopops.core.models import AuditLog

VALID = make_id_number("110101", "19900307", "123")


class RejectingProvider(RealNameProvider):
    name = "rejecting"

    def verify(self, *, name, id_number):
        return RealNameResult(matched=False, reference="r-1", reason="name_mismatch")


# --- GB 11643 checks (no database) -----------------------------------------------------------------


def test_known_good_number_with_x_check_character():
    # 11010519491231002X is the textbook example from GB 11643-1999.
    info = parse_id_number("11010519491231002x")
    assert info.number == "11010519491231002X"
    assert info.birth_date == date(1949, 12, 31)
    assert info.gender == "female"
    assert info.province == "北京"


def test_valid_number_parses_region_birth_and_gender():
    info = parse_id_number(VALID)
    assert info.region_code == "110101"
    assert info.birth_date == date(1990, 3, 7)
    assert info.gender == "male"  # sequence 123 is odd


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (VALID[:17] + ("0" if VALID[17] != "0" else "1"), "id_checksum"),
        ("1101011990030712", "id_format"),  # 16 characters
        ("11010119900307123Y", "id_format"),
        ("110101900307123", "id_format"),  # old 15-digit numbers are not accepted
        (make_id_number("990101"), "id_province"),
        (make_id_number("000101"), "id_province"),
        (make_id_number(birth="19900230"), "id_birth_date"),  # 30 February
        (make_id_number(birth="18991231"), "id_birth_date"),  # before 1900
        (make_id_number(birth=(date.today() + timedelta(days=1)).strftime("%Y%m%d")), "id_birth_date"),
        (make_id_number(birth="19901301"), "id_birth_date"),
    ],
)
def test_invalid_numbers_are_rejected_with_a_reason(number, code):
    with pytest.raises(ValidationError) as exc:
        parse_id_number(number)
    assert exc.value.code == code


def test_check_character_follows_iso_7064():
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "阿依古丽·买买提", "Li Lei", "Mary", "阿依古丽•买买提"])
def test_accepted_names(name):
    assert validate_real_name(name)


@pytest.mark.parametrize("name", ["张", "张3", "·张三", "张三·", "张··三", "x" * 21, "<script>", "张三!"])
def test_rejected_names(name):
    with pytest.raises(ValidationError):
        validate_real_name(name)


def test_dot_variants_are_normalised():
    assert validate_real_name("阿依古丽•买买提") == "阿依古丽·买买提"


# --- Submitting ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_verifies_stores_encrypted_and_shows_masked(signed_in, user):
    response = signed_in.post("/me/real-name", {"name": "张三丰", "id_number": VALID.lower()})
    assert response.status_code == 201, response.content
    assert response.json()["verified"] is True
    assert response.json()["name"] == "张**"
    assert response.json()["id_number"] == VALID[:4] + "*" * 10 + VALID[-4:]
    record = RealNameVerification.objects.get(user=user)
    assert record.id_number == VALID and record.status == RealNameStatus.VERIFIED
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, id_number FROM accounts_realnameverification WHERE id = %s", [record.pk])
        raw_name, raw_number = cursor.fetchone()
    assert VALID not in raw_number and "张三丰" not in raw_name
    assert raw_number.startswith("enc1:")
    me = signed_in.get("/me").json()
    assert me["real_name_verified"] is True
    assert signed_in.get("/me/real-name").json()["id_number"] == "1101**********" + VALID[-4:]


@pytest.mark.django_db
def test_invalid_number_is_422_per_field(signed_in):
    response = signed_in.post("/me/real-name", {"name": "张3", "id_number": VALID[:17] + "0"})
    assert response.status_code == 422
    assert {"name", "id_number"} <= set(response.json()["details"]["fields"])


@pytest.mark.django_db
def test_one_id_number_verifies_one_account(signed_in):
    other = UserFactory()
    services.submit_real_name(user=other, name="李四", id_number=VALID)
    response = signed_in.post("/me/real-name", {"name": "李四", "id_number": VALID})
    assert response.status_code == 409
    assert response.json()["code"] == "id_number_in_use"


@pytest.mark.django_db
def test_verified_account_cannot_verify_again(user):
    services.submit_real_name(user=user, name="王五", id_number=VALID)
    with pytest.raises(AlreadyVerified):
        services.submit_real_name(user=user, name="王五", id_number=make_id_number(sequence="125"))


@pytest.mark.django_db
def test_rejected_check_is_recorded_and_answered_422(user, settings):
    settings.REALNAME_PROVIDER = "shopops.accounts.tests.test_realname.RejectingProvider"
    with pytest.raises(RealNameRejected):
        services.submit_real_name(user=user, name="赵六", id_number=VALID)
    record = RealNameVerification.objects.get(user=user)
    assert record.status == RealNameStatus.REJECTED and record.failure_reason == "name_mismatch"
    user.refresh_from_db()
    assert user.real_name_verified_at is None


@pytest.mark.django_db
def test_attempts_per_day_are_capped(user, settings, monkeypatch):
    settings.REALNAME_PROVIDER = "shopops.accounts.tests.test_realname.RejectingProvider"
    monkeypatch.setattr(services, "REALNAME_ATTEMPTS_DAILY", 2)
    for _ in range(2):
        with pytest.raises(RealNameRejected):
            services.submit_real_name(user=user, name="赵六", id_number=VALID)
    from shopops.core.errors import Throttled

    with pytest.raises(Throttled):
        services.submit_real_name(user=user, name="赵六", id_number=VALID)


@pytest.mark.django_db
def test_database_refuses_a_second_verified_record_for_a_number():
    first, second = UserFactory(), UserFactory()
    services.submit_real_name(user=first, name="钱七", id_number=VALID)
    # Bypass the pre-check to simulate the race the constraint guards against.
    from shopops.accounts.realname import RealNameResult as Result

    with pytest.raises(IdNumberInUse):
        services._record_real_name(second, "钱七", VALID, "dev", Result(matched=True))


# --- Staff access: masked by default, unmasking needs pii.realname and is audited ------------------


@pytest.fixture
def verified_user(db):
    user = UserFactory()
    services.submit_real_name(user=user, name="孙悟空", id_number=VALID)
    return user


@pytest.mark.django_db
def test_shopper_cannot_see_other_users_real_name(api, verified_user):
    UserFactory(username="curious")
    api.login("curious")
    assert api.get(f"/admin/users/{verified_user.pk}/real-name").status_code == 403


@pytest.mark.django_db
def test_user_managers_see_it_masked_but_cannot_unmask(api, verified_user):
    staff = UserFactory()
    grant_platform_perms(staff, "platform.users")
    api.login(staff.username)
    masked = api.get(f"/admin/users/{verified_user.pk}/real-name")
    assert masked.status_code == 200
    assert masked.json()["id_number"] == "1101**********" + VALID[-4:]
    assert masked.json()["name"] == "孙**"
    denied = api.get(f"/admin/users/{verified_user.pk}/real-name?unmask=true")
    assert denied.status_code == 403
    assert not AuditLog.objects.filter(action="pii.realname.view").exists()


@pytest.mark.django_db
def test_unmasking_with_permission_writes_an_audit_record_each_time(api, verified_user):
    officer = UserFactory()
    grant_platform_perms(officer, "pii.realname")
    api.login(officer.username)
    for _ in range(2):
        response = api.get(f"/admin/users/{verified_user.pk}/real-name?unmask=true&reason=ticket-881")
        assert response.status_code == 200
        assert response.json()["id_number"] == VALID and response.json()["name"] == "孙悟空"
    entries = AuditLog.objects.filter(action="pii.realname.view")
    assert entries.count() == 2
    entry = entries.first()
    assert entry.actor == officer and entry.reason == "ticket-881"
    assert entry.object_type == "accounts.realnameverification"
    assert entry.after["user_id"] == verified_user.pk
    assert entry.ip_address == "10.0.0.1"
    assert VALID not in str(entry.after)


@pytest.mark.django_db
def test_masked_view_writes_no_audit(api, verified_user):
    officer = UserFactory()
    grant_platform_perms(officer, "pii.realname")
    api.login(officer.username)
    assert api.get(f"/admin/users/{verified_user.pk}/real-name").json()["unmasked"] is False
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_unknown_user_is_404_for_staff(api):
    officer = UserFactory()
    grant_platform_perms(officer, "pii.realname")
    api.login(officer.username)
    assert api.get("/admin/users/999999/real-name").status_code == 404


@pytest.mark.django_db
def test_reveal_service_refuses_without_permission(verified_user):
    from shopops.core.errors import PermissionDenied

    record = RealNameVerification.objects.get(user=verified_user)
    with pytest.raises(PermissionDenied):
        services.reveal_real_name(viewer=UserFactory(), verification=record)
