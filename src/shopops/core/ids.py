"""Public identifiers: unique, unguessable, sortable by time (for order numbers and the like)."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.utils import timezone


def time_sortable_number(prefix: str = "", now: datetime | None = None) -> str:
    """e.g. 20261125142501 + 8 random digits: sorts by creation time, cannot be enumerated."""
    now = timezone.localtime(now or timezone.now())
    return f"{prefix}{now:%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


def random_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)
