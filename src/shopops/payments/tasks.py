"""Celery tasks of the payments app (periodic ones registered at the bottom)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from shopops.core.schedule import register_periodic
from shopops.payments import selectors, services
from shopops.payments.errors import GatewayRejected, GatewayUnavailable, UnknownChannel
from shopops.payments.gateways import notify_url, sandbox
from shopops.payments.gateways.base import GatewayError
from shopops.payments.gateways.transport import default_transport
from shopops.payments.models import (
    OPEN_PAYMENT_STATUSES,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    SandboxDeliveryStatus,
    SandboxNotification,
)

logger = logging.getLogger(__name__)

SANDBOX_DELIVERY_RETRIES = 8
BATCH = 200


def _sandbox_transport() -> str:
    mode = getattr(settings, "PAYMENTS_SANDBOX_NOTIFY_TRANSPORT", "auto")
    if mode == "auto":
        # Eager (no worker): deliver in this process. With a worker: over HTTP, as a provider would.
        return "inprocess" if settings.CELERY_TASK_ALWAYS_EAGER else "http"
    return mode


def _send_sandbox(notification: SandboxNotification) -> tuple[bool, str]:
    """One delivery attempt, freshly signed (a provider re-signs every retry)."""
    headers = sandbox.signed_headers(notification.body)
    notification.headers = headers
    if _sandbox_transport() == "inprocess":
        try:
            outcome = services.handle_notification(
                channel="sandbox", headers=headers, body=notification.body.encode(), remote_addr="127.0.0.1"
            )
        except UnknownChannel:
            return False, "HTTP 404 unknown_channel"  # what the endpoint answers for a disabled channel
        return outcome.accepted, outcome.response.content.decode()[:255]
    reply = default_transport().request(
        "POST", notify_url("sandbox"), headers=headers, body=notification.body
    )
    try:
        accepted = reply.status == 200 and json.loads(reply.text).get("code") == "SUCCESS"
    except ValueError:
        accepted = False
    return accepted, f"HTTP {reply.status} {reply.text[:200]}"


@shared_task(bind=True, max_retries=SANDBOX_DELIVERY_RETRIES, acks_late=True)
def deliver_sandbox_notification(self, notification_id: int) -> str:
    notification = SandboxNotification.objects.filter(pk=notification_id).first()
    if notification is None or notification.status == SandboxDeliveryStatus.DELIVERED:
        return "skipped"
    try:
        accepted, detail = _send_sandbox(notification)
    except GatewayError as exc:
        accepted, detail = False, str(exc)[:255]
    SandboxNotification.objects.filter(pk=notification.pk).update(
        attempts=F("attempts") + 1,
        headers=notification.headers,
        last_response=detail,
        status=SandboxDeliveryStatus.DELIVERED if accepted else SandboxDeliveryStatus.PENDING,
        delivered_at=timezone.now() if accepted else None,
    )
    if accepted:
        return "delivered"
    # Like a real provider: back off and try again; give up after a day or so (the tester can resend).
    if not self.request.is_eager and self.request.retries < SANDBOX_DELIVERY_RETRIES:
        raise self.retry(countdown=min(15 * 2**self.request.retries, 3600))
    SandboxNotification.objects.filter(pk=notification.pk).update(status=SandboxDeliveryStatus.FAILED)
    return "failed"


@shared_task
def retry_refunds() -> dict[str, int]:
    """Resend refunds the provider never took, and ask about refunds it has been processing long."""
    now = timezone.now()
    max_attempts = int(getattr(settings, "PAYMENTS_REFUND_MAX_ATTEMPTS", 12))
    due = Refund.objects.filter(status=RefundStatus.REQUESTED, attempts__lt=max_attempts).filter(
        Q(next_attempt_at__lte=now)
        | Q(next_attempt_at__isnull=True, created_at__lte=now - timedelta(minutes=1))
    )
    submitted = 0
    for refund_id in due.values_list("pk", flat=True)[:BATCH]:
        services.submit_refund(refund_id=refund_id)
        submitted += 1
    synced = 0
    stale = Refund.objects.filter(
        status=RefundStatus.PROCESSING, submitted_at__lte=now - timedelta(minutes=5)
    ).select_related("payment")
    for refund_obj in stale[:BATCH]:
        try:
            services.sync_refund_status(refund=refund_obj)
            synced += 1
        except (GatewayUnavailable, GatewayRejected) as exc:
            logger.warning("could not query refund %s: %s", refund_obj.refund_no, exc)
    return {"submitted": submitted, "synced": synced}


@shared_task
def poll_pending_payments() -> dict[str, int]:
    """Query payments close to their deadline (a lost notification must not close a paid order),
    and close those past it plus a grace period."""
    now = timezone.now()
    window = timedelta(seconds=int(getattr(settings, "PAYMENTS_POLL_BEFORE_EXPIRY_SECONDS", 300)))
    grace = timedelta(seconds=int(getattr(settings, "PAYMENTS_EXPIRY_GRACE_SECONDS", 120)))
    polled = expired = 0
    near = Payment.objects.filter(
        status=PaymentStatus.PENDING, expires_at__lte=now + window, expires_at__gt=now - grace
    ).order_by("expires_at")
    for payment in near[:BATCH]:
        try:
            services.sync_payment_status(payment=payment)
            polled += 1
        except (GatewayUnavailable, GatewayRejected) as exc:
            logger.warning("could not poll %s: %s", payment.payment_no, exc)
    overdue = Payment.objects.filter(
        status__in=(*OPEN_PAYMENT_STATUSES, PaymentStatus.FAILED), expires_at__lte=now - grace
    ).order_by("expires_at")
    for payment in overdue[:BATCH]:
        try:
            services.expire_payment(payment=payment)
            expired += 1
        except (GatewayUnavailable, GatewayRejected) as exc:
            logger.warning("could not expire %s: %s", payment.payment_no, exc)
    return {"polled": polled, "expired": expired}


@shared_task
def run_reconciliation_task(run_id: int) -> int:
    return services.run_reconciliation(run_id=run_id).mismatch_count


@shared_task
def daily_reconciliation() -> int:
    """Reconcile yesterday (Beijing time) for every enabled channel."""
    start, end = selectors.yesterday_range()
    return services.reconcile(start=start, end=end).mismatch_count


register_periodic("payments.retry-refunds", "shopops.payments.tasks.retry_refunds", seconds=60)
register_periodic("payments.poll-pending", "shopops.payments.tasks.poll_pending_payments", seconds=60)
register_periodic(
    "payments.daily-reconciliation",
    "shopops.payments.tasks.daily_reconciliation",
    cron=crontab(hour=3, minute=30),
)
