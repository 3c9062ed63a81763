"""Reactions of the cart app to events elsewhere: merging the guest cart at login."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from shopops.cart import services
from shopops.cart.identity import forget_guest_token, guest_token

logger = logging.getLogger(__name__)


@receiver(user_logged_in, dispatch_uid="cart.merge_guest_cart")
def merge_guest_cart_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Django keeps the session data through login (it only rotates the key), so the guest's cart
    token is still there: fold that cart into the user's and forget the token."""
    if request is None:
        return
    token = guest_token(request)
    if not token:
        return
    try:
        services.merge_guest_cart(user=user, token=token)
    except Exception:
        # A cart problem must never block a login; the guest cart stays for the purge task.
        logger.exception("could not merge the guest cart into user %s", user.pk)
        return
    forget_guest_token(request)
