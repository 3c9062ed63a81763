"""Who is in the demo: one platform admin, two shops with an owner and staff of every role, shoppers."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_PASSWORD = "Demo#2026"


@dataclass(frozen=True)
class Persona:
    username: str
    display_name: str
    phone: str
    email: str
    description: str
    shop_key: str | None = None
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoShop:
    key: str
    name: str
    owner: str
    contact_name: str
    contact_phone: str
    description: str
    settlement: dict = field(default_factory=dict)


ADMIN = Persona("ops", "平台管理员", "13800138000", "admin@shopops.local", "平台管理员 / platform admin")

SHOPS = [
    DemoShop(
        key="superstore",
        name="Superstore 办公家居旗舰店",
        owner="owner",
        contact_name="王店长",
        contact_phone="13800138001",
        description="办公用品、家具与电子产品（商品数据来自公开的 Superstore 数据集）",
        settlement={
            "account_name": "上海超市办公家居有限公司",
            "bank": "招商银行上海分行",
            "number": "6225880212345678",
        },
    ),
    DemoShop(
        key="cloud",
        name="云朵生活馆",
        owner="owner2",
        contact_name="李店长",
        contact_phone="13800138002",
        description="手机、平板、电脑、服饰、水果与生活用品",
        settlement={
            "account_name": "杭州云朵生活电子商务有限公司",
            "bank": "中国工商银行杭州分行",
            "number": "6222021202041234",
        },
    ),
]

STAFF = [
    Persona(
        "owner",
        "王店长",
        "13800138001",
        "owner@shopops.local",
        "店主 / shop owner",
        "superstore",
        ("shop_owner",),
    ),
    Persona(
        "owner2",
        "李店长",
        "13800138002",
        "owner2@shopops.local",
        "店主 / shop owner",
        "cloud",
        ("shop_owner",),
    ),
    Persona(
        "operator",
        "张运营",
        "13800138011",
        "staff@shopops.local",
        "店铺运营 / merchant staff",
        "superstore",
        ("merchant_staff",),
    ),
    Persona(
        "csagent",
        "赵客服",
        "13800138012",
        "service@shopops.local",
        "客服 / customer service",
        "superstore",
        ("customer_service",),
    ),
    Persona(
        "warehouse",
        "钱仓管",
        "13800138013",
        "warehouse@shopops.local",
        "仓储 / warehouse",
        "superstore",
        ("warehouse",),
    ),
    Persona(
        "marketing",
        "孙营销",
        "13800138014",
        "marketing@shopops.local",
        "营销 / marketing",
        "superstore",
        ("marketing",),
    ),
    Persona(
        "analyst",
        "周分析",
        "13800138015",
        "analyst@shopops.local",
        "数据分析 / analyst",
        "superstore",
        ("analyst",),
    ),
]

SHOPPERS = [
    Persona("alice", "爱丽丝", "13900139001", "alice@example.com", "顾客 / shopper"),
    Persona("bob", "鲍勃", "13900139002", "bob@example.com", "顾客 / shopper"),
    Persona("chen", "陈晨", "13900139003", "chen@example.com", "顾客 / shopper"),
]

ADDRESSES = {
    "alice": [
        dict(
            receiver_name="爱丽丝",
            receiver_phone="13900139001",
            province="上海市",
            city="上海市",
            district="浦东新区",
            region_code="310115",
            street="张江镇",
            detail="博云路 2 号 5 楼",
            postcode="201203",
            is_default=True,
        ),
        dict(
            receiver_name="爱丽丝",
            receiver_phone="13900139001",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            region_code="330106",
            street="文新街道",
            detail="文一西路 100 号",
            postcode="310012",
        ),
    ],
    "bob": [
        dict(
            receiver_name="鲍勃",
            receiver_phone="13900139002",
            province="北京市",
            city="北京市",
            district="海淀区",
            region_code="110108",
            street="中关村街道",
            detail="中关村大街 1 号",
            postcode="100080",
            is_default=True,
        ),
    ],
    "chen": [
        dict(
            receiver_name="陈晨",
            receiver_phone="13900139003",
            province="广东省",
            city="广州市",
            district="天河区",
            region_code="440106",
            street="石牌街道",
            detail="天河路 385 号",
            postcode="510620",
            is_default=True,
        ),
    ],
}
