"""Permission-matrix cases for the accounts API (see shops/tests/matrix.py for how cases work).

The platform case needs a user with a real-name record; the signed-in cases act on the caller's own
account (`w.caller`), so every role, shopper included, must succeed.
"""

from __future__ import annotations

from shopops.accounts import services
from shopops.accounts.tests.factories import make_id_number
from shopops.shops.tests.matrix import Call, World, case

ADDRESS = {
    "receiver_name": "王五",
    "receiver_phone": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "region_code": "310115",
    "detail": "世纪大道 100 号",
}


# --- platform -----------------------------------------------------------------------------------------


@case("GET", "/accounts/admin/users/{user_id}/real-name")
def staff_real_name(w: World) -> Call:
    target = w.new_user()
    services.submit_real_name(user=target, name="孙悟空", id_number=make_id_number(sequence="731"))
    return Call("GET", f"/accounts/admin/users/{target.id}/real-name")


# --- signed in: the caller's own account ----------------------------------------------------------


@case("GET", "/accounts/me")
def me(w: World) -> Call:
    return Call("GET", "/accounts/me")


@case("PATCH", "/accounts/me")
def update_me(w: World) -> Call:
    return Call("PATCH", "/accounts/me", {"display_name": "新昵称"})


@case("GET", "/accounts/me/real-name")
def my_real_name(w: World) -> Call:
    return Call("GET", "/accounts/me/real-name")


@case("GET", "/accounts/me/devices")
def my_devices(w: World) -> Call:
    return Call("GET", "/accounts/me/devices")


@case("GET", "/accounts/addresses")
def list_addresses(w: World) -> Call:
    return Call("GET", "/accounts/addresses")


@case("POST", "/accounts/addresses")
def create_address(w: World) -> Call:
    return Call("POST", "/accounts/addresses", ADDRESS, ok=201)


@case("GET", "/accounts/addresses/{address_id}")
def get_address(w: World) -> Call:
    address = services.create_address(user=w.caller, **ADDRESS)
    return Call("GET", f"/accounts/addresses/{address.id}")


@case("DELETE", "/accounts/addresses/{address_id}")
def delete_address(w: World) -> Call:
    address = services.create_address(user=w.caller, **ADDRESS)
    return Call("DELETE", f"/accounts/addresses/{address.id}", ok=204)


# Signing out: each role's call is rolled back and its client keeps its session cookie, so these
# also prove the matrix's clients survive a sign-out (the next case would get 401 otherwise).


@case("DELETE", "/accounts/session")
def sign_out_web_session(w: World) -> Call:
    return Call("DELETE", "/accounts/session", ok=204)


@case("POST", "/accounts/logout-all")
def sign_out_everywhere(w: World) -> Call:
    return Call("POST", "/accounts/logout-all", ok=204)
