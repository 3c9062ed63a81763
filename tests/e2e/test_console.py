"""Operators in the console: sign in at /admin/login/, see the dashboard and the shops list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from shopops.shops.models import ShopStatus
from shopops.shops.tests.factories import ShopFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_signs_in_to_the_console_and_sees_dashboard_and_shops(page):
    operator = UserFactory(username="ops_lead", is_staff=True, is_superuser=True)
    ShopFactory(name="杭州好物旗舰店", owner=operator, status=ShopStatus.ACTIVE)
    ShopFactory(name="深圳数码城", owner=operator, status=ShopStatus.PENDING)

    page.goto("/console/")  # the console's landing address sends staff to the admin
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.goto("/admin/login/")
    page.fill("input[name=username]", "ops_lead")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("#login-form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("[data-kpi=shops_total] .so-kpi-value")).to_have_text("2")
    expect(page.locator("[data-kpi=shops_pending] .so-kpi-value")).to_have_text("1")
    # The charts are drawn by the vendored ECharts (SVG renderer).
    expect(page.locator("#chart-shop-status svg")).to_be_visible()

    page.locator("[data-kpi=shops_total]").click()
    expect(page).to_have_url(re.compile(r"/admin/shops/shop/"))
    expect(page.locator("#result_list")).to_contain_text("杭州好物旗舰店")
    expect(page.locator("#result_list")).to_contain_text("深圳数码城")
