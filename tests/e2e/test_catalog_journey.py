"""Catalog in a real browser: a merchant publishes a product with two SKUs from the console, a shopper
finds it with a Chinese search, narrows by a facet and picks a SKU on the product page."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from shopops.catalog.models import Product, ProductStatus
from shopops.catalog.tests.factories import dress_skus, make_product, make_taxonomy
from shopops.shops.tests.factories import ShopFactory, add_member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 640), "#dc2626").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def world():
    from shopops.shops.services import sync_permissions

    sync_permissions()  # transactional tests start from an empty role table
    tax = make_taxonomy()
    merchant = UserFactory(username="silk_merchant")
    shop = ShopFactory(name="丝绸之路女装店", owner=merchant)
    add_member(shop, merchant, "merchant_staff")
    # Something else on sale, so the search and its facets have to discriminate.
    make_product(shop, tax, title="黑色针织连衣裙", on_sale=True, skus=dress_skus("BK", colors=("黑色",)))
    return {"tax": tax, "shop": shop, "merchant": merchant}


def test_merchant_publishes_two_skus_and_shopper_finds_and_selects_one(browser, live_server, page, world):
    tax, shop = world["tax"], world["shop"]

    # --- the merchant, in the console -----------------------------------------------------------
    page.goto("/admin/login/")
    page.fill("input[name=username]", "silk_merchant")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto(f"/console/catalog/{shop.id}/products/new/")
    page.select_option("#category-select", label="服装 / 女装 / 连衣裙")
    expect(page.locator("#product-form")).to_be_visible()
    page.fill("input[name=title]", "桑蚕丝印花红色连衣裙")
    page.fill("input[name=code_prefix]", "SILK-88")
    page.fill("input[name=price]", "499.00")
    page.check("[data-axis=color] input[data-label=红色]")
    page.check("[data-axis=size] input[data-label=M]")
    page.check("[data-axis=size] input[data-label=L]")
    # The matrix shows one row per combination; the L size costs more.
    expect(page.locator("#sku-matrix tbody tr")).to_have_count(2)
    page.locator("#sku-matrix tbody tr", has_text="红色 / L").locator("input[type=number]").fill("529.00")
    page.set_input_files(
        "input[name=images]", files=[{"name": "front.png", "mimeType": "image/png", "buffer": _png_bytes()}]
    )
    page.click("button[name=publish]")

    expect(page.locator("[data-testid=product-status]")).to_have_text("在售")
    product = Product.objects.get(title="桑蚕丝印花红色连衣裙")
    assert product.status == ProductStatus.ON_SALE
    assert sorted(str(s.price) for s in product.skus.all()) == ["499.00", "529.00"]

    # --- the shopper, in a fresh browser context --------------------------------------------------
    shopper_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    shopper = shopper_context.new_page()
    shopper.goto("/")
    shopper.fill("#site-search", "红色 连衣裙")
    shopper.press("#site-search", "Enter")
    expect(shopper).to_have_url(re.compile(r"/search/\?q="))
    expect(shopper.locator("[data-testid=result-count]")).to_have_text("1")
    results = shopper.locator(".product-grid")
    expect(results).to_contain_text("桑蚕丝印花红色连衣裙")
    expect(results).not_to_contain_text("黑色针织连衣裙")

    # A facet narrows and keeps the product (size L exists).
    size_l = tax.value(tax.size, "L")
    shopper.locator(f"[data-facet=value][data-id='{size_l.id}']").click()
    expect(shopper.locator("[data-testid=result-count]")).to_have_text("1")

    shopper.locator(".product-link", has_text="桑蚕丝印花红色连衣裙").click()
    expect(shopper).to_have_url(re.compile(rf"/p/{product.id}/$"))
    expect(shopper.locator("[data-testid=sku-price]")).to_contain_text("499.00")  # the range starts at 499
    # Colour has one value and is preselected; choosing the size settles the SKU.
    shopper.locator(".option", has_text="L").click()
    expect(shopper.locator("[data-testid=sku-price]")).to_have_text("¥529.00")
    expect(shopper.locator("[data-testid=sku-label]")).to_have_text("红色 / L")
    shopper.locator(".option", has_text="M").click()
    expect(shopper.locator("[data-testid=sku-price]")).to_have_text("¥499.00")
    sku_m = product.skus.get(options__value__value="M")
    expect(shopper.locator("#sku-id")).to_have_value(str(sku_m.id))
    shopper_context.close()
