"""The cart API for guests (session + CSRF) and signed-in callers (session or JWT), and checkout preview."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from shopops.accounts.tokens import issue_tokens
from shopops.orders.tests import factories
from shopops.shops.tests.factories import api_as, make_user

pytestmark = pytest.mark.django_db


def post_json(client: Client, path: str, body: dict, **headers):
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **headers)


def test_a_guest_builds_a_cart_through_the_api_with_their_session():
    _, sku = factories.sellable_sku(price="12.50", stock=10)
    guest = Client()
    response = post_json(guest, "/cart/items", {"sku_id": sku.id, "quantity": 2})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["count"] == 2 and Decimal(body["selected_total"]) == Decimal("25.00")
    assert body["shops"][0]["lines"][0]["unit_price"] == "12.50"
    assert guest.get("/api/v1/cart").json()["count"] == 2
    assert Client().get("/api/v1/cart").json()["count"] == 0  # another browser, another cart


def test_cookie_callers_need_the_csrf_token_to_change_the_cart():
    _, sku = factories.sellable_sku(stock=10)
    browser = Client(enforce_csrf_checks=True)
    refused = post_json(browser, "/cart/items", {"sku_id": sku.id})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    browser.get("/cart/")  # the page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = post_json(browser, "/cart/items", {"sku_id": sku.id}, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_a_bearer_token_reaches_the_users_own_cart_without_csrf():
    user = make_user()
    _, sku = factories.sellable_sku(stock=10)
    token = issue_tokens(user).access
    app = Client(enforce_csrf_checks=True)
    response = post_json(
        app, "/cart/items", {"sku_id": sku.id, "quantity": 3}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 201
    assert api_as(Client(), user).get("/cart").json()["count"] == 3
    bad = app.get("/api/v1/cart", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert bad.status_code == 401


def test_quantity_changes_and_errors_use_the_error_shape():
    user = make_user()
    _, sku = factories.sellable_sku(stock=4)
    api = api_as(Client(), user)
    api.post("/cart/items", {"sku_id": sku.id, "quantity": 1})
    too_many = api.put(f"/cart/items/{sku.id}", {"quantity": 5})
    assert too_many.status_code == 409
    assert too_many.json() == {
        "code": "insufficient_stock",
        "message": "库存不足 / Not enough stock",
        "details": {"sku_id": sku.id, "requested": 5, "available": 4},
    }
    assert api.put(f"/cart/items/{sku.id}", {"quantity": -1}).status_code == 422
    assert api.put("/cart/items/123456789", {"quantity": 1}).json()["code"] == "cart_line_not_found"
    assert api.put(f"/cart/items/{sku.id}", {"quantity": 0}).json()["count"] == 0
    assert api.post("/cart/items", {"sku_id": "abc"}).status_code == 422


def test_selection_and_clearing():
    user = make_user()
    _, a = factories.sellable_sku(price="10.00", stock=4)
    _, b = factories.sellable_sku(price="20.00", stock=4)
    api = api_as(Client(), user)
    api.post("/cart/items", {"sku_id": a.id})
    api.post("/cart/items", {"sku_id": b.id})
    body = api.post("/cart/selection", {"sku_ids": [a.id], "selected": False}).json()
    assert Decimal(body["selected_total"]) == Decimal("20.00")
    body = api.post("/cart/selection", {"selected": True}).json()
    assert Decimal(body["selected_total"]) == Decimal("30.00")
    assert api.delete("/cart").status_code == 204
    assert api.get("/cart").json()["count"] == 0


def test_checkout_preview_prices_the_cart_and_ignores_client_prices():
    shopper = factories.shopper_with_address()
    _, sku = factories.sellable_sku(price="45.00", stock=4)
    api = api_as(Client(), shopper)
    api.post("/cart/items", {"sku_id": sku.id, "quantity": 2, "unit_price": "0.01"})
    body = api.post("/cart/checkout/preview", {"total": "0.01"}).json()
    assert Decimal(body["items_total"]) == Decimal("90.00")
    assert Decimal(body["shipping_total"]) == Decimal("10.00")  # below the 99 threshold
    assert Decimal(body["total"]) == Decimal("100.00")
    assert body["address_id"] == shopper.addresses.get().id


def test_checkout_preview_with_another_users_address_is_not_found():
    shopper = factories.shopper_with_address()
    stranger = factories.shopper_with_address()
    _, sku = factories.sellable_sku(stock=4)
    api = api_as(Client(), shopper)
    api.post("/cart/items", {"sku_id": sku.id})
    response = api.post("/cart/checkout/preview", {"address_id": stranger.addresses.get().id})
    assert response.status_code == 404


def test_checkout_preview_of_an_empty_cart_says_so():
    response = api_as(Client(), make_user()).post("/cart/checkout/preview", {})
    assert response.status_code == 422 and response.json()["code"] == "nothing_to_checkout"


def test_a_shop_sets_its_shipping_rule_and_checkout_follows_it():
    shop, sku = factories.sellable_sku(price="50.00", stock=5)
    owner_api = api_as(Client(), shop.owner)
    bad = owner_api.put(f"/cart/shops/{shop.id}/shipping-rule", {"standard_fee": "-1"})
    assert bad.status_code == 422
    rule = owner_api.put(
        f"/cart/shops/{shop.id}/shipping-rule",
        {"standard_fee": "6.00", "free_over": "40.00", "express_fee": None},
    ).json()
    assert rule == {"shop_id": shop.id, "standard_fee": "6.00", "free_over": "40.00", "express_fee": None}
    shopper = factories.shopper_with_address()
    api = api_as(Client(), shopper)
    api.post("/cart/items", {"sku_id": sku.id})
    body = api.post("/cart/checkout/preview", {}).json()
    assert body["shipping_total"] == "0.00" and body["shops"][0]["shipping_methods"] == ["standard"]
    express = api.post("/cart/checkout/preview", {"shipping_method": "express"})
    assert express.status_code == 422 and express.json()["code"] == "shipping_method_unavailable"
