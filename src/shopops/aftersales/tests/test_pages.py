"""The after-sales pages a shopper and customer service use (storefront and console)."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from shopops.aftersales import services
from shopops.aftersales.models import AfterSalesRequest
from shopops.aftersales.tests.factories import after_commit, bare_order, service_agent
from shopops.shops.permissions import WAREHOUSE
from shopops.shops.tests.factories import ShopFactory, make_member, make_user

pytestmark = pytest.mark.django_db
SESSION = "shopops.accounts.backends.IdentifierBackend"


def _login(client, user):
    client.force_login(user, backend=SESSION)
    return client


def test_the_shopper_requests_a_return_from_the_order_and_follows_it(client, roles):
    order = bare_order(ShopFactory())
    line = order.lines.get()
    _login(client, order.user)
    form = client.get(f"/aftersales/new/{order.number}/")
    assert form.status_code == 200
    assert line.title in form.content.decode()
    response = client.post(
        f"/aftersales/new/{order.number}/",
        {"line": line.id, "kind": "return_refund", "reason": "quality", "quantity": 1, "description": "坏了"},
    )
    request = AfterSalesRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/aftersales/{request.number}/"
    page = client.get(response["Location"]).content.decode()
    assert "待审核" in page and 'data-action="submit"' in page
    services.approve(request=request, actor=service_agent(order.shop))
    page = client.get(f"/aftersales/{request.number}/").content.decode()
    assert 'id="ship-back-form"' in page
    client.post(
        f"/aftersales/{request.number}/ship-back/", {"carrier_name": "顺丰", "waybill_no": "SF778899"}
    )
    request.refresh_from_db()
    assert request.status == "returning" and request.return_waybill == "SF778899"
    assert request.number in client.get("/aftersales/").content.decode()


def test_the_form_explains_an_error_and_keeps_the_input(client, roles):
    order = bare_order(ShopFactory(), lines=[("10.00", 1)])
    _login(client, order.user)
    response = client.post(
        f"/aftersales/new/{order.number}/",
        {
            "line": order.lines.get().id,
            "kind": "refund_only",
            "reason": "missing",
            "quantity": 1,
            "amount": "99",
        },
    )
    assert response.status_code == 422
    assert "实付金额" in response.content.decode()
    assert not AfterSalesRequest.objects.exists()


def test_pages_of_another_shoppers_order_or_request_are_not_found(client, roles):
    order = bare_order(ShopFactory())
    request = services.create_request(
        user=order.user, order_no=order.number, line_id=order.lines.get().id, kind="refund_only",
        quantity=1, reason="missing",
    )  # fmt: skip
    _login(client, make_user())
    assert client.get(f"/aftersales/new/{order.number}/").status_code == 404
    assert client.get(f"/aftersales/{request.number}/").status_code == 404
    assert client.post(f"/aftersales/{request.number}/cancel/").status_code == 404
    request.refresh_from_db()
    assert request.status == "requested"


def test_order_pages_offer_after_sales_and_review_links():
    order = type("O", (), {"status": "completed", "number": "20261125000000000000001"})()
    html = render_to_string("aftersales/partials/order_actions.html", {"order": order})
    assert "/aftersales/new/20261125000000000000001/" in html and "/reviews/new/" in html


def test_customer_service_works_the_queue_in_the_console(client, roles):
    shop = ShopFactory()
    order = bare_order(shop)
    request = services.create_request(
        user=order.user, order_no=order.number, line_id=order.lines.get().id, kind="return_refund",
        quantity=1, reason="quality",
    )  # fmt: skip
    agent = service_agent(shop)
    _login(client, agent)
    queue = client.get("/console/aftersales/")
    assert queue.status_code == 200 and request.number in queue.content.decode()
    detail = client.get(f"/console/aftersales/{request.number}/")
    assert 'id="approve-form"' in detail.content.decode()
    client.post(f"/console/aftersales/{request.number}/act/", {"action": "approve", "note": "请寄回"})
    request.refresh_from_db()
    assert request.status == "approved"
    again = client.post(f"/console/aftersales/{request.number}/act/", {"action": "approve"}, follow=True)
    assert "当前状态不允许此操作" in again.content.decode()
    services.ship_back(request=request, actor=order.user, carrier_name="顺丰", waybill_no="SF778899")
    client.post(
        f"/console/aftersales/{request.number}/act/", {"action": "inspect_pass"}
    )  # restock box unticked
    request.refresh_from_db()
    assert request.status == "received" and request.restocked_quantity == 0


def test_the_console_refund_pays_through_the_sandbox(client, delivered, agent):
    request = services.create_request(
        user=delivered.user, order_no=delivered.number, line_id=delivered.lines.get().id, kind="refund_only",
        quantity=1, reason="missing",
    )  # fmt: skip
    services.approve(request=request, actor=agent)
    _login(client, agent)
    with after_commit():
        client.post(f"/console/aftersales/{request.number}/act/", {"action": "refund"})
    request.refresh_from_db()
    assert request.status == "closed" and request.refunded_amount == request.amount


def test_the_console_hides_other_shops_and_refuses_staff_without_the_permission(client, roles):
    shop = ShopFactory()
    order = bare_order(shop)
    request = services.create_request(
        user=order.user, order_no=order.number, line_id=order.lines.get().id, kind="refund_only",
        quantity=1, reason="missing",
    )  # fmt: skip
    _login(client, service_agent(ShopFactory()))
    assert request.number not in client.get("/console/aftersales/").content.decode()
    assert client.get(f"/console/aftersales/{request.number}/").status_code == 404
    assert client.post(f"/console/aftersales/{request.number}/act/", {"action": "approve"}).status_code == 404
    _login(client, make_member(shop, WAREHOUSE).user)
    assert client.get("/console/aftersales/").status_code == 403
    client.logout()
    assert client.get("/console/aftersales/").status_code == 302
    request.refresh_from_db()
    assert request.status == "requested"


def test_pages_speak_english_when_the_shopper_switches(client, roles):
    order = bare_order(ShopFactory())
    _login(client, order.user)
    client.cookies["django_language"] = "en"
    page = client.get(f"/aftersales/new/{order.number}/").content.decode()
    assert "Submit request" in page and "Return and refund" in page
