"""Every write of the notifications app.

notify(*, user, kind, title, body="", params=None, link="", dedupe_key="", email=True) -> Notification
    Put a message in the user's message centre; with email=True and a verified address, an email
    copy is queued after the transaction commits. Idempotent by (user, dedupe_key).
mark_read(*, user, uid) -> Notification        the user's own message only (else 404)
mark_all_read(*, user) -> int                  how many were unread
record_emailed(*, notification_id) -> bool     the email task, once the mail has gone
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from shopops.notifications.errors import NotificationNotFound
from shopops.notifications.models import Notification, NotificationKind

logger = logging.getLogger(__name__)

MAX_TITLE = 200
MAX_BODY = 1000
MAX_PARAM = 300  # free text in params (a rejection reason, a message excerpt) is cut to this


def _clean_params(params: dict[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v)[:MAX_PARAM] for k, v in (params or {}).items()}


def notify(
    *,
    user: Any,
    kind: str,
    title: str,
    body: str = "",
    params: dict[str, Any] | None = None,
    link: str = "",
    dedupe_key: str = "",
    email: bool = True,
) -> Notification:
    """Write the message once. A second call with the same `dedupe_key` returns the first row and
    sends nothing again, so a redelivered event cannot notify twice (concurrent calls included: the
    unique constraint decides, the loser reads the winner's row)."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    dedupe_key = dedupe_key[:120]
    if dedupe_key:
        existing = Notification.objects.filter(user_id=user.pk, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user_id=user.pk,
                kind=kind,
                title=title[:MAX_TITLE],
                body=body[:MAX_BODY],
                params=_clean_params(params),
                link=link[:300],
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if not dedupe_key:
            raise
        return Notification.objects.get(user_id=user.pk, dedupe_key=dedupe_key)
    if email and getattr(user, "email", "") and getattr(user, "email_verified_at", None):
        transaction.on_commit(lambda: _queue_email(notification.pk), robust=True)
    return notification


def _queue_email(notification_id: int) -> None:
    from shopops.notifications.tasks import send_notification_email

    try:
        send_notification_email.delay(notification_id)
    except Exception:  # a broker outage must not break the change that caused the message
        logger.exception("could not queue the email for notification %s", notification_id)


def _own(user: Any, uid: Any) -> Notification:
    try:
        key = uuid.UUID(str(uid))
    except ValueError as exc:
        raise NotificationNotFound(uid=str(uid)) from exc
    found = Notification.objects.filter(uid=key, user_id=getattr(user, "pk", None)).first()
    if found is None:  # someone else's message is reported as missing, never as forbidden
        raise NotificationNotFound(uid=str(uid))
    return found


def mark_read(*, user: Any, uid: Any) -> Notification:
    notification = _own(user, uid)
    if notification.read_at is None:
        now = timezone.now()
        # Conditional UPDATE: two tabs marking it at once keep the first time.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())


def record_emailed(*, notification_id: int) -> bool:
    """True when this call recorded the send (False: it had been recorded already)."""
    return bool(
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
    )
