import pytest
from django.core.exceptions import ValidationError

from shopops.accounts import selectors, services
from shopops.accounts.errors import AddressLimitReached, AddressNotFound
from shopops.accounts.models import MAX_ADDRESSES_PER_USER, Address
from shopops.accounts.regions import validate_region
from shopops.accounts.tests.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "receiver_name": "李雷",
    "receiver_phone": "13912345678",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "世纪大道 100 号 8 楼",
    "postcode": "200120",
}


def defaults_of(user):
    return list(Address.objects.filter(user=user, is_default=True).values_list("id", flat=True))


def test_create_returns_full_phone_and_list_masks_it(signed_in):
    created = signed_in.post("/addresses", PAYLOAD)
    assert created.status_code == 201, created.content
    assert created.json()["receiver_phone"] == "13912345678"
    assert created.json()["region_code"] == "310115"  # filled in from the region list
    listing = signed_in.get("/addresses").json()
    assert listing["count"] == 1 and listing["limit"] == MAX_ADDRESSES_PER_USER
    assert listing["items"][0]["receiver_phone"] == "139****5678"
    detail = signed_in.get(f"/addresses/{created.json()['id']}").json()
    assert detail["receiver_phone"] == "13912345678"


def test_first_address_becomes_default(user):
    first = AddressFactory(user=user)
    assert first.is_default


def test_setting_a_new_default_unsets_the_old_one(user):
    first = AddressFactory(user=user)
    second = AddressFactory(user=user, is_default=True)
    assert defaults_of(user) == [second.id]
    services.set_default_address(user=user, address_id=first.id)
    assert defaults_of(user) == [first.id]


def test_deleting_the_default_promotes_the_newest(user):
    first = AddressFactory(user=user)
    AddressFactory(user=user)
    newest = AddressFactory(user=user)
    services.delete_address(user=user, address_id=first.id)
    assert defaults_of(user) == [newest.id]


def test_deleting_the_last_address_leaves_none(user):
    only = AddressFactory(user=user)
    services.delete_address(user=user, address_id=only.id)
    assert not Address.objects.filter(user=user).exists()


def test_unsetting_default_on_the_default_is_ignored(signed_in, user):
    address = AddressFactory(user=user)
    response = signed_in.patch(f"/addresses/{address.id}", {"is_default": False, "detail": "新地址 1 号"})
    assert response.status_code == 200
    assert response.json()["is_default"] is True
    assert response.json()["detail"] == "新地址 1 号"


def test_patch_can_make_an_address_default(signed_in, user):
    AddressFactory(user=user)
    other = AddressFactory(user=user)
    assert signed_in.patch(f"/addresses/{other.id}", {"is_default": True}).json()["is_default"] is True
    assert defaults_of(user) == [other.id]


def test_cap_of_addresses_per_user(signed_in, user):
    for _ in range(MAX_ADDRESSES_PER_USER):
        AddressFactory(user=user)
    response = signed_in.post("/addresses", PAYLOAD)
    assert response.status_code == 422
    assert response.json()["code"] == "address_limit"
    assert Address.objects.filter(user=user).count() == MAX_ADDRESSES_PER_USER


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("post", "/default")],
)
def test_another_users_address_is_404(signed_in, user, method, suffix):
    foreign = AddressFactory(user=UserFactory())
    path = f"/addresses/{foreign.id}{suffix}"
    response = (
        getattr(signed_in, method)(path)
        if method in ("get", "delete")
        else getattr(signed_in, method)(path, {"detail": "偷改 1 号"})
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    foreign.refresh_from_db()
    assert foreign.detail == "景山前街 4 号"


def test_missing_address_and_foreign_address_look_the_same(signed_in):
    foreign = AddressFactory(user=UserFactory())
    a = signed_in.get(f"/addresses/{foreign.id}").json()
    b = signed_in.get("/addresses/987654321").json()
    assert a["code"] == b["code"] and a["message"] == b["message"]


def test_addresses_need_sign_in(api):
    assert api.get("/addresses").status_code == 401


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("receiver_name", ""),
        ("receiver_phone", "12345"),
        ("receiver_phone", "010-12345678"),
        ("postcode", "12345"),
        ("detail", ""),
        ("province", ""),
        ("province", "火星省"),
        ("city", "广州市"),  # not in 上海市
        ("district", "天河区"),
        ("region_code", "12ab56"),
    ],
)
def test_invalid_fields_are_422_and_nothing_is_created(signed_in, field, value):
    response = signed_in.post("/addresses", {**PAYLOAD, field: value})
    assert response.status_code == 422, response.content
    assert field in response.json()["details"]["fields"]
    assert not Address.objects.exists()


def test_region_names_without_suffixes_are_canonicalised():
    match = validate_region(province="广西", city="南宁", district="青秀")
    assert (match.province, match.city, match.district, match.region_code) == (
        "广西壮族自治区",
        "南宁市",
        "青秀区",
        "450103",
    )


def test_region_code_must_match_the_names():
    with pytest.raises(ValidationError) as exc:
        validate_region(province="北京市", city="北京市", district="东城区", region_code="310115")
    assert "region_code" in exc.value.error_dict
    with pytest.raises(ValidationError):
        validate_region(province="北京市", city="北京市", district="东城区", region_code="999999")
    assert validate_region(province="北京市", city="北京市", district="东城区", region_code="110101")


def test_hong_kong_addresses_are_accepted_as_typed():
    match = validate_region(province="香港特别行政区", city="香港", district="九龙城区")
    assert match.region_code == "" and match.district == "九龙城区"


def test_update_revalidates_the_whole_address(user):
    address = AddressFactory(user=user)
    with pytest.raises(ValidationError):
        services.update_address(user=user, address_id=address.id, city="上海市")
    with pytest.raises(ValidationError):
        services.update_address(user=user, address_id=address.id, owner="someone")


def test_service_errors_are_typed(user):
    with pytest.raises(AddressNotFound):
        services.delete_address(user=user, address_id=123456)
    for _ in range(MAX_ADDRESSES_PER_USER):
        AddressFactory(user=user)
    with pytest.raises(AddressLimitReached):
        AddressFactory(user=user)


def test_snapshot_for_orders(user):
    address = AddressFactory(user=user)
    snap = selectors.address_snapshot(address)
    assert snap["receiver_phone"] == "13800138000" and snap["region_code"] == "110101"
    assert selectors.default_address(user) == address


def test_phone_and_detail_are_encrypted_at_rest(user):
    address = AddressFactory(user=user)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT receiver_phone, detail FROM accounts_address WHERE id = %s", [address.pk])
        phone, detail = cursor.fetchone()
    assert phone.startswith("enc1:") and "13800138000" not in phone
    assert "景山" not in detail
