"""Background jobs for shops: invitation and shop-status emails (sent after the transaction commits)."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from shopops.shops.models import Invitation, InvitationStatus, Shop

logger = logging.getLogger(__name__)

# A mail server hiccup is retried with backoff; a bad address or template is not retried forever.
_RETRY = {"autoretry_for": (SMTPException, OSError), "retry_backoff": 30, "max_retries": 5}


@shared_task(**_RETRY)
def send_invitation_email(invitation_id: int, token: str) -> bool:
    """Email the accept link. The token travels only in this message; the database keeps its hash."""
    from shopops.shops.services import accept_url

    invitation = Invitation.objects.select_related("shop", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.status != InvitationStatus.PENDING or not invitation.email:
        return False
    context = {
        "shop": invitation.shop,
        "inviter": invitation.invited_by.display_name or invitation.invited_by.username,
        "roles": list(invitation.roles.order_by("id")),
        "accept_url": accept_url(token),
        "expires_at": invitation.expires_at,
    }
    send_mail(
        subject=(
            f"【ShopOps】{invitation.shop.name} 邀请您加入店铺团队 / "
            f"You are invited to join {invitation.shop.name}"
        ),
        message=render_to_string("shops/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )
    return True


_STATUS_SUBJECTS = {
    "approve": "您的店铺已通过审核 / Your shop has been approved",
    "suspend": "您的店铺已被暂停 / Your shop has been suspended",
    "reactivate": "您的店铺已恢复营业 / Your shop has been reactivated",
}


@shared_task(**_RETRY)
def notify_shop_status(shop_id: int, action: str, reason: str = "") -> bool:
    """Tell the shop's owner that the platform approved, suspended or reactivated the shop."""
    shop = Shop.objects.select_related("owner").filter(pk=shop_id).first()
    if shop is None or action not in _STATUS_SUBJECTS or not shop.owner.email:
        return False
    context = {"shop": shop, "action": action, "reason": reason, "site_url": settings.SITE_URL}
    send_mail(
        subject=f"【ShopOps】{shop.name}: {_STATUS_SUBJECTS[action]}",
        message=render_to_string("shops/email/shop_status.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[shop.owner.email],
    )
    return True
