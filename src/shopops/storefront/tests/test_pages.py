"""Public pages render, speak the shopper's language, and fail politely."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import translation

from shopops.storefront import regions
from shopops.storefront.feedback import localise

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounts/login/",
        "/accounts/login/?tab=sms",
        "/accounts/register/",
        "/accounts/register/?tab=email",
        "/accounts/password-reset/",
        "/accounts/password-reset/?tab=sms",
        "/accounts/register/check-email/",
        "/accounts/password-reset/sent/",
    ],
)
def test_public_pages_render(client: Client, path: str):
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    assert "ShopOps" in body
    assert 'name="viewport"' in body
    # Every asset is served by the app itself: no CDN.
    assert "https://" not in "".join(
        line for line in body.splitlines() if "<script" in line or "<link" in line
    )


def test_home_page_is_chinese_by_default_with_a_language_switch(client: Client):
    body = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in body
    assert "好物不贵" in body
    assert 'action="/i18n/setlang/"' in body


def test_unknown_page_answers_a_friendly_404(client: Client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_api_paths_keep_their_json_404(client: Client):
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_server_error_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert "服务暂时不可用" in html


def test_lockout_page_tells_how_long_to_wait():
    request = RequestFactory().get("/accounts/login/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    html = render_to_string("storefront/locked.html", {"retry_minutes": 15}, request=request)
    assert "15 分钟后再试" in html


def test_search_box_posts_get_to_search(client: Client):
    body = client.get("/").content.decode()
    assert 'action="/search/" method="get"' in body


def test_bilingual_service_messages_show_the_active_language():
    message = "验证码错误 / Wrong code"
    with translation.override("zh-hans"):
        assert localise(message) == "验证码错误"
    with translation.override("en"):
        assert localise(message) == "Wrong code"
    assert localise("只有中文") == "只有中文"


def test_region_lookup_matches_the_vendored_gb2260_data():
    assert regions.resolve("浙江省", "杭州市", "西湖区").code == "330106"
    assert regions.resolve("北京市", "北京市", "朝阳区").code == "110105"
    # Prefecture-level cities without districts list townships; the code is the city's.
    assert regions.resolve("广东省", "东莞市", "松山湖").code == "441900"
    assert regions.resolve("浙江省", "杭州市", "朝阳区") is None
    assert "浙江省" in regions.provinces()
    assert "杭州市" in regions.cities("浙江省")


def test_language_switch_turns_the_shop_into_english(client: Client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    body = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in body
    assert "Welcome back" in body
    assert 'data-sms-wait-label="Resend in %s s"' in body
    home = client.get("/").content.decode()
    assert "Great finds" in home


def test_sms_countdown_label_keeps_its_placeholder_in_chinese(client: Client):
    body = client.get("/accounts/login/").content.decode()
    assert 'data-sms-wait-label="%s 秒后重发"' in body
