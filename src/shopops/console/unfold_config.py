"""Sidebar navigation for the operator console (django-unfold).

settings.py (the lead's file) uses it as:

    from shopops.console.unfold_config import SIDEBAR
    UNFOLD = {..., "SIDEBAR": SIDEBAR}

This module is imported while settings load, so it must not import models at module level: links
and permission checks are callables unfold calls per request. An entry whose admin page does not
exist yet (its app has not registered the model) is simply hidden, so apps can land in any order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


def _url(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def _is_platform_operator(request) -> bool:
    from shopops.shops.selectors import is_platform_admin

    return bool(request.user.is_superuser or is_platform_admin(request.user))


def _link(url_name: str) -> Callable[[Any], str]:
    return lambda request: _url(url_name) or "#"


def _visible(url_name: str, model_perm: str | None, platform_only: bool) -> Callable[[Any], bool]:
    def check(request) -> bool:
        if _url(url_name) is None:
            return False
        if platform_only and not _is_platform_operator(request):
            return False
        return model_perm is None or request.user.has_perm(model_perm)

    return check


def item(
    title: Any, icon: str, url_name: str, model_perm: str | None = None, platform_only: bool = False
) -> dict[str, Any]:
    """One sidebar link. icon: a Material Symbols name (unfold ships the font)."""
    return {
        "title": title,
        "icon": icon,
        "link": _link(url_name),
        "permission": _visible(url_name, model_perm, platform_only),
    }


SIDEBAR: dict[str, Any] = {
    "show_search": True,
    "show_all_applications": True,
    "navigation": [
        {
            "title": _("概览"),
            "items": [
                item(_("运营概览"), "dashboard", "admin:index"),
                # "/" is a prefix of every path: without an explicit "active" it would always look selected.
                {"title": _("访问商城"), "icon": "storefront", "link": "/", "active": lambda request: False},
            ],
        },
        {
            "title": _("店铺"),
            "separator": True,
            "items": [
                item(_("店铺"), "store", "admin:shops_shop_changelist", "shops.view_shop"),
                item(_("员工成员"), "badge", "admin:shops_membership_changelist", "shops.view_membership"),
                item(_("员工邀请"), "mail", "admin:shops_invitation_changelist", "shops.view_invitation"),
                item(_("角色"), "admin_panel_settings", "admin:shops_role_changelist", "shops.view_role"),
            ],
        },
        {
            "title": _("商品与库存"),
            "separator": True,
            "items": [
                item(_("商品"), "inventory_2", "admin:catalog_product_changelist", "catalog.view_product"),
                item(_("类目"), "account_tree", "admin:catalog_category_changelist", "catalog.view_category"),
                item(_("品牌"), "sell", "admin:catalog_brand_changelist", "catalog.view_brand"),
                item(
                    _("仓库"), "warehouse", "admin:inventory_warehouse_changelist", "inventory.view_warehouse"
                ),
                item(_("库存"), "stacks", "admin:inventory_stock_changelist", "inventory.view_stock"),
            ],
        },
        {
            "title": _("用户"),
            "separator": True,
            "items": [
                item(_("用户"), "person", "admin:accounts_user_changelist", "accounts.view_user", True),
                item(
                    _("实名认证"),
                    "id_card",
                    "admin:accounts_realnameverification_changelist",
                    "accounts.view_realnameverification",
                    True,
                ),
                item(
                    _("短信验证码"), "sms", "admin:accounts_smscode_changelist", "accounts.view_smscode", True
                ),
            ],
        },
        {
            "title": _("系统"),
            "separator": True,
            "items": [
                item(_("审计日志"), "history", "admin:core_auditlog_changelist", "core.view_auditlog", True),
                item(
                    _("定时任务"),
                    "schedule",
                    "admin:django_celery_beat_periodictask_changelist",
                    "django_celery_beat.view_periodictask",
                    True,
                ),
                item(_("登录失败记录"), "gpp_maybe", "admin:axes_accessattempt_changelist", None, True),
            ],
        },
    ],
}
