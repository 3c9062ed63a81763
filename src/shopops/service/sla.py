"""SLA hours per priority. Settings may override any of them:

SERVICE_SLA_HOURS = {"urgent": 1, "high": 4}     # the rest keep the defaults below
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

DEFAULT_SLA_HOURS: dict[str, float] = {"urgent": 2, "high": 8, "normal": 24, "low": 72}


def sla_hours() -> dict[str, float]:
    overrides = getattr(settings, "SERVICE_SLA_HOURS", None) or {}
    merged = dict(DEFAULT_SLA_HOURS)
    merged.update({str(k): float(v) for k, v in overrides.items() if str(k) in DEFAULT_SLA_HOURS})
    return merged


def due_at(priority: str, since: datetime) -> datetime:
    return since + timedelta(hours=sla_hours()[priority])
