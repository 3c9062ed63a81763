"""The whole order journey in a real browser, on one machine:

shopper adds to cart from the product page, checks out (two shops: one payment, two orders), pays in
the sandbox cashier; the merchant ships from the console; the shopper confirms receipt, reviews the
item and asks to return it; customer service approves, receives the parcel and the refund is paid.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from shopops.orders.models import Order, OrderGroup, OrderStatus
from shopops.orders.tests.factories import add_address, sellable_sku
from shopops.payments.models import Refund
from shopops.shops.permissions import CUSTOMER_SERVICE, MERCHANT_STAFF
from shopops.shops.tests.factories import ShopFactory, add_member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(settings):
    # The live server runs in this process: the sandbox provider pays and refunds on this machine.
    settings.PAYMENTS_CHANNELS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from shopops.shops.services import sync_permissions

    sync_permissions()
    shopper = UserFactory(username="journey_buyer")
    add_address(shopper, receiver_name="李雷", detail="文三路 90 号 5 幢")
    shop = ShopFactory(name="西湖茶庄")
    other_shop = ShopFactory(name="苏州丝绸坊")
    _, tea = sellable_sku(shop, price="68.00", stock=20, title="明前龙井")
    _, scarf = sellable_sku(other_shop, price="128.00", stock=5, title="真丝围巾")
    staff = UserFactory(username="journey_merchant", is_staff=True)
    add_member(shop, staff, MERCHANT_STAFF)
    agent = UserFactory(username="journey_cs", is_staff=True)
    add_member(shop, agent, CUSTOMER_SERVICE)
    return {"shop": shop, "tea": tea, "scarf": scarf}


def _sign_in_shopper(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_pw-username", username)
    page.fill("#id_pw-password", DEFAULT_PASSWORD)
    page.click("#panel-password button[type=submit]")
    expect(page).to_have_url(re.compile(r"/account/$"))


def _console(browser, live_server, username: str):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    console = context.new_page()
    console.goto("/admin/login/")
    console.fill("input[name=username]", username)
    console.fill("input[name=password]", DEFAULT_PASSWORD)
    console.click("#login-form button[type=submit]")
    expect(console).to_have_url(re.compile(r"/admin/$"))
    return context, console


def test_cart_checkout_pay_ship_confirm_review_return_and_refund(page, browser, live_server, world):
    tea, scarf = world["tea"], world["scarf"]

    # A guest puts the tea in the cart from its product page, then signs in: the cart follows.
    page.goto(f"/p/{tea.product_id}/")
    page.fill("#qty", "2")
    page.click("#add-to-cart")
    expect(page.locator(".messages")).to_contain_text("已加入购物车")
    _sign_in_shopper(page, "journey_buyer")
    page.goto(f"/p/{scarf.product_id}/")
    page.click("#add-to-cart")
    expect(page.locator("#cart-count")).to_have_text("3")

    # The cart shows both shops with live prices.
    page.goto("/cart/")
    expect(page.locator(".cart-shop")).to_have_count(2)
    expect(page.locator("#cart-total")).to_have_text("¥264.00")  # 2 x 68 + 128

    # Checkout: default address, breakdown per shop, one submit.
    page.click("#go-checkout")
    expect(page).to_have_url(re.compile(r"/checkout/$"))
    expect(page.locator(".address-option input:checked")).to_have_count(1)
    expect(page.locator("#checkout-total")).to_have_text("¥264.00")  # both shops over the free-shipping bar
    page.click("#submit-order")

    # The sandbox cashier takes the money; the signed notification marks both orders paid.
    expect(page).to_have_url(re.compile(r"/pay/sandbox/P\d+/$"))
    expect(page.locator(".amount")).to_have_text("¥264.00")
    page.get_by_role("button", name=re.compile("确认付款")).click()
    expect(page).to_have_url(re.compile(r"/orders/pay/PG\d+/result/$"))
    expect(page.locator("#pay-result")).to_have_attribute("data-status", "paid")
    group = OrderGroup.objects.get(user__username="journey_buyer")
    assert group.payment_status == "paid" and group.paid_amount == Decimal("264.00")
    tea_order = Order.objects.get(group=group, shop=world["shop"])
    assert {o.status for o in group.orders.all()} == {OrderStatus.PAID}

    # The merchant ships the tea from the console.
    merchant_context, merchant = _console(browser, live_server, "journey_merchant")
    merchant.goto("/console/orders/?status=paid")
    merchant.locator(f"tr[data-order='{tea_order.number}'] a").first.click()
    merchant.fill("#ship-form input[name=carrier_name]", "顺丰速运")
    merchant.fill("#ship-form input[name=waybill_no]", "SF1122334455")
    merchant.click("#ship-form button[type=submit]")
    expect(merchant.locator("#order-status")).to_have_attribute("data-status", "shipped")
    expect(merchant.locator("#timeline")).to_contain_text("SF1122334455")
    merchant_context.close()

    # The shopper follows the parcel and confirms receipt.
    page.goto("/orders/?status=shipped")
    page.locator(f"article[data-order='{tea_order.number}'] a", has_text="订单详情").click()
    expect(page.locator("#timeline")).to_contain_text("商家发货")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".confirm-receipt").click()
    expect(page.locator("#order-status")).to_have_attribute("data-status", "completed")

    # ... reviews the tea ...
    line = tea_order.lines.get()
    page.get_by_role("link", name="评价").first.click()
    form = page.locator(f"form.review-form[data-line='{line.id}']")
    form.locator("label[for^=star-][title='5']").click()
    form.locator("textarea[name=text]").fill("香气清高，回甘明显，会回购")
    form.get_by_role("button", name="发布评价").click()
    expect(page.locator(".review-card")).to_contain_text("香气清高")

    # ... and asks to return one of the two tins.
    page.goto(f"/orders/{tea_order.number}/")
    page.get_by_role("link", name="申请售后").first.click()
    page.locator(".as-choice label").filter(has_text="退货退款").click()
    page.select_option("#id_reason", "size")
    page.fill("#id_quantity", "1")
    page.fill("#id_description", "买多了一罐，未拆封")
    page.click("#submit-aftersales")
    expect(page.locator("#aftersales-status")).to_have_attribute("data-status", "requested")

    # Customer service approves, the shopper ships it back, customer service receives it and refunds.
    cs_context, cs = _console(browser, live_server, "journey_cs")
    cs.goto("/console/aftersales/?open=1")
    cs.locator("tr[data-request] a").first.click()
    cs.fill("#approve-form input[name=note]", "请寄回：杭州西湖区仓库")
    cs.click("#approve-form button[type=submit]")
    expect(cs.locator("#aftersales-status")).to_have_attribute("data-status", "approved")
    page.reload()
    page.fill("#id_carrier", "中通快递")
    page.fill("#id_waybill", "ZT7788990011")
    page.click("#ship-back-form button[type=submit]")
    expect(page.locator("#aftersales-status")).to_have_attribute("data-status", "returning")
    cs.reload()
    cs.click("#receive-form button[value=inspect_pass]")
    expect(cs.locator("#aftersales-status")).to_have_attribute("data-status", "received")
    cs.click("#refund-form button[type=submit]")
    expect(cs.locator("#timeline")).to_contain_text("退款成功")
    cs_context.close()

    page.reload()
    expect(page.locator("#aftersales-status")).to_have_attribute("data-status", "closed")
    refunds = Refund.objects.filter(payment__reference=group.number, status="succeeded")
    assert refunds.count() == 1 and refunds.get().amount == Decimal("68.00")
