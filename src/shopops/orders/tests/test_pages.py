"""Storefront and console pages of cart and orders, rendered through the real URLs."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shopops.core.models import AuditLog
from shopops.orders.models import Order, OrderGroup, OrderStatus
from shopops.orders.state import Action, transition
from shopops.orders.tests import factories
from shopops.shops.tests.factories import make_member

pytestmark = pytest.mark.django_db
BACKEND = "shopops.accounts.backends.IdentifierBackend"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


@pytest.fixture
def ready(shopper):
    shop, sku = factories.sellable_sku(price="59.90", stock=10)
    factories.fill_cart(shopper, (sku, 2))
    return shop, sku, signed_in(shopper)


# --- storefront -------------------------------------------------------------------------------------------


def test_the_cart_page_lists_lines_with_live_prices(ready):
    _, sku, browser = ready
    page = browser.get("/cart/")
    html = page.content.decode()
    assert page.status_code == 200
    assert sku.product.title in html and "¥119.80" in html and 'id="go-checkout"' in html


def test_cart_buttons_work_without_javascript_and_with_htmx(ready):
    _, sku, browser = ready
    assert browser.post(f"/cart/items/{sku.id}/quantity/", {"quantity": 3}).status_code == 302
    fragment = browser.post(f"/cart/items/{sku.id}/quantity/", {"quantity": 99}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "库存不足" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()  # only the fragment
    browser.post(f"/cart/items/{sku.id}/remove/")
    assert "购物车还是空的" in browser.get("/cart/").content.decode()


def test_the_header_shows_the_cart_count(ready):
    _, _, browser = ready
    html = browser.get("/").content.decode()
    assert 'id="cart-count">2<' in html


def test_checkout_shows_the_breakdown_and_submitting_goes_to_the_payment(ready, shopper):
    _, sku, browser = ready
    page = browser.get("/checkout/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="checkout-total">¥119.80<' in html and "张三" in html
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    form = {
        "idempotency_key": key,
        "address": shopper.addresses.get().id,
        "sku_id": sku.id,
        f"ship_{sku.shop_id}": "standard",
        f"note_{sku.shop_id}": "请尽快发货",
        "channel": "sandbox",
    }
    response = browser.post("/checkout/", form)
    assert response.status_code == 302 and response["Location"].startswith("/pay/checkout/P")
    again = browser.post("/checkout/", form)  # a double click
    assert again.status_code == 302
    assert OrderGroup.objects.count() == 1
    order = Order.objects.get()
    assert order.buyer_note == "请尽快发货"


def test_checkout_refuses_an_address_of_someone_else(ready):
    _, sku, browser = ready
    stranger = factories.shopper_with_address()
    response = browser.post(
        "/checkout/", {"idempotency_key": "abc", "address": stranger.addresses.get().id, "sku_id": sku.id}
    )
    assert response.status_code == 409 and not OrderGroup.objects.exists()


def test_buy_now_goes_to_checkout_with_only_that_item(ready):
    _, _, browser = ready
    _, other = factories.sellable_sku(price="5.00", stock=5)
    response = browser.post("/cart/add/", {"sku_id": other.id, "quantity": 2, "buy_now": "1"})
    assert response["Location"] == f"/checkout/?buy={other.id}&qty=2"
    html = browser.get(response["Location"]).content.decode()
    assert 'id="checkout-total">¥20.00<' in html  # 2 x 5.00 + 10.00 shipping
    assert f'name="buy" value="{other.id}"' in html


def test_guests_are_sent_to_log_in_for_checkout():
    response = Client().get("/checkout/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_orders_the_detail_and_confirming_receipt(ready, shopper):
    shop, _, browser = ready
    order = factories.place_order(shopper).group.orders.get()
    transition(order, Action.PAY, None)
    transition(order, Action.SHIP, shop.owner, data={"carrier_name": "顺丰速运", "waybill_no": "SF778899"})

    listing = browser.get("/orders/?status=shipped").content.decode()
    assert order.number in listing and "确认收货" in listing
    detail = browser.get(f"/orders/{order.number}/").content.decode()
    assert "SF778899" in detail and "商家发货" in detail and 'data-status="shipped"' in detail
    assert "138****5678" in detail

    response = browser.post(f"/orders/{order.number}/confirm/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_cancelling_from_the_order_page(ready, shopper):
    _, _, browser = ready
    order = factories.place_order(shopper).group.orders.get()
    browser.post(f"/orders/{order.number}/cancel/", {"reason": "信息填错"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.events.latest("id").reason == "信息填错"


def test_another_shoppers_order_pages_are_not_found(ready, shopper):
    group = factories.place_order(shopper).group
    order = group.orders.get()
    stranger = signed_in(factories.shopper_with_address())
    assert stranger.get(f"/orders/{order.number}/").status_code == 404
    assert stranger.post(f"/orders/{order.number}/cancel/").status_code == 404
    assert stranger.get(f"/orders/pay/{group.number}/").status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_the_pay_page_opens_a_sandbox_payment(ready, shopper):
    _, _, browser = ready
    group = factories.place_order(shopper).group
    page = browser.get(f"/orders/pay/{group.number}/")
    assert page.status_code == 200 and 'id="pay-now"' in page.content.decode()
    response = browser.post(f"/orders/pay/{group.number}/", {"channel": "sandbox"})
    assert response.status_code == 302 and response["Location"].startswith("/pay/checkout/")
    assert browser.get(f"/orders/pay/{group.number}/result/").status_code == 200


# --- console ----------------------------------------------------------------------------------------------


@pytest.fixture
def paid_order(shopper):
    shop, sku = factories.sellable_sku(price="88.00", stock=10)
    factories.fill_cart(shopper, (sku, 1))
    order = factories.place_order(shopper).group.orders.get()
    transition(order, Action.PAY, None)
    return shop, order


def test_the_console_lists_only_the_staffs_shops(paid_order):
    shop, order = paid_order
    elsewhere_shop, sku = factories.sellable_sku()
    buyer = factories.shopper_with_address()
    factories.fill_cart(buyer, (sku, 1))
    elsewhere = factories.place_order(buyer).group.orders.get()
    staff = signed_in(make_member(shop, "customer_service").user)

    html = staff.get("/console/orders/").content.decode()
    assert order.number in html and elsewhere.number not in html
    assert "张*" in html and "13812345678" not in html
    assert staff.get(f"/console/orders/?shop={elsewhere_shop.id}").status_code == 404
    assert staff.get(f"/console/orders/{elsewhere.number}/").status_code == 404
    assert staff.get(f"/console/orders/{order.number}/").status_code == 200


def test_console_pages_need_a_shop_role(paid_order):
    _, order = paid_order
    assert Client().get("/console/orders/").status_code == 302
    shopper = signed_in(factories.shopper_with_address())
    assert shopper.get("/console/orders/").status_code == 403
    assert shopper.get(f"/console/orders/{order.number}/").status_code == 404
    viewer = signed_in(make_member(order.shop, "analyst").user)
    refused = viewer.post(
        f"/console/orders/{order.number}/action/", {"action": "ship", "carrier_name": "a", "waybill_no": "b"}
    )
    assert refused.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_shipping_and_flagging_from_the_console(paid_order):
    shop, order = paid_order
    staff = signed_in(make_member(shop, "merchant_staff").user)
    staff.post(
        f"/console/orders/{order.number}/action/",
        {"action": "ship", "carrier_name": "韵达快递", "waybill_no": "YD123"},
    )
    staff.post(
        f"/console/orders/{order.number}/action/",
        {"action": "mark_exception", "kind": "logistics", "reason": "滞留"},
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.has_exception and order.waybill_no == "YD123"
    html = staff.get(f"/console/orders/{order.number}/").content.decode()
    assert "韵达快递" in html and "物流异常" in html


def test_bulk_shipping_from_the_console_list(paid_order):
    shop, order = paid_order
    staff = signed_in(make_member(shop, "merchant_staff").user)
    response = staff.post(
        "/console/orders/bulk/",
        {
            "action": "ship",
            "number": [order.number],
            f"carrier_{order.number}": "圆通速递",
            f"waybill_{order.number}": "YT1",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.carrier_name == "圆通速递"


def test_revealing_the_address_in_the_console_is_audited_and_shown_once(paid_order):
    shop, order = paid_order
    owner = signed_in(shop.owner)
    owner.post(f"/console/orders/{order.number}/reveal-address/")
    assert "13812345678" in owner.get(f"/console/orders/{order.number}/").content.decode()
    assert "13812345678" not in owner.get(f"/console/orders/{order.number}/").content.decode()
    assert AuditLog.objects.filter(action="orders.address.reveal", object_id=str(order.pk)).count() == 1


def test_the_analytics_page_draws_from_the_metrics(paid_order):
    shop, _ = paid_order
    analyst = signed_in(make_member(shop, "analyst").user)
    page = analyst.get("/console/orders/analytics/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "echarts.min.js" in html and 'id="orders-chart-data"' in html
    assert "¥98.00" in html  # GMV card: 88.00 + 10.00 shipping
    assert page.context["metrics"].total.paid == 1


def test_the_shipping_rule_console_page(paid_order):
    shop, _ = paid_order
    owner = signed_in(shop.owner)
    assert owner.get("/console/cart/").status_code == 200
    owner.post(
        "/console/cart/", {"shop": shop.id, "standard_fee": "7.00", "free_over": "59.00", "express_fee": ""}
    )
    from shopops.cart.shipping import rules_for

    rule = rules_for([shop.id])[shop.id]
    assert (str(rule.standard_fee), str(rule.free_over), rule.express_fee) == ("7.00", "59.00", None)
    analyst = signed_in(make_member(shop, "analyst").user)
    assert analyst.post("/console/cart/", {"shop": shop.id, "standard_fee": "1.00"}).status_code == 403


def test_the_admin_lists_orders_and_flags_them_through_the_state_machine(paid_order):
    shop, order = paid_order
    owner = signed_in(shop.owner)
    assert owner.get("/admin/orders/order/").status_code == 200
    assert owner.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200
    owner.post("/admin/orders/order/", {"action": "flag_quality", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.has_exception and order.exception_kind == "quality"
    assert order.events.filter(action="mark_exception", actor=shop.owner).exists()


def test_pages_speak_english_when_asked(ready):
    _, _, browser = ready
    cart = browser.get("/cart/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Check out" in cart and "Total (before shipping)" in cart
    checkout = browser.get("/checkout/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Place order" in checkout and "Total to pay" in checkout
