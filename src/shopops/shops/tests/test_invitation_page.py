"""The page an invitation email links to."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shopops.shops.models import Membership
from shopops.shops.permissions import WAREHOUSE
from shopops.shops.tests.factories import SESSION_BACKEND, ShopFactory, make_invitation, make_user

pytestmark = pytest.mark.django_db
PAGE = "/shops/invitations/accept/"


def test_signed_out_visitors_are_asked_to_sign_in_first(client):
    shop = ShopFactory()
    _, token = make_invitation(shop, email="x@example.com")
    response = client.get(f"{PAGE}?token={token}")
    assert response.status_code == 302
    assert "login" in response.url and "next=" in response.url


def test_the_invitee_sees_the_shop_and_roles_then_joins(client):
    shop = ShopFactory(name="好物小铺")
    invitee = make_user(email="hire@example.com")
    _, token = make_invitation(shop, email="hire@example.com", roles=(WAREHOUSE,))
    client.force_login(invitee, backend=SESSION_BACKEND)
    page = client.get(f"{PAGE}?token={token}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "好物小铺" in html and "仓储" in html
    response = client.post(PAGE, {"token": token})
    assert response.status_code == 302 and response.url == "/admin/"
    assert Membership.objects.get(user=invitee, shop=shop).roles.get().code == WAREHOUSE


def test_the_wrong_account_is_told_and_nothing_happens(client):
    shop = ShopFactory()
    _, token = make_invitation(shop, email="someone@example.com")
    client.force_login(make_user(email="other@example.com"), backend=SESSION_BACKEND)
    response = client.post(PAGE, {"token": token}, follow=True)
    assert "someone else" in response.content.decode()
    assert not Membership.objects.filter(shop=shop).exclude(user=shop.owner).exists()


@pytest.mark.parametrize("state", ["unknown", "expired"])
def test_dead_links_say_so(client, state):
    shop = ShopFactory()
    _, token = make_invitation(shop, email="late@example.com", expires_in=timedelta(seconds=-5))
    client.force_login(make_user(email="late@example.com"), backend=SESSION_BACKEND)
    page = client.get(f"{PAGE}?token={'nope-' * 8 if state == 'unknown' else token}")
    assert ("not valid" if state == "unknown" else "expired") in page.content.decode()
    assert "接受邀请</button>" not in page.content.decode()


def test_the_emailed_link_opens_this_page():
    from shopops.shops.services import accept_url

    assert accept_url("abc").endswith(f"{PAGE}?token=abc")
