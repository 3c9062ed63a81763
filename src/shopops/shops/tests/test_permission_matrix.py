"""Every API endpoint answers each role exactly as the role table says.

Data-driven from the live ninja API: an endpoint added later without a declared permission (or an
explicit public / signed-in declaration), or with a permission but no matrix case, fails here.
See shopops/shops/tests/matrix.py for how to add cases for a new app's endpoints.
"""

from __future__ import annotations

import pytest

from shopops.shops.access import declared_access
from shopops.shops.models import Role, Shop
from shopops.shops.permissions import PLATFORM_PERMISSIONS, SHOP_PERMISSIONS
from shopops.shops.tests.factories import ApiCaller
from shopops.shops.tests.matrix import (
    CASES,
    MATRIX_ROLES,
    PUBLIC,
    ROLE_TABLE,
    SHOP_ROLES,
    SIGNED_IN,
    SUCCESS,
    Endpoint,
    describe,
    discover_cases,
    expected_status,
    iter_endpoints,
    run_roles,
)

discover_cases()
ENDPOINTS: list[Endpoint] = list(iter_endpoints())
PERMISSION_ENDPOINTS = [e for e in ENDPOINTS if e.policy in ("shop", "platform")]
CASED_ENDPOINTS = [e for e in ENDPOINTS if e.key in CASES]


# --- The API declares access everywhere ---------------------------------------------------------------


def test_the_api_has_endpoints_to_check():
    assert len(ENDPOINTS) > 20
    assert any(e.key == "PUT /shops/{shop_id}/settlement" for e in ENDPOINTS)


def test_every_endpoint_declares_who_may_call_it():
    undeclared = [e.key for e in ENDPOINTS if e.policy is None]
    assert not undeclared, (
        "These endpoints declare no access rule. Decorate each with @shop_permission, "
        "@platform_permission, @signed_in or @public from shopops.shops.access "
        f"(or list it in matrix.PUBLIC / SIGNED_IN with a reason): {undeclared}"
    )


def test_declared_permissions_are_in_the_catalogue_with_the_right_scope():
    wrong = [
        (e.key, code)
        for e in PERMISSION_ENDPOINTS
        for code in (e.permissions or (e.permission,))
        if code not in (SHOP_PERMISSIONS if e.policy == "shop" else PLATFORM_PERMISSIONS)
    ]
    assert not wrong


def test_shop_scoped_endpoints_carry_the_shop_in_the_path():
    missing = [e.key for e in PERMISSION_ENDPOINTS if e.policy == "shop" and e.shop_arg not in e.path_params]
    assert not missing, f"@shop_permission needs the shop id in the path: {missing}"


def test_only_public_endpoints_skip_authentication():
    open_but_not_public = [e.key for e in ENDPOINTS if not e.has_auth and e.policy != "public"]
    public_but_authenticated = [e.key for e in ENDPOINTS if e.has_auth and e.policy == "public"]
    assert not open_but_not_public, f"auth=None on a non-public endpoint: {open_but_not_public}"
    assert not public_but_authenticated, f"declared public but requires auth: {public_but_authenticated}"


def test_every_permission_endpoint_has_a_matrix_case():
    missing = [e.key for e in PERMISSION_ENDPOINTS if e.key not in CASES]
    assert not missing, (
        "Add a case for each of these in shopops/<app>/tests/matrix_cases.py "
        f"(see shopops/shops/tests/matrix.py): {missing}"
    )


def test_no_matrix_case_points_at_a_missing_endpoint():
    keys = {e.key for e in ENDPOINTS}
    stale = sorted(set(CASES) - keys)
    assert not stale, f"matrix cases for endpoints that no longer exist: {stale}"


def test_declarations_listed_in_the_matrix_agree_with_decorators():
    """An entry in PUBLIC / SIGNED_IN may stay after the endpoint gains a decorator, if they agree."""
    disagree = []
    for e in ENDPOINTS:
        listed = "public" if e.key in PUBLIC else "signed_in" if e.key in SIGNED_IN else None
        decorated = declared_access(e.view)[0]
        if listed and decorated and listed != decorated:
            disagree.append((e.key, listed, decorated))
    assert not disagree


def test_roles_in_the_database_match_the_role_table(world):
    assert {r.code: frozenset(r.permissions) for r in Role.objects.all()} == ROLE_TABLE


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.policy != "public"], ids=lambda e: e.key)
def test_signed_out_callers_get_401(signed_out_client, endpoint):
    path = endpoint.route
    for param in endpoint.path_params:
        path = path.replace("{" + param + "}", "1" if param.endswith("id") else "x")
    response = ApiCaller(signed_out_client).call(endpoint.method, path, {})  # never signed in
    assert response.status_code == 401, response.content
    assert response.json()["code"] in ("not_authenticated", "invalid_token")


# --- The matrix ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", CASED_ENDPOINTS, ids=lambda e: e.key)
def test_each_role_gets_what_the_role_table_says(world, endpoint):
    outcomes = run_roles(world, endpoint, lambda role, call: expected_status(endpoint, role, call))
    assert all(o.ok for o in outcomes), describe(endpoint, outcomes)
    for o in outcomes:
        if o.expected not in SUCCESS:
            assert o.response.json()["code"] in ("permission_denied", "not_found"), o.response.content


def test_matrix_calls_leave_nothing_behind_for_the_next_case(world):
    """Every role's successful write is undone before the next role (and the next test) runs."""
    endpoint = next(e for e in CASED_ENDPOINTS if e.key == "POST /shops")
    shops_before = set(Shop.objects.values_list("id", flat=True))
    outcomes = run_roles(world, endpoint, lambda role, call: 201)
    assert all(o.ok for o in outcomes), describe(endpoint, outcomes)
    assert set(Shop.objects.values_list("id", flat=True)) == shops_before
    # Still signed in: a response's cookies do not stick to the shared clients.
    assert all(world.client_for(r).get("/api/v1/accounts/me").status_code == 200 for r in MATRIX_ROLES)


def test_every_shop_permission_in_use_is_held_by_some_shop_role():
    """An endpoint no merchant role can call is a role-table mistake (only platform admins would pass)."""
    shop_roles = [r for r in MATRIX_ROLES if r in SHOP_ROLES]
    unheld = [
        (e.key, e.permission)
        for e in PERMISSION_ENDPOINTS
        if e.policy == "shop" and not any(e.permission in ROLE_TABLE[r] for r in shop_roles)
    ]
    assert not unheld
