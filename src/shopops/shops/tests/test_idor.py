"""No merchant reaches another merchant's data, whatever id they put in a URL.

Data-driven over the same cases as the permission matrix: every shop-scoped endpoint is called with
another shop's id (all of shop A's staff must get 404, as if the shop did not exist), and every
endpoint whose path names an object is called through the caller's own shop with an object that
belongs to another shop (must be 404 too).
"""

from __future__ import annotations

import pytest

from shopops.core.models import AuditLog
from shopops.shops.models import Invitation, InvitationStatus, Membership, MembershipStatus, Shop
from shopops.shops.permissions import ANALYST, MERCHANT_STAFF, PLATFORM_ADMIN, SHOP_OWNER, SHOPPER
from shopops.shops.tests.factories import ShopFactory, api_as, make_invitation, make_member, make_user
from shopops.shops.tests.matrix import (
    CASES,
    MATRIX_ROLES,
    SUCCESS,
    describe,
    discover_cases,
    expected_status,
    iter_endpoints,
    run_roles,
)

discover_cases()
SHOP_ENDPOINTS = [e for e in iter_endpoints() if e.policy == "shop" and e.key in CASES]
OBJECT_ENDPOINTS = [e for e in SHOP_ENDPOINTS if e.object_params]
SHOP_A_ROLES = [r for r in MATRIX_ROLES if r not in (SHOPPER, PLATFORM_ADMIN)]


@pytest.mark.parametrize("endpoint", SHOP_ENDPOINTS, ids=lambda e: e.key)
def test_staff_of_one_shop_get_404_for_another_shops_endpoints(world, endpoint):
    other = world.targeting(world.shop_b)
    outcomes = run_roles(other, endpoint, lambda role, call: 404, SHOP_A_ROLES)
    assert all(o.ok for o in outcomes), f"{endpoint.key} leaked shop B to shop A staff:\n" + describe(
        endpoint, outcomes
    )


@pytest.mark.parametrize("endpoint", OBJECT_ENDPOINTS, ids=lambda e: e.key)
def test_objects_of_another_shop_are_not_found_through_your_own_shop(world, endpoint):
    crossed = world.targeting(world.shop_a, object_shop=world.shop_b)

    def expect(role: str, call) -> int:
        normal = expected_status(endpoint, role, call)
        return 404 if normal in SUCCESS else normal  # no permission: still 403 first

    outcomes = run_roles(crossed, endpoint, expect)
    assert all(o.ok for o in outcomes), f"{endpoint.key} reached another shop's object:\n" + describe(
        endpoint, outcomes
    )


def test_cross_shop_attempts_change_nothing(client, world):
    victim = make_member(world.shop_b, MERCHANT_STAFF)
    invitation, _ = make_invitation(world.shop_b)
    owner_a = api_as(client, world.users[SHOP_OWNER])
    a, b = world.shop_a.id, world.shop_b.id
    attempts = [
        owner_a.put(f"/shops/{b}/staff/{victim.id}/roles", {"roles": [SHOP_OWNER]}),
        owner_a.put(f"/shops/{a}/staff/{victim.id}/roles", {"roles": [SHOP_OWNER]}),
        owner_a.post(f"/shops/{a}/staff/{victim.id}/disable"),
        owner_a.post(f"/shops/{a}/invitations/{invitation.id}/revoke"),
        owner_a.patch(f"/shops/{b}", {"name": "被改名"}),
        owner_a.put(
            f"/shops/{b}/settlement",
            {"account_name": "x", "bank": "y", "account_number": "62220000111122223333"},
        ),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    victim.refresh_from_db()
    assert [r.code for r in victim.roles.all()] == [MERCHANT_STAFF]
    assert victim.status == MembershipStatus.ACTIVE
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.PENDING
    shop_b = Shop.objects.get(pk=b)
    assert shop_b.name == world.shop_b.name
    assert shop_b.settlement_account_number == "6225880123456789"
    assert not AuditLog.objects.filter(shop_id=b).exists()


def test_a_not_found_answer_for_another_shop_looks_like_a_missing_shop(client, world):
    owner_a = api_as(client, world.users[SHOP_OWNER])
    other_shop = owner_a.get(f"/shops/{world.shop_b.id}")
    no_shop = owner_a.get("/shops/999999")
    assert other_shop.status_code == no_shop.status_code == 404
    assert other_shop.json()["code"] == no_shop.json()["code"] == "not_found"


def test_my_shops_lists_only_shops_i_work_in(client, world):
    ShopFactory()  # a third merchant
    mine = api_as(client, world.users[ANALYST]).get("/shops").json()
    assert [s["id"] for s in mine["items"]] == [world.shop_a.id]
    assert mine["items"][0]["my_permissions"] == sorted(
        m for m in Membership.objects.get(user=world.users[ANALYST]).roles.get().permissions
    )
    assert api_as(client, world.users[SHOPPER]).get("/shops").json()["count"] == 0
    assert api_as(client, world.users[PLATFORM_ADMIN]).get("/shops").json()["count"] == Shop.objects.count()


def test_disabled_staff_lose_access_on_their_next_request(client, world):
    analyst = world.member(ANALYST)
    assert api_as(client, world.users[ANALYST]).get(f"/shops/{world.shop_a.id}").status_code == 200
    analyst.status = MembershipStatus.DISABLED
    analyst.save()
    assert api_as(client, world.users[ANALYST]).get(f"/shops/{world.shop_a.id}").status_code == 404


def test_nobody_can_accept_an_invitation_meant_for_someone_else(client, world):
    invitation, token = make_invitation(world.shop_a, email="intended@example.com", roles=(SHOP_OWNER,))
    intruder = make_user("intruder", email="intruder@example.com")
    response = api_as(client, intruder).post("/shops/invitations/accept", {"token": token})
    assert response.status_code == 403
    assert response.json()["code"] == "invitation_wrong_user"
    assert not Membership.objects.filter(user=intruder).exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
