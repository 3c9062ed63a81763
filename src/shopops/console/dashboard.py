"""The console's landing page figures (django-unfold DASHBOARD_CALLBACK, rendered by admin/index.html).

Counts of shops by status, users and staff, a 14-day sign-up trend and the latest audit events.
Platform-wide numbers (users, staff) are shown to platform operators only.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from shopops.console import selectors
from shopops.shops.models import ShopStatus
from shopops.shops.selectors import is_platform_admin

# Chart colours per shop status, matching the brand palette (rose) and the usual traffic-light meaning.
STATUS_COLOURS = {
    ShopStatus.ACTIVE: "#16a34a",
    ShopStatus.PENDING: "#f59e0b",
    ShopStatus.SUSPENDED: "#e11d48",
}


def admin_url(name: str, *args: Any, query: str = "") -> str | None:
    """Reverse an admin URL, or None while the model is not registered in the admin."""
    try:
        url = reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


def _shop_cards(counts: dict[str, int]) -> list[dict[str, Any]]:
    changelist = admin_url("shops_shop_changelist")
    cards = [
        {
            "key": "shops_total",
            "label": _("店铺总数"),
            "value": counts["total"],
            "href": changelist,
            "tone": "brand",
        }
    ]
    for status in (ShopStatus.ACTIVE, ShopStatus.PENDING, ShopStatus.SUSPENDED):
        cards.append(
            {
                "key": f"shops_{status.value}",
                "label": str(status.label),
                "value": counts[status.value],
                "href": admin_url("shops_shop_changelist", query=f"status__exact={status.value}"),
                "tone": {"active": "ok", "pending": "warn", "suspended": "danger"}[status.value],
            }
        )
    return cards


def _platform_cards(request: HttpRequest) -> list[dict[str, Any]]:
    users = selectors.user_counts()
    return [
        {
            "key": "users_total",
            "label": _("注册用户"),
            "value": users["total"],
            "hint": _("近 7 天新增 %(n)s") % {"n": users["new_7d"]},
            "href": admin_url("accounts_user_changelist"),
            "tone": "neutral",
        },
        {
            "key": "staff",
            "label": _("后台员工"),
            "value": users["staff"],
            "hint": _("商家员工 %(n)s 人") % {"n": selectors.merchant_staff_count()},
            "href": admin_url("accounts_user_changelist", query="is_staff__exact=1"),
            "tone": "neutral",
        },
        {
            "key": "audit_today",
            "label": _("今日审计事件"),
            "value": selectors.audit_events_today(request.user),
            "href": admin_url("core_auditlog_changelist"),
            "tone": "neutral",
        },
    ]


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    user = request.user
    platform = is_platform_admin(user)
    shop_counts = selectors.shop_counts_by_status(user)
    events = selectors.recent_audit_events(user)
    charts: dict[str, Any] = {
        "shopStatus": {
            "title": _("店铺状态分布"),
            "items": [
                {"name": str(s.label), "value": shop_counts[s.value], "color": STATUS_COLOURS[s]}
                for s in (ShopStatus.ACTIVE, ShopStatus.PENDING, ShopStatus.SUSPENDED)
            ],
        }
    }
    if platform:
        trend = selectors.daily_signups()
        charts["signups"] = {
            "title": _("近 14 天新注册用户"),
            "days": [d.day.strftime("%m-%d") for d in trend],
            "counts": [d.count for d in trend],
            "seriesName": _("新用户"),
        }
    context.update(
        {
            "dashboard": {
                "is_platform": platform,
                "shop_cards": _shop_cards(shop_counts),
                "platform_cards": _platform_cards(request) if platform else [],
                "events": events,
                "audit_url": admin_url("core_auditlog_changelist"),
                "shops_url": admin_url("shops_shop_changelist"),
            },
            "dashboard_charts": charts,
        }
    )
    return context
