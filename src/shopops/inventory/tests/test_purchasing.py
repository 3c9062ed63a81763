"""Suppliers, purchase orders and their state machine, receiving, and replenishment suggestions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from shopops.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from shopops.inventory import replenishment, selectors, services
from shopops.inventory.errors import OverReceipt
from shopops.inventory.models import (
    LedgerReason,
    PurchaseOrderStatus,
    PurchaseReceipt,
    Stock,
    StockLedgerEntry,
)
from shopops.inventory.replenishment import estimate_daily_demand, reorder_plan
from shopops.inventory.services import PO_TRANSITIONS, OrderLineInput, SkuQuantity
from shopops.inventory.tests.factories import make_sku, make_warehouse, put_stock


@pytest.fixture
def supplier(shop):
    return services.create_supplier(shop_id=shop.id, code="sup-a", name="上海优品供应链", lead_time_days=5)


@pytest.fixture
def po(shop, supplier, warehouse, sku):
    other = make_sku(shop)
    return services.create_purchase_order(
        shop_id=shop.id,
        supplier_id=supplier.id,
        warehouse_id=warehouse.id,
        lines=[OrderLineInput(sku.id, 10, Decimal("12.50")), OrderLineInput(other.id, 4)],
    )


def on_hand(warehouse, sku) -> int:
    return Stock.objects.filter(warehouse=warehouse, sku=sku).values_list("on_hand", flat=True).first() or 0


def test_po_line_without_a_cost_takes_the_suppliers_price_then_the_sku_cost(shop, supplier, warehouse):
    priced, unpriced = make_sku(shop, cost=Decimal("30.00")), make_sku(shop, cost=Decimal("8.00"))
    services.upsert_supplier_item(
        shop_id=shop.id, supplier_id=supplier.id, sku_id=priced.id, unit_cost="27.5"
    )
    po = services.create_purchase_order(
        shop_id=shop.id,
        supplier_id=supplier.id,
        warehouse_id=warehouse.id,
        lines=[OrderLineInput(priced.id, 1), OrderLineInput(unpriced.id, 1)],
    )
    costs = {line.sku_id: line.unit_cost for line in po.lines.all()}
    assert costs == {priced.id: Decimal("27.50"), unpriced.id: Decimal("8.00")}
    assert po.status == PurchaseOrderStatus.DRAFT and po.number.startswith("PO")


def test_partial_receipts_then_the_rest_complete_the_po(shop, po, warehouse, sku, second_warehouse):
    services.send_purchase_order(shop_id=shop.id, po_id=po.id)
    other_id = po.lines.exclude(sku=sku).get().sku_id
    receipt = services.receive_purchase_order(shop_id=shop.id, po_id=po.id, lines=[SkuQuantity(sku.id, 6)])
    po.refresh_from_db()
    assert po.status == PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert on_hand(warehouse, sku) == 6
    entry = StockLedgerEntry.objects.get(reason=LedgerReason.PURCHASE_RECEIPT, reference=po.number)
    assert (entry.on_hand_delta, entry.note) == (6, receipt.number)

    services.receive_purchase_order(
        shop_id=shop.id,
        po_id=po.id,
        lines=[SkuQuantity(sku.id, 4), SkuQuantity(other_id, 4)],
        warehouse_id=second_warehouse.id,  # the rest arrived at another warehouse
    )
    po.refresh_from_db()
    assert po.status == PurchaseOrderStatus.RECEIVED and po.completed_at
    assert on_hand(second_warehouse, sku) == 4
    assert PurchaseReceipt.objects.filter(purchase_order=po).count() == 2
    assert selectors.ledger_mismatches(shop_id=shop.id) == []


def test_receiving_more_than_outstanding_is_refused_and_books_nothing(shop, po, warehouse, sku):
    services.send_purchase_order(shop_id=shop.id, po_id=po.id)
    services.receive_purchase_order(shop_id=shop.id, po_id=po.id, lines=[SkuQuantity(sku.id, 8)])
    other_id = po.lines.exclude(sku=sku).get().sku_id
    with pytest.raises(OverReceipt) as caught:
        services.receive_purchase_order(
            shop_id=shop.id, po_id=po.id, lines=[SkuQuantity(other_id, 1), SkuQuantity(sku.id, 3)]
        )
    assert caught.value.details["lines"] == [{"sku_id": sku.id, "outstanding": 2, "received": 3}]
    assert on_hand(warehouse, sku) == 8
    assert on_hand(warehouse, po.lines.get(sku_id=other_id).sku) == 0
    assert PurchaseReceipt.objects.count() == 1


def test_receiving_bad_lines_is_refused(shop, po, sku):
    services.send_purchase_order(shop_id=shop.id, po_id=po.id)
    stranger = make_sku(shop)
    with pytest.raises(InvalidInput):
        services.receive_purchase_order(shop_id=shop.id, po_id=po.id, lines=[SkuQuantity(stranger.id, 1)])
    with pytest.raises(InvalidInput):
        services.receive_purchase_order(shop_id=shop.id, po_id=po.id, lines=[SkuQuantity(sku.id, -1)])
    with pytest.raises(InvalidInput):
        services.receive_purchase_order(shop_id=shop.id, po_id=po.id, lines=[])
    assert not PurchaseReceipt.objects.exists()


@pytest.mark.parametrize(
    ("prepare", "action"),
    [
        ([], "receive"),  # a draft was never sent
        (["send"], "send"),
        (["cancel"], "send"),
        (["cancel"], "cancel"),
        (["send", "receive_all"], "cancel"),
        (["send", "receive_all"], "receive"),
        (["send"], "close"),
        (["send"], "edit"),
    ],
)
def test_illegal_po_transitions_are_refused_with_409(shop, po, sku, prepare, action):
    other_id = po.lines.exclude(sku=sku).get().sku_id
    everything = [SkuQuantity(sku.id, 10), SkuQuantity(other_id, 4)]
    steps = {
        "send": lambda: services.send_purchase_order(shop_id=shop.id, po_id=po.id),
        "cancel": lambda: services.cancel_purchase_order(shop_id=shop.id, po_id=po.id),
        "close": lambda: services.close_purchase_order(shop_id=shop.id, po_id=po.id),
        "receive": lambda: services.receive_purchase_order(
            shop_id=shop.id, po_id=po.id, lines=[SkuQuantity(sku.id, 1)]
        ),
        "receive_all": lambda: services.receive_purchase_order(
            shop_id=shop.id, po_id=po.id, lines=everything
        ),
        "edit": lambda: services.update_draft_purchase_order(shop_id=shop.id, po_id=po.id, note="x"),
    }
    for step in prepare:
        steps[step]()
    po.refresh_from_db()
    status_before = po.status
    with pytest.raises(IllegalTransition) as caught:
        steps[action]()
    assert caught.value.status == 409
    po.refresh_from_db()
    assert po.status == status_before


def test_transition_table_covers_the_documented_lifecycle():
    reachable = {target for target in PO_TRANSITIONS.values()}
    assert set(PurchaseOrderStatus.values) - {PurchaseOrderStatus.DRAFT} <= reachable
    assert not any(
        state in (PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CANCELLED) for state, _ in PO_TRANSITIONS
    )


def test_partially_received_po_can_be_closed_short(shop, po, sku):
    services.send_purchase_order(shop_id=shop.id, po_id=po.id)
    services.receive_purchase_order(shop_id=shop.id, po_id=po.id, lines=[SkuQuantity(sku.id, 3)])
    closed = services.close_purchase_order(shop_id=shop.id, po_id=po.id, reason="供应商缺货")
    assert closed.status == PurchaseOrderStatus.RECEIVED
    assert selectors.on_order_by_sku(shop_id=shop.id, sku_ids=[sku.id]) == {}


def test_sending_emails_the_supplier(shop, supplier, po, django_capture_on_commit_callbacks):
    services.update_supplier(shop_id=shop.id, supplier_id=supplier.id, email="orders@supplier.example")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_purchase_order(shop_id=shop.id, po_id=po.id)
    assert len(mail.outbox) == 1 and po.number in mail.outbox[0].subject


def test_another_shops_po_is_not_found(shop, other_shop, po):
    with pytest.raises(NotFound):
        services.send_purchase_order(shop_id=other_shop.id, po_id=po.id)
    with pytest.raises(NotFound):
        selectors.get_purchase_order(shop_id=other_shop.id, po_id=po.id)


def test_duplicate_supplier_code_and_bad_supplier_items_are_refused(shop, supplier, sku):
    with pytest.raises(Conflict):
        services.create_supplier(shop_id=shop.id, code="sup-a", name="again")
    with pytest.raises(InvalidInput):
        services.upsert_supplier_item(shop_id=shop.id, supplier_id=supplier.id, sku_id=sku.id, unit_cost="-1")
    with pytest.raises(InvalidInput):
        services.upsert_supplier_item(
            shop_id=shop.id, supplier_id=supplier.id, sku_id=sku.id, unit_cost="abc"
        )
    with pytest.raises(InvalidInput):
        services.upsert_supplier_item(
            shop_id=shop.id, supplier_id=supplier.id, sku_id=sku.id, unit_cost="1", min_order_quantity=0
        )


def test_only_one_preferred_supplier_per_sku(shop, supplier, sku):
    second = services.create_supplier(shop_id=shop.id, code="sup-b", name="广州华南贸易")
    services.upsert_supplier_item(
        shop_id=shop.id, supplier_id=supplier.id, sku_id=sku.id, unit_cost="10", is_preferred=True
    )
    services.upsert_supplier_item(
        shop_id=shop.id, supplier_id=second.id, sku_id=sku.id, unit_cost="11", is_preferred=True
    )
    preferred = [i.supplier_id for i in sku.supplier_items.filter(is_preferred=True)]
    assert preferred == [second.id]


# --- Replenishment ----------------------------------------------------------------------------------


def sell(sku, quantity: int, ref: str) -> None:
    services.reserve(
        sku_id=sku.id, quantity=quantity, order_ref=ref, expires_at=timezone.now() + timedelta(hours=1)
    )
    services.commit_reservation(order_ref=ref, sku_id=sku.id)


def test_daily_demand_is_recent_sales_over_the_window(shop, warehouse, sku):
    put_stock(warehouse, sku, 200)
    sell(sku, 28, "A")
    sell(sku, 14, "B")
    services.reserve(
        sku_id=sku.id, quantity=5, order_ref="UNPAID", expires_at=timezone.now() + timedelta(hours=1)
    )
    assert estimate_daily_demand(sku.id, window_days=28) == Decimal("1.500")
    # Sales older than the window are ignored.
    assert estimate_daily_demand(sku.id, window_days=7, as_of=timezone.now() + timedelta(days=8)) == 0


def test_reorder_plan_arithmetic():
    plan = reorder_plan(
        daily_demand=Decimal("2"),
        lead_time_days=5,
        safety_stock_days=3,
        order_cycle_days=14,
        threshold=4,
        position=15,
    )
    # safety 6, reorder point 2x5+6 = 16, order up to 16 + 28 = 44, order 44 - 15 = 29
    assert (plan.safety_stock, plan.reorder_point, plan.order_up_to, plan.quantity) == (6, 16, 44, 29)
    above = reorder_plan(
        daily_demand=Decimal("2"),
        lead_time_days=5,
        safety_stock_days=3,
        order_cycle_days=14,
        threshold=4,
        position=17,
    )
    assert above.quantity == 0
    packed = reorder_plan(
        daily_demand=Decimal("2"), lead_time_days=5, safety_stock_days=3, order_cycle_days=14, threshold=4,
        position=15, min_order_quantity=40, pack_size=12,
    )  # fmt: skip
    assert packed.quantity == 48  # raised to the minimum of 40, then to whole packs of 12
    idle = reorder_plan(
        daily_demand=Decimal("0"),
        lead_time_days=5,
        safety_stock_days=3,
        order_cycle_days=14,
        threshold=5,
        position=2,
    )
    assert (idle.reorder_point, idle.order_up_to, idle.quantity) == (5, 10, 8)
    nothing = reorder_plan(
        daily_demand=Decimal("0"),
        lead_time_days=5,
        safety_stock_days=3,
        order_cycle_days=14,
        threshold=0,
        position=0,
    )
    assert nothing.quantity == 0


@settings(max_examples=200, deadline=None)
@given(
    demand=st.decimals(min_value=0, max_value=500, places=3),
    lead=st.integers(0, 60),
    safety=st.integers(0, 30),
    cycle=st.integers(0, 60),
    threshold=st.integers(0, 500),
    position=st.integers(-50, 5000),
    moq=st.integers(1, 100),
    pack=st.integers(1, 24),
)
def test_an_order_always_lifts_the_position_above_the_reorder_point(
    demand, lead, safety, cycle, threshold, position, moq, pack
):
    plan = reorder_plan(
        daily_demand=demand,
        lead_time_days=lead,
        safety_stock_days=safety,
        order_cycle_days=cycle,
        threshold=threshold,
        position=position,
        min_order_quantity=moq,
        pack_size=pack,
    )
    if plan.quantity:
        assert position <= plan.reorder_point
        assert position + plan.quantity > plan.reorder_point
        assert plan.quantity >= moq and plan.quantity % pack == 0
    else:
        assert position > plan.reorder_point or (demand == 0 and threshold == 0)


def test_suggestions_use_supplier_lead_time_and_count_open_orders(shop, warehouse, sku, supplier):
    services.update_settings(shop_id=shop.id, safety_stock_days=2, order_cycle_days=10, demand_window_days=10)
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=1)
    services.upsert_supplier_item(
        shop_id=shop.id,
        supplier_id=supplier.id,
        sku_id=sku.id,
        unit_cost="9.90",
        lead_time_days=4,
        is_preferred=True,
    )
    put_stock(warehouse, sku, 30)
    sell(sku, 20, "S1")  # 2/day over 10 days; 10 left
    [suggestion] = replenishment.suggestions(shop_id=shop.id)
    # safety 4, reorder point 8 + 4 = 12, up to 12 + 20 = 32; position 10 -> 22
    assert (suggestion.daily_demand, suggestion.lead_time_days, suggestion.reorder_point) == (
        Decimal("2"),
        4,
        12,
    )
    assert (suggestion.quantity, suggestion.supplier_id, suggestion.unit_cost) == (
        22,
        supplier.id,
        Decimal("9.90"),
    )
    assert suggestion.days_of_cover == Decimal("5.0")

    [draft] = services.draft_purchase_orders_from_suggestions(shop_id=shop.id, sku_ids=[sku.id])
    line = draft.lines.get()
    assert (draft.status, draft.supplier_id, line.quantity_ordered, line.unit_cost) == (
        PurchaseOrderStatus.DRAFT, supplier.id, 22, Decimal("9.90"),
    )  # fmt: skip
    # The drafted quantity is on order now: no more suggestion, and drafting again is refused.
    assert replenishment.suggestions(shop_id=shop.id) == []
    with pytest.raises(InvalidInput):
        services.draft_purchase_orders_from_suggestions(shop_id=shop.id, sku_ids=[sku.id])


def test_drafting_without_a_supplier_needs_one_named(shop, warehouse, sku, supplier):
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=5)
    put_stock(warehouse, sku, 2)
    with pytest.raises(InvalidInput) as caught:
        services.draft_purchase_orders_from_suggestions(shop_id=shop.id, sku_ids=[sku.id])
    assert caught.value.code == "no_supplier"
    [draft] = services.draft_purchase_orders_from_suggestions(
        shop_id=shop.id, sku_ids=[sku.id], supplier_id=supplier.id
    )
    assert draft.lines.get().quantity_ordered == 8  # threshold 5, refill to 10 from 2


def test_second_warehouse_receipt_does_not_touch_the_first(shop, po, sku, warehouse):
    third = make_warehouse(shop, code="bj")
    services.send_purchase_order(shop_id=shop.id, po_id=po.id)
    services.receive_purchase_order(
        shop_id=shop.id, po_id=po.id, lines=[SkuQuantity(sku.id, 2)], warehouse_id=third.id
    )
    assert on_hand(warehouse, sku) == 0 and on_hand(third, sku) == 2
