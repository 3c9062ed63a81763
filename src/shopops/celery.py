"""The Celery app. Tasks live in each app's tasks.py; periodic ones are declared next to them."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopops.settings")

app = Celery("shopops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def install_periodic_tasks(sender: Celery, **_: object) -> None:
    """Merge every app's register_periodic() declarations into the beat schedule."""
    from shopops.core.schedule import periodic_schedule

    sender.conf.beat_schedule = {**periodic_schedule(), **(sender.conf.beat_schedule or {})}
