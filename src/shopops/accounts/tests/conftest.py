"""Fixtures for the accounts tests: a JSON API client and the development SMS outbox."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shopops.accounts.sms import last_sms_code
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

API = "/api/v1/accounts"


class ApiClient:
    """Django's test client speaking JSON to /api/v1/accounts, optionally with a bearer token."""

    def __init__(self, client: Client, ip: str = "10.0.0.1") -> None:
        self.client = client
        self.token: str | None = None
        self.ip = ip

    def _headers(self, token: str | None) -> dict[str, str]:
        token = token or self.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, data: Any = None, token: str | None = None, **extra):
        kwargs: dict[str, Any] = {"headers": self._headers(token), "REMOTE_ADDR": self.ip, **extra}
        if data is not None:
            kwargs.update(data=data, content_type="application/json")
        return getattr(self.client, method)(API + path, **kwargs)

    def get(self, path: str, **kw):
        return self._call("get", path, **kw)

    def post(self, path: str, data: Any = None, **kw):
        return self._call("post", path, data if data is not None else {}, **kw)

    def patch(self, path: str, data: Any = None, **kw):
        return self._call("patch", path, data or {}, **kw)

    def delete(self, path: str, **kw):
        return self._call("delete", path, **kw)

    def login(self, identifier: str, password: str = DEFAULT_PASSWORD) -> dict:
        response = self.post("/token", {"identifier": identifier, "password": password})
        assert response.status_code == 200, response.content
        self.token = response.json()["access"]
        return response.json()


@pytest.fixture
def api(client) -> ApiClient:
    return ApiClient(client)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def signed_in(api, user) -> ApiClient:
    api.login(user.username)
    return api


@pytest.fixture
def sms_code():
    """sms_code(phone, purpose=None) -> the code the console provider 'sent' most recently."""

    def read(phone: str, purpose: str | None = None) -> str:
        code = last_sms_code(phone, purpose)
        assert code, f"no SMS was sent to {phone}"
        return code

    return read
