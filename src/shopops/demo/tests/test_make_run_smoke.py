"""The `make run` path on the SQLite default, so the embedded mode never rots.

Runs migrate + load_demo twice (the second run must not fail on an existing database), starts the
development server in a subprocess with no DATABASE_URL/REDIS_URL, and makes a few page and API requests.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
pytestmark = pytest.mark.smoke


def _local_mode_env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "CACHE_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="shopops.settings", SHOPOPS_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def _manage(env: dict[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_make_run_path_on_sqlite(tmp_path):
    env = _local_mode_env(tmp_path)
    _manage(env, "migrate", "--noinput")
    first = _manage(env, "load_demo")
    assert (tmp_path / "shopops.sqlite3").exists()
    _manage(env, "load_demo")  # runs again on an existing database without error
    logins = _manage(env, "demo_logins", "--port", "8000").stdout
    assert "admin" in logins and "http://127.0.0.1:8000" in logins

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if _get(f"{base}/api/v1/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        status, body = _get(f"{base}/api/v1/health")
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "sqlite", "cache": "ok"}
        assert _get(f"{base}/")[0] == 200
        assert _get(f"{base}/accounts/login/")[0] == 200
        assert _get(f"{base}/admin/login/")[0] == 200
        assert _get(f"{base}/api/v1/openapi.json")[0] == 200
        token_status, token_body = _get(
            f"{base}/api/v1/accounts/token",
            data=json.dumps({"identifier": "alice", "password": "Demo#2026"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert token_status == 200, token_body
        access = json.loads(token_body)["access"]
        me_status, me_body = _get(f"{base}/api/v1/accounts/me", headers={"Authorization": f"Bearer {access}"})
        assert me_status == 200 and json.loads(me_body)["username"] == "alice"
        _checkout_and_pay(base, access)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "demo" in first.stdout.lower()


def _checkout_and_pay(base: str, access: str) -> None:
    """A whole checkout on SQLite: the stock, cart and payment paths use hand-written SQL
    (UPDATE ... RETURNING, INSERT ... ON CONFLICT) that must run on both databases."""
    auth = {"Authorization": f"Bearer {access}", "Content-Type": "application/json"}
    status, body = _get(f"{base}/api/v1/catalog/products?page_size=20")
    assert status == 200, body
    listing = json.loads(body)
    products = listing["items"] if isinstance(listing, dict) else listing
    added = False
    for product in products:
        detail = json.loads(_get(f"{base}/api/v1/catalog/products/{product['id']}")[1])
        for sku in detail.get("skus", []):
            status, _ = _get(f"{base}/api/v1/cart/items", json.dumps({"sku_id": sku["id"]}).encode(), auth)
            if status == 201:
                added = True
                break
        if added:
            break
    assert added, "no demo SKU could be added to the cart"
    addresses = json.loads(_get(f"{base}/api/v1/accounts/addresses", headers=auth)[1])["items"]
    order = {"idempotency_key": "smoke-checkout-1", "address_id": addresses[0]["id"], "channel": "sandbox"}
    status, body = _get(f"{base}/api/v1/orders", json.dumps(order).encode(), auth)
    assert status == 201, body
    placed = json.loads(body)
    payment_no = placed["payment"]["payment_no"]
    # The sandbox cashier is a page with a CSRF-protected form, as a shopper's browser sees it.
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    page = browser.open(f"{base}/pay/sandbox/{payment_no}/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "action": "pay", "method": "alipay"})
    try:
        browser.open(f"{base}/pay/sandbox/{payment_no}/", form.encode(), timeout=30)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302, exc.read()[:500]
    group = placed["group"]["number"]
    status, body = _get(f"{base}/api/v1/orders/groups/{group}", headers=auth)
    assert status == 200 and json.loads(body)["payment_status"] == "paid", body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
