"""ShopOps: an e-commerce operations platform."""

from shopops.celery import app as celery_app

__all__ = ["celery_app"]
