"""Concurrent clicks on "refund" pay once (real threads, real transactions)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from shopops.aftersales import services
from shopops.aftersales.models import AfterSalesRequest, AfterSalesStatus
from shopops.aftersales.tests.factories import delivered_order, service_agent
from shopops.core.errors import DomainError
from shopops.payments.models import Refund


@pytest.mark.django_db(transaction=True)
def test_concurrent_refund_attempts_pay_once(roles):
    order = delivered_order(lines=[("80.00", 1)])
    agent = service_agent(order.shop)
    request = services.create_request(
        user=order.user, order_no=order.number, line_id=order.lines.get().id, kind="refund_only",
        quantity=1, reason="missing",
    )  # fmt: skip
    services.approve(request=request, actor=agent)
    workers = 6
    barrier = Barrier(workers)

    def attempt(_: int) -> str:
        try:
            barrier.wait(timeout=10)
            services.refund(request=AfterSalesRequest.objects.get(pk=request.pk), actor=agent)
            return "ok"
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(attempt, range(workers)))

    assert results.count("ok") == 1, results
    assert set(results) - {"ok"} <= {"illegal_transition"}
    refunds = Refund.objects.filter(idempotency_key__contains=request.number)
    assert refunds.count() == 1
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.CLOSED  # the sandbox settled it after commit
    assert refunds.get().status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_claim_more_units_than_the_line_has(roles):
    order = delivered_order(lines=[("10.00", 3)])
    line = order.lines.get()
    workers = 4
    barrier = Barrier(workers)

    def ask(_: int) -> str:
        try:
            barrier.wait(timeout=10)
            services.create_request(
                user=order.user, order_no=order.number, line_id=line.id, kind="refund_only", quantity=2,
                reason="missing",
            )  # fmt: skip
            return "ok"
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(ask, range(workers)))
    assert results.count("ok") == 1, results
    assert AfterSalesRequest.objects.filter(order_line=line).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_exchanges_racing_for_the_last_unit_of_another_size_ship_once(roles):
    """Both requests were accepted while one unit of size L was left; when both ship at once the
    inventory reservation lets exactly one through and the other is refused with nothing written."""
    import uuid
    from decimal import Decimal

    from shopops.aftersales.errors import ReplacementNotAvailable
    from shopops.catalog.models import Sku
    from shopops.inventory import services as inventory
    from shopops.inventory.models import Stock, StockLedgerEntry
    from shopops.orders.tests import factories as of

    first = delivered_order(lines=(("59.90", 1),))
    line = first.lines.get()
    second = delivered_order(shop=first.shop, lines=(("59.90", 1),))
    # the second order bought the same product: point its line at it (factories make a product each)
    second.lines.update(product_id=line.product_id, sku_id=line.sku_id)
    size_l = Sku.objects.create(
        shop_id=first.shop_id,
        product_id=line.product_id,
        code=f"L-{uuid.uuid4().hex[:8]}",
        price=Decimal("59.90"),
        combination_key="L",
    )
    warehouse = of.warehouse_for(first.shop)
    inventory.bulk_receive_new_stock(
        shop_id=first.shop_id, quantities={(warehouse.id, size_l.id): 1}, reference="OPENING"
    )
    agent = service_agent(first.shop)
    requests = []
    for order in (first, second):
        request = services.create_request(
            user=order.user,
            order_no=order.number,
            line_id=order.lines.get().id,
            kind="exchange",
            quantity=1,
            reason="size",
            replacement_sku_id=size_l.id,
        )
        services.approve(request=request, actor=agent)
        services.ship_back(request=request, actor=order.user, carrier_name="中通", waybill_no="ZT778899")
        services.receive(request=request, actor=agent, passed=True)
        requests.append(request)

    start = Barrier(2)

    def ship(request) -> str:
        try:
            start.wait()
            services.ship_replacement(
                request=request, actor=agent, carrier_name="顺丰", waybill_no="SF990011"
            )
            return "shipped"
        except ReplacementNotAvailable:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(ship, requests))

    assert outcomes == ["refused", "shipped"]
    stock = Stock.objects.get(sku_id=size_l.id)
    assert (stock.on_hand, stock.reserved) == (0, 0)
    statuses = sorted(
        AfterSalesRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list("status", flat=True)
    )
    assert statuses == ["received", "replacement_shipped"]
    assert StockLedgerEntry.objects.filter(sku_id=size_l.id, reason="sale").count() == 1
