"""The transition table is the only way an order changes state; everything else is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shopops.core.errors import IllegalTransition, InvalidInput
from shopops.orders import services
from shopops.orders.errors import NotYourAction, ShippingInfoRequired
from shopops.orders.models import ExceptionKind, Order, OrderStatus
from shopops.orders.state import TRANSITIONS, Action, allowed_actions, transition
from shopops.orders.tests import factories
from shopops.shops.tests.factories import make_member

S = OrderStatus


def order_in(status: str, shop=None) -> Order:
    """An order walked to `status` through the real transitions (system and merchant actors)."""
    _, sku = factories.sellable_sku(shop, stock=5)
    shopper = factories.shopper_with_address()
    factories.fill_cart(shopper, (sku, 1))
    order = factories.place_order(shopper).group.orders.get()
    merchant = order.shop.owner
    path = {
        S.PENDING_PAYMENT: [],
        S.PAID: [(Action.PAY, None)],
        S.SHIPPED: [(Action.PAY, None), (Action.SHIP, merchant)],
        S.DELIVERED: [(Action.PAY, None), (Action.SHIP, merchant), (Action.DELIVER, merchant)],
        S.COMPLETED: [
            (Action.PAY, None),
            (Action.SHIP, merchant),
            (Action.DELIVER, merchant),
            (Action.CONFIRM, shopper),
        ],
        S.CANCELLED: [(Action.CANCEL, shopper)],
        S.CLOSED: [(Action.CLOSE, None)],
    }[status]
    for action, actor in path:
        transition(order, action, actor, data={"carrier_name": "顺丰速运", "waybill_no": "SF100200300"})
    order.refresh_from_db()
    assert order.status == status
    return order


def test_the_table_covers_the_documented_flow():
    assert TRANSITIONS[(S.PENDING_PAYMENT, Action.PAY)].to == S.PAID
    assert TRANSITIONS[(S.PAID, Action.SHIP)].to == S.SHIPPED
    assert TRANSITIONS[(S.SHIPPED, Action.DELIVER)].to == S.DELIVERED
    assert TRANSITIONS[(S.DELIVERED, Action.CONFIRM)].to == S.COMPLETED
    assert TRANSITIONS[(S.PENDING_PAYMENT, Action.CLOSE)].to == S.CLOSED
    for final in (S.CANCELLED, S.CLOSED):
        assert allowed_actions(final) == [], f"{final} is final"


ILLEGAL = [
    (status, action)
    for status in S.values
    for action in Action
    if (status, action) not in TRANSITIONS and action not in (Action.CLEAR_EXCEPTION,)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "action"), ILLEGAL, ids=[f"{s}-{a}" for s, a in ILLEGAL])
def test_an_action_missing_from_the_table_is_an_illegal_transition(status, action):
    order = order_in(status)
    events_before = order.events.count()
    with pytest.raises(IllegalTransition) as caught:
        transition(order, action, None, data={"carrier_name": "x", "waybill_no": "y", "kind": "other"})
    assert caught.value.status == 409 and caught.value.code == "illegal_transition"
    order.refresh_from_db()
    assert order.status == status and order.events.count() == events_before


@pytest.mark.django_db
def test_each_transition_records_who_when_and_why():
    order = order_in(S.PAID)
    merchant = order.shop.owner
    transition(
        order, Action.SHIP, merchant, "当日发货", data={"carrier_name": "中通快递", "waybill_no": "ZT1"}
    )
    event = order.events.latest("id")
    assert (event.action, event.from_status, event.to_status) == ("ship", S.PAID, S.SHIPPED)
    assert event.actor == merchant and event.actor_role == "merchant" and event.reason == "当日发货"
    assert event.data == {"carrier_name": "中通快递", "waybill_no": "ZT1"}
    assert timezone.now() - event.created_at < timedelta(minutes=1)
    order.refresh_from_db()
    assert (order.carrier_name, order.waybill_no) == ("中通快递", "ZT1") and order.shipped_at


@pytest.mark.django_db
def test_shipping_needs_a_carrier_and_a_waybill():
    order = order_in(S.PAID)
    with pytest.raises(ShippingInfoRequired):
        transition(order, Action.SHIP, order.shop.owner, data={"carrier_name": "顺丰", "waybill_no": " "})
    order.refresh_from_db()
    assert order.status == S.PAID


@pytest.mark.django_db
def test_only_the_merchant_ships_and_only_the_buyer_confirms():
    order = order_in(S.PAID)
    with pytest.raises(NotYourAction):
        transition(order, Action.SHIP, order.user, data={"carrier_name": "a", "waybill_no": "b"})
    stranger = factories.shopper_with_address()
    with pytest.raises(NotYourAction):
        transition(order, Action.SHIP, stranger, data={"carrier_name": "a", "waybill_no": "b"})
    other_shop_staff = make_member(factories.sellable_sku()[0], "merchant_staff").user
    with pytest.raises(NotYourAction):
        transition(order, Action.SHIP, other_shop_staff, data={"carrier_name": "a", "waybill_no": "b"})
    staff = make_member(order.shop, "merchant_staff").user
    transition(order, Action.SHIP, staff, data={"carrier_name": "a", "waybill_no": "b"})
    with pytest.raises(NotYourAction):
        transition(order, Action.CONFIRM, staff)
    transition(order, Action.CONFIRM, order.user)
    order.refresh_from_db()
    assert order.status == S.COMPLETED


@pytest.mark.django_db
def test_the_system_alone_marks_an_order_paid():
    order = order_in(S.PENDING_PAYMENT)
    with pytest.raises(NotYourAction):
        transition(order, Action.PAY, order.shop.owner)
    with pytest.raises(NotYourAction):
        transition(order, Action.PAY, order.user)


@pytest.mark.django_db
def test_delivered_orders_confirm_themselves_after_the_configured_days(settings):
    settings.ORDER_AUTO_CONFIRM_DAYS = 7
    order = order_in(S.DELIVERED)
    assert timedelta(days=6) < order.auto_confirm_at - order.delivered_at <= timedelta(days=7)
    assert services.auto_confirm_delivered() == 0
    Order.objects.filter(pk=order.pk).update(auto_confirm_at=timezone.now() - timedelta(seconds=1))

    assert services.auto_confirm_delivered() == 1

    order.refresh_from_db()
    event = order.events.latest("id")
    assert order.status == S.COMPLETED and order.auto_confirm_at is None
    assert event.actor_role == "system" and event.data == {"auto": True}


@pytest.mark.django_db
def test_the_exception_flag_is_set_and_cleared_without_changing_the_status():
    order = order_in(S.SHIPPED)
    merchant = order.shop.owner
    services.mark_exception(order=order, actor=merchant, kind=ExceptionKind.LOGISTICS, note="物流停滞 3 天")
    order.refresh_from_db()
    assert order.status == S.SHIPPED and order.has_exception
    assert (order.exception_kind, order.exception_note) == ("logistics", "物流停滞 3 天")
    services.clear_exception(order=order, actor=merchant, note="已联系快递")
    order.refresh_from_db()
    assert not order.has_exception and order.exception_kind == ""
    assert list(order.events.values_list("action", flat=True))[-2:] == ["mark_exception", "clear_exception"]
    with pytest.raises(IllegalTransition):
        services.clear_exception(order=order, actor=merchant)
    with pytest.raises(InvalidInput):
        services.mark_exception(order=order, actor=merchant, kind="meteor")


@pytest.mark.django_db
def test_an_unpaid_order_cannot_be_flagged():
    order = order_in(S.PENDING_PAYMENT)
    with pytest.raises(IllegalTransition):
        services.mark_exception(order=order, actor=order.shop.owner, kind="other")


@pytest.mark.django_db
def test_a_shopper_may_confirm_a_shipped_order_before_the_carrier_reports_delivery():
    order = order_in(S.SHIPPED)
    services.confirm_receipt(order=order, actor=order.user)
    order.refresh_from_db()
    assert order.status == S.COMPLETED and order.completed_at


@pytest.mark.django_db
def test_bulk_ship_reports_each_order():
    paid = order_in(S.PAID)
    unpaid = order_in(S.PENDING_PAYMENT, shop=paid.shop)
    elsewhere = order_in(S.PAID)
    results = services.bulk_ship(
        shop_id=paid.shop_id,
        actor=paid.shop.owner,
        items=[
            services.ShipItem(paid.number, "顺丰速运", "SF1"),
            services.ShipItem(unpaid.number, "顺丰速运", "SF2"),
            services.ShipItem(elsewhere.number, "顺丰速运", "SF3"),  # another shop's order
            services.ShipItem("0000", "顺丰速运", "SF4"),
        ],
    )
    by_number = {r.number: r for r in results}
    assert by_number[paid.number].ok and by_number[paid.number].status == S.SHIPPED
    assert by_number[unpaid.number].code == "illegal_transition"
    assert by_number[elsewhere.number].code == "order_not_found"
    assert by_number["0000"].code == "order_not_found"
    elsewhere.refresh_from_db()
    assert elsewhere.status == S.PAID
