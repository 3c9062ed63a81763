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


def _holds(request, perm: str | None) -> bool:
    """Role-based visibility: the user holds `perm` in at least one shop, or on the platform.

    Django model permissions are not used: merchant staff get their powers from shop roles
    (shops.permissions), and each page checks the same codes again per shop.
    """
    if perm is None:
        return True
    from shopops.shops import selectors

    user = request.user
    if selectors.has_platform_perm(user, perm):
        return True
    shop_ids = selectors.shop_ids_with_perm(user, perm)
    return shop_ids is None or bool(shop_ids)


def _visible(url_name: str, perm: str | None, platform_only: bool) -> Callable[[Any], bool]:
    def check(request) -> bool:
        if _url(url_name) is None:
            return False
        if platform_only and not _is_platform_operator(request):
            return False
        return _holds(request, perm)

    return check


def item(
    title: Any, icon: str, url_name: str, perm: str | None = None, platform_only: bool = False
) -> dict[str, Any]:
    """One sidebar link. icon: a Material Symbols name (unfold ships it); perm: a role permission code."""
    return {
        "title": title,
        "icon": icon,
        "link": _link(url_name),
        "permission": _visible(url_name, perm, platform_only),
    }


SIDEBAR: dict[str, Any] = {
    "show_search": True,
    "show_all_applications": False,
    "navigation": [
        {
            "title": _("概览"),
            "items": [
                item(_("运营概览"), "dashboard", "admin:index"),
                item(_("订单分析"), "monitoring", "orders_console:analytics", "orders.view"),
                # "/" is a prefix of every path: without an explicit "active" it would always look selected.
                {"title": _("访问商城"), "icon": "storefront", "link": "/", "active": lambda request: False},
            ],
        },
        {
            "title": _("交易"),
            "separator": True,
            "items": [
                item(_("订单"), "receipt_long", "orders_console:list", "orders.view"),
                item(_("售后工作台"), "assignment_return", "aftersales_console:queue", "aftersales.manage"),
                item(_("客服工单"), "support_agent", "service_console:queue", "service.manage"),
                item(_("评价管理"), "reviews", "reviews_console:list", "reviews.moderate"),
                item(_("运费规则"), "local_shipping", "cart_console:shipping", "logistics.manage"),
                item(_("支付"), "payments", "admin:payments_payment_changelist", "platform.payments", True),
            ],
        },
        {
            "title": _("商品与库存"),
            "separator": True,
            "items": [
                item(_("商品管理"), "inventory_2", "catalog_console:index", "catalog.view"),
                item(_("库存与采购"), "warehouse", "inventory_console:index", "inventory.view"),
                item(_("商品（后台表）"), "list_alt", "admin:catalog_product_changelist", "catalog.view"),
                item(_("类目"), "account_tree", "admin:catalog_category_changelist", "catalog.view"),
                item(_("品牌"), "sell", "admin:catalog_brand_changelist", "catalog.view"),
            ],
        },
        {
            "title": _("店铺"),
            "separator": True,
            "items": [
                item(_("店铺"), "store", "admin:shops_shop_changelist", "shop.view"),
                item(_("员工成员"), "badge", "admin:shops_membership_changelist", "staff.view"),
                item(_("员工邀请"), "mail", "admin:shops_invitation_changelist", "staff.manage"),
                item(
                    _("角色"), "admin_panel_settings", "admin:shops_role_changelist", "platform.roles", True
                ),
            ],
        },
        {
            "title": _("用户"),
            "separator": True,
            "items": [
                item(_("用户"), "person", "admin:accounts_user_changelist", "platform.users", True),
                item(
                    _("实名认证"),
                    "id_card",
                    "admin:accounts_realnameverification_changelist",
                    "platform.users",
                    True,
                ),
                item(_("短信验证码"), "sms", "admin:accounts_smscode_changelist", "platform.users", True),
            ],
        },
        {
            "title": _("系统"),
            "separator": True,
            "items": [
                item(_("审计日志"), "history", "admin:core_auditlog_changelist", "audit.view"),
                item(
                    _("定时任务"),
                    "schedule",
                    "admin:django_celery_beat_periodictask_changelist",
                    "platform.shops",
                    True,
                ),
                item(
                    _("登录失败记录"),
                    "gpp_maybe",
                    "admin:axes_accessattempt_changelist",
                    "platform.users",
                    True,
                ),
            ],
        },
    ],
}
