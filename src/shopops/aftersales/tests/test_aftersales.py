"""After-sales rules as a shopper and customer service see them, through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopops.aftersales import services
from shopops.aftersales.models import AfterSalesRequest, AfterSalesStatus
from shopops.aftersales.tests.factories import after_commit, delivered_order, paid_order, service_agent
from shopops.inventory.models import LedgerReason, StockLedgerEntry
from shopops.orders.models import OrderRefund
from shopops.payments.models import Refund
from shopops.shops.permissions import MERCHANT_STAFF
from shopops.shops.tests.factories import api_as, make_member, make_user

pytestmark = pytest.mark.django_db


def _ask(client, order, *, kind="return_refund", quantity=1, line=None, **extra):
    line = line or order.lines.order_by("id").first()
    body = {
        "order_no": order.number,
        "line_id": line.id,
        "kind": kind,
        "quantity": quantity,
        "reason": "quality",
    }
    body.update(extra)
    return api_as(client, order.user).post("/aftersales/requests", body)


def _staff(client, user, request_no, shop_id, action, body=None):
    return api_as(client, user).post(
        f"/aftersales/shops/{shop_id}/requests/{request_no}/{action}", body or {}
    )


def _request(order, **kwargs) -> AfterSalesRequest:
    line = kwargs.pop("line", None) or order.lines.order_by("id").first()
    values = {"kind": "return_refund", "quantity": 1, "reason": "quality"}
    values.update(kwargs)
    return services.create_request(user=order.user, order_no=order.number, line_id=line.id, **values)


# --- the whole return -----------------------------------------------------------------------------------


def test_return_and_refund_runs_from_request_to_money_back(client, delivered, agent):
    order = delivered
    line = order.lines.get()
    response = _ask(client, order, quantity=1, description="<b>线头</b>开了")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "requested"
    assert body["amount"] == "59.90"  # one of two units at 59.90
    assert body["description"] == "线头开了"  # markup stripped
    number = body["number"]

    assert (
        _staff(client, agent, number, order.shop_id, "approve", {"note": "请寄回"}).json()["status"]
        == "approved"
    )
    shipped = api_as(client, order.user).post(
        f"/aftersales/requests/{number}/ship-back", {"carrier_name": "顺丰", "waybill_no": "sf20261125"}
    )
    assert shipped.json()["status"] == "returning"
    assert shipped.json()["return_waybill"] == "SF20261125"
    received = _staff(client, agent, number, order.shop_id, "receive", {"passed": True, "note": "完好"})
    assert received.json()["status"] == "received"
    with after_commit():
        refunded = _staff(client, agent, number, order.shop_id, "refund")
    assert refunded.status_code == 200, refunded.content

    detail = api_as(client, order.user).get(f"/aftersales/requests/{number}").json()
    assert detail["status"] == "closed"
    assert detail["refunded_amount"] == "59.90"
    assert [e["action"] for e in detail["timeline"]] == [
        "submit", "approve", "ship_back", "inspect_pass", "refund", "refund_succeeded", "close",
    ]  # fmt: skip
    line.refresh_from_db()
    assert line.refunded_amount == Decimal("59.90")
    refund = Refund.objects.get(refund_no=detail["refund_no"])
    assert refund.status == "succeeded"
    assert refund.idempotency_key == f"order:{order.number}:aftersales-{number}-1"


def test_restock_on_return_writes_the_inventory_ledger(client, delivered, agent):
    request = _request(delivered, quantity=2)
    services.approve(request=request, actor=agent)
    services.ship_back(request=request, actor=delivered.user, carrier_name="中通", waybill_no="ZT778899")
    services.receive(request=request, actor=agent, passed=True)
    entry = StockLedgerEntry.objects.get(reason=LedgerReason.RETURN, reference=delivered.number)
    assert entry.on_hand_delta == 2
    assert entry.sku_id == delivered.lines.get().sku_id
    assert request.number in entry.note
    request.refresh_from_db()
    assert request.restocked_quantity == 2


def test_failed_inspection_restocks_nothing_and_refunds_nothing(client, delivered, agent):
    request = _request(delivered)
    services.approve(request=request, actor=agent)
    services.ship_back(request=request, actor=delivered.user, carrier_name="中通", waybill_no="ZT778899")
    response = _staff(client, agent, request.number, delivered.shop_id, "receive", {"passed": False})
    assert response.status_code == 422
    assert response.json()["code"] == "reason_required"
    response = _staff(
        client, agent, request.number, delivered.shop_id, "receive", {"passed": False, "note": "人为损坏"}
    )
    assert response.json()["status"] == "inspection_failed"
    assert not StockLedgerEntry.objects.filter(reason=LedgerReason.RETURN).exists()
    refund = _staff(client, agent, request.number, delivered.shop_id, "refund")
    assert refund.status_code == 409
    assert refund.json()["code"] == "illegal_transition"
    assert _staff(client, agent, request.number, delivered.shop_id, "close").json()["status"] == "closed"


def test_refund_only_is_paid_without_goods_coming_back(client, delivered, agent):
    request = _request(delivered, kind="refund_only", reason="missing")
    services.approve(request=request, actor=agent)
    with after_commit():
        services.refund(request=request, actor=agent)
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.CLOSED
    assert request.refunded_amount == Decimal("59.90")
    assert not StockLedgerEntry.objects.filter(reason=LedgerReason.RETURN).exists()


def test_exchange_ships_a_replacement_from_stock_and_the_shopper_confirms(client, delivered, agent):
    request = _request(delivered, kind="exchange", reason="size", amount="30.00")
    assert request.amount == Decimal("0.00")  # an exchange moves goods, not money
    services.approve(request=request, actor=agent)
    services.ship_back(request=request, actor=delivered.user, carrier_name="中通", waybill_no="ZT778899")
    services.receive(request=request, actor=agent, passed=True)
    response = _staff(
        client,
        agent,
        request.number,
        delivered.shop_id,
        "ship-replacement",
        {"carrier_name": "顺丰", "waybill_no": "S9"},
    )
    assert response.status_code == 422  # waybill too short
    response = _staff(
        client, agent, request.number, delivered.shop_id, "ship-replacement",
        {"carrier_name": "顺丰", "waybill_no": "SF990011"},
    )  # fmt: skip
    assert response.json()["status"] == "replacement_shipped"
    # the replacement leaves stock like a sale: reserved and committed under the request's number
    out = StockLedgerEntry.objects.filter(reference=request.number, reason=LedgerReason.SALE).get()
    assert out.on_hand_delta == -1 and out.sku_id == delivered.lines.get().sku_id
    confirmed = api_as(client, delivered.user).post(f"/aftersales/requests/{request.number}/confirm")
    assert confirmed.json()["status"] == "closed"


# --- the window and the money cap ------------------------------------------------------------------------


def test_a_request_past_the_window_is_refused_with_a_clear_code(client, roles):
    order = delivered_order(delivered_days_ago=8)  # the shop's window is 7 days
    response = _ask(client, order)
    assert response.status_code == 409
    assert response.json()["code"] == "aftersales_window_closed"
    assert not AfterSalesRequest.objects.exists()


def test_the_window_follows_the_shops_setting(client, roles):
    order = delivered_order(delivered_days_ago=8)
    order.shop.aftersales_window_days = 15
    order.shop.save(update_fields=["aftersales_window_days"])
    assert _ask(client, order).status_code == 201


def test_an_order_not_yet_delivered_cannot_have_after_sales(client, roles):
    order = paid_order()
    response = _ask(client, order)
    assert response.status_code == 409
    assert response.json()["code"] == "order_not_eligible"


def test_a_refund_larger_than_the_lines_paid_share_is_refused(client, roles):
    order = delivered_order(lines=[("10.00", 3)])
    response = _ask(client, order, quantity=1, amount="10.01")
    assert response.status_code == 422
    assert response.json()["code"] == "refund_exceeds_paid_share"
    assert response.json()["details"]["refundable"] == "10.00"
    assert _ask(client, order, quantity=3, amount="30.01").json()["code"] == "refund_exceeds_paid_share"
    assert _ask(client, order, quantity=4).json()["code"] == "aftersales_quantity_exceeded"
    assert not AfterSalesRequest.objects.exists()
    assert _ask(client, order, quantity=1, amount="9.50").json()["amount"] == "9.50"


def test_money_already_refunded_on_a_line_is_not_refundable_again(client, roles):
    order = delivered_order(lines=[("10.00", 3)])
    agent = service_agent(order.shop)
    first = _request(order, kind="refund_only", quantity=2, reason="missing")
    assert first.amount == Decimal("20.00")
    services.approve(request=first, actor=agent)
    with after_commit():
        services.refund(request=first, actor=agent)
    response = _ask(client, order, kind="refund_only", quantity=1, amount="10.01")
    assert response.json()["code"] == "refund_exceeds_paid_share"
    assert response.json()["details"]["refundable"] == "10.00"
    assert (
        _ask(client, order, kind="refund_only", quantity=2).json()["code"] == "aftersales_quantity_exceeded"
    )


def test_the_paid_share_counts_the_lines_allocated_discount(client, roles):
    order = delivered_order(lines=[("10.00", 3)])
    line = order.lines.get()
    # A discount allocated to the line at checkout leaves paid_amount below the subtotal.
    from shopops.orders.models import OrderLine

    OrderLine.objects.filter(pk=line.pk).update(discount=Decimal("3.00"), paid_amount=Decimal("27.00"))
    response = _ask(client, order, quantity=1, amount="9.01")
    assert response.json()["code"] == "refund_exceeds_paid_share"
    assert response.json()["details"]["refundable"] == "9.00"
    assert _ask(client, order, quantity=3).json()["amount"] == "27.00"


def test_only_one_request_per_line_at_a_time(client, delivered):
    assert _ask(client, delivered).status_code == 201
    response = _ask(client, delivered)
    assert response.status_code == 409
    assert response.json()["code"] == "aftersales_in_progress"


def test_a_rejected_request_releases_the_line_for_a_new_one(client, delivered, agent):
    number = _ask(client, delivered, quantity=2).json()["number"]
    missing = _staff(client, agent, number, delivered.shop_id, "reject", {"reason": " "})
    assert missing.status_code == 422
    rejected = _staff(client, agent, number, delivered.shop_id, "reject", {"reason": "已超过无理由退货范围"})
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reject_reason"] == "已超过无理由退货范围"
    assert _ask(client, delivered, quantity=2).status_code == 201


# --- the state machine ----------------------------------------------------------------------------------


def test_approving_twice_is_an_illegal_transition(client, delivered, agent):
    number = _ask(client, delivered).json()["number"]
    assert _staff(client, agent, number, delivered.shop_id, "approve").status_code == 200
    again = _staff(client, agent, number, delivered.shop_id, "approve")
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"
    assert again.json()["details"]["status"] == "approved"


def test_the_shopper_may_cancel_only_while_requested(client, delivered, agent):
    shopper = api_as(client, delivered.user)
    first = _ask(client, delivered).json()["number"]
    assert shopper.post(f"/aftersales/requests/{first}/cancel").json()["status"] == "cancelled"
    second = _ask(client, delivered).json()["number"]
    _staff(client, agent, second, delivered.shop_id, "approve")
    response = api_as(client, delivered.user).post(f"/aftersales/requests/{second}/cancel")
    assert response.status_code == 409


def test_refund_only_requests_cannot_be_shipped_back(client, delivered, agent):
    number = _ask(client, delivered, kind="refund_only").json()["number"]
    _staff(client, agent, number, delivered.shop_id, "approve")
    response = api_as(client, delivered.user).post(
        f"/aftersales/requests/{number}/ship-back", {"carrier_name": "顺丰", "waybill_no": "SF12345678"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_a_refused_refund_can_be_retried_under_a_new_key(client, delivered, agent):
    request = _request(delivered, kind="refund_only", reason="missing")
    services.approve(request=request, actor=agent)
    services.refund(request=request, actor=agent)  # provider not asked: no commit in this test
    request.refresh_from_db()
    services.apply_refund_result(refund_no=request.refund_no, succeeded=False)
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.REFUND_FAILED
    # Payments marks its refund failed before it signals; orders frees the amount the same way.
    Refund.objects.filter(refund_no=request.refund_no).update(status="failed")
    OrderRefund.objects.filter(refund_no=request.refund_no).update(status="failed")
    first_no = request.refund_no
    services.refund(request=request, actor=agent)
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.REFUNDING
    assert request.refund_attempts == 2 and request.refund_no != first_no
    assert Refund.objects.get(refund_no=request.refund_no).idempotency_key.endswith(f"{request.number}-2")


def test_a_duplicate_refund_signal_changes_nothing(delivered, agent):
    request = _request(delivered, kind="refund_only", reason="missing")
    services.approve(request=request, actor=agent)
    with after_commit():
        services.refund(request=request, actor=agent)
    request.refresh_from_db()
    events = request.events.count()
    services.apply_refund_result(refund_no=request.refund_no, succeeded=True)
    assert request.events.count() == events


# --- who may do what ------------------------------------------------------------------------------------


def test_another_shoppers_request_is_not_found(client, delivered):
    number = _ask(client, delivered).json()["number"]
    stranger = api_as(client, make_user())
    assert stranger.get(f"/aftersales/requests/{number}").status_code == 404
    assert stranger.post(f"/aftersales/requests/{number}/cancel").status_code == 404
    assert stranger.get(f"/aftersales/orders/{delivered.number}/eligibility").status_code == 404
    body = {"order_no": delivered.number, "line_id": delivered.lines.get().id, "kind": "refund_only",
            "quantity": 1, "reason": "missing"}  # fmt: skip
    assert stranger.post("/aftersales/requests", body).status_code == 404
    assert AfterSalesRequest.objects.count() == 1


def test_staff_of_another_shop_do_not_see_the_request(client, delivered):
    number = _ask(client, delivered).json()["number"]
    other = delivered_order()
    outsider = service_agent(other.shop)
    assert (
        api_as(client, outsider).get(f"/aftersales/shops/{other.shop_id}/requests/{number}").status_code
        == 404
    )
    assert _staff(client, outsider, number, other.shop_id, "approve").status_code == 404
    assert _staff(client, outsider, number, delivered.shop_id, "approve").status_code == 404


def test_staff_without_the_aftersales_permission_are_refused(client, delivered):
    number = _ask(client, delivered).json()["number"]
    staff = make_member(delivered.shop, MERCHANT_STAFF).user
    response = _staff(client, staff, number, delivered.shop_id, "approve")
    assert response.status_code == 403
    assert AfterSalesRequest.objects.get(number=number).status == "requested"


def test_bad_input_is_refused_without_a_trace(client, delivered):
    line = delivered.lines.get()
    shopper = api_as(client, delivered.user)
    base = {"order_no": delivered.number, "line_id": line.id, "kind": "refund_only", "quantity": 1}
    bad = [
        {**base, "kind": "gift", "reason": "quality"},
        {**base, "quantity": 0, "reason": "quality"},
        {**base, "reason": "x"},
        {**base, "reason": "quality", "amount": "-1"},
        {**base, "reason": "quality", "amount": "1.001"},
        {**base, "line_id": 10**9, "reason": "quality"},
    ]
    statuses = [shopper.post("/aftersales/requests", body).status_code for body in bad]
    assert statuses == [422, 422, 422, 422, 422, 404]
    assert not AfterSalesRequest.objects.exists()


def test_eligibility_shows_the_window_and_what_is_left(client, delivered):
    _ask(client, delivered, quantity=1)
    body = api_as(client, delivered.user).get(f"/aftersales/orders/{delivered.number}/eligibility").json()
    assert body["open"] is True
    assert body["lines"][0]["units_left"] == 1
    assert body["lines"][0]["in_progress"] is True
    assert body["lines"][0]["max_amount"] == "59.90"


def test_the_staff_queue_lists_only_the_shops_requests(client, delivered, agent):
    _ask(client, delivered)
    other = delivered_order()
    _request(other)
    items = api_as(client, agent).get(f"/aftersales/shops/{delivered.shop_id}/requests").json()["items"]
    assert [i["order_no"] for i in items] == [delivered.number]


def test_exchanges_nobody_confirms_close_themselves(delivered, agent):
    from datetime import timedelta

    from django.utils import timezone

    from shopops.aftersales import tasks

    request = _request(delivered, kind="exchange", reason="size")
    services.approve(request=request, actor=agent)
    services.ship_back(request=request, actor=delivered.user, carrier_name="中通", waybill_no="ZT778899")
    services.receive(request=request, actor=agent, passed=True)
    services.ship_replacement(request=request, actor=agent, carrier_name="顺丰", waybill_no="SF990011")
    assert tasks.close_finished() == 0  # just shipped
    AfterSalesRequest.objects.filter(pk=request.pk).update(updated_at=timezone.now() - timedelta(days=11))
    assert tasks.close_finished() == 1
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.CLOSED
    assert request.events.last().actor_role == "system"
