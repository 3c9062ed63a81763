"""Periodic jobs of the cart app."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from shopops.cart import services
from shopops.core.schedule import register_periodic


@shared_task(name="shopops.cart.tasks.purge_guest_carts")
def purge_guest_carts() -> int:
    days = int(getattr(settings, "GUEST_CART_TTL_DAYS", 30))
    return services.purge_guest_carts(older_than=timedelta(days=days))


register_periodic("cart.purge-guest-carts", "shopops.cart.tasks.purge_guest_carts", seconds=6 * 3600)
