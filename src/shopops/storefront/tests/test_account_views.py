"""The account centre: login required, own data only, every change through the services."""

from __future__ import annotations

import pytest
from django.test import Client

from shopops.accounts.models import Address
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, AddressFactory, UserFactory, make_id_number

pytestmark = pytest.mark.django_db

ACCOUNT_PAGES = [
    "/account/",
    "/account/profile/",
    "/account/security/",
    "/account/real-name/",
    "/account/addresses/",
    "/account/addresses/new/",
]

ADDRESS = {
    "receiver_name": "王芳",
    "receiver_phone": "13700001111",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 90 号",
    "postcode": "310012",
}


@pytest.mark.parametrize("path", ACCOUNT_PAGES)
def test_account_pages_require_login(client: Client, path: str):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", ACCOUNT_PAGES)
def test_account_pages_render_for_the_shopper(signed_in: Client, path: str):
    assert signed_in.get(path).status_code == 200


def test_overview_shows_masked_contact_details(signed_in: Client, shopper):
    body = signed_in.get("/account/").content.decode()
    assert shopper.masked_phone in body
    assert shopper.phone not in body


# ---------- Addresses ----------


def test_new_address_takes_its_region_code_from_the_server_data(signed_in: Client, shopper):
    response = signed_in.post("/account/addresses/new/", {**ADDRESS, "region_code": "999999"})
    assert response.status_code == 302
    address = Address.objects.get(user=shopper)
    assert address.region_code == "330106"
    assert address.is_default  # the first address is the default


def test_address_form_shows_inline_errors_for_bad_input(signed_in: Client, shopper):
    response = signed_in.post(
        "/account/addresses/new/",
        {**ADDRESS, "receiver_phone": "12", "district": "朝阳区", "postcode": "12ab"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors.keys() >= {"receiver_phone", "district", "postcode"}
    assert "field-errors" in response.content.decode()
    assert not Address.objects.filter(user=shopper).exists()


def test_edit_keeps_the_selected_region_options(signed_in: Client, shopper):
    address = AddressFactory(user=shopper)
    body = signed_in.get(f"/account/addresses/{address.pk}/edit/").content.decode()
    assert '<option value="东城区" selected>' in body


def test_edit_updates_the_address(signed_in: Client, shopper):
    address = AddressFactory(user=shopper)
    response = signed_in.post(f"/account/addresses/{address.pk}/edit/", {**ADDRESS, "detail": "新地址 1 号"})
    assert response.status_code == 302
    address.refresh_from_db()
    assert (address.district, address.detail) == ("西湖区", "新地址 1 号")


@pytest.mark.parametrize("action", ["edit", "delete", "default"])
def test_another_users_address_is_a_404(signed_in: Client, action: str):
    foreign = AddressFactory(user=UserFactory())
    url = f"/account/addresses/{foreign.pk}/{action}/"
    response = signed_in.get(url) if action == "edit" else signed_in.post(url)
    assert response.status_code == 404
    assert Address.objects.filter(pk=foreign.pk).exists()


def test_set_default_and_delete(signed_in: Client, shopper):
    first = AddressFactory(user=shopper)
    second = AddressFactory(user=shopper, receiver_name="李四")
    assert signed_in.post(f"/account/addresses/{second.pk}/default/").status_code == 302
    second.refresh_from_db()
    assert second.is_default
    assert signed_in.post(f"/account/addresses/{second.pk}/delete/").status_code == 302
    assert list(Address.objects.filter(user=shopper)) == [first]


def test_address_actions_only_accept_post(signed_in: Client, shopper):
    address = AddressFactory(user=shopper)
    assert signed_in.get(f"/account/addresses/{address.pk}/delete/").status_code == 405


def test_address_delete_requires_csrf_token(shopper):
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper, backend="shopops.accounts.backends.IdentifierBackend")
    address = AddressFactory(user=shopper)
    assert client.post(f"/account/addresses/{address.pk}/delete/").status_code == 403
    assert Address.objects.filter(pk=address.pk).exists()


# ---------- Profile, security, real name ----------


def test_profile_update(signed_in: Client, shopper):
    response = signed_in.post(
        "/account/profile/", {"display_name": "小林", "username": shopper.username, "email": shopper.email}
    )
    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.display_name == "小林"


def test_profile_rejects_a_bad_username(signed_in: Client, shopper):
    response = signed_in.post("/account/profile/", {"display_name": "", "username": "1x", "email": ""})
    assert response.status_code == 400
    assert "username" in response.context["form"].errors


def test_change_password_with_wrong_current_password(signed_in: Client):
    response = signed_in.post(
        "/account/security/",
        {
            "action": "change_password",
            "pw-old_password": "nope",
            "pw-password": "Shop-2024-ok",
            "pw-password_confirm": "Shop-2024-ok",
        },
    )
    assert response.status_code == 400
    assert "old_password" in response.context["password_form"].errors


def test_change_password_keeps_this_session(signed_in: Client, shopper):
    response = signed_in.post(
        "/account/security/",
        {
            "action": "change_password",
            "pw-old_password": DEFAULT_PASSWORD,
            "pw-password": "Shop-2024-ok",
            "pw-password_confirm": "Shop-2024-ok",
        },
    )
    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.check_password("Shop-2024-ok")
    assert signed_in.get("/account/").status_code == 200


def test_log_out_everywhere_ends_the_session(signed_in: Client):
    response = signed_in.post("/account/security/logout-everywhere/")
    assert response.status_code == 302
    assert signed_in.get("/account/").status_code == 302


def test_real_name_verification_shows_only_masked_data(signed_in: Client, shopper):
    id_number = make_id_number()
    response = signed_in.post("/account/real-name/", {"name": "林小薇", "id_number": id_number})
    assert response.status_code == 302
    body = signed_in.get("/account/real-name/").content.decode()
    assert "已认证" in body
    assert id_number not in body
    assert "林小薇" not in body
    assert id_number[:4] in body and id_number[-4:] in body


def test_real_name_rejects_a_malformed_id_number(signed_in: Client):
    response = signed_in.post("/account/real-name/", {"name": "林小薇", "id_number": "110101199003071230"})
    assert response.status_code == 400
    assert response.context["form"].errors
