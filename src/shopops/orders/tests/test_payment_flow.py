"""Money and orders together: paying, duplicate and mismatched notifications, timeouts, late money,
cancellations with refunds."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shopops.core.ids import random_token
from shopops.inventory.models import LedgerReason, Reservation, ReservationStatus, Stock, StockLedgerEntry
from shopops.orders import services
from shopops.orders.errors import NotPayable, RefundExceedsPaid
from shopops.orders.models import GroupPaymentStatus, OrderGroup, OrderRefundStatus, OrderStatus
from shopops.orders.tests import factories
from shopops.payments import selectors as payment_selectors
from shopops.payments import services as payment_services
from shopops.payments.gateways import sandbox
from shopops.payments.models import PaymentStatus, SandboxTrade, SandboxTradeStatus


def stock_of(sku) -> tuple[int, int]:
    row = Stock.objects.get(sku=sku)
    return row.on_hand, row.reserved


def notify(payment, *, amount=None, event="payment.succeeded"):
    """A signed sandbox notification, as the provider would send it."""
    trade = SandboxTrade.objects.get(out_trade_no=payment.payment_no)
    body = json.dumps(
        {
            "id": random_token(12),
            "event": event,
            "out_trade_no": payment.payment_no,
            "trade_no": trade.trade_no,
            "amount": str(amount if amount is not None else payment.amount),
            "currency": "CNY",
            "method": "alipay",
            "paid_at": timezone.now().isoformat(),
        },
        separators=(",", ":"),
    )
    return payment_services.handle_notification(
        channel="sandbox", headers=sandbox.signed_headers(body), body=body.encode(), remote_addr="127.0.0.1"
    )


@pytest.fixture
def placed(shopper, shop_and_sku):
    _, sku = shop_and_sku
    factories.fill_cart(shopper, (sku, 2))
    return factories.place_order(shopper).group, sku


@pytest.mark.django_db
def test_paying_marks_every_order_of_the_group_paid_and_commits_the_stock(shopper, after_commit):
    _, sku_a = factories.sellable_sku(price="30.00", stock=10)
    _, sku_b = factories.sellable_sku(price="45.00", stock=10)
    factories.fill_cart(shopper, (sku_a, 1), (sku_b, 2))
    group = factories.place_order(shopper).group

    with after_commit():
        factories.pay(group)

    group.refresh_from_db()
    assert group.payment_status == GroupPaymentStatus.PAID
    assert group.paid_amount == group.total and group.amount_due == 0
    assert set(group.orders.values_list("status", flat=True)) == {OrderStatus.PAID}
    assert stock_of(sku_a) == (9, 0) and stock_of(sku_b) == (8, 0)
    assert all(o.paid_at for o in group.orders.all())


@pytest.mark.django_db
def test_ten_duplicate_notifications_pay_once(placed, after_commit):
    group, sku = placed
    with after_commit():
        payment = factories.open_payment(group)
        outcomes = [notify(payment) for _ in range(10)]

    assert all(o.accepted for o in outcomes)
    order = group.orders.get()
    assert order.status == OrderStatus.PAID
    assert order.events.filter(action="pay").count() == 1
    assert StockLedgerEntry.objects.filter(sku=sku, reason=LedgerReason.SALE).count() == 1
    assert stock_of(sku) == (8, 0)


@pytest.mark.django_db
def test_a_notification_with_the_wrong_amount_pays_nothing(placed, after_commit):
    group, sku = placed
    with after_commit():
        payment = factories.open_payment(group)
        outcome = notify(payment, amount=Decimal("0.01"))

    assert not outcome.accepted
    payment.refresh_from_db()
    assert payment.status != PaymentStatus.SUCCEEDED and payment.needs_attention
    assert group.orders.get().status == OrderStatus.PENDING_PAYMENT
    assert stock_of(sku) == (10, 2)


@pytest.mark.django_db
def test_an_unpaid_group_closes_after_the_timeout_and_releases_its_stock(placed, after_commit):
    group, sku = placed
    with after_commit():
        payment = factories.open_payment(group)
    OrderGroup.objects.filter(pk=group.pk).update(pay_deadline=timezone.now() - timedelta(seconds=1))

    with after_commit():
        assert services.close_expired_groups() == 1

    group.refresh_from_db()
    order = group.orders.get()
    assert group.payment_status == GroupPaymentStatus.CLOSED and order.status == OrderStatus.CLOSED
    assert order.events.filter(action="close", actor_role="system").exists()
    assert stock_of(sku) == (10, 0)
    assert Reservation.objects.get(order_ref=order.number).status == ReservationStatus.RELEASED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CLOSED
    with pytest.raises(sandbox.SandboxTradeClosed):
        sandbox.provider_pay(payment.payment_no, method="alipay")


@pytest.mark.django_db
def test_the_timeout_reads_the_setting(settings, shopper, shop_and_sku):
    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 5
    _, sku = shop_and_sku
    factories.fill_cart(shopper, (sku, 1))
    group = factories.place_order(shopper).group
    assert timedelta(minutes=4) < group.pay_deadline - group.created_at <= timedelta(minutes=5)


@pytest.mark.django_db
def test_a_group_not_yet_due_is_not_closed(placed):
    group, sku = placed
    assert services.close_expired_groups() == 0
    services.close_unpaid_group(group=group)  # only_if_due
    assert group.orders.get().status == OrderStatus.PENDING_PAYMENT
    assert stock_of(sku) == (10, 2)


@pytest.mark.django_db
def test_money_arriving_after_the_close_is_refunded_and_the_order_stays_closed(placed, after_commit):
    group, sku = placed
    with after_commit():
        payment = factories.open_payment(group)
    OrderGroup.objects.filter(pk=group.pk).update(pay_deadline=timezone.now() - timedelta(seconds=1))
    with after_commit():
        services.close_expired_groups()
    # The provider took the money anyway (its close raced the shopper's payment) and tells us late.
    SandboxTrade.objects.filter(out_trade_no=payment.payment_no).update(
        status=SandboxTradeStatus.SUCCEEDED, paid_at=timezone.now()
    )
    with after_commit():
        notify(payment)

    payment.refresh_from_db()
    order = group.orders.get()
    assert payment.status == PaymentStatus.SUCCEEDED_AFTER_CLOSE and not payment.needs_attention
    assert payment_selectors.refunded_total(payment) == payment.amount
    assert order.status == OrderStatus.CLOSED
    assert order.events.filter(action="late_payment_refunded").exists()
    assert stock_of(sku) == (10, 0)


@pytest.mark.django_db
def test_a_payment_closed_before_the_deadline_does_not_close_the_order(placed, after_commit):
    group, _ = placed
    with after_commit():
        payment = factories.open_payment(group)
        payment_services.close_payment(payment=payment, reason="shopper switched channel")
    assert group.orders.get().status == OrderStatus.PENDING_PAYMENT
    with after_commit():
        again = factories.open_payment(group)  # a new attempt is possible
    assert again.payment_no != payment.payment_no


@pytest.mark.django_db
def test_a_payment_closed_by_payments_after_the_deadline_closes_the_order(placed, after_commit):
    group, sku = placed
    with after_commit():
        payment = factories.open_payment(group)
    OrderGroup.objects.filter(pk=group.pk).update(pay_deadline=timezone.now() - timedelta(seconds=1))
    with after_commit():
        payment_services.close_payment(payment=payment, reason="expired")
    assert group.orders.get().status == OrderStatus.CLOSED
    assert stock_of(sku) == (10, 0)


@pytest.mark.django_db
def test_cancelling_one_unpaid_order_lowers_what_the_group_owes(shopper, after_commit):
    _, sku_a = factories.sellable_sku(price="120.00", stock=5)
    _, sku_b = factories.sellable_sku(price="150.00", stock=5)
    factories.fill_cart(shopper, (sku_a, 1), (sku_b, 1))
    group = factories.place_order(shopper).group
    with after_commit():
        old_payment = factories.open_payment(group)
    order_a = group.orders.get(lines__sku=sku_a)

    with after_commit():
        services.cancel_order(order=order_a, actor=shopper, reason="拍错了")

    group.refresh_from_db()
    order_a.refresh_from_db()
    old_payment.refresh_from_db()
    assert order_a.status == OrderStatus.CANCELLED
    assert group.amount_due == Decimal("150.00") and group.payment_status == GroupPaymentStatus.UNPAID
    assert old_payment.status == PaymentStatus.CLOSED  # it was for the old amount
    assert stock_of(sku_a) == (5, 0)

    with after_commit():
        payment = factories.pay(group)
    assert payment.amount == Decimal("150.00")
    group.refresh_from_db()
    assert group.payment_status == GroupPaymentStatus.PAID
    assert group.orders.get(lines__sku=sku_b).status == OrderStatus.PAID
    assert order_a.status == OrderStatus.CANCELLED


@pytest.mark.django_db
def test_cancelling_every_unpaid_order_closes_the_group(placed):
    group, _ = placed
    services.cancel_order(order=group.orders.get(), actor=group.user)
    group.refresh_from_db()
    assert group.payment_status == GroupPaymentStatus.CLOSED and group.amount_due == 0
    with pytest.raises(NotPayable):
        factories.open_payment(group)


@pytest.mark.django_db
def test_a_merchant_cancelling_a_paid_order_refunds_it_in_full_and_restocks(placed, after_commit):
    group, sku = placed
    with after_commit():
        factories.pay(group)
    order = group.orders.get()
    merchant = order.shop.owner

    with after_commit():
        services.cancel_order(order=order, actor=merchant, reason="缺货，抱歉")

    order.refresh_from_db()
    refund = order.refunds.get()
    assert order.status == OrderStatus.CANCELLED
    assert refund.amount == order.total and refund.status == OrderRefundStatus.SUCCEEDED
    assert order.refunded_amount == order.total
    assert sum(line.refunded_amount for line in order.lines.all()) == order.total - order.shipping_fee
    assert stock_of(sku) == (10, 0)
    assert order.events.filter(action="refund_succeeded").exists()
    payment = payment_selectors.paid_payment_for_reference(group.number)
    assert payment_selectors.refunded_total(payment) == order.total


@pytest.mark.django_db
def test_a_shopper_cannot_cancel_a_paid_order(placed, after_commit):
    from shopops.orders.errors import NotYourAction

    group, _ = placed
    with after_commit():
        factories.pay(group)
    with pytest.raises(NotYourAction):
        services.cancel_order(order=group.orders.get(), actor=group.user)


@pytest.mark.django_db
def test_a_refund_larger_than_what_was_paid_is_refused(placed, after_commit):
    group, _ = placed
    with after_commit():
        factories.pay(group)
    order = group.orders.get()
    merchant = order.shop.owner

    with pytest.raises(RefundExceedsPaid) as caught:
        services.request_refund(
            order=order, amount=order.total + Decimal("0.01"), actor=merchant, reason="多退", purpose="t1"
        )
    assert caught.value.status == 422
    with after_commit():
        services.request_refund(
            order=order, amount=Decimal("50.00"), actor=merchant, reason="部分", purpose="t2"
        )
    with pytest.raises(RefundExceedsPaid):
        services.request_refund(
            order=order, amount=order.total - Decimal("49.99"), actor=merchant, reason="x", purpose="t3"
        )
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("50.00")


@pytest.mark.django_db
def test_a_refund_is_idempotent_per_purpose(placed, after_commit):
    group, _ = placed
    with after_commit():
        factories.pay(group)
    order = group.orders.get()
    with after_commit():
        first = services.request_refund(
            order=order, amount=Decimal("10.00"), actor=None, reason="r", purpose="as-1"
        )
        second = services.request_refund(
            order=order, amount=Decimal("10.00"), actor=None, reason="r", purpose="as-1"
        )
    assert first.pk == second.pk
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("10.00")


@pytest.mark.django_db
def test_line_refunds_cannot_exceed_what_the_line_paid(placed, after_commit):
    group, _ = placed
    with after_commit():
        factories.pay(group)
    order = group.orders.get()
    line = order.lines.get()
    with pytest.raises(RefundExceedsPaid):
        services.request_refund(
            order=order, amount=line.paid_amount + 1, actor=None, reason="r", purpose="p",
            line_amounts={line.id: line.paid_amount + 1},
        )  # fmt: skip


@pytest.mark.django_db
def test_an_unpaid_order_cannot_be_refunded(placed):
    group, _ = placed
    with pytest.raises(RefundExceedsPaid):
        services.request_refund(
            order=group.orders.get(), amount=Decimal("1"), actor=None, reason="r", purpose="p"
        )


@pytest.mark.django_db
def test_paying_a_closed_group_is_refused(placed):
    group, _ = placed
    OrderGroup.objects.filter(pk=group.pk).update(pay_deadline=timezone.now() - timedelta(seconds=1))
    services.close_expired_groups()
    with pytest.raises(NotPayable):
        factories.open_payment(group)


@pytest.mark.django_db
def test_the_payments_api_can_pay_a_group_by_its_number(client, placed, after_commit):
    from shopops.shops.tests.factories import api_as

    group, _ = placed
    api = api_as(client, group.user)
    response = api.post("/payments", {"reference": group.number, "channel": "sandbox"})
    assert response.status_code == 201, response.content
    assert Decimal(response.json()["amount"]) == group.amount_due
    stranger = factories.shopper_with_address()
    assert (
        api_as(client, stranger)
        .post("/payments", {"reference": group.number, "channel": "sandbox"})
        .status_code
        == 404
    )


@pytest.mark.django_db
def test_the_timeout_task_drains_every_due_group_batch_after_batch(shopper):
    _, sku = factories.sellable_sku(stock=10)
    groups = []
    for _ in range(5):
        factories.fill_cart(shopper, (sku, 1))
        groups.append(factories.place_order(shopper).group)
    OrderGroup.objects.filter(pk__in=[g.pk for g in groups]).update(
        pay_deadline=timezone.now() - timedelta(seconds=1)
    )
    assert services.close_expired_groups(batch_size=2) == 5
    assert not OrderGroup.objects.filter(payment_status=GroupPaymentStatus.UNPAID).exists()
    assert stock_of(sku) == (10, 0)


@pytest.mark.django_db
def test_money_for_an_order_whose_stock_was_already_released_is_refunded(shopper, after_commit):
    """The safety sweep let the reservation go before the money came: that order cannot be filled,
    so it closes with a refund while the group's other order is paid normally."""
    from shopops.inventory import services as inventory
    from shopops.inventory.models import ReleaseReason

    _, kept = factories.sellable_sku(price="120.00", stock=5)
    _, lost = factories.sellable_sku(price="150.00", stock=5)
    factories.fill_cart(shopper, (kept, 1), (lost, 1))
    group = factories.place_order(shopper).group
    unfillable = group.orders.get(lines__sku=lost)
    inventory.release_order(order_ref=unfillable.number, reason=ReleaseReason.EXPIRED)

    with after_commit():
        payment = factories.pay(group)

    unfillable.refresh_from_db()
    fine = group.orders.get(lines__sku=kept)
    assert fine.status == OrderStatus.PAID
    assert unfillable.status == OrderStatus.CLOSED
    assert unfillable.refunds.get().amount == unfillable.total
    assert payment_selectors.refunded_total(payment) == unfillable.total
    assert stock_of(kept) == (4, 0) and stock_of(lost) == (5, 0)
