"""Fixtures for the after-sales tests (reviews and service tests use the same set-up)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _sandbox_only(settings):
    # The sandbox provider on one machine: notifications delivered in-process by eager Celery.
    settings.PAYMENTS_CHANNELS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
