"""Fixtures for the storefront page tests (Django test client, real PostgreSQL and Redis)."""

from __future__ import annotations

import pytest
from django.test import Client

from shopops.accounts.sms import last_sms_code
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory


@pytest.fixture
def shopper(db):
    return UserFactory(with_phone=True)


@pytest.fixture
def signed_in(client: Client, shopper) -> Client:
    client.force_login(shopper, backend="shopops.accounts.backends.IdentifierBackend")
    return client


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def sms_code():
    def read(phone: str, purpose: str | None = None) -> str:
        code = last_sms_code(phone, purpose)
        assert code, f"no SMS was sent to {phone}"
        return code

    return read
