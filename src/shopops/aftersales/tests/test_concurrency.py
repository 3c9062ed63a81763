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
