"""After the purchase, in a real browser: the shopper reviews the completed order, asks to return an
item, customer service approves in the console, the shopper ships it back with a waybill, customer
service receives it and the refund is paid through the sandbox.

The order itself (checkout, sandbox payment, shipment, receipt) is built through the orders services:
those steps have their own journey; this one starts where they end.
"""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from shopops.aftersales.models import AfterSalesRequest
from shopops.aftersales.tests.factories import delivered_order
from shopops.inventory.models import LedgerReason, StockLedgerEntry
from shopops.orders.tests.factories import add_address
from shopops.payments.models import Refund
from shopops.reviews.models import Review
from shopops.shops.permissions import CUSTOMER_SERVICE
from shopops.shops.tests.factories import ShopFactory, add_member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox(settings):
    # The live server runs in this process: the sandbox pays and refunds on this machine.
    settings.PAYMENTS_CHANNELS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def completed_order(sandbox):
    from shopops.shops.services import sync_permissions

    sync_permissions()
    shopper = UserFactory(username="buyer_e2e")
    add_address(shopper)
    shop = ShopFactory(name="杭州好物旗舰店")
    order = delivered_order(shop=shop, shopper=shopper, lines=[("129.00", 2)], completed=True)
    agent = UserFactory(username="cs_e2e", is_staff=True)
    add_member(shop, agent, CUSTOMER_SERVICE)
    return order


def _sign_in_shopper(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_pw-username", username)
    page.fill("#id_pw-password", DEFAULT_PASSWORD)
    page.click("#panel-password button[type=submit]")
    expect(page).to_have_url(re.compile(r"/account/$"))


def _sign_in_console(page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_review_return_approve_ship_back_receive_and_refund(page, browser, live_server, completed_order):
    order = completed_order
    line = order.lines.get()

    # The shopper reviews the completed order from its page.
    _sign_in_shopper(page, "buyer_e2e")
    page.goto(f"/orders/{order.number}/")
    page.get_by_role("link", name="评价").first.click()
    expect(page).to_have_url(re.compile(rf"/reviews/new/{order.number}/$"))
    form = page.locator(f"form.review-form[data-line='{line.id}']")
    form.locator("label[for^=star-][title='4']").click()
    form.locator("textarea[name=text]").fill("面料舒服，就是尺码偏小")
    form.get_by_role("button", name="发布评价").click()
    expect(page.locator(".review-card")).to_contain_text("面料舒服，就是尺码偏小")
    assert Review.objects.get(order_line=line).rating == 4

    # ... and asks to return one of the two units.
    page.goto(f"/orders/{order.number}/")
    page.get_by_role("link", name="申请售后").first.click()
    expect(page).to_have_url(re.compile(rf"/aftersales/new/{order.number}/$"))
    page.locator("label.as-choice label, .as-choice label").filter(has_text="退货退款").click()
    page.select_option("#id_reason", "size")
    page.fill("#id_quantity", "1")
    page.fill("#id_description", "尺码偏小，想退一件")
    page.click("#submit-aftersales")
    expect(page.locator("#aftersales-status")).to_have_attribute("data-status", "requested")
    request = AfterSalesRequest.objects.get(order=order)
    assert request.amount == line.paid_amount / 2

    # Customer service approves it in the console.
    console_context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    console_context.set_default_timeout(10_000)
    console = console_context.new_page()
    _sign_in_console(console, "cs_e2e")
    console.goto("/console/aftersales/?open=1")
    console.locator(f"tr[data-request='{request.number}'] a").first.click()
    console.fill("#approve-form input[name=note]", "请寄回：杭州市余杭区仓库")
    console.click("#approve-form button[type=submit]")
    expect(console.locator("#aftersales-status")).to_have_attribute("data-status", "approved")

    # The shopper ships it back with a waybill.
    page.reload()
    page.fill("#id_carrier", "顺丰速运")
    page.fill("#id_waybill", "SF1408822331")
    page.click("#ship-back-form button[type=submit]")
    expect(page.locator("#aftersales-status")).to_have_attribute("data-status", "returning")

    # Customer service receives it (restocked) and pays the refund.
    console.reload()
    console.click("#receive-form button[value=inspect_pass]")
    expect(console.locator("#aftersales-status")).to_have_attribute("data-status", "received")
    console.click("#refund-form button[type=submit]")
    expect(console.locator("#timeline")).to_contain_text("退款成功")

    page.reload()
    expect(page.locator("#aftersales-status")).to_have_attribute("data-status", "closed")
    expect(page.locator("#refund-paid")).to_contain_text(f"¥{request.amount}")
    expect(page.locator("#aftersales-timeline li")).to_have_count(7)

    request.refresh_from_db()
    assert Refund.objects.get(refund_no=request.refund_no).status == "succeeded"
    restock = StockLedgerEntry.objects.get(reason=LedgerReason.RETURN, reference=order.number)
    assert restock.on_hand_delta == 1
    shots = os.environ.get("E2E_SCREENSHOTS")
    if shots:
        console.screenshot(path=f"{shots}/aftersales_console_detail.png", full_page=True)
    console_context.close()
