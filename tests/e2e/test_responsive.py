"""At a 375 px phone width nothing scrolls sideways."""

from __future__ import annotations

import pytest

from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_no_horizontal_scroll_on_phone_width(phone_page):
    for path in ("/", "/accounts/login/", "/accounts/register/"):
        phone_page.goto(path)
        assert horizontal_overflow(phone_page) <= 0, path

    UserFactory(username="mobile_user", with_phone=True)
    phone_page.goto("/accounts/login/")
    phone_page.fill("#id_pw-username", "mobile_user")
    phone_page.fill("#id_pw-password", DEFAULT_PASSWORD)
    phone_page.click("#panel-password button[type=submit]")
    phone_page.wait_for_url("**/account/")
    for path in (
        "/account/",
        "/account/addresses/",
        "/account/addresses/new/",
        "/account/security/",
        "/messages/",
    ):
        phone_page.goto(path)
        assert horizontal_overflow(phone_page) <= 0, path


def test_no_horizontal_scroll_on_phone_width_in_english(phone_page):
    """English labels are longer than Chinese ones: the header must still fit a 375 px phone."""
    phone_page.goto("/")
    phone_page.click("button[name=language][value=en]")
    phone_page.wait_for_load_state()
    assert phone_page.locator("header >> text=Sign up").count() == 1
    for path in ("/", "/accounts/login/", "/accounts/register/"):
        phone_page.goto(path)
        assert horizontal_overflow(phone_page) <= 0, path
