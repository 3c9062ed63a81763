"""The transition table itself: every state is reachable, final states are final, and random walks
through the table only ever reach known states along moves the table lists (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shopops.aftersales.models import FINAL_STATUSES, AfterSalesKind, AfterSalesStatus
from shopops.aftersales.state import EFFECTS, SHOPPER, STAFF, SYSTEM, TRANSITIONS, Action, rule_for

ACTIONS = [a.value for a in Action]
ROLES = [SHOPPER, STAFF, SYSTEM]


def test_every_status_is_reachable_for_some_kind():
    reached = {AfterSalesStatus.REQUESTED}
    frontier = [(AfterSalesStatus.REQUESTED, kind) for kind in AfterSalesKind.values]
    seen = set(frontier)
    while frontier:
        status, kind = frontier.pop()
        for action in ACTIONS:
            rule = rule_for(status, action, kind)
            if rule and (rule.to, kind) not in seen:
                seen.add((rule.to, kind))
                reached.add(rule.to)
                frontier.append((rule.to, kind))
    assert reached == set(AfterSalesStatus.values)


def test_final_statuses_allow_nothing():
    assert not [key for key in TRANSITIONS if key[0] in FINAL_STATUSES]


def test_every_money_or_goods_action_has_its_side_effect():
    import shopops.aftersales.services  # noqa: F401 - registers the effects

    needs_effect = {Action.SHIP_BACK, Action.INSPECT_PASS, Action.REFUND, Action.SHIP_REPLACEMENT}
    assert needs_effect <= set(EFFECTS)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(AfterSalesKind.values),
    steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(ROLES)), max_size=25),
)
def test_random_walks_stay_on_the_table(kind, steps):
    status = AfterSalesStatus.REQUESTED
    refunded = False
    for action, role in steps:
        rule = rule_for(status, action, kind)
        if rule is None or role not in rule.roles:
            continue  # the service raises IllegalTransition / NotYourAction and nothing changes
        status = rule.to
        refunded = refunded or status == AfterSalesStatus.REFUNDED
        assert status in AfterSalesStatus.values
    if kind == AfterSalesKind.EXCHANGE:
        assert not refunded  # an exchange never pays money out


@settings(max_examples=300, deadline=None)
@given(
    unit_fen=st.integers(min_value=1, max_value=1_000_000),
    quantity=st.integers(min_value=1, max_value=50),
    discount_fen=st.integers(min_value=0, max_value=10_000),
    data=st.data(),
)
def test_unit_by_unit_refunds_add_up_to_exactly_what_the_line_paid(unit_fen, quantity, discount_fen, data):
    """Whatever the split, the paid shares of a line's units never exceed, and finally equal, its
    paid amount (discount allocated): no fen is lost or created by rounding."""
    from decimal import Decimal

    from shopops.aftersales.selectors import LineRoom, max_refund

    subtotal = Decimal(unit_fen * quantity) / 100
    paid = max(subtotal - Decimal(discount_fen) / 100, Decimal("0.00")).quantize(Decimal("0.01"))
    line = type("Line", (), {"paid_amount": paid, "quantity": quantity})()
    units_left, money_left, total = quantity, paid, Decimal("0.00")
    while units_left:
        take = data.draw(st.integers(min_value=1, max_value=units_left))
        part = max_refund(line, take, room=LineRoom(units_left, money_left, False))
        assert Decimal("0.00") <= part <= money_left
        total += part
        units_left, money_left = units_left - take, money_left - part
    assert total == paid
