"""Inventory console pages and admin: they render inside the admin layout, check shop permissions,
and every form goes through the services (a refusal is a message, nothing changes)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from shopops.inventory import services
from shopops.inventory.models import (
    LowStockAlert,
    PurchaseOrder,
    PurchaseOrderStatus,
    Stock,
    StockLedgerEntry,
    Warehouse,
)
from shopops.inventory.tests.factories import make_sku, make_warehouse, put_stock
from shopops.shops.permissions import ANALYST, CUSTOMER_SERVICE, WAREHOUSE
from shopops.shops.tests.factories import make_member

SESSION_BACKEND = "shopops.accounts.backends.IdentifierBackend"


@pytest.fixture
def keeper(shop):
    return make_member(shop, WAREHOUSE).user


@pytest.fixture
def signed_in(client, keeper):
    client.force_login(keeper, backend=SESSION_BACKEND)
    return client


def page(shop, suffix: str = "") -> str:
    return f"/console/inventory/{shop.id}/{suffix}"


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def stocked(shop, warehouse, second_warehouse, sku):
    put_stock(warehouse, sku, 12)
    put_stock(second_warehouse, sku, 3)
    return sku


def test_every_page_renders_in_the_admin_layout(signed_in, shop, stocked, warehouse):
    supplier = services.create_supplier(shop_id=shop.id, code="sup", name="优品供应链")
    po = services.create_purchase_order(
        shop_id=shop.id,
        supplier_id=supplier.id,
        warehouse_id=warehouse.id,
        lines=[services.OrderLineInput(stocked.id, 5)],
    )
    for suffix in (
        "",
        f"skus/{stocked.id}/",
        "ledger/",
        "ledger/?reason=purchase_receipt&since=2020-01-01&q=SKU",
        "alerts/",
        "alerts/?status=resolved",
        "replenishment/",
        "purchase-orders/",
        f"purchase-orders/{po.id}/",
    ):
        response = signed_in.get(page(shop, suffix))
        assert response.status_code == 200, suffix
        html = response.content.decode()
        assert 'id="main"' in html  # unfold's layout with its sidebar
        assert shop.name in html
    stock_html = signed_in.get(page(shop)).content.decode()
    assert stocked.code in stock_html and "上海仓" in stock_html and "广州仓" in stock_html


def test_index_goes_straight_to_the_only_shop(signed_in, shop):
    response = signed_in.get("/console/inventory/")
    assert response.status_code == 302 and response.url == page(shop)


def test_signed_out_visitors_are_sent_to_sign_in(client, shop):
    response = client.get(page(shop))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_another_shops_pages_and_objects_are_404(signed_in, shop, other_shop):
    foreign_sku = make_sku(other_shop)
    foreign_warehouse = make_warehouse(other_shop)
    supplier = services.create_supplier(shop_id=other_shop.id, code="x", name="外店")
    po = services.create_purchase_order(
        shop_id=other_shop.id,
        supplier_id=supplier.id,
        warehouse_id=foreign_warehouse.id,
        lines=[services.OrderLineInput(foreign_sku.id, 1)],
    )
    assert signed_in.get(page(other_shop)).status_code == 404
    assert signed_in.get(page(shop, f"skus/{foreign_sku.id}/")).status_code == 404
    assert signed_in.get(page(shop, f"purchase-orders/{po.id}/")).status_code == 404
    response = signed_in.post(page(shop, f"purchase-orders/{po.id}/"), {"action": "send"})
    assert response.status_code == 404
    assert PurchaseOrder.objects.get(pk=po.pk).status == PurchaseOrderStatus.DRAFT


def test_viewers_see_pages_but_cannot_post(client, shop, stocked, warehouse):
    client.force_login(make_member(shop, ANALYST).user, backend=SESSION_BACKEND)
    assert client.get(page(shop, f"skus/{stocked.id}/")).status_code == 200
    response = client.post(
        page(shop, f"skus/{stocked.id}/"),
        {"action": "adjust", "warehouse": warehouse.id, "delta": 5, "reason": "x"},
    )
    assert response.status_code == 403
    assert Stock.objects.get(warehouse=warehouse, sku=stocked).on_hand == 12
    client.force_login(make_member(shop, CUSTOMER_SERVICE).user, backend=SESSION_BACKEND)
    assert client.get(page(shop)).status_code == 403  # no inventory.view at all


def test_adjust_transfer_count_and_threshold_forms(signed_in, shop, stocked, warehouse, second_warehouse):
    url = page(shop, f"skus/{stocked.id}/")
    signed_in.post(url, {"action": "adjust", "warehouse": warehouse.id, "delta": -2, "reason": "破损"})
    signed_in.post(
        url, {"action": "transfer", "source": warehouse.id, "target": second_warehouse.id, "quantity": 4}
    )
    signed_in.post(url, {"action": "count", "warehouse": second_warehouse.id, "counted": 6, "reason": "抽盘"})
    signed_in.post(url, {"action": "threshold", "threshold": 12})
    assert Stock.objects.get(warehouse=warehouse, sku=stocked).on_hand == 6
    assert Stock.objects.get(warehouse=second_warehouse, sku=stocked).on_hand == 6
    assert LowStockAlert.objects.filter(sku=stocked, status="open").exists()  # 12 available <= 12
    reasons = list(StockLedgerEntry.objects.filter(sku=stocked).values_list("reason", flat=True))
    assert {"adjustment", "transfer_out", "transfer_in"} <= set(reasons)


def test_a_refused_form_shows_the_reason_and_changes_nothing(signed_in, shop, stocked, warehouse):
    url = page(shop, f"skus/{stocked.id}/")
    response = signed_in.post(
        url,
        {"action": "transfer", "source": warehouse.id, "target": warehouse.id, "quantity": 1},
        follow=True,
    )
    assert any("不能相同" in m for m in flash(response))
    response = signed_in.post(
        url, {"action": "adjust", "warehouse": warehouse.id, "delta": -50, "reason": "x"}, follow=True
    )
    assert any("库存不足" in m for m in flash(response))
    assert Stock.objects.get(warehouse=warehouse, sku=stocked).on_hand == 12


def test_one_click_draft_from_a_suggestion_then_send_and_receive(signed_in, shop, warehouse):
    sku = make_sku(shop, code="TEE-RED-M")
    put_stock(warehouse, sku, 1)
    supplier = services.create_supplier(shop_id=shop.id, code="sup", name="优品供应链")
    services.upsert_supplier_item(
        shop_id=shop.id, supplier_id=supplier.id, sku_id=sku.id, unit_cost="21.00", is_preferred=True
    )
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=5)
    assert "TEE-RED-M" in signed_in.get(page(shop, "replenishment/")).content.decode()

    response = signed_in.post(page(shop, "replenishment/"), {"sku": sku.id, "warehouse": warehouse.id})
    po = PurchaseOrder.objects.get(shop=shop)
    assert response.status_code == 302 and response.url == page(shop, f"purchase-orders/{po.id}/")
    line = po.lines.get()
    assert (line.quantity_ordered, line.unit_cost) == (9, Decimal("21.00"))

    signed_in.post(page(shop, f"purchase-orders/{po.id}/"), {"action": "send"})
    response = signed_in.post(
        page(shop, f"purchase-orders/{po.id}/"),
        {"action": "receive", f"qty_{sku.id}": 12, "warehouse": warehouse.id},
        follow=True,
    )
    assert any("超过" in m for m in flash(response))  # more than outstanding: refused
    signed_in.post(
        page(shop, f"purchase-orders/{po.id}/"),
        {"action": "receive", f"qty_{sku.id}": 4, "warehouse": warehouse.id, "note": "第一批"},
    )
    po.refresh_from_db()
    assert po.status == PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert Stock.objects.get(warehouse=warehouse, sku=sku).on_hand == 5
    html = signed_in.get(page(shop, f"purchase-orders/{po.id}/")).content.decode()
    assert "第一批" in html


def test_purchase_order_form_takes_pasted_lines(signed_in, shop, warehouse):
    make_sku(shop, code="A-1", cost=Decimal("3.00"))
    make_sku(shop, code="B-2")
    supplier = services.create_supplier(shop_id=shop.id, code="sup", name="华南贸易")
    form = {"supplier": supplier.id, "warehouse": warehouse.id, "expected_at": "2030-01-15"}
    bad = signed_in.post(page(shop, "purchase-orders/"), {**form, "lines": "A-1 5\nNOPE 2"}, follow=True)
    assert any("不存在" in m for m in flash(bad))
    assert not PurchaseOrder.objects.exists()
    signed_in.post(page(shop, "purchase-orders/"), {**form, "lines": "A-1 5\nB-2, 2, 9.90\n"})
    po = PurchaseOrder.objects.get()
    assert sorted((line.sku.code, line.quantity_ordered, line.unit_cost) for line in po.lines.all()) == [
        ("A-1", 5, Decimal("3.00")),
        ("B-2", 2, Decimal("9.90")),
    ]
    assert str(po.expected_at) == "2030-01-15"


# --- admin ------------------------------------------------------------------------------------------


def test_admin_lists_only_the_shops_rows_and_writes_through_services(signed_in, shop, other_shop, stocked):
    make_warehouse(other_shop, code="theirs", name="外店仓")
    listing = signed_in.get("/admin/inventory/warehouse/").content.decode()
    assert "上海仓" in listing and "外店仓" not in listing
    response = signed_in.post(
        "/admin/inventory/warehouse/add/",
        {"shop": shop.id, "code": "bj", "name": "北京仓", "priority": 100, "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Warehouse.objects.filter(shop=shop, code="bj").exists()
    duplicate = signed_in.post(
        "/admin/inventory/warehouse/add/", {"shop": shop.id, "code": "bj", "name": "again", "priority": 1}
    )
    assert duplicate.status_code == 200 and "已存在" in duplicate.content.decode()
    for register in (
        "stock",
        "stockledgerentry",
        "lowstockalert",
        "reservation",
        "purchaseorder",
        "supplier",
    ):
        assert signed_in.get(f"/admin/inventory/{register}/").status_code == 200, register
    stock = Stock.objects.filter(sku=stocked).first()
    assert signed_in.get(f"/admin/inventory/stock/{stock.pk}/change/").status_code == 200
    # No add page for stock: numbers change only through the services.
    assert signed_in.get("/admin/inventory/stock/add/").status_code == 403
    redirect = signed_in.get(f"/admin/inventory/stock/{stock.pk}/console/")
    assert redirect.status_code == 302 and redirect.url == page(shop, f"skus/{stocked.id}/")


def test_pages_speak_english_when_asked(signed_in, shop, stocked):
    html = signed_in.get(page(shop), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Stock overview" in html and "Low-stock alerts" in html and "Available total" in html
    html = signed_in.get(page(shop, "replenishment/"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reorder point" in html
