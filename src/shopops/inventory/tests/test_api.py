"""The inventory API end to end: shapes, permissions, IDOR and errors a client can act on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shopops.inventory import services
from shopops.inventory.models import PurchaseOrder, Stock, StockLedgerEntry, Warehouse
from shopops.inventory.tests.factories import make_sku, make_warehouse, put_stock
from shopops.shops.permissions import ANALYST, CUSTOMER_SERVICE, MERCHANT_STAFF, WAREHOUSE
from shopops.shops.tests.factories import api_as, make_member

BASE = "/inventory/shops"


@pytest.fixture
def keeper(shop):
    return make_member(shop, WAREHOUSE).user


@pytest.fixture
def api(client, keeper):
    return api_as(client, keeper)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert " / " in body["message"]  # bilingual
    return body


def test_warehouse_crud(api, shop):
    created = api.post(
        f"{BASE}/{shop.id}/warehouses",
        {
            "code": "sh",
            "name": "上海仓",
            "address": "上海市青浦区",
            "latitude": "31.149600",
            "longitude": 121.124,
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["code"] == "sh" and body["latitude"] == "31.149600" and body["longitude"] == "121.124000"
    wid = body["id"]
    assert api.get(f"{BASE}/{shop.id}/warehouses").json()[0]["id"] == wid
    patched = api.patch(f"{BASE}/{shop.id}/warehouses/{wid}", {"name": "上海一号仓", "priority": 1})
    assert patched.status_code == 200 and patched.json()["name"] == "上海一号仓"
    assert api.delete(f"{BASE}/{shop.id}/warehouses/{wid}").status_code == 204
    assert not Warehouse.objects.filter(pk=wid).exists()


def test_bad_warehouse_input_is_422_and_duplicate_code_409(api, shop, warehouse):
    bad = api.post(f"{BASE}/{shop.id}/warehouses", {"code": "x", "name": "X", "latitude": 91})
    assert bad.status_code == 422 and error_of(bad)["code"] == "validation_error"
    dup = api.post(f"{BASE}/{shop.id}/warehouses", {"code": warehouse.code, "name": "again"})
    assert dup.status_code == 409 and error_of(dup)["code"] == "warehouse_code_taken"
    assert Warehouse.objects.filter(shop=shop).count() == 1


def test_a_used_warehouse_cannot_be_deleted(api, shop, warehouse, sku):
    put_stock(warehouse, sku, 1)
    response = api.delete(f"{BASE}/{shop.id}/warehouses/{warehouse.id}")
    assert response.status_code == 409 and error_of(response)["code"] == "warehouse_not_empty"


def test_another_shops_objects_answer_404(api, shop, other_shop):
    foreign_warehouse = make_warehouse(other_shop)
    foreign_sku = make_sku(other_shop)
    supplier = services.create_supplier(shop_id=other_shop.id, code="s", name="外店供应商")
    po = services.create_purchase_order(
        shop_id=other_shop.id,
        supplier_id=supplier.id,
        warehouse_id=foreign_warehouse.id,
        lines=[services.OrderLineInput(foreign_sku.id, 1)],
    )
    for path in (
        f"{BASE}/{shop.id}/warehouses/{foreign_warehouse.id}",
        f"{BASE}/{shop.id}/skus/{foreign_sku.id}/stock",
        f"{BASE}/{shop.id}/suppliers/{supplier.id}",
        f"{BASE}/{shop.id}/purchase-orders/{po.id}",
        f"{BASE}/{other_shop.id}/warehouses",  # not a member of the other shop at all
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    assert api.post(f"{BASE}/{shop.id}/purchase-orders/{po.id}/send").status_code == 404
    assert PurchaseOrder.objects.get(pk=po.pk).status == "draft"


def test_viewers_cannot_change_stock(client, shop, warehouse, sku):
    analyst = api_as(client, make_member(shop, ANALYST).user)
    assert analyst.get(f"{BASE}/{shop.id}/stock").status_code == 200
    response = analyst.post(
        f"{BASE}/{shop.id}/adjustments",
        {"warehouse_id": warehouse.id, "sku_id": sku.id, "delta": 5, "reason": "x"},
    )
    assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"
    assert not Stock.objects.exists()


def test_stock_listing_filters_and_paginates(api, shop, warehouse, second_warehouse):
    skus = [make_sku(shop, code=f"TEE-{i}") for i in range(3)]
    for i, sku in enumerate(skus):
        put_stock(warehouse, sku, 10 + i)
    put_stock(second_warehouse, skus[0], 2)
    page = api.get(f"{BASE}/{shop.id}/stock", page_size=2).json()
    assert page["count"] == 4 and len(page["items"]) == 2
    low = api.get(f"{BASE}/{shop.id}/stock", available_lte=5).json()
    assert [(i["warehouse_code"], i["sku_code"], i["available"]) for i in low["items"]] == [
        (second_warehouse.code, "TEE-0", 2)
    ]
    one = api.get(f"{BASE}/{shop.id}/skus/{skus[0].id}/stock").json()
    assert one["totals"] == {"on_hand": 12, "reserved": 0, "available": 12}
    assert len(one["warehouses"]) == 2


def test_adjustment_and_ledger(api, shop, warehouse, sku, keeper):
    put_stock(warehouse, sku, 5)
    response = api.post(
        f"{BASE}/{shop.id}/adjustments",
        {"warehouse_id": warehouse.id, "sku_id": sku.id, "delta": -2, "reason": "破损"},
    )
    assert response.status_code == 201
    assert response.json()["on_hand_after"] == 3 and response.json()["actor_id"] == keeper.id
    too_many = api.post(
        f"{BASE}/{shop.id}/adjustments",
        {"warehouse_id": warehouse.id, "sku_id": sku.id, "delta": -4, "reason": "破损"},
    )
    body = error_of(too_many)
    assert too_many.status_code == 409 and body["code"] == "insufficient_stock"
    assert body["details"]["available"] == 3
    zero = api.post(
        f"{BASE}/{shop.id}/adjustments",
        {"warehouse_id": warehouse.id, "sku_id": sku.id, "delta": 0, "reason": "x"},
    )
    assert zero.status_code == 422 and error_of(zero)["code"] == "invalid_quantity"
    ledger = api.get(f"{BASE}/{shop.id}/ledger", reason="adjustment").json()
    assert ledger["count"] == 1 and ledger["items"][0]["reason_label"]
    assert api.get(f"{BASE}/{shop.id}/ledger/check").json() == {"consistent": True, "mismatches": []}


def test_transfer_and_stocktake_endpoints(api, shop, warehouse, second_warehouse, sku):
    put_stock(warehouse, sku, 10)
    same = api.post(
        f"{BASE}/{shop.id}/transfers",
        {
            "from_warehouse_id": warehouse.id,
            "to_warehouse_id": warehouse.id,
            "lines": [{"sku_id": sku.id, "quantity": 1}],
        },
    )
    assert same.status_code == 422 and error_of(same)["code"] == "same_warehouse"
    moved = api.post(
        f"{BASE}/{shop.id}/transfers",
        {
            "from_warehouse_id": warehouse.id,
            "to_warehouse_id": second_warehouse.id,
            "lines": [{"sku_id": sku.id, "quantity": 4}],
        },
    )
    assert moved.status_code == 201 and moved.json()["lines"] == [{"sku_id": sku.id, "quantity": 4}]
    assert api.get(f"{BASE}/{shop.id}/transfers/{moved.json()['id']}").status_code == 200
    counted = api.post(
        f"{BASE}/{shop.id}/stocktakes",
        {"warehouse_id": second_warehouse.id, "reason": "抽盘", "lines": [{"sku_id": sku.id, "counted": 3}]},
    )
    assert counted.status_code == 201 and counted.json()["lines"][0]["delta"] == -1
    assert api.get(f"{BASE}/{shop.id}/stocktakes").json()["count"] == 1


def test_purchase_order_lifecycle_over_the_api(api, shop, warehouse, sku):
    supplier = api.post(
        f"{BASE}/{shop.id}/suppliers", {"code": "sup", "name": "华南贸易", "lead_time_days": 3}
    )
    assert supplier.status_code == 201
    sid = supplier.json()["id"]
    item = api.put(
        f"{BASE}/{shop.id}/suppliers/{sid}/items/{sku.id}", {"unit_cost": "12.30", "is_preferred": True}
    )
    assert item.status_code == 200 and item.json()["unit_cost"] == "12.30"
    created = api.post(
        f"{BASE}/{shop.id}/purchase-orders",
        {"supplier_id": sid, "warehouse_id": warehouse.id, "lines": [{"sku_id": sku.id, "quantity": 10}]},
    )
    assert created.status_code == 201, created.json()
    po = created.json()
    assert (po["status"], po["total_cost"], po["allowed_actions"]) == (
        "draft",
        "123.00",
        ["edit", "send", "cancel"],
    )
    early = api.post(
        f"{BASE}/{shop.id}/purchase-orders/{po['id']}/receive", {"lines": [{"sku_id": sku.id, "quantity": 1}]}
    )
    assert early.status_code == 409 and error_of(early)["code"] == "illegal_transition"
    assert api.post(f"{BASE}/{shop.id}/purchase-orders/{po['id']}/send").json()["status"] == "sent"
    partial = api.post(
        f"{BASE}/{shop.id}/purchase-orders/{po['id']}/receive", {"lines": [{"sku_id": sku.id, "quantity": 4}]}
    )
    assert partial.json()["status"] == "partially_received"
    assert partial.json()["lines"][0]["quantity_outstanding"] == 6
    over = api.post(
        f"{BASE}/{shop.id}/purchase-orders/{po['id']}/receive", {"lines": [{"sku_id": sku.id, "quantity": 7}]}
    )
    assert over.status_code == 422 and error_of(over)["code"] == "over_receipt"
    done = api.post(
        f"{BASE}/{shop.id}/purchase-orders/{po['id']}/receive", {"lines": [{"sku_id": sku.id, "quantity": 6}]}
    )
    assert done.json()["status"] == "received" and len(done.json()["receipts"]) == 2
    cancel = api.post(f"{BASE}/{shop.id}/purchase-orders/{po['id']}/cancel", {"reason": "late"})
    assert cancel.status_code == 409
    assert Stock.objects.get(warehouse=warehouse, sku=sku).on_hand == 10


def test_suggestions_and_one_click_draft(api, shop, warehouse, sku):
    supplier = services.create_supplier(shop_id=shop.id, code="sup", name="优品")
    services.upsert_supplier_item(
        shop_id=shop.id, supplier_id=supplier.id, sku_id=sku.id, unit_cost="5", is_preferred=True
    )
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=5)
    put_stock(warehouse, sku, 3)
    [suggestion] = api.get(f"{BASE}/{shop.id}/replenishment/suggestions").json()
    assert (suggestion["sku_id"], suggestion["quantity"], suggestion["supplier_id"]) == (
        sku.id,
        7,
        supplier.id,
    )
    drafted = api.post(f"{BASE}/{shop.id}/replenishment/draft-purchase-orders", {"sku_ids": [sku.id]})
    assert drafted.status_code == 201
    assert drafted.json()[0]["lines"][0]["quantity_ordered"] == 7
    assert api.get(f"{BASE}/{shop.id}/replenishment/suggestions").json() == []


def test_reservations_for_orders(client, shop, warehouse, sku, other_shop):
    put_stock(warehouse, sku, 5)
    clerk = api_as(client, make_member(shop, MERCHANT_STAFF).user)  # orders.manage, not inventory.manage
    expires = (timezone.now() + timedelta(minutes=20)).isoformat()
    body = {"order_ref": "SO-100", "lines": [{"sku_id": sku.id, "quantity": 2}], "expires_at": expires}
    held = clerk.post(f"{BASE}/{shop.id}/reservations", body)
    assert held.status_code == 201 and held.json()[0]["allocations"] == [
        {"warehouse_id": warehouse.id, "quantity": 2}
    ]
    assert clerk.post(f"{BASE}/{shop.id}/reservations", body).json()[0]["id"] == held.json()[0]["id"]
    short = clerk.post(
        f"{BASE}/{shop.id}/reservations",
        {"order_ref": "SO-101", "lines": [{"sku_id": sku.id, "quantity": 4}]},
    )
    assert short.status_code == 409 and error_of(short)["code"] == "insufficient_stock"
    paid = clerk.post(f"{BASE}/{shop.id}/reservations/SO-100/commit")
    assert paid.status_code == 200 and paid.json()[0]["status"] == "committed"
    assert clerk.post(f"{BASE}/{shop.id}/reservations/SO-100/release").status_code == 409
    assert clerk.post(f"{BASE}/{shop.id}/reservations/NOPE/commit").status_code == 404

    foreign = make_sku(other_shop)
    stranger = clerk.post(
        f"{BASE}/{shop.id}/reservations",
        {"order_ref": "SO-102", "lines": [{"sku_id": foreign.id, "quantity": 1}]},
    )
    assert stranger.status_code == 404

    service_desk = api_as(client, make_member(shop, CUSTOMER_SERVICE).user)
    assert service_desk.post(f"{BASE}/{shop.id}/reservations", body).status_code == 403
    assert StockLedgerEntry.objects.filter(reason="sale").count() == 1


def test_another_shops_order_cannot_be_committed(client, shop, other_shop, sku):
    foreign_warehouse = make_warehouse(other_shop)
    foreign_sku = make_sku(other_shop)
    put_stock(foreign_warehouse, foreign_sku, 3)
    services.reserve(sku_id=foreign_sku.id, quantity=1, order_ref="THEIRS")
    keeper = api_as(client, make_member(shop, WAREHOUSE).user)
    assert keeper.post(f"{BASE}/{shop.id}/reservations/THEIRS/commit").status_code == 404
    assert keeper.post(f"{BASE}/{shop.id}/reservations/THEIRS/release").status_code == 404


def test_thresholds_settings_and_alerts(api, shop, warehouse, sku):
    assert api.get(f"{BASE}/{shop.id}/settings").json()["default_low_stock_threshold"] == 5
    patched = api.patch(
        f"{BASE}/{shop.id}/settings", {"default_low_stock_threshold": 8, "safety_stock_days": 3}
    )
    assert patched.json()["default_low_stock_threshold"] == 8
    assert api.patch(f"{BASE}/{shop.id}/settings", {"demand_window_days": 0}).status_code == 422
    rule = api.put(f"{BASE}/{shop.id}/thresholds", {"sku_id": sku.id, "threshold": 4})
    assert rule.status_code == 200
    assert api.put(f"{BASE}/{shop.id}/thresholds", {"sku_id": sku.id, "threshold": -1}).status_code == 422
    both = api.put(f"{BASE}/{shop.id}/thresholds", {"sku_id": sku.id, "category_id": 1, "threshold": 1})
    assert both.status_code == 422 and error_of(both)["code"] == "validation_error"
    category = api.put(
        f"{BASE}/{shop.id}/thresholds", {"category_id": sku.product.category_id, "threshold": 2}
    )
    assert category.status_code == 200 and category.json()["category_id"] == sku.product.category_id
    put_stock(warehouse, sku, 3)
    alerts = api.get(f"{BASE}/{shop.id}/alerts", status="open").json()
    assert alerts["count"] == 1 and alerts["items"][0]["sku_code"] == sku.code
    assert api.delete(f"{BASE}/{shop.id}/thresholds/{rule.json()['id']}").status_code == 204
    # Without the SKU rule its category's default (2) applies: 3 available is fine, the alert resolves.
    assert api.get(f"{BASE}/{shop.id}/alerts", status="open").json()["count"] == 0
    assert api.get(f"{BASE}/{shop.id}/alerts", status="resolved").json()["count"] == 1
