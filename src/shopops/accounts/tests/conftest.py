"""Fixtures for the accounts tests: a JSON API client, the development SMS outbox and a fake HTTP SMS
gateway (a real local HTTP server recording what HttpSmsProvider posts)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from shopops.accounts.sms import last_sms_code
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

API = "/api/v1/accounts"
API_KEY = "test-api-key-123"  # of the fake HTTP SMS gateway


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


class Gateway:
    """Records requests; answers with the configured status/body (or stalls)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.body = b'{"ok": true, "message_id": "gw-42"}'
        self.stall = threading.Event()
        self.stall_seconds = 0.0


@pytest.fixture
def gateway():
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append({"headers": dict(self.headers), "raw": raw, "path": self.path})
            if state.stall_seconds:
                state.stall.wait(state.stall_seconds)
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    yield state
    state.stall.set()
    server.shutdown()
    server.server_close()
