"""Periodic task declarations, kept next to the task they schedule.

    register_periodic("inventory.release-expired", "shopops.inventory.tasks.release_expired", seconds=60)

shopops/celery.py merges them into the beat schedule at start-up.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

_SCHEDULE: dict[str, dict[str, Any]] = {}


def register_periodic(
    name: str, task: str, *, seconds: int | None = None, cron: crontab | None = None
) -> None:
    if (seconds is None) == (cron is None):
        raise ValueError("give exactly one of seconds= or cron=")
    _SCHEDULE[name] = {"task": task, "schedule": seconds if seconds is not None else cron}


def periodic_schedule() -> dict[str, dict[str, Any]]:
    return dict(_SCHEDULE)
