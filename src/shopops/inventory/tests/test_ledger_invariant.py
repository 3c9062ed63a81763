"""The ledger invariant under any sequence of operations (hypothesis stateful testing).

For every (warehouse, SKU): on_hand == sum of the ledger's on_hand deltas, reserved == sum of its
reserved deltas, reserved == units held by active reservations there, and 0 <= reserved <= on_hand.
A simple Python model of the expected figures runs beside the real services; a refused operation
must leave both untouched.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from shopops.core.errors import DomainError
from shopops.inventory import selectors, services
from shopops.inventory.models import ReservationAllocation, ReservationStatus, Stock
from shopops.inventory.services import CountLine, SkuQuantity
from shopops.inventory.tests.factories import make_shop, make_sku, make_warehouse

QTY = st.integers(min_value=-3, max_value=12)


class InventoryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.shop = make_shop()
        self.warehouses = [make_warehouse(self.shop, code=f"w{i}") for i in range(2)]
        self.skus = [make_sku(self.shop) for _ in range(2)]
        # (warehouse_id, sku_id) -> [on_hand, reserved]: what the figures must be
        self.model: dict[tuple[int, int], list[int]] = {}
        self.orders: dict[str, int] = {}  # active order_ref -> sku_id
        self.counter = 0

    # --- helpers ---------------------------------------------------------------------------------

    def figures(self) -> dict[tuple[int, int], tuple[int, int]]:
        return {
            (w, s): (on_hand, reserved)
            for w, s, on_hand, reserved in Stock.objects.filter(shop=self.shop).values_list(
                "warehouse_id", "sku_id", "on_hand", "reserved"
            )
        }

    def attempt(self, operation) -> bool:
        """Run a service call; a refusal (DomainError) must change no figure."""
        before = self.figures()
        try:
            operation()
            return True
        except DomainError:
            after = self.figures()
            assert {k: v for k, v in after.items() if v != (0, 0)} == {
                k: v for k, v in before.items() if v != (0, 0)
            }
            return False

    def cell(self, w: int, s: int) -> list[int]:
        return self.model.setdefault((w, s), [0, 0])

    # --- rules -----------------------------------------------------------------------------------

    @rule(w=st.integers(0, 1), s=st.integers(0, 1), qty=st.integers(1, 15))
    def receive(self, w, s, qty):
        warehouse, sku = self.warehouses[w], self.skus[s]
        services.bulk_receive_new_stock(shop_id=self.shop.id, quantities={(warehouse.id, sku.id): qty})
        self.cell(warehouse.id, sku.id)[0] += qty

    @rule(w=st.integers(0, 1), s=st.integers(0, 1), delta=QTY)
    def adjust(self, w, s, delta):
        warehouse, sku = self.warehouses[w], self.skus[s]
        ok = self.attempt(
            lambda: services.adjust_stock(
                shop_id=self.shop.id, warehouse_id=warehouse.id, sku_id=sku.id, delta=delta, reason="prop"
            )
        )
        on_hand, reserved = self.cell(warehouse.id, sku.id)
        assert ok == (delta != 0 and on_hand + delta >= reserved)
        if ok:
            self.cell(warehouse.id, sku.id)[0] += delta

    @rule(s=st.integers(0, 1), qty=QTY, named=st.sampled_from([None, 0, 1]))
    def reserve(self, s, qty, named):
        sku = self.skus[s]
        self.counter += 1
        ref = f"ORD-{self.shop.id}-{self.counter}"
        warehouse_id = None if named is None else self.warehouses[named].id
        ok = self.attempt(
            lambda: services.reserve(
                sku_id=sku.id,
                quantity=qty,
                order_ref=ref,
                expires_at=timezone.now() + timedelta(minutes=10),
                warehouse_id=warehouse_id,
            )
        )
        if warehouse_id is None:
            can = sum(oh - r for (w, sid), (oh, r) in self.model.items() if sid == sku.id)
        else:
            on_hand, reserved = self.cell(warehouse_id, sku.id)
            can = on_hand - reserved
        assert ok == (0 < qty <= can)
        if ok:
            self.orders[ref] = sku.id
            for allocation in ReservationAllocation.objects.filter(reservation__order_ref=ref):
                self.cell(allocation.warehouse_id, sku.id)[1] += allocation.quantity

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), pay=st.booleans())
    def settle(self, data, pay):
        ref = data.draw(st.sampled_from(sorted(self.orders)))
        sku_id = self.orders.pop(ref)
        allocations = list(ReservationAllocation.objects.filter(reservation__order_ref=ref))
        if pay:
            services.commit_reservation(order_ref=ref, sku_id=sku_id)
        else:
            services.release_reservation(order_ref=ref, sku_id=sku_id)
        for allocation in allocations:
            cell = self.cell(allocation.warehouse_id, sku_id)
            cell[1] -= allocation.quantity
            if pay:
                cell[0] -= allocation.quantity

    @rule(s=st.integers(0, 1), qty=QTY, forward=st.booleans())
    def transfer(self, s, qty, forward):
        sku = self.skus[s]
        source, target = self.warehouses if forward else self.warehouses[::-1]
        ok = self.attempt(
            lambda: services.transfer_stock(
                shop_id=self.shop.id,
                from_warehouse_id=source.id,
                to_warehouse_id=target.id,
                lines=[SkuQuantity(sku.id, qty)],
            )
        )
        on_hand, reserved = self.cell(source.id, sku.id)
        assert ok == (0 < qty <= on_hand - reserved)
        if ok:
            self.cell(source.id, sku.id)[0] -= qty
            self.cell(target.id, sku.id)[0] += qty

    @rule(w=st.integers(0, 1), s=st.integers(0, 1), counted=st.integers(0, 20))
    def stocktake(self, w, s, counted):
        warehouse, sku = self.warehouses[w], self.skus[s]
        ok = self.attempt(
            lambda: services.record_stocktake(
                shop_id=self.shop.id,
                warehouse_id=warehouse.id,
                reason="prop",
                lines=[CountLine(sku.id, counted)],
            )
        )
        assert ok == (counted >= self.cell(warehouse.id, sku.id)[1])
        if ok:
            self.cell(warehouse.id, sku.id)[0] = counted

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def figures_match_the_model_and_the_ledger(self):
        actual = self.figures()
        for key, (on_hand, reserved) in self.model.items():
            assert actual.get(key, (0, 0)) == (on_hand, reserved)
        for (w, s), (on_hand, reserved) in actual.items():
            assert 0 <= reserved <= on_hand
            assert selectors.ledger_sums(warehouse_id=w, sku_id=s) == (on_hand, reserved)
            held = ReservationAllocation.objects.filter(
                warehouse_id=w, reservation__sku_id=s, reservation__status=ReservationStatus.ACTIVE
            ).aggregate(total=Sum("quantity"))["total"]
            assert reserved == (held or 0)


@pytest.mark.django_db
def test_ledger_invariant_holds_for_any_sequence_of_operations():
    run_state_machine_as_test(
        InventoryMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
