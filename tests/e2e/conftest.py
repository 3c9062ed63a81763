"""Browser journeys: Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

- Chromium: /usr/bin/chromium (override with CHROMIUM_PATH); Playwright's own browser download is
  never used. Without a browser the journeys are skipped, not failed (`make test` installs it).
- Playwright's sync API runs an asyncio loop in this thread, and Django refuses ORM calls from a
  thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set. The tests only use the ORM
  from this one thread (set-up and assertions), so allowing it is safe here.
- The live server runs in a thread of this process: the console SMS provider's outbox (cache) and
  django.core.mail.outbox (locmem backend) it writes are visible to the test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
# Set E2E_SCREENSHOTS=/some/dir to keep a screenshot of the last page of every journey.
SCREENSHOT_DIR = os.environ.get("E2E_SCREENSHOTS", "")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM_PATH):
        pytest.skip(f"Chromium not found at {CHROMIUM_PATH} (make browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _new_page(browser, live_server, viewport: dict[str, int]):
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server, request) -> Iterator:
    """A fresh browser context (no cookies) per test, desktop size, pointed at the live server."""
    context, new_page = _new_page(browser, live_server, DESKTOP)
    yield new_page
    _keep_screenshot(new_page, request.node.name)
    context.close()


@pytest.fixture
def phone_page(browser, live_server, request) -> Iterator:
    """Same as `page` at a 375 px phone width."""
    context, new_page = _new_page(browser, live_server, PHONE)
    yield new_page
    _keep_screenshot(new_page, request.node.name)
    context.close()


def _keep_screenshot(page, name: str) -> None:
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


# ---------- Reading what the app "sent" ----------


@pytest.fixture
def sms_code():
    """sms_code(phone, purpose) -> the newest code the console SMS provider delivered."""
    from shopops.accounts.sms import last_sms_code

    def read(phone: str, purpose: str | None = None) -> str:
        code = last_sms_code(phone, purpose)
        assert code, f"no SMS code was sent to {phone} for {purpose}"
        return code

    return read


LINK_RE = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture
def email_link(mailoutbox):
    """email_link(to, path_prefix) -> the path (and query) of the first matching link in the newest
    mail to `to`. Only the path is returned: the mail uses SITE_URL, the test uses live_server."""

    def find(to: str, path_prefix: str) -> str:
        from urllib.parse import urlsplit

        for message in reversed(mailoutbox):
            if to not in message.to:
                continue
            bodies = [message.body] + [content for content, _type in getattr(message, "alternatives", [])]
            for body in bodies:
                for url in LINK_RE.findall(body):
                    parts = urlsplit(url)
                    if parts.path.startswith(path_prefix):
                        return parts.path + (f"?{parts.query}" if parts.query else "")
        raise AssertionError(f"no mail to {to} with a link under {path_prefix}")

    return find
