"""Celery tasks of the orders app and their schedules."""

from __future__ import annotations

import logging

from celery import shared_task

from shopops.core.schedule import register_periodic
from shopops.orders import services

logger = logging.getLogger(__name__)


@shared_task(name="shopops.orders.tasks.close_expired_groups")
def close_expired_groups() -> int:
    """Unpaid checkouts past ORDER_PAYMENT_TIMEOUT_MINUTES are closed and their stock released."""
    return services.close_expired_groups()


@shared_task(name="shopops.orders.tasks.auto_confirm_delivered")
def auto_confirm_delivered() -> int:
    """Delivered orders the shopper did not confirm within ORDER_AUTO_CONFIRM_DAYS are completed."""
    return services.auto_confirm_delivered()


@shared_task(name="shopops.orders.tasks.record_sales", ignore_result=True)
def record_sales(per_product: dict) -> None:
    """Product sales counts (display figures), updated off the order's transaction."""
    from shopops.catalog import services as catalog_services

    catalog_services.record_sales_many(quantities={int(k): int(v) for k, v in per_product.items()})


register_periodic("orders.close-expired-groups", "shopops.orders.tasks.close_expired_groups", seconds=60)
register_periodic("orders.auto-confirm-delivered", "shopops.orders.tasks.auto_confirm_delivered", seconds=600)
