"""Fixtures for the shops tests and the permission matrix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from shopops.shops.tests.matrix import World, shared_world


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The matrix's two-shop world, built and signed in once per module and rolled back after it.

    Building it (shops, one user per role, sessions) costs far more than most cases; the matrix runs
    hundreds of cases against it. Each test still gets a savepoint of its own from django_db. Only
    for modules with no transactional (transaction=True) tests: those would commit and flush
    underneath this open transaction.
    """
    with django_db_blocker.unblock(), shared_world() as world:
        yield world


@pytest.fixture
def world(matrix_world: World, db) -> World:
    """The shared world with fresh model instances for this test."""
    return matrix_world.fresh()


@pytest.fixture(scope="module")
def signed_out_client() -> Client:
    """One test client for a module's signed-out calls.

    A new Client builds the middleware chain on its first request, and WhiteNoise then walks every
    static file (WHITENOISE_USE_FINDERS): tens of milliseconds per client, per test.
    """
    return Client()
