"""Random sequences of everything that can happen to orders never break the books.

A hypothesis RuleBasedStateMachine drives submits (one or two shops), payments, duplicate provider
notifications, shopper and merchant cancellations, shipping, delivery, confirmation, timeouts,
payments arriving after the close, and partial refunds, in any order. After every step:

- every order's timeline is a path through the transition table (no state outside it, no jump);
- stock is never lost: for each SKU, reserved == units of unpaid orders, on_hand == opening stock -
  units sold and not given back, and the stock row equals its ledger;
- money is never lost: for every payment, paid == refunded + retained, where retained is what the
  orders it paid still keep; a closed or cancelled unpaid order keeps nothing.
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from shopops.core.errors import DomainError
from shopops.core.ids import random_token
from shopops.core.money import ZERO
from shopops.inventory import selectors as inventory_selectors
from shopops.inventory.models import Stock
from shopops.orders import services
from shopops.orders.models import GroupPaymentStatus, Order, OrderGroup, OrderStatus
from shopops.orders.state import TRANSITIONS, Action
from shopops.orders.tests import factories
from shopops.payments import selectors as payment_selectors
from shopops.payments import services as payment_services
from shopops.payments.gateways import sandbox
from shopops.payments.models import PAID_STATUSES, SandboxTrade, SandboxTradeStatus

OPENING_STOCK = 6


class OrderBooks(RuleBasedStateMachine):
    """One shopper, two shops with one SKU each; `run` wraps every step so on-commit work happens."""

    def __init__(self) -> None:
        super().__init__()
        self.shop_a, self.sku_a = factories.sellable_sku(price="39.90", stock=OPENING_STOCK)
        self.shop_b, self.sku_b = factories.sellable_sku(price="120.00", stock=OPENING_STOCK)
        self.shopper = factories.shopper_with_address()
        self.groups: list[OrderGroup] = []

    # --- helpers ------------------------------------------------------------------------------------------

    def run(self, fn, *args, **kwargs):
        """Do one thing as it would happen in production: after-commit work runs, domain refusals
        are ordinary outcomes (an illegal move is refused and must change nothing)."""
        with self.capture(execute=True):
            try:
                return fn(*args, **kwargs)
            except DomainError:
                return None

    def pick_group(self, index: int, status: str | None = None) -> OrderGroup | None:
        """A group by index; with `status`, preferably one in it (so histories get somewhere)."""
        groups = list(OrderGroup.objects.filter(pk__in=[g.pk for g in self.groups]).order_by("id"))
        suitable = [g for g in groups if status is None or g.payment_status == status] or groups
        return suitable[index % len(suitable)] if suitable else None

    def pick_order(self, index: int, *statuses: str) -> Order | None:
        """An order by index; odd indexes pick among all orders (illegal moves get tried too), even
        ones among orders in `statuses` when there are any."""
        orders = list(Order.objects.filter(group__in=self.groups).select_related("shop").order_by("id"))
        suitable = [o for o in orders if o.status in statuses] if statuses and index % 2 == 0 else []
        pool = suitable or orders
        return pool[index % len(pool)] if pool else None

    def notify(self, payment) -> None:
        trade = SandboxTrade.objects.get(out_trade_no=payment.payment_no)
        body = json.dumps(
            {
                "id": random_token(12), "event": "payment.succeeded", "out_trade_no": payment.payment_no,
                "trade_no": trade.trade_no, "amount": str(payment.amount), "currency": "CNY",
                "method": "wechat", "paid_at": timezone.now().isoformat(),
            },
            separators=(",", ":"),
        )  # fmt: skip
        payment_services.handle_notification(
            channel="sandbox",
            headers=sandbox.signed_headers(body),
            body=body.encode(),
            remote_addr="127.0.0.1",
        )

    # --- rules --------------------------------------------------------------------------------------------

    @initialize(qty_a=st.integers(0, 3), qty_b=st.integers(1, 2))
    def first_order(self, qty_a: int, qty_b: int) -> None:
        self.submit(qty_a, qty_b)

    # One rule draws what happens next, so every kind of event gets its share of the steps (with
    # one rule per event, hypothesis tends to spend a run on a few of them). Paying is listed twice:
    # most real orders get paid.
    ACTIONS = (
        "submit", "pay", "pay", "open_cashier", "duplicate_notification", "cancel", "ship", "deliver",
        "confirm", "timeout_close", "late_payment", "partial_refund",
    )  # fmt: skip

    @rule(
        action=st.sampled_from(ACTIONS),
        index=st.integers(0, 50),
        flag=st.booleans(),
        qty_a=st.integers(0, 3),
        qty_b=st.integers(0, 2),
        fen=st.integers(1, 30000),
    )
    def step(self, action: str, index: int, flag: bool, qty_a: int, qty_b: int, fen: int) -> None:
        if action == "submit":
            self.submit(qty_a, qty_b)
        elif action in ("cancel", "confirm"):
            getattr(self, action)(index, flag)
        elif action == "partial_refund":
            self.partial_refund(index, fen)
        else:
            getattr(self, action)(index)

    def submit(self, qty_a: int, qty_b: int) -> None:
        items = [(sku, q) for sku, q in ((self.sku_a, qty_a), (self.sku_b, qty_b)) if q]
        if not items:
            return
        from shopops.cart.pricing import CheckoutItem

        result = self.run(
            factories.place_order, self.shopper, items=[CheckoutItem(sku.id, q) for sku, q in items]
        )
        if result is not None:
            self.groups.append(result.group)

    def pay(self, index: int) -> None:
        group = self.pick_group(index, GroupPaymentStatus.UNPAID)
        if group is None:
            return
        created = self.run(services.start_payment, group=group, user=self.shopper, channel="sandbox")
        if created is not None:
            # The provider refuses a closed trade, as a real one would.
            with contextlib.suppress(sandbox.SandboxTradeClosed):
                self.run(sandbox.provider_pay, created.payment.payment_no, method="alipay")

    def open_cashier(self, index: int) -> None:
        """The shopper opens the payment page and walks away (the payment stays open)."""
        group = self.pick_group(index, GroupPaymentStatus.UNPAID)
        if group is not None:
            self.run(services.start_payment, group=group, user=self.shopper, channel="sandbox")

    def duplicate_notification(self, index: int) -> None:
        group = self.pick_group(index, GroupPaymentStatus.PAID)
        payment = group and payment_selectors.paid_payment_for_reference(group.number)
        if payment is not None:
            self.run(self.notify, payment)

    def cancel(self, index: int, by_merchant: bool) -> None:
        order = self.pick_order(index, OrderStatus.PENDING_PAYMENT, OrderStatus.PAID)
        if order is not None:
            actor = order.shop.owner if by_merchant else self.shopper
            self.run(services.cancel_order, order=order, actor=actor, reason="test")

    def ship(self, index: int) -> None:
        order = self.pick_order(index, OrderStatus.PAID)
        if order is not None:
            self.run(
                services.ship_order,
                order=order,
                actor=order.shop.owner,
                carrier_name="顺丰",
                waybill_no="SF1",
            )

    def deliver(self, index: int) -> None:
        order = self.pick_order(index, OrderStatus.SHIPPED)
        if order is not None:
            self.run(services.mark_delivered, order=order, actor=order.shop.owner)

    def confirm(self, index: int, automatic: bool) -> None:
        order = self.pick_order(index, OrderStatus.DELIVERED, OrderStatus.SHIPPED)
        if order is None:
            return
        if automatic:
            Order.objects.filter(pk=order.pk, status=OrderStatus.DELIVERED).update(
                auto_confirm_at=timezone.now() - timedelta(seconds=1)
            )
            self.run(services.auto_confirm_delivered)
        else:
            self.run(services.confirm_receipt, order=order, actor=self.shopper)

    def timeout_close(self, index: int) -> None:
        group = self.pick_group(index, GroupPaymentStatus.UNPAID)
        if group is None:
            return
        OrderGroup.objects.filter(pk=group.pk).update(pay_deadline=timezone.now() - timedelta(seconds=1))
        self.run(services.close_expired_groups)

    def late_payment(self, index: int) -> None:
        """The provider took money on a payment we had closed, and tells us now."""
        group = self.pick_group(index, GroupPaymentStatus.CLOSED)
        if group is None or group.payment_status != GroupPaymentStatus.CLOSED:
            return
        closed = payment_selectors.payments_for_reference(group.number).filter(status="closed").first()
        if closed is None:
            return
        SandboxTrade.objects.filter(out_trade_no=closed.payment_no).update(
            status=SandboxTradeStatus.SUCCEEDED, paid_at=timezone.now()
        )
        self.run(self.notify, closed)

    def partial_refund(self, index: int, fen: int) -> None:
        order = self.pick_order(index, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
        if order is not None:
            self.run(
                services.request_refund,
                order=order, amount=Decimal(fen) / 100, actor=order.shop.owner, reason="售后",
                purpose=f"p{random_token(4)}",
            )  # fmt: skip

    # --- invariants ---------------------------------------------------------------------------------------

    @invariant()
    def timelines_follow_the_table(self) -> None:
        for order in Order.objects.filter(group__in=self.groups):
            events = list(order.events.order_by("created_at", "id"))
            assert events[0].action == "submit" and events[0].to_status == OrderStatus.PENDING_PAYMENT
            status = OrderStatus.PENDING_PAYMENT
            for event in events[1:]:
                assert event.from_status == status, (order.number, event.action, event.from_status, status)
                if event.action in {a.value for a in Action}:
                    rule_ = TRANSITIONS.get((event.from_status, event.action))
                    assert rule_ is not None, (event.from_status, event.action)
                    assert event.to_status == (rule_.to or event.from_status)
                else:  # refunds, late payments: noted on the timeline, never a state change
                    assert event.to_status == event.from_status
                status = event.to_status
            assert order.status == status
            if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED):
                assert order.paid_at and order.shipped_at

    @invariant()
    def stock_is_never_lost(self) -> None:
        for sku in (self.sku_a, self.sku_b):
            orders = Order.objects.filter(group__in=self.groups, lines__sku=sku).distinct()
            qty = {o.pk: o.lines.get(sku=sku).quantity for o in orders}
            reserved = sum(qty[o.pk] for o in orders if o.status == OrderStatus.PENDING_PAYMENT)
            # Sold and kept: paid at some point and not cancelled (a cancel after payment restocks).
            sold = sum(qty[o.pk] for o in orders if o.paid_at and o.status != OrderStatus.CANCELLED)
            row = Stock.objects.get(sku=sku)
            assert row.reserved == reserved, (sku.code, row.reserved, reserved)
            assert row.on_hand == OPENING_STOCK - sold, (sku.code, row.on_hand, sold)
        for shop in (self.shop_a, self.shop_b):
            assert inventory_selectors.ledger_mismatches(shop_id=shop.id) == []

    @invariant()
    def money_is_never_lost(self) -> None:
        for group in self.groups:
            group.refresh_from_db()
            orders = list(Order.objects.filter(group=group))
            for order in orders:
                assert ZERO <= order.refunded_amount <= order.total
                if order.paid_at is None:
                    assert order.refunded_amount == ZERO
                if order.status == OrderStatus.CANCELLED and order.paid_at:
                    assert order.refunded_amount == order.total  # a paid order cancelled gets everything back
            paid = [
                p for p in payment_selectors.payments_for_reference(group.number) if p.status in PAID_STATUSES
            ]
            kept = sum((o.total - o.refunded_amount for o in orders if o.paid_at), ZERO)
            refunded = sum((payment_selectors.refunded_total(p) for p in paid), ZERO)
            assert sum((p.amount for p in paid), ZERO) == refunded + kept, (
                group.number,
                paid,
                refunded,
                kept,
            )
            if group.payment_status == GroupPaymentStatus.UNPAID:
                due = sum((o.total for o in orders if o.status == OrderStatus.PENDING_PAYMENT), ZERO)
                assert group.amount_due == due
            assert (group.payment_status == GroupPaymentStatus.PAID) == any(o.paid_at for o in orders)


@pytest.mark.django_db
def test_random_order_histories_keep_states_stock_and_money_consistent(django_capture_on_commit_callbacks):
    OrderBooks.capture = staticmethod(django_capture_on_commit_callbacks)
    run_state_machine_as_test(
        OrderBooks,
        settings=settings(
            max_examples=20,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


def test_every_state_is_reachable_in_the_table():
    reachable = {OrderStatus.PENDING_PAYMENT}
    changed = True
    while changed:
        changed = False
        for (state, _), rule_ in TRANSITIONS.items():
            if state in reachable and rule_.to and rule_.to not in reachable:
                reachable.add(rule_.to)
                changed = True
    assert reachable == set(OrderStatus.values)
