"""Project-wide fixtures. Tests run on the real PostgreSQL and Redis (settings_test)."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (rate-limit counters, SMS cooldowns...).

    The cache is keyed by a per-process prefix (settings_test), so clearing touches only this run's keys.
    """
    cache.delete_pattern("*") if hasattr(cache, "delete_pattern") else cache.clear()
    # The near copy of versioned entries mirrors tokens just deleted without a publish: forget it too.
    from shopops.core import nearcache

    nearcache.reset()
    yield
