"""The orders API: shopper endpoints on their own orders, shop endpoints behind shop permissions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shopops.core.models import AuditLog
from shopops.orders.models import Order, OrderGroup, OrderStatus
from shopops.orders.state import Action, transition
from shopops.orders.tests import factories
from shopops.shops.tests.factories import api_as, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart_ready(shopper):
    shop, sku = factories.sellable_sku(price="59.90", stock=10)
    factories.fill_cart(shopper, (sku, 2))
    return shop, sku


def submit(api, shopper, **body):
    payload = {"address_id": shopper.addresses.get().id, **body}
    return api.post("/orders", payload)


def test_submitting_through_the_api_with_the_idempotency_header(client, shopper, cart_ready):
    api = api_as(client, shopper)
    import json

    key = uuid.uuid4().hex
    headers = {"HTTP_IDEMPOTENCY_KEY": key}
    url = "/api/v1/orders"
    body = json.dumps({"address_id": shopper.addresses.get().id, "channel": "sandbox"})
    first = client.post(url, data=body, content_type="application/json", **headers)
    second = client.post(url, data=body, content_type="application/json", **headers)

    assert first.status_code == 201, first.content
    assert second.status_code == 200 and second.json()["created"] is False
    assert first.json()["group"]["number"] == second.json()["group"]["number"]
    group = first.json()["group"]
    assert group["payment_status"] == "unpaid" and group["pay_url"].endswith(
        f"/orders/pay/{group['number']}/"
    )
    payment = first.json()["payment"]
    assert payment["channel"] == "sandbox" and Decimal(payment["amount"]) == Decimal(group["total"])
    assert payment["checkout_url"] == f"/pay/checkout/{payment['payment_no']}/"
    assert OrderGroup.objects.count() == 1
    assert api.get("/orders").json()["count"] == 1


def test_a_submit_without_a_key_is_refused(client, shopper, cart_ready):
    response = submit(api_as(client, shopper), shopper)
    assert response.status_code == 422 and response.json()["code"] == "invalid_idempotency_key"
    assert not Order.objects.exists()


def test_prices_sent_by_the_client_are_ignored(client, shopper, cart_ready):
    _, sku = cart_ready
    response = submit(
        api_as(client, shopper),
        shopper,
        idempotency_key="k1",
        items=[{"sku_id": sku.id, "quantity": 1, "unit_price": "0.01", "price": "0.01"}],
        total="0.01",
        unit_price="0.01",
    )
    assert response.status_code == 201, response.content
    assert response.json()["group"]["total"] == "69.90"  # 59.90 + 10.00 shipping
    assert Order.objects.get().lines.get().unit_price == Decimal("59.90")


def test_out_of_stock_through_the_api_is_409_and_creates_nothing(client, shopper):
    _, sku = factories.sellable_sku(stock=1)
    response = submit(
        api_as(client, shopper), shopper, idempotency_key="k", items=[{"sku_id": sku.id, "quantity": 2}]
    )
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock" and response.json()["details"]["sku_id"] == sku.id
    assert not OrderGroup.objects.exists()


def test_another_shoppers_order_is_not_found(client, shopper, cart_ready):
    group = factories.place_order(shopper).group
    number = group.orders.get().number
    stranger = factories.shopper_with_address()
    api = api_as(client, stranger)
    assert api.get(f"/orders/{number}").status_code == 404
    assert api.get(f"/orders/groups/{group.number}").status_code == 404
    assert api.post(f"/orders/{number}/cancel", {}).status_code == 404
    assert api.post(f"/orders/{number}/confirm-receipt").status_code == 404
    assert api.post(f"/orders/groups/{group.number}/payments", {"channel": "sandbox"}).status_code == 404
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_my_order_shows_the_timeline_actions_and_a_masked_phone(client, shopper, cart_ready):
    order = factories.place_order(shopper).group.orders.get()
    body = api_as(client, shopper).get(f"/orders/{order.number}").json()
    assert body["status"] == "pending_payment" and body["status_label"] == "待付款"
    assert body["actions"] == ["pay", "cancel"]
    assert [e["action"] for e in body["timeline"]] == ["submit"]
    assert body["address"]["receiver_phone"] == "138****5678"
    assert body["address"]["receiver_name"] == "张三"
    assert body["lines"][0]["paid_amount"] == "119.80"


def test_cancel_and_illegal_transitions_through_the_api(client, shopper, cart_ready):
    order = factories.place_order(shopper).group.orders.get()
    api = api_as(client, shopper)
    assert api.post(f"/orders/{order.number}/confirm-receipt").json()["code"] == "illegal_transition"
    cancelled = api.post(f"/orders/{order.number}/cancel", {"reason": "不要了"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = api.post(f"/orders/{order.number}/cancel", {})
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"
    assert again.json()["details"]["status"] == "cancelled"


def test_the_shop_lists_filters_and_ships_its_orders(client, cart_ready):
    shop, _ = cart_ready
    buyers = [factories.shopper_with_address() for _ in range(3)]
    orders = []
    for buyer in buyers:
        _, sku = factories.sellable_sku(shop, price="10.00", stock=5)
        factories.fill_cart(buyer, (sku, 1))
        orders.append(factories.place_order(buyer).group.orders.get())
    transition(orders[0], Action.PAY, None)
    transition(orders[1], Action.PAY, None)
    staff = make_member(shop, "merchant_staff").user
    api = api_as(client, staff)

    listed = api.get(f"/orders/shops/{shop.id}/orders", status="paid").json()
    assert listed["count"] == 2
    assert {o["number"] for o in listed["items"]} == {orders[0].number, orders[1].number}
    assert listed["items"][0]["address"]["detail"] == "****"
    assert api.get(f"/orders/shops/{shop.id}/orders", q=orders[2].number[:18]).json()["count"] >= 1
    today = timezone.localdate()
    assert (
        api.get(f"/orders/shops/{shop.id}/orders", since=str(today + timedelta(days=1))).json()["count"] == 0
    )

    result = api.post(
        f"/orders/shops/{shop.id}/orders/bulk-ship",
        {"items": [
            {"number": orders[0].number, "carrier_name": "顺丰速运", "waybill_no": "SF1"},
            {"number": orders[2].number, "carrier_name": "顺丰速运", "waybill_no": "SF2"},
        ]},
    ).json()  # fmt: skip
    assert (result["succeeded"], result["failed"]) == (1, 1)
    assert result["results"][1]["code"] == "illegal_transition"

    shipped = api.post(
        f"/orders/shops/{shop.id}/orders/{orders[1].number}/transitions",
        {"action": "ship", "carrier_name": "中通快递", "waybill_no": "ZT9"},
    )
    assert shipped.status_code == 200 and shipped.json()["waybill_no"] == "ZT9"
    delivered = api.post(
        f"/orders/shops/{shop.id}/orders/{orders[1].number}/transitions", {"action": "deliver"}
    )
    assert delivered.json()["status"] == "delivered"
    flagged = api.post(
        f"/orders/shops/{shop.id}/orders/bulk-exception",
        {"numbers": [orders[0].number, orders[1].number], "kind": "quality", "note": "买家反馈破损"},
    ).json()
    assert flagged["succeeded"] == 2
    assert api.get(f"/orders/shops/{shop.id}/orders", exception=True).json()["count"] == 2


def test_merchants_cannot_pay_or_confirm_for_the_shopper(client, cart_ready):
    shop, _ = cart_ready
    buyer = factories.shopper_with_address()
    _, sku = factories.sellable_sku(shop, stock=5)
    factories.fill_cart(buyer, (sku, 1))
    order = factories.place_order(buyer).group.orders.get()
    api = api_as(client, shop.owner)
    bad = api.post(f"/orders/shops/{shop.id}/orders/{order.number}/transitions", {"action": "pay"})
    assert bad.status_code == 422  # not an action the shop API offers
    ship_unpaid = api.post(
        f"/orders/shops/{shop.id}/orders/{order.number}/transitions",
        {"action": "ship", "carrier_name": "a", "waybill_no": "b"},
    )
    assert ship_unpaid.status_code == 409 and ship_unpaid.json()["code"] == "illegal_transition"


def test_revealing_the_full_address_is_audited(client, cart_ready, shopper):
    shop, _ = cart_ready
    order = factories.place_order(shopper).group.orders.get()
    response = api_as(client, shop.owner).post(
        f"/orders/shops/{shop.id}/orders/{order.number}/reveal-address"
    )
    assert response.json()["receiver_phone"] == "13812345678"
    entry = AuditLog.objects.get(action="orders.address.reveal")
    assert entry.actor == shop.owner and entry.object_id == str(order.pk) and entry.shop_id == shop.id


def test_analytics_count_gmv_conversion_and_refunds(client, after_commit):
    shop, sku = factories.sellable_sku(price="100.00", stock=20)
    placed = []
    for _ in range(4):
        buyer = factories.shopper_with_address()
        factories.fill_cart(buyer, (sku, 1))
        placed.append(factories.place_order(buyer).group)
    with after_commit():
        for group in placed[:3]:
            factories.pay(group)
    paid_order = placed[0].orders.get()
    from shopops.orders import services

    with after_commit():
        services.request_refund(
            order=paid_order, amount=Decimal("30.00"), actor=None, reason="部分退款", purpose="t"
        )

    analyst = make_member(shop, "analyst").user
    body = api_as(client, analyst).get(f"/orders/shops/{shop.id}/analytics").json()
    total = body["total"]
    assert (total["placed"], total["paid"]) == (4, 3)
    assert total["gmv"] == "300.00" and total["average_order_value"] == "100.00"
    assert total["conversion"] == 0.75
    assert total["refunded"] == "30.00" and total["refund_rate"] == 0.1
    today = next(d for d in body["by_day"] if d["key"] == str(timezone.localdate()))
    assert today["placed"] == 4
    assert body["by_shop"][0]["label"] == shop.name

    other_shop, _ = factories.sellable_sku()
    platform = api_as(client, make_member(None, "platform_admin").user)
    everything = platform.get("/orders/analytics").json()["total"]
    assert everything["placed"] >= 4
    only_other = platform.get("/orders/analytics", shop_id=other_shop.id).json()["total"]
    assert only_other["placed"] == 0
