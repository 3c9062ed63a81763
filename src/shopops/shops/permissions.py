"""The catalogue of permissions and the default roles.

A permission is a code such as "orders.view". Shop-scoped permissions are granted through a
membership in one shop; platform permissions through a platform membership (shop is NULL).
Later apps add their codes here, and post_migrate grants new codes to the default roles.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SHOP_PERMISSIONS: dict[str, str] = {
    "shop.view": _("查看店铺信息"),
    "shop.manage": _("修改店铺资料与结算信息"),
    "staff.view": _("查看店铺员工"),
    "staff.manage": _("邀请员工、分配角色"),
    "catalog.view": _("查看商品"),
    "catalog.manage": _("管理商品、类目与属性"),
    "inventory.view": _("查看库存"),
    "inventory.manage": _("调整库存、采购与调拨"),
    "orders.view": _("查看订单"),
    "orders.manage": _("处理订单（发货、取消、备注）"),
    "payments.refund": _("发起退款"),
    "aftersales.manage": _("处理售后"),
    "service.manage": _("处理客服工单"),
    "reviews.moderate": _("回复与管理评价"),
    "logistics.manage": _("管理物流与发货"),
    "marketing.view": _("查看营销活动"),
    "marketing.manage": _("管理优惠券与营销活动"),
    "analytics.view": _("查看经营数据"),
    "audit.view": _("查看店铺审计日志"),
}

PLATFORM_PERMISSIONS: dict[str, str] = {
    "platform.shops": _("平台：审核与管理所有店铺"),
    "platform.catalog": _("平台：管理类目、属性与品牌"),
    "platform.users": _("平台：管理用户"),
    "platform.roles": _("平台：修改角色与权限"),
    "platform.audit": _("平台：查看全部审计日志"),
    "platform.payments": _("平台：支付对账与异常支付处理"),
    "pii.realname": _("查看未脱敏的实名信息（每次查看均记录审计）"),
}

ALL_PERMISSIONS: dict[str, str] = {**SHOP_PERMISSIONS, **PLATFORM_PERMISSIONS}

SHOPPER = "shopper"
SHOP_OWNER = "shop_owner"
MERCHANT_STAFF = "merchant_staff"
CUSTOMER_SERVICE = "customer_service"
WAREHOUSE = "warehouse"
MARKETING = "marketing"
ANALYST = "analyst"
PLATFORM_ADMIN = "platform_admin"

# (code, Chinese name, English name, scope, permissions)
DEFAULT_ROLES: list[tuple[str, str, str, str, set[str]]] = [
    (SHOPPER, "顾客", "Shopper", "platform", set()),
    (SHOP_OWNER, "店主", "Shop owner", "shop", set(SHOP_PERMISSIONS)),
    (
        MERCHANT_STAFF,
        "店铺运营",
        "Merchant staff",
        "shop",
        {
            "shop.view",
            "catalog.view",
            "catalog.manage",
            "inventory.view",
            "orders.view",
            "orders.manage",
            "marketing.view",
            "reviews.moderate",
        },
    ),
    (
        CUSTOMER_SERVICE,
        "客服",
        "Customer service",
        "shop",
        {
            "shop.view",
            "catalog.view",
            "orders.view",
            "aftersales.manage",
            "service.manage",
            "reviews.moderate",
            "payments.refund",
        },
    ),
    (
        WAREHOUSE,
        "仓储",
        "Warehouse",
        "shop",
        {
            "shop.view",
            "catalog.view",
            "inventory.view",
            "inventory.manage",
            "orders.view",
            "logistics.manage",
        },
    ),
    (
        MARKETING,
        "营销",
        "Marketing",
        "shop",
        {"shop.view", "catalog.view", "marketing.view", "marketing.manage", "analytics.view"},
    ),
    (
        ANALYST,
        "数据分析",
        "Analyst",
        "shop",
        {"shop.view", "catalog.view", "inventory.view", "orders.view", "marketing.view", "analytics.view"},
    ),
    (PLATFORM_ADMIN, "平台管理员", "Platform admin", "platform", set(ALL_PERMISSIONS)),
]
