"""Shopper journeys in a real browser: sign up by phone or email (or by an SMS login of a new number),
sign in by password or SMS code, change the phone, keep an address book with the region selector."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shopops.accounts.models import Address, User
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Shop-2024-ok"


def sign_in_with_password(page, identifier: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_pw-username", identifier)
    page.fill("#id_pw-password", password)
    page.click("#panel-password button[type=submit]")
    expect(page).to_have_url(re.compile(r"/account/$"))


def test_shopper_registers_with_phone_and_sms_code(page, sms_code):
    phone = "13912345678"
    page.goto("/accounts/register/")
    page.fill("#id_ph-phone", phone)
    send = page.locator("#panel-phone [data-sms-button]")
    send.click()
    expect(page.locator("#ph-sms-status")).to_contain_text("验证码已发送")
    # The button counts down instead of allowing another send straight away.
    expect(send).to_be_disabled()
    expect(send).to_contain_text("秒后重发")

    page.fill("#id_ph-code", sms_code(phone, "register"))
    page.fill("#id_ph-password", NEW_PASSWORD)
    page.fill("#id_ph-password_confirm", NEW_PASSWORD)
    page.check("#id_ph-agree")
    page.click("#panel-phone button[type=submit]:not([data-sms-button])")

    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.locator(".messages")).to_contain_text("注册成功")
    expect(page.locator(".profile-card")).to_contain_text("139****5678")
    user = User.objects.get_by_phone(phone)
    assert user.phone_verified_at is not None


def test_wrong_sms_code_is_shown_next_to_the_code_field(page, sms_code):
    phone = "13912340000"
    page.goto("/accounts/register/")
    page.fill("#id_ph-phone", phone)
    page.click("#panel-phone [data-sms-button]")
    expect(page.locator("#ph-sms-status")).to_contain_text("验证码已发送")
    right = sms_code(phone, "register")
    page.fill("#id_ph-code", "000000" if right != "000000" else "111111")
    page.fill("#id_ph-password", NEW_PASSWORD)
    page.fill("#id_ph-password_confirm", NEW_PASSWORD)
    page.check("#id_ph-agree")
    page.click("#panel-phone button[type=submit]:not([data-sms-button])")

    expect(page.locator("[data-field='ph-code'] .field-errors")).to_contain_text("验证码")
    assert not User.objects.filter(phone_digest__isnull=False).exclude(phone_digest="").exists()


def test_shopper_registers_by_email_and_opens_the_verification_link(page, email_link):
    email = "lin.wei@example.com"
    page.goto("/accounts/register/?tab=email")
    page.fill("#id_em-email", email)
    page.fill("#id_em-password", NEW_PASSWORD)
    page.fill("#id_em-password_confirm", NEW_PASSWORD)
    page.check("#id_em-agree")
    page.click("#panel-email button[type=submit]")

    expect(page).to_have_url(re.compile(r"/accounts/register/check-email/$"))
    expect(page.locator("h1")).to_contain_text("请查收验证邮件")

    page.goto(email_link(email, "/accounts/verify-email/"))
    expect(page.locator("h1")).to_contain_text("邮箱验证成功")
    assert User.objects.get(email=email).email_verified_at is not None

    # The verified address now signs in.
    sign_in_with_password(page, email, NEW_PASSWORD)


def test_shopper_adds_addresses_with_the_region_selector_and_picks_a_default(page):
    shopper = UserFactory(username="wangfang")
    sign_in_with_password(page, "wangfang")

    page.goto("/account/addresses/")
    expect(page.locator(".empty")).to_be_visible()
    page.click("text=新增地址 >> nth=0")
    fill_address(page, "王芳", "13700001111", ("浙江省", "杭州市", "西湖区"), "文三路 90 号 3 幢 1201")
    # The first address becomes the default by itself.
    expect(page.locator(".address-card.is-default")).to_contain_text("王芳")

    page.click("text=新增地址 >> nth=0")
    fill_address(page, "王建国", "13600002222", ("北京市", "北京市", "朝阳区"), "建国路 88 号 SOHO 现代城")
    expect(page.locator(".address-card")).to_have_count(2)

    # Set the second one as default (htmx swaps the list in place).
    card = page.locator(".address-card", has_text="王建国")
    card.locator("button", has_text="设为默认").click()
    expect(page.locator(".address-card.is-default")).to_contain_text("王建国")
    expect(page.locator("#flash")).to_contain_text("已设为默认收货地址")

    beijing = Address.objects.get(user=shopper, receiver_name="王建国")
    assert beijing.is_default
    assert beijing.region_code == "110105"
    assert (beijing.province, beijing.city, beijing.district) == ("北京市", "北京市", "朝阳区")
    assert Address.objects.get(user=shopper, receiver_name="王芳").region_code == "330106"

    # Deleting asks first; the list updates in place.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".address-card", has_text="王芳").locator("button", has_text="删除").click()
    expect(page.locator(".address-card")).to_have_count(1)
    expect(page.locator("#flash")).to_contain_text("收货地址已删除")
    assert not Address.objects.filter(user=shopper, receiver_name="王芳").exists()


def fill_address(page, name: str, phone: str, region: tuple[str, str, str], detail: str) -> None:
    page.fill("#id_receiver_name", name)
    page.fill("#id_receiver_phone", phone)
    province, city, district = region
    page.select_option("#id_province", province)
    page.select_option("#id_city", city)
    page.select_option("#id_district", district)
    page.fill("#id_detail", detail)
    page.click("form[data-region-form] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/account/addresses/$"))
    card = page.locator(".address-card", has_text=name)
    # Municipalities show once ("北京市 朝阳区", not "北京市 北京市 朝阳区").
    expected = f"{province} {district}" if province == city else f"{province} {city} {district}"
    expect(card).to_contain_text(f"{expected} {detail}")


def test_shopper_signs_in_with_an_sms_code(page, sms_code):
    shopper = UserFactory(with_phone=True)
    page.goto("/accounts/login/")
    page.click("#tab-sms")
    expect(page.locator("#panel-sms")).to_be_visible()
    page.fill("#id_sms-phone", shopper.phone)
    page.click("#panel-sms [data-sms-button]")
    expect(page.locator("#sms-sms-status")).to_contain_text("验证码已发送")
    page.fill("#id_sms-code", sms_code(shopper.phone, "login"))
    page.click("#panel-sms button[type=submit]:not([data-sms-button])")

    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.locator(".profile-card")).to_contain_text(shopper.label)


def test_new_number_signs_up_by_sms_login_after_accepting_the_terms(page, sms_code):
    phone = "13912349999"
    page.goto("/accounts/login/?tab=sms")
    page.fill("#id_sms-phone", phone)
    page.click("#panel-sms [data-sms-button]")
    expect(page.locator("#sms-sms-status")).to_contain_text("验证码已发送")
    page.fill("#id_sms-code", sms_code(phone, "login"))
    page.click("#panel-sms button[type=submit]:not([data-sms-button])")
    # A number without an account: the page asks for the terms, on the box itself.
    expect(page.locator('[data-field="sms-accept_terms"] .field-errors')).to_contain_text("请阅读并同意")
    assert not User.objects.filter(username__startswith="user_").exists()

    page.check("#id_sms-accept_terms")
    page.click("#panel-sms button[type=submit]:not([data-sms-button])")
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.locator("body")).to_contain_text("注册成功")
    user = User.objects.get_by_phone(phone)
    assert user.phone_verified_at is not None and not user.has_usable_password()


def test_shopper_changes_the_phone_with_a_code_to_the_current_number(page, sms_code):
    shopper = UserFactory(with_phone=True)
    sign_in_with_password(page, shopper.username)
    page.goto("/account/security/")
    page.click('#bind-phone button[name="send_current_code"]')
    expect(page.locator("#ph-current-sms-status")).to_contain_text("验证码已发送")
    page.fill("#id_ph-current_code", sms_code(shopper.phone, "change_phone"))
    new_phone = "13912348888"
    page.fill("#id_ph-phone", new_phone)
    page.click('#bind-phone button[name="send_code"]')
    expect(page.locator("#ph-sms-status")).to_contain_text("验证码已发送")
    page.fill("#id_ph-code", sms_code(new_phone, "bind_phone"))
    page.click("#bind-phone button[type=submit]:not([data-sms-button])")

    expect(page.locator("body")).to_contain_text("手机号已更换")
    shopper.refresh_from_db()
    assert shopper.phone == new_phone
