"""The console: /console/ lands on the admin, whose index is the dashboard of platform figures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from shopops.accounts.models import User
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from shopops.console import selectors
from shopops.core import audit
from shopops.shops.models import ShopStatus
from shopops.shops.tests.factories import ShopFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db) -> User:
    return UserFactory(username="ops_lead", is_staff=True, is_superuser=True)


@pytest.fixture
def console(client: Client, operator) -> Client:
    client.force_login(operator)
    return client


def test_console_landing_redirects_to_the_admin(client: Client):
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_shoppers_cannot_open_the_console(client: Client):
    client.force_login(UserFactory())
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_login_at_admin_login_lands_on_the_dashboard(client: Client, operator):
    page = client.get("/admin/login/")
    assert 'name="next" value="/admin/"' in page.content.decode()
    response = client.post(
        "/admin/login/", {"username": "ops_lead", "password": DEFAULT_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_dashboard_shows_shops_by_status_users_and_audit_events(console: Client, operator):
    ShopFactory(owner=operator, status=ShopStatus.ACTIVE)
    ShopFactory(owner=operator, status=ShopStatus.ACTIVE)
    suspended = ShopFactory(owner=operator, status=ShopStatus.SUSPENDED)
    audit.record(actor=operator, action="shop.suspend", obj=suspended, shop_id=suspended.pk)

    response = console.get("/admin/")
    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    cards = {card["key"]: card["value"] for card in dashboard["shop_cards"] + dashboard["platform_cards"]}
    assert cards["shops_total"] == 3
    assert cards["shops_active"] == 2
    assert cards["shops_suspended"] == 1
    assert cards["shops_pending"] == 0
    assert cards["users_total"] == User.objects.count()
    assert cards["audit_today"] >= 1
    assert dashboard["events"][0].action == "shop.suspend"

    body = response.content.decode()
    assert "console/vendor/echarts.min.js" in body
    charts = json.loads(body.split('id="dashboard-charts" type="application/json">')[1].split("</script>")[0])
    assert [item["value"] for item in charts["shopStatus"]["items"]] == [2, 0, 1]
    assert len(charts["signups"]["counts"]) == selectors.TREND_DAYS


def test_merchant_staff_see_only_their_own_shops(client: Client):
    mine = ShopFactory(status=ShopStatus.ACTIVE)
    ShopFactory(status=ShopStatus.ACTIVE)  # someone else's
    staff = UserFactory(is_staff=True)
    add_member(mine, staff, "shop_owner")
    client.force_login(staff)

    response = client.get("/admin/")
    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert {c["key"]: c["value"] for c in dashboard["shop_cards"]}["shops_total"] == 1
    assert dashboard["platform_cards"] == []  # platform-wide figures are for operators only
    assert "signups" not in response.context["dashboard_charts"]


def test_daily_signups_fill_quiet_days_with_zero():
    now = timezone.now()
    UserFactory()
    old = UserFactory()
    User.objects.filter(pk=old.pk).update(date_joined=now - timedelta(days=3))
    trend = selectors.daily_signups(now=now)
    assert len(trend) == selectors.TREND_DAYS
    assert trend[-1].day == timezone.localdate(now)
    assert trend[-1].count == 1
    assert trend[-4].count == 1
    assert sum(day.count for day in trend) == 2


def test_sidebar_hides_links_to_admin_pages_that_do_not_exist(rf, operator):
    from shopops.console.unfold_config import SIDEBAR, item

    request = rf.get("/admin/")
    request.user = operator
    missing = item("x", "x", "admin:nothing_here_changelist")
    assert missing["permission"](request) is False
    assert missing["link"](request) == "#"
    audit_item = next(
        i for group in SIDEBAR["navigation"] for i in group["items"] if i["title"] == "审计日志"
    )
    assert audit_item["permission"](request) is True
    assert audit_item["link"](request) == "/admin/core/auditlog/"
