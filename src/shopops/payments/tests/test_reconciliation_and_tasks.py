"""Reconciliation against the providers, the periodic tasks, and the admin pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shopops.payments import services, tasks
from shopops.payments.errors import ReconciliationRangeInvalid
from shopops.payments.gateways import sandbox
from shopops.payments.models import (
    MismatchKind,
    Payment,
    PaymentStatus,
    ReconciliationRun,
    SandboxTrade,
    SandboxTradeStatus,
)
from shopops.payments.tests.conftest import open_payment
from shopops.shops.tests.factories import api_as, make_member, make_user


def pay_at_provider(payment, capture):
    with capture(execute=True):
        sandbox.provider_pay(payment.payment_no, method="card")
    payment.refresh_from_db()


@pytest.fixture
def books(payer, django_capture_on_commit_callbacks):
    """Four payments whose records and the sandbox's books agree or disagree in known ways."""
    matched = open_payment(payer, amount="10.00")
    pay_at_provider(matched, django_capture_on_commit_callbacks)

    lost_notification = open_payment(payer, amount="20.00")
    SandboxTrade.objects.filter(out_trade_no=lost_notification.payment_no).update(
        status=SandboxTradeStatus.SUCCEEDED, paid_at=timezone.now()
    )
    recorded_only = open_payment(payer, amount="30.00")
    Payment.objects.filter(pk=recorded_only.pk).update(status=PaymentStatus.SUCCEEDED)

    refunded = open_payment(payer, amount="40.00")
    pay_at_provider(refunded, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.refund(payment=refunded, amount="15.00", idempotency_key="r")
    SandboxTrade.objects.filter(out_trade_no=refunded.payment_no).update(refunded_amount=Decimal("5.00"))

    old = open_payment(payer, amount="50.00")
    Payment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    return {"lost": lost_notification, "recorded_only": recorded_only, "refunded": refunded}


def today_range():
    now = timezone.now()
    return now - timedelta(days=1), now + timedelta(minutes=1)


@pytest.mark.django_db
def test_reconciliation_lists_every_kind_of_mismatch(books):
    start, end = today_range()
    run = services.reconcile(start=start, end=end)

    assert run.status == "done"
    assert (run.checked_count, run.matched_count, run.mismatch_count) == (4, 1, 3)
    kinds = {item.payment_id: item.kind for item in run.items.all()}
    assert kinds == {
        books["lost"].pk: MismatchKind.PAID_NOT_RECORDED,
        books["recorded_only"].pk: MismatchKind.RECORDED_NOT_PAID,
        books["refunded"].pk: MismatchKind.REFUNDED_AMOUNT,
    }
    assert run.recorded_total == Decimal("80.00")  # 10 + 30 + 40
    assert run.gateway_total == Decimal("70.00")  # 10 + 20 + 40
    # Reconciliation reports; it never changes the books by itself.
    books["lost"].refresh_from_db()
    assert books["lost"].status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_reconciliation_range_is_checked():
    now = timezone.now()
    with pytest.raises(ReconciliationRangeInvalid):
        services.reconcile(start=now, end=now - timedelta(hours=1))
    with pytest.raises(ReconciliationRangeInvalid):
        services.reconcile(start=now - timedelta(days=40), end=now)


@pytest.mark.django_db
def test_reconciliation_api_is_for_the_platform_only(client, books, django_capture_on_commit_callbacks):
    start, end = today_range()
    body = {"start": start.isoformat(), "end": end.isoformat()}
    shopper = api_as(client, make_user())
    assert shopper.post("/payments/reconciliations", body).status_code == 403
    assert shopper.get("/payments/reconciliations").status_code == 403

    admin = api_as(client, make_member(None, "platform_admin").user)
    with django_capture_on_commit_callbacks(execute=True):
        created = admin.post("/payments/reconciliations", body)
    assert created.status_code == 201, created.json()
    run_id = created.json()["id"]
    detail = admin.get(f"/payments/reconciliations/{run_id}").json()
    assert detail["status"] == "done"
    assert {m["kind"] for m in detail["mismatches"]} == {
        "paid_not_recorded",
        "recorded_not_paid",
        "refunded_amount",
    }
    assert admin.get("/payments/reconciliations").json()["count"] == 1
    assert admin.get("/payments/reconciliations/999999").status_code == 404
    bad = admin.post("/payments/reconciliations", {"start": end.isoformat(), "end": start.isoformat()})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_range")


@pytest.mark.django_db
def test_poll_recovers_lost_notifications_and_closes_overdue_payments(
    payer, signal_log, django_capture_on_commit_callbacks
):
    now = timezone.now()
    due_soon = open_payment(payer, expires_at=now + timedelta(minutes=2))
    SandboxTrade.objects.filter(out_trade_no=due_soon.payment_no).update(status="succeeded", paid_at=now)
    overdue = open_payment(payer)
    Payment.objects.filter(pk=overdue.pk).update(expires_at=now - timedelta(minutes=10))
    later = open_payment(payer, expires_at=now + timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.poll_pending_payments() == {"polled": 1, "expired": 1}

    for payment in (due_soon, overdue, later):
        payment.refresh_from_db()
    assert due_soon.status == PaymentStatus.SUCCEEDED
    assert overdue.status == PaymentStatus.CLOSED and overdue.failure_reason == "expired"
    assert SandboxTrade.objects.get(out_trade_no=overdue.payment_no).status == "closed"
    assert later.status == PaymentStatus.PENDING
    assert (signal_log.count("payment_succeeded"), signal_log.count("payment_closed")) == (1, 1)


@pytest.mark.django_db
def test_periodic_tasks_are_registered():
    from shopops.core.schedule import periodic_schedule

    names = set(periodic_schedule())
    assert {"payments.retry-refunds", "payments.poll-pending", "payments.daily-reconciliation"} <= names
    assert tasks.daily_reconciliation() == 0


@pytest.mark.django_db
def test_sandbox_delivery_failure_is_recorded_for_a_resend(
    payer, settings, django_capture_on_commit_callbacks
):
    payment = open_payment(payer)
    settings.PAYMENTS_CHANNELS = ["alipay"]  # the merchant no longer accepts sandbox notifications
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.provider_pay(payment.payment_no, method="card")
    notification = SandboxTrade.objects.get(out_trade_no=payment.payment_no).notifications.get()
    assert notification.status == "failed"
    assert notification.attempts == 1

    settings.PAYMENTS_CHANNELS = ["sandbox"]
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.deliver_sandbox_notification.delay(notification.pk).get() == "delivered"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


@pytest.mark.django_db
def test_admin_pages_for_platform_staff(client, books, django_capture_on_commit_callbacks):
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff, backend="shopops.accounts.backends.IdentifierBackend")
    payment = books["lost"]
    for url in (
        "/admin/payments/payment/",
        f"/admin/payments/payment/{payment.pk}/change/",
        "/admin/payments/refund/",
        "/admin/payments/paymentnotification/",
        "/admin/payments/reconciliationrun/",
        "/admin/payments/reconciliationrun/add/",
        "/admin/payments/sandboxtrade/",
    ):
        assert client.get(url).status_code == 200, url

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/payments/payment/",
            {"action": "sync_with_gateway", "_selected_action": [payment.pk]},
        )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED

    start, end = today_range()
    local = timezone.localtime
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/payments/reconciliationrun/add/",
            {
                "period_start_0": local(start).strftime("%Y-%m-%d"),
                "period_start_1": local(start).strftime("%H:%M:%S"),
                "period_end_0": local(end).strftime("%Y-%m-%d"),
                "period_end_1": local(end).strftime("%H:%M:%S"),
                "channel": "",
                "items-TOTAL_FORMS": "0",
                "items-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    run = ReconciliationRun.objects.get()
    assert run.status == "done" and run.created_by == staff
    assert client.get(f"/admin/payments/reconciliationrun/{run.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_admin_is_closed_to_shop_staff(client):
    user = make_user(is_staff=True)
    client.force_login(user, backend="shopops.accounts.backends.IdentifierBackend")
    assert client.get("/admin/payments/payment/").status_code in (302, 403)
