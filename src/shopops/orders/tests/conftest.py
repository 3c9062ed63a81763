"""Fixtures for the orders tests (cart tests import them too)."""

from __future__ import annotations

import pytest

from shopops.orders.tests import factories


@pytest.fixture(autouse=True)
def _sandbox_only(settings):
    # The sandbox provider on one machine: notifications delivered in-process by eager Celery.
    settings.PAYMENTS_CHANNELS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """`with after_commit(): ...` runs what would run after COMMIT (signals, notifications) inside
    the test transaction, including callbacks those callbacks schedule."""

    def runner():
        return django_capture_on_commit_callbacks(execute=True)

    return runner


@pytest.fixture
def shop_and_sku():
    return factories.sellable_sku(price="59.90", stock=10)


@pytest.fixture
def shopper():
    return factories.shopper_with_address()
