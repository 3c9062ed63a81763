"""Fixtures for the after-sales tests (reviews and service tests share them through their conftest)."""

from __future__ import annotations

import pytest

from shopops.aftersales.tests import factories


@pytest.fixture(autouse=True)
def _sandbox_only(settings):
    # The sandbox provider on one machine: notifications delivered in-process by eager Celery.
    settings.PAYMENTS_CHANNELS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def roles(db):
    """The default roles (a transactional test's flush empties the role table)."""
    from shopops.shops.services import sync_permissions

    sync_permissions()


@pytest.fixture
def delivered(roles):
    return factories.delivered_order()


@pytest.fixture
def agent(delivered):
    return factories.service_agent(delivered.shop)
