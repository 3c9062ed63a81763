"""Background jobs of the accounts app: account emails, and pruning spent credentials.

Services queue the email tasks with transaction.on_commit, so a worker never looks for a user whose
row is not committed yet. With CELERY_TASK_ALWAYS_EAGER (development, tests) they run inline.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from celery.schedules import crontab
from django.utils import timezone

from shopops.accounts import emails
from shopops.accounts.models import RefreshToken, SmsCode, User
from shopops.core.schedule import register_periodic

logger = logging.getLogger(__name__)

# Transient mail failures are retried with backoff; a bad address is not worth retrying.
_MAIL_RETRY = {
    "autoretry_for": (
        smtplib.SMTPServerDisconnected,
        smtplib.SMTPConnectError,
        ConnectionError,
        TimeoutError,
    ),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}

SMS_CODE_RETENTION = timedelta(days=30)
REFRESH_TOKEN_RETENTION = timedelta(days=30)


def _user_with_email(user_id: int) -> User | None:
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        logger.info("account email skipped: user %s inactive, gone or without email", user_id)
    return user


@shared_task(name="accounts.send_verification_email", **_MAIL_RETRY)
def send_verification_email(user_id: int) -> bool:
    user = _user_with_email(user_id)
    if user is None or user.email_verified_at is not None:
        return False
    emails.send_verification_email(user)
    return True


@shared_task(name="accounts.send_password_reset_email", **_MAIL_RETRY)
def send_password_reset_email(user_id: int) -> bool:
    user = _user_with_email(user_id)
    if user is None:
        return False
    emails.send_password_reset_email(user)
    return True


@shared_task(name="accounts.send_password_changed_notice", **_MAIL_RETRY)
def send_password_changed_notice(user_id: int) -> bool:
    user = _user_with_email(user_id)
    if user is None or user.email_verified_at is None:
        return False
    emails.send_password_changed_notice(user)
    return True


@shared_task(name="accounts.send_phone_changed_notice", **_MAIL_RETRY)
def send_phone_changed_notice(user_id: int, old_phone_masked: str, new_phone_masked: str) -> bool:
    """Numbers arrive masked: a task's arguments sit in the broker, so no plaintext phone goes there."""
    user = _user_with_email(user_id)
    if user is None or user.email_verified_at is None:
        return False
    emails.send_phone_changed_notice(
        user, old_phone_masked=old_phone_masked, new_phone_masked=new_phone_masked
    )
    return True


@shared_task(name="accounts.purge_spent_credentials")
def purge_spent_credentials() -> dict[str, int]:
    """Delete SMS codes and refresh tokens long past any use (they only matter for a short time)."""
    now = timezone.now()
    sms_deleted, _ = SmsCode.objects.filter(created_at__lt=now - SMS_CODE_RETENTION).delete()
    tokens_deleted, _ = RefreshToken.objects.filter(expires_at__lt=now - REFRESH_TOKEN_RETENTION).delete()
    return {"sms_codes": sms_deleted, "refresh_tokens": tokens_deleted}


register_periodic(
    "accounts.purge-spent-credentials",
    "accounts.purge_spent_credentials",
    cron=crontab(hour=3, minute=17),
)
