"""Background jobs of the notifications app."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from shopops.notifications import selectors, services

logger = logging.getLogger(__name__)


@shared_task(
    name="shopops.notifications.tasks.send_notification_email",
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
)
def send_notification_email(notification_id: int) -> bool:
    """Email one message to its user's verified address. Sent at most once per message: a retry
    after a recorded send does nothing; an address that lost its verification gets nothing."""
    notification = selectors.notification_by_id(notification_id)
    if notification is None or notification.emailed_at is not None:
        return False
    user = notification.user
    if not user.email or user.email_verified_at is None or not user.is_active:
        return False
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        subject = notification.display_title
        message = render_to_string(
            "notifications/email/notification.txt",
            {"notification": notification, "link": f"{site}{notification.link}" if notification.link else ""},
        )
    send_mail(subject=subject, message=message, from_email=None, recipient_list=[user.email])
    return services.record_emailed(notification_id=notification.pk)
