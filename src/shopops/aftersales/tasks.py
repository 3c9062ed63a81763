"""Periodic jobs of the after-sales app."""

from __future__ import annotations

from celery import shared_task

from shopops.core.schedule import register_periodic


@shared_task(name="shopops.aftersales.tasks.close_finished")
def close_finished() -> int:
    from shopops.aftersales import services

    return services.close_finished()


register_periodic("aftersales.close-finished", "shopops.aftersales.tasks.close_finished", seconds=3600)
