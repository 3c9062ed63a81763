"""Reads of the payments app (other apps use these, never the models' managers directly)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from shopops.core.money import ZERO
from shopops.payments.errors import PaymentNotFound
from shopops.payments.models import (
    ACTIVE_REFUND_STATUSES,
    PAID_STATUSES,
    Payment,
    PaymentStatus,
    ReconciliationRun,
    Refund,
    RefundStatus,
)


def payment_for_payer(*, user: Any, payment_no: str) -> Payment:
    """The user's own payment; anyone else's is reported as not existing (404, no probing)."""
    payment = Payment.objects.filter(payment_no=payment_no, payer_id=getattr(user, "pk", None)).first()
    if payment is None:
        raise PaymentNotFound(payment_no=payment_no)
    return payment


def payments_for_payer(*, user: Any, reference: str = "", status: str = "") -> QuerySet[Payment]:
    payments = Payment.objects.filter(payer_id=user.pk)
    if reference:
        payments = payments.filter(reference=reference)
    if status:
        payments = payments.filter(status=status)
    return payments.order_by("-created_at", "-id")


def payment_by_number(payment_no: str) -> Payment | None:
    return Payment.objects.filter(payment_no=payment_no).first()


def payments_for_reference(reference: str) -> QuerySet[Payment]:
    return Payment.objects.filter(reference=reference).order_by("created_at", "id")


def paid_payment_for_reference(reference: str) -> Payment | None:
    """The payment that paid `reference` (for orders to check against its own state)."""
    return (
        Payment.objects.filter(reference=reference, status=PaymentStatus.SUCCEEDED)
        .order_by("paid_at")
        .first()
    )


def refunded_total(payment: Payment) -> Decimal:
    """Money that has gone back to the shopper (succeeded refunds only)."""
    total = payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(s=Sum("amount"))["s"]
    return total or ZERO


def refundable_amount(payment: Payment) -> Decimal:
    """What can still be refunded: paid minus refunds requested, in progress or done."""
    if payment.status not in PAID_STATUSES:
        return ZERO
    held = payment.refunds.filter(status__in=ACTIVE_REFUND_STATUSES).aggregate(s=Sum("amount"))["s"] or ZERO
    return payment.amount - held


def refunds_for_payment(payment: Payment) -> QuerySet[Refund]:
    return payment.refunds.order_by("created_at", "id")


def refund_by_number(refund_no: str) -> Refund | None:
    return Refund.objects.select_related("payment").filter(refund_no=refund_no).first()


def with_refunded_total(payments: QuerySet[Payment]) -> QuerySet[Payment]:
    succeeded = (
        Refund.objects.filter(payment=OuterRef("pk"), status=RefundStatus.SUCCEEDED)
        .values("payment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return payments.annotate(
        refunded_total=Coalesce(Subquery(succeeded, output_field=money), Value(ZERO), output_field=money)
    )


def flagged_payments() -> QuerySet[Payment]:
    return Payment.objects.filter(needs_attention=True).order_by("-updated_at")


def reconciliation_runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.order_by("-created_at", "-id")


def reconciliation_run(run_id: int) -> ReconciliationRun | None:
    return ReconciliationRun.objects.filter(pk=run_id).first()


def yesterday_range(now: datetime | None = None) -> tuple[datetime, datetime]:
    today = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=1), today
