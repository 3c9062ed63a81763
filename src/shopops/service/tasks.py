"""Periodic jobs of the customer-service app."""

from __future__ import annotations

from celery import shared_task

from shopops.core.schedule import register_periodic


@shared_task(name="shopops.service.tasks.mark_overdue")
def mark_overdue() -> int:
    from shopops.service import services

    return services.mark_overdue()


@shared_task(name="shopops.service.tasks.close_resolved")
def close_resolved() -> int:
    from shopops.service import services

    return services.close_resolved()


register_periodic("service.mark-overdue", "shopops.service.tasks.mark_overdue", seconds=300)
register_periodic("service.close-resolved", "shopops.service.tasks.close_resolved", seconds=3600)
