"""Every write of the payments app.

Public API (keyword-only; raise payments.errors / core.errors, never return error strings):

    create_payment(payer, amount, reference, subject, channel, return_url, expires_at, scene,
                   payer_openid, client_ip) -> CreatedPayment(payment, action)
    close_payment(payment, reason, actor)               -> Payment (raises AlreadyPaid if money came)
    handle_notification(channel, headers, body, remote_addr) -> NotificationOutcome
    sync_payment_status(payment)                        -> Payment (asks the provider)
    refund(payment, amount, reason, idempotency_key, requested_by) -> Refund
    submit_refund(refund_id) / sync_refund_status(refund) (used by tasks, admin)
    resolve_late_payment(payment, action="accept"|"refund", actor, reason)
    reconcile(start, end, channel, actor) -> ReconciliationRun

State rules (one table, `_apply_gateway_state`), applied identically to notifications and queries:

    provider says   our status                       -> new status             signal
    succeeded       created / pending / failed       -> succeeded              payment_succeeded
    succeeded       closed                           -> succeeded_after_close  payment_succeeded_after_close
    succeeded       succeeded / succeeded_after_close   (duplicate: nothing)
    failed          created / pending                -> failed                 payment_failed
    closed          created / pending / failed       -> closed                 payment_closed
    anything else   (out of order, e.g. "failed" after "succeeded", Alipay's TRADE_CLOSED after a
                    full refund): recorded on the notification as ignored, the payment is unchanged.

Late payment policy: money that arrives for a closed payment (the order timed out, or the shopper
switched channel) is never credited silently. The payment becomes succeeded_after_close, is flagged
paid_after_close, and payment_succeeded_after_close is sent. The orders app reopens the order and
calls resolve_late_payment(action="accept") (-> succeeded, payment_succeeded), or gives the money back
with action="refund" (a full refund). Until one happens the payment waits in the admin's flagged list.

Money checks: a success whose amount or currency differs from the payment is stored, flagged
(amount_mismatch / currency_mismatch), not credited, and answered as a failure so the provider
keeps the record open; staff investigate from the admin.

Concurrency: a payment's state changes under SELECT ... FOR UPDATE of its row, and every signal is
queued with transaction.on_commit, so N concurrent deliveries of one notification credit once and
signal once. Refunds reserve their amount under the same payment row lock (the sum of active
refunds can never exceed the amount paid); the provider is called after that lock is released, and
refund rows are only locked on their own (lock order: payment, then refund; never the reverse).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpResponse
from django.utils import timezone

from shopops.core import audit
from shopops.core.errors import Conflict, InvalidInput
from shopops.core.ids import time_sortable_number
from shopops.core.money import CURRENCY, ZERO, MoneyError, to_money
from shopops.payments import signals
from shopops.payments.errors import (
    AlreadyPaid,
    GatewayRejected,
    GatewayUnavailable,
    IdempotencyKeyReused,
    InvalidAmount,
    NothingToResolve,
    PaymentNotRefundable,
    ReconciliationRangeInvalid,
    RefundExceedsPaid,
    UnknownChannel,
)
from shopops.payments.gateways import get_gateway
from shopops.payments.gateways.base import (
    TRADE_ALREADY_PAID,
    GatewayError,
    GatewayRefundResult,
    GatewayStatus,
    InvalidSignature,
    ParsedNotification,
    PaymentAction,
    PaymentGateway,
    PaymentState,
    RefundState,
)
from shopops.payments.models import (
    ACTIVE_REFUND_STATUSES,
    OPEN_PAYMENT_STATUSES,
    PAID_STATUSES,
    AttentionReason,
    MismatchKind,
    NotificationResult,
    Payment,
    PaymentNotification,
    PaymentStatus,
    ReconciliationItem,
    ReconciliationRun,
    ReconciliationStatus,
    Refund,
    RefundStatus,
)

logger = logging.getLogger(__name__)

MAX_NOTIFICATION_BODY = 64 * 1024
MAX_RECONCILIATION_DAYS = 31
# Headers never worth keeping with a notification (credentials of whoever called us).
_DROPPED_HEADERS = {"cookie", "authorization", "proxy-authorization"}


def default_ttl() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "PAYMENTS_DEFAULT_TTL_MINUTES", 30)))


def _gateway_failure(exc: GatewayError) -> GatewayUnavailable | GatewayRejected:
    cls = GatewayUnavailable if exc.retryable else GatewayRejected
    return cls(gateway_code=exc.code, gateway_detail=exc.detail[:200])


def _gateway(channel: str) -> PaymentGateway:
    return get_gateway(channel)


# --- creating a payment ----------------------------------------------------------------------------


class CreatedPayment(NamedTuple):
    payment: Payment
    action: PaymentAction


MAX_AMOUNT = Decimal("999999999999.99")  # what MoneyField (14 digits, 2 places) can hold


def _clean_amount(value: Any) -> Decimal:
    try:
        amount = to_money(value)
    except (MoneyError, InvalidOperation) as exc:  # InvalidOperation: too many digits to quantise
        raise InvalidAmount(amount=str(value)[:40]) from exc
    if amount <= ZERO or amount > MAX_AMOUNT:
        raise InvalidAmount(amount=str(amount)[:40])
    return amount


def _clean_return_url(url: str) -> str:
    """A path on this site, or an absolute http(s) URL: never javascript: or the like."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    is_path = not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//")
    is_web = parts.scheme in ("http", "https") and bool(parts.netloc)
    if len(url) > 500 or not (is_path or is_web):
        raise InvalidInput("支付返回地址无效 / Invalid return URL", code="invalid_return_url")
    return url


def create_payment(
    *,
    payer: Any,
    amount: Decimal | str | int,
    reference: str,
    subject: str,
    channel: str,
    return_url: str = "",
    expires_at: datetime | None = None,
    scene: str = "",
    payer_openid: str = "",
    client_ip: str = "",
) -> CreatedPayment:
    """Open (or reuse) the payment for `reference` and ask the provider how the shopper pays.

    One reference has at most one open payment. Calling again with the same payer, amount, channel
    and scene returns the open one (a shopper reloading the pay page is not charged twice). A
    different channel, scene or amount first closes the old payment at its provider, so it can no
    longer be paid; if it was paid meanwhile, AlreadyPaid is raised. Raises AlreadyPaid when the
    reference already has money.
    """
    amount = _clean_amount(amount)
    reference, subject = (reference or "").strip(), (subject or "").strip()[:128]
    if not reference or len(reference) > 64:
        raise InvalidInput("业务单号无效 / Invalid reference", code="invalid_reference")
    if not subject:
        raise InvalidInput("商品描述不能为空 / Subject is required", code="invalid_subject")
    return_url = _clean_return_url(return_url)
    now = timezone.now()
    expires_at = expires_at or now + default_ttl()
    if expires_at <= now:
        raise InvalidInput("支付截止时间已过 / The payment deadline has passed", code="payment_expired")
    gateway = _gateway(channel)
    if scene not in gateway.scenes:
        raise InvalidInput("不支持的支付场景 / Unsupported payment scene", code="invalid_scene", scene=scene)

    for _attempt in range(3):
        reusable = _supersede_others(
            reference=reference, payer=payer, amount=amount, channel=channel, scene=scene, now=now
        )
        if reusable is not None:
            if reusable.action and reusable.status == PaymentStatus.PENDING:
                return CreatedPayment(reusable, PaymentAction.from_dict(reusable.action))
            return _start_at_gateway(reusable, gateway, payer_openid=payer_openid, client_ip=client_ip)
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    payment_no=time_sortable_number("P"),
                    payer=payer,
                    reference=reference,
                    subject=subject,
                    amount=amount,
                    currency=CURRENCY,
                    channel=channel,
                    scene=scene,
                    return_url=return_url,
                    expires_at=expires_at,
                )
        except IntegrityError:
            continue  # another request opened a payment for this reference just now: look again
        return _start_at_gateway(payment, gateway, payer_openid=payer_openid, client_ip=client_ip)
    raise Conflict(
        "支付单正在创建，请稍后重试 / A payment is being opened, retry shortly", code="payment_busy"
    )


def _supersede_others(
    *, reference: str, payer: Any, amount: Decimal, channel: str, scene: str, now: datetime
) -> Payment | None:
    """Return the open payment to reuse, after closing every other payable one for this reference."""
    others = list(
        Payment.objects.filter(reference=reference)
        .exclude(status=PaymentStatus.CLOSED)
        .order_by("created_at")
    )
    paid = [p for p in others if p.status in PAID_STATUSES]
    if paid:
        raise AlreadyPaid(reference=reference, payment_no=paid[0].payment_no)
    if any(p.payer_id != payer.pk for p in others):
        raise Conflict("业务单号已被占用 / This reference belongs to someone else", code="reference_in_use")
    reusable = None
    for other in others:
        same = (other.channel, other.scene, other.amount) == (channel, scene, amount)
        if same and other.status in OPEN_PAYMENT_STATUSES and other.expires_at > now:
            reusable = other
            continue
        close_payment(payment=other, reason="superseded")
    return reusable


def _start_at_gateway(
    payment: Payment, gateway: PaymentGateway, *, payer_openid: str, client_ip: str
) -> CreatedPayment:
    try:
        action = gateway.create_payment(payment, payer_openid=payer_openid, client_ip=client_ip)
    except GatewayError as exc:
        logger.warning("gateway %s refused to open %s: %s", payment.channel, payment.payment_no, exc)
        raise _gateway_failure(exc) from exc
    now = timezone.now()
    opened = Payment.objects.filter(pk=payment.pk, status__in=OPEN_PAYMENT_STATUSES).update(
        status=PaymentStatus.PENDING, action=action.as_dict(), updated_at=now
    )
    if opened:  # what the UPDATE wrote is what the row holds: no need to read it back
        payment.status, payment.action, payment.updated_at = PaymentStatus.PENDING, action.as_dict(), now
    else:  # closed or paid meanwhile: answer with the row as it is
        payment.refresh_from_db()
    return CreatedPayment(payment, action)


# --- closing ---------------------------------------------------------------------------------------


def close_payment(*, payment: Payment, reason: str = "", actor: Any = None) -> Payment:
    """Close the payment at the provider and here, so it can no longer be paid. Idempotent.

    Raises AlreadyPaid if the money came first (the success is recorded before raising, so the
    caller, e.g. the order timeout, must keep the order). Called inside a transaction that the
    caller then rolls back, that record goes too; the provider's next notification (it retries until
    answered) or tasks.poll_pending_payments records it again, and payment_succeeded is sent then.
    """
    paid_at_provider = False
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == PaymentStatus.CLOSED:
            return locked
        if locked.status in PAID_STATUSES:
            raise AlreadyPaid(reference=locked.reference, payment_no=locked.payment_no)
        if locked.status != PaymentStatus.CREATED or locked.action:
            try:
                _gateway(locked.channel).close(locked)
            except UnknownChannel:
                logger.warning(
                    "closing %s locally: channel %s is disabled", locked.payment_no, locked.channel
                )
            except GatewayError as exc:
                if exc.code != TRADE_ALREADY_PAID:
                    raise _gateway_failure(exc) from exc
                paid_at_provider = True
        if not paid_at_provider:
            _set_status(locked, PaymentStatus.CLOSED, closed_at=timezone.now(), failure_reason=reason[:255])
            signals.send_on_commit(signals.payment_closed, Payment, payment=locked)
            if actor is not None:
                audit.record(actor=actor, action="payments.close", obj=locked, reason=reason)
    if paid_at_provider:
        # Record the success the provider just told us about, then refuse the close.
        sync_payment_status(payment=locked)
        raise AlreadyPaid(reference=locked.reference, payment_no=locked.payment_no)
    payment.refresh_from_db()
    return locked


def _set_status(payment: Payment, status: str, **fields: Any) -> None:
    payment.status = status
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.save(update_fields=["status", "updated_at", *fields])


def _flag(payment: Payment, reason: str) -> None:
    payment.needs_attention = True
    payment.attention_reason = reason
    payment.attention_resolved_at = None
    payment.save(update_fields=["needs_attention", "attention_reason", "attention_resolved_at", "updated_at"])
    signals.send_on_commit(signals.payment_flagged, Payment, payment=payment, reason=reason)


# --- applying what the provider says ---------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    result: str  # a NotificationResult
    accepted: bool  # answer the provider "success" (stop retrying)
    error_code: str = ""


def _apply_gateway_state(
    payment: Payment,
    *,
    state: PaymentState,
    amount: Decimal | None,
    currency: str,
    gateway_trade_id: str,
    paid_at: datetime | None,
    paid_with: str,
) -> Applied:
    """The one transition table (see the module docstring). `payment` must be locked by the caller."""
    status = payment.status
    if state == PaymentState.SUCCEEDED:
        if currency != payment.currency:
            _flag(payment, AttentionReason.CURRENCY_MISMATCH)
            return Applied(NotificationResult.FLAGGED, False, "currency_mismatch")
        if amount is None or amount != payment.amount:
            _flag(payment, AttentionReason.AMOUNT_MISMATCH)
            return Applied(NotificationResult.FLAGGED, False, "amount_mismatch")
        if status in PAID_STATUSES:
            if gateway_trade_id and payment.gateway_trade_id and gateway_trade_id != payment.gateway_trade_id:
                _flag(payment, AttentionReason.TRADE_ID_CHANGED)
                return Applied(NotificationResult.FLAGGED, True, "trade_id_changed")
            return Applied(NotificationResult.DUPLICATE, True)
        paid = {
            "paid_at": paid_at or timezone.now(),
            "gateway_trade_id": gateway_trade_id or payment.gateway_trade_id,
            "paid_with": paid_with or payment.paid_with,
        }
        if status == PaymentStatus.CLOSED:
            _set_status(payment, PaymentStatus.SUCCEEDED_AFTER_CLOSE, **paid)
            _flag(payment, AttentionReason.PAID_AFTER_CLOSE)
            signals.send_on_commit(signals.payment_succeeded_after_close, Payment, payment=payment)
            return Applied(NotificationResult.FLAGGED, True, "paid_after_close")
        _set_status(payment, PaymentStatus.SUCCEEDED, failure_reason="", **paid)
        signals.send_on_commit(signals.payment_succeeded, Payment, payment=payment)
        return Applied(NotificationResult.CREDITED, True)
    if state == PaymentState.FAILED:
        if status == PaymentStatus.FAILED:
            return Applied(NotificationResult.DUPLICATE, True)
        if status in OPEN_PAYMENT_STATUSES:
            _set_status(payment, PaymentStatus.FAILED, failed_at=timezone.now(), paid_with=paid_with)
            signals.send_on_commit(signals.payment_failed, Payment, payment=payment)
            return Applied(NotificationResult.APPLIED, True)
        return Applied(NotificationResult.IGNORED, True, f"failed_after_{status}")
    if state == PaymentState.CLOSED:
        if status == PaymentStatus.CLOSED:
            return Applied(NotificationResult.DUPLICATE, True)
        if status in (*OPEN_PAYMENT_STATUSES, PaymentStatus.FAILED):
            _set_status(
                payment, PaymentStatus.CLOSED, closed_at=timezone.now(), failure_reason="closed_by_gateway"
            )
            signals.send_on_commit(signals.payment_closed, Payment, payment=payment)
            return Applied(NotificationResult.APPLIED, True)
        return Applied(NotificationResult.IGNORED, True, f"closed_after_{status}")
    return Applied(NotificationResult.IGNORED, True, f"state_{state}")


# --- notifications ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationOutcome:
    notification: PaymentNotification
    accepted: bool
    response: HttpResponse


def _storable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k): str(v)[:1000] for k, v in headers.items() if str(k).lower() not in _DROPPED_HEADERS}


def handle_notification(
    *, channel: str, headers: Mapping[str, str], body: bytes, remote_addr: str | None = None
) -> NotificationOutcome:
    """Store, verify and apply one asynchronous notification; answer in the provider's protocol.

    The raw notification is committed first, whatever follows, so the audit trail has every delivery
    (forged, duplicate or mismatched ones included). Raises UnknownChannel for a disabled channel.
    """
    gateway = _gateway(channel)
    note = PaymentNotification.objects.create(
        channel=channel,
        headers=_storable_headers(headers),
        body=body[:MAX_NOTIFICATION_BODY].decode("utf-8", errors="replace"),
        body_sha256=hashlib.sha256(body).hexdigest(),
        remote_addr=remote_addr or None,
    )
    try:
        if len(body) > MAX_NOTIFICATION_BODY:
            raise InvalidSignature("body_too_large")
        parsed = gateway.parse_notification(headers, body)
    except InvalidSignature as exc:
        logger.warning("rejected %s notification #%s: %s", channel, note.pk, exc)
        _finish(
            note,
            signature_valid=False,
            result=NotificationResult.REJECTED,
            error_code=exc.code,
            error_detail=exc.detail,
        )
        return NotificationOutcome(note, False, gateway.notification_response(success=False))

    note.signature_valid = True
    note.kind, note.event_id, note.payment_no = parsed.kind, parsed.event_id[:100], parsed.payment_no[:64]
    note.parsed = parsed.summary()
    try:
        with transaction.atomic():
            if parsed.kind == "refund":
                applied = _apply_refund_notification(note, parsed)
            else:
                applied = _apply_payment_notification(note, parsed, channel)
            _finish(note, result=applied.result, error_code=applied.error_code)
    except Exception:
        # A bug or a database failure: keep the raw notification, answer failure so it comes again.
        logger.exception("could not apply %s notification #%s", channel, note.pk)
        _finish(note, result=NotificationResult.RECEIVED, error_code="processing_error")
        return NotificationOutcome(note, False, gateway.notification_response(success=False))
    return NotificationOutcome(
        note, applied.accepted, gateway.notification_response(success=applied.accepted)
    )


def _finish(note: PaymentNotification, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(note, name, value)
    note.processed_at = timezone.now()
    # The raw headers and body never change after receipt: write back only what processing decided.
    note.save(update_fields=[*_PROCESSING_FIELDS, *fields])


# What handling a notification may set on its stored row (besides `_finish`'s own fields).
_PROCESSING_FIELDS = (
    "signature_valid",
    "kind",
    "event_id",
    "payment_no",
    "parsed",
    "payment",
    "refund",
    "processed_at",
)


def _apply_payment_notification(
    note: PaymentNotification, parsed: ParsedNotification, channel: str
) -> Applied:
    payment = (
        Payment.objects.select_for_update().filter(payment_no=parsed.payment_no, channel=channel).first()
    )
    if payment is None:
        return Applied(NotificationResult.REJECTED, False, "unknown_payment")
    note.payment = payment
    return _apply_gateway_state(
        payment,
        state=parsed.state or PaymentState.PENDING,
        amount=parsed.amount,
        currency=parsed.currency,
        gateway_trade_id=parsed.gateway_trade_id,
        paid_at=parsed.paid_at,
        paid_with=parsed.paid_with,
    )


def _apply_refund_notification(note: PaymentNotification, parsed: ParsedNotification) -> Applied:
    refund_obj = (
        Refund.objects.select_for_update(of=("self",))
        .select_related("payment")
        .filter(refund_no=parsed.refund_no, payment__payment_no=parsed.payment_no)
        .first()
    )
    if refund_obj is None:
        return Applied(NotificationResult.REJECTED, False, "unknown_refund")
    note.refund, note.payment = refund_obj, refund_obj.payment
    if parsed.refund_amount is not None and parsed.refund_amount != refund_obj.amount:
        Payment.objects.filter(pk=refund_obj.payment_id).update(
            needs_attention=True, attention_reason=AttentionReason.REFUND_MISMATCH, updated_at=timezone.now()
        )
        return Applied(NotificationResult.FLAGGED, False, "refund_amount_mismatch")
    result = GatewayRefundResult(
        state=parsed.refund_state or RefundState.PROCESSING, gateway_refund_id=parsed.gateway_refund_id
    )
    return _apply_refund_result(refund_obj, result)


# --- querying the provider -------------------------------------------------------------------------


def sync_payment_status(*, payment: Payment) -> Payment:
    """Ask the provider for the trade's state and apply it like a notification (lost ones included)."""
    try:
        status = _gateway(payment.channel).query(payment)
    except GatewayError as exc:
        raise _gateway_failure(exc) from exc
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if status.state != PaymentState.NOT_FOUND:
            _apply_status(locked, status)
    payment.refresh_from_db()
    return locked


def _apply_status(payment: Payment, status: GatewayStatus) -> Applied:
    return _apply_gateway_state(
        payment,
        state=status.state,
        amount=status.amount,
        currency=status.currency,
        gateway_trade_id=status.gateway_trade_id,
        paid_at=status.paid_at,
        paid_with=status.paid_with,
    )


# --- refunds ---------------------------------------------------------------------------------------


def refund(
    *,
    payment: Payment,
    amount: Decimal | str | int,
    reason: str = "",
    idempotency_key: str,
    requested_by: Any = None,
) -> Refund:
    """Refund part or all of a paid payment. Idempotent on `idempotency_key`.

    The amount is reserved under the payment's row lock (active refunds never sum past the amount
    paid), then the refund goes to the provider after commit. Called outside a transaction, the
    returned refund already carries the provider's answer (processing / succeeded / failed, or
    requested with last_error when the provider was unreachable: tasks.retry_refunds resends it).
    Called inside the caller's transaction, the provider is asked only once that commits.
    Raises RefundExceedsPaid (422), PaymentNotRefundable (409), IdempotencyKeyReused (409).
    """
    amount = _clean_amount(amount)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise InvalidInput("幂等键无效 / Invalid idempotency key", code="invalid_idempotency_key")
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_refund_or_conflict(existing, payment, amount)
    try:
        with transaction.atomic():
            refund_obj = _reserve_refund(
                payment=payment, amount=amount, reason=reason, key=key, requested_by=requested_by
            )
    except IntegrityError:
        # The same key was used concurrently for another payment's refund.
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _same_refund_or_conflict(existing, payment, amount)
    refund_obj.refresh_from_db()
    return refund_obj


def _same_refund_or_conflict(existing: Refund, payment: Payment, amount: Decimal) -> Refund:
    if existing.payment_id != payment.pk or existing.amount != amount:
        raise IdempotencyKeyReused(refund_no=existing.refund_no)
    return existing


def _reserve_refund(*, payment: Payment, amount: Decimal, reason: str, key: str, requested_by: Any) -> Refund:
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    # A concurrent request with the same key waited on the lock above: it now sees the first refund.
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_refund_or_conflict(existing, locked, amount)
    if locked.status not in PAID_STATUSES:
        raise PaymentNotRefundable(payment_no=locked.payment_no, status=locked.status)
    held = held_refund_total(locked)
    if held + amount > locked.amount:
        raise RefundExceedsPaid(
            paid=locked.amount, already_refunded=held, requested=amount, refundable=locked.amount - held
        )
    refund_obj = Refund.objects.create(
        refund_no=time_sortable_number("R"),
        payment=locked,
        amount=amount,
        reason=(reason or "")[:255],
        idempotency_key=key,
        requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
    )
    if requested_by is not None:
        audit.record(
            actor=requested_by,
            action="payments.refund",
            obj=refund_obj,
            reason=reason or "",
            after={"payment": locked.payment_no, "amount": str(amount)},
        )
    transaction.on_commit(partial(submit_refund, refund_id=refund_obj.pk))
    return refund_obj


def held_refund_total(payment: Payment) -> Decimal:
    total = payment.refunds.filter(status__in=ACTIVE_REFUND_STATUSES).aggregate(s=Sum("amount"))["s"]
    return total or ZERO


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def submit_refund(*, refund_id: int) -> Refund | None:
    """Send a requested refund to the provider (safe to repeat: the provider dedupes on refund_no).

    Never raises: an unreachable provider leaves the refund requested with last_error and a
    next_attempt_at for tasks.retry_refunds.
    """
    try:
        with transaction.atomic():
            refund_obj = (
                Refund.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("payment")
                .filter(pk=refund_id, status=RefundStatus.REQUESTED)
                .first()
            )
            if refund_obj is None:
                return None  # already submitted, or another worker is submitting it right now
            refund_obj.attempts += 1
            refund_obj.submitted_at = timezone.now()
            try:
                result = _gateway(refund_obj.payment.channel).refund(refund_obj)
            except (GatewayError, UnknownChannel) as exc:
                retryable = getattr(exc, "retryable", True)
                if not retryable:
                    _apply_refund_result(
                        refund_obj, GatewayRefundResult(RefundState.FAILED, failure_code=exc.code)
                    )
                    return refund_obj
                refund_obj.last_error = str(exc)[:255]
                refund_obj.next_attempt_at = timezone.now() + _retry_delay(refund_obj.attempts)
                refund_obj.save(
                    update_fields=["attempts", "submitted_at", "last_error", "next_attempt_at", "updated_at"]
                )
                return refund_obj
            refund_obj.save(update_fields=["attempts", "submitted_at", "updated_at"])
            _apply_refund_result(refund_obj, result)
            return refund_obj
    except Exception as exc:
        logger.exception("refund %s could not be submitted", refund_id)
        Refund.objects.filter(pk=refund_id, status=RefundStatus.REQUESTED).update(
            last_error=str(exc)[:255], next_attempt_at=timezone.now() + _retry_delay(1)
        )
        return None


def sync_refund_status(*, refund: Refund) -> Refund:
    """Ask the provider how a processing refund ended (for refunds whose notification never came)."""
    try:
        result = _gateway(refund.payment.channel).query_refund(refund)
    except GatewayError as exc:
        raise _gateway_failure(exc) from exc
    with transaction.atomic():
        locked = Refund.objects.select_for_update(of=("self",)).select_related("payment").get(pk=refund.pk)
        _apply_refund_result(locked, result)
    return locked


def _apply_refund_result(refund_obj: Refund, result: GatewayRefundResult) -> Applied:
    """Refund transitions; `refund_obj` must be locked. requested -> processing -> succeeded | failed."""
    status = refund_obj.status
    if result.gateway_refund_id and not refund_obj.gateway_refund_id:
        refund_obj.gateway_refund_id = result.gateway_refund_id[:64]
    if result.state == RefundState.SUCCEEDED:
        if status == RefundStatus.SUCCEEDED:
            return Applied(NotificationResult.DUPLICATE, True)
        if status == RefundStatus.FAILED:
            # The provider moved money after we gave the amount up: make the books say so, loudly.
            logger.error(
                "refund %s succeeded at the provider after being marked failed", refund_obj.refund_no
            )
        refund_obj.status, refund_obj.succeeded_at = RefundStatus.SUCCEEDED, timezone.now()
        refund_obj.last_error = ""
        refund_obj.save()
        signals.send_on_commit(signals.refund_succeeded, Refund, refund=refund_obj)
        return Applied(NotificationResult.APPLIED, True)
    if result.state == RefundState.FAILED:
        if status == RefundStatus.FAILED:
            return Applied(NotificationResult.DUPLICATE, True)
        if status == RefundStatus.SUCCEEDED:
            return Applied(NotificationResult.IGNORED, True, "failed_after_succeeded")
        refund_obj.status, refund_obj.failed_at = RefundStatus.FAILED, timezone.now()
        refund_obj.failure_code = result.failure_code[:64]
        refund_obj.save()
        signals.send_on_commit(signals.refund_failed, Refund, refund=refund_obj)
        return Applied(NotificationResult.APPLIED, True)
    if status == RefundStatus.REQUESTED:
        refund_obj.status = RefundStatus.PROCESSING
        refund_obj.save()
        return Applied(NotificationResult.APPLIED, True)
    return Applied(NotificationResult.DUPLICATE, True)


# --- late payments ---------------------------------------------------------------------------------


def resolve_late_payment(*, payment: Payment, action: str, actor: Any = None, reason: str = "") -> Payment:
    """Decide what happens to money that arrived after the payment was closed.

    action="accept": the order was reopened; the payment becomes succeeded and payment_succeeded is
    sent. action="refund": the whole remaining amount goes back (idempotent: one refund per payment).
    """
    if action not in ("accept", "refund"):
        raise InvalidInput("处理方式无效 / action must be accept or refund", code="invalid_action")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.SUCCEEDED_AFTER_CLOSE or not locked.needs_attention:
            raise NothingToResolve(payment_no=locked.payment_no, status=locked.status)
        if action == "accept":
            _set_status(locked, PaymentStatus.SUCCEEDED)
            signals.send_on_commit(signals.payment_succeeded, Payment, payment=locked)
        locked.needs_attention, locked.attention_resolved_at = False, timezone.now()
        locked.save(update_fields=["needs_attention", "attention_resolved_at", "updated_at"])
        audit.record(actor=actor, action=f"payments.late_payment.{action}", obj=locked, reason=reason)
        remaining = locked.amount - held_refund_total(locked)
    if action == "refund" and remaining > ZERO:
        refund(
            payment=locked,
            amount=remaining,
            reason=reason or "关闭后到账，原路退回 / Paid after close, refunded",
            idempotency_key=f"late-payment:{locked.payment_no}",
            requested_by=actor,
        )
    return locked


def resolve_attention(*, payment: Payment, actor: Any, note: str = "") -> Payment:
    """Staff mark a flagged payment (amount mismatch and the like) as dealt with."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == PaymentStatus.SUCCEEDED_AFTER_CLOSE:
            raise NothingToResolve("关闭后到账需选择接受或退款 / Use accept or refund for a late payment")
        if locked.needs_attention:
            locked.needs_attention, locked.attention_resolved_at = False, timezone.now()
            locked.save(update_fields=["needs_attention", "attention_resolved_at", "updated_at"])
            audit.record(actor=actor, action="payments.attention.resolve", obj=locked, reason=note)
    return locked


# --- reconciliation --------------------------------------------------------------------------------


def start_reconciliation(
    *, start: datetime, end: datetime, channel: str = "", actor: Any = None
) -> ReconciliationRun:
    """Record a run and compute it in a Celery task after commit (inline when tasks are eager)."""
    from shopops.payments.tasks import run_reconciliation_task

    if start >= end or end - start > timedelta(days=MAX_RECONCILIATION_DAYS):
        raise ReconciliationRangeInvalid(start=start, end=end)
    if channel:
        _gateway(channel)  # UnknownChannel for a disabled one
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            period_start=start,
            period_end=end,
            channel=channel,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if actor is not None:
            audit.record(actor=actor, action="payments.reconcile", obj=run)
        transaction.on_commit(lambda: run_reconciliation_task.delay(run.pk))
    return run


def reconcile(*, start: datetime, end: datetime, channel: str = "", actor: Any = None) -> ReconciliationRun:
    """Compare recorded payments created in [start, end) with the providers' query results, now."""
    if start >= end or end - start > timedelta(days=MAX_RECONCILIATION_DAYS):
        raise ReconciliationRangeInvalid(start=start, end=end)
    run = ReconciliationRun.objects.create(
        period_start=start,
        period_end=end,
        channel=channel,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return run_reconciliation(run_id=run.pk)


def run_reconciliation(*, run_id: int) -> ReconciliationRun:
    run = ReconciliationRun.objects.get(pk=run_id)
    if run.status != ReconciliationStatus.RUNNING:
        return run
    payments = Payment.objects.filter(created_at__gte=run.period_start, created_at__lt=run.period_end)
    if run.channel:
        payments = payments.filter(channel=run.channel)
    # A payment never sent to a provider (created, no action) has nothing to compare.
    payments = payments.exclude(status=PaymentStatus.CREATED, action={})
    checked = matched = 0
    recorded_total = gateway_total = ZERO
    items: list[ReconciliationItem] = []
    try:
        for payment in payments.order_by("created_at").iterator(chunk_size=200):
            checked += 1
            item, gateway_paid_amount = _compare(run, payment)
            if payment.is_paid:
                recorded_total += payment.amount
            gateway_total += gateway_paid_amount
            if item is None:
                matched += 1
            else:
                items.append(item)
        ReconciliationItem.objects.bulk_create(items, batch_size=500)
    except Exception as exc:
        logger.exception("reconciliation run %s failed", run.pk)
        run.status, run.error = ReconciliationStatus.FAILED, str(exc)[:255]
    else:
        run.status = ReconciliationStatus.DONE
    run.checked_count, run.matched_count, run.mismatch_count = checked, matched, len(items)
    run.recorded_total, run.gateway_total = recorded_total, gateway_total
    run.finished_at = timezone.now()
    run.save()
    return run


def _compare(run: ReconciliationRun, payment: Payment) -> tuple[ReconciliationItem | None, Decimal]:
    """One payment against its provider: (a mismatch item or None, the amount the provider collected)."""
    refunded = (
        payment.refunds.filter(status__in=(RefundStatus.PROCESSING, RefundStatus.SUCCEEDED)).aggregate(
            s=Sum("amount")
        )["s"]
        or ZERO
    )

    def item(kind: str, status: GatewayStatus | None = None, detail: str = "") -> ReconciliationItem:
        return ReconciliationItem(
            run=run,
            payment=payment,
            kind=kind,
            recorded_status=payment.status,
            recorded_amount=payment.amount,
            recorded_refunded=refunded,
            gateway_state=str(status.state) if status else "",
            gateway_amount=status.amount if status else None,
            gateway_refunded=status.refunded_amount if status else None,
            detail=detail[:255],
        )

    try:
        status = _gateway(payment.channel).query(payment)
    except (GatewayError, UnknownChannel) as exc:
        return item(MismatchKind.QUERY_FAILED, detail=str(exc)), ZERO
    gateway_paid = status.state == PaymentState.SUCCEEDED
    collected = status.amount or ZERO if gateway_paid else ZERO
    if payment.is_paid and status.state == PaymentState.CLOSED and refunded == payment.amount:
        # Alipay closes a trade once it is fully refunded: that is a match.
        return None, ZERO
    if gateway_paid and not payment.is_paid:
        return item(MismatchKind.PAID_NOT_RECORDED, status), collected
    if payment.is_paid and not gateway_paid:
        return item(MismatchKind.RECORDED_NOT_PAID, status), collected
    if not gateway_paid:
        return None, collected
    if status.amount != payment.amount:
        return item(MismatchKind.AMOUNT, status), collected
    if (
        status.gateway_trade_id
        and payment.gateway_trade_id
        and status.gateway_trade_id != payment.gateway_trade_id
    ):
        return item(MismatchKind.TRADE_ID, status, f"recorded {payment.gateway_trade_id}"), collected
    if status.refunded_amount is not None and status.refunded_amount != refunded:
        return item(MismatchKind.REFUNDED_AMOUNT, status), collected
    return None, collected


# --- expiry ----------------------------------------------------------------------------------------


def expire_payment(*, payment: Payment) -> Payment:
    """Past its deadline: ask the provider first (a lost notification), then close if still unpaid."""
    try:
        payment = sync_payment_status(payment=payment)
    except (GatewayUnavailable, GatewayRejected, UnknownChannel):
        logger.warning("could not query %s before expiring it", payment.payment_no)
        return payment
    if payment.status in (*OPEN_PAYMENT_STATUSES, PaymentStatus.FAILED):
        try:
            return close_payment(payment=payment, reason="expired")
        except AlreadyPaid:
            payment.refresh_from_db()
    return payment
