"""Catalog background jobs: scheduled on/off-sale times, and re-indexing after big taxonomy edits."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from shopops.core.schedule import register_periodic

logger = logging.getLogger(__name__)


@shared_task
def run_scheduled_listings() -> dict[str, int]:
    """Put due products on sale and take due ones off (every minute)."""
    from shopops.catalog.services import run_scheduled_listings as run

    done = run()
    if any(done.values()):
        logger.info("scheduled listings: %s", done)
    return done


@shared_task
def reindex_products(product_ids: list[int]) -> int:
    """Rebuild price range, facets and search document of these products."""
    from shopops.catalog import indexing

    with transaction.atomic():
        indexing.refresh_products(product_ids)
    return len(product_ids)


register_periodic("catalog.scheduled-listings", "shopops.catalog.tasks.run_scheduled_listings", seconds=60)
