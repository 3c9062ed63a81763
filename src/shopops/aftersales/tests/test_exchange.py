"""Exchanging for another SKU of the same product (another size or colour) at the same price.

Rule of this version: same product, on sale, same unit price as the line was bought at (no top-up or
part refund), and in stock when asked; the units are reserved and committed through inventory when
the replacement ships, and the returned SKU is restocked on receipt as for any return.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shopops.aftersales import services
from shopops.aftersales.models import AfterSalesRequest, AfterSalesStatus
from shopops.aftersales.tests.factories import service_agent
from shopops.catalog.models import Sku
from shopops.inventory import services as inventory
from shopops.inventory.models import LedgerReason, Reservation, Stock, StockLedgerEntry
from shopops.orders.tests import factories as of
from shopops.shops.tests.factories import api_as

pytestmark = pytest.mark.django_db


def sibling(line, *, price: str | None = None, stock: int = 5, active: bool = True) -> Sku:
    """Another SKU of the line's product (e.g. size L), with `stock` units in the shop's warehouse."""
    sku = Sku.objects.create(
        shop_id=line.order.shop_id,
        product_id=line.product_id,
        code=f"L-{uuid.uuid4().hex[:8]}",
        price=Decimal(price) if price is not None else line.unit_price,
        combination_key=uuid.uuid4().hex[:12],
        is_active=active,
    )
    if stock:
        warehouse = of.warehouse_for(line.order.shop)
        inventory.bulk_receive_new_stock(
            shop_id=line.order.shop_id, quantities={(warehouse.id, sku.id): stock}, reference="OPENING"
        )
    return sku


def on_hand(sku_id: int) -> int:
    return sum(Stock.objects.filter(sku_id=sku_id).values_list("on_hand", flat=True))


def ask(client, order, **extra):
    line = order.lines.get()
    body = {"order_no": order.number, "line_id": line.id, "kind": "exchange", "quantity": 1, "reason": "size"}
    body.update(extra)
    return api_as(client, order.user).post("/aftersales/requests", body)


def exchange_for(order, line, replacement: Sku):
    """The shopper's exchange request for one unit of `line`, to be replaced by `replacement`."""
    return services.create_request(
        user=order.user,
        order_no=order.number,
        line_id=line.id,
        kind="exchange",
        quantity=1,
        reason="size",
        replacement_sku_id=replacement.id,
    )


def test_exchange_for_another_size_ships_that_sku_and_restocks_the_returned_one(client, delivered):
    line = delivered.lines.get()
    size_l = sibling(line, stock=3)
    bought_before, l_before = on_hand(line.sku_id), on_hand(size_l.id)

    response = ask(client, delivered, replacement_sku_id=size_l.id)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["replacement_sku_id"] == size_l.id and body["replacement_sku_code"] == size_l.code
    request = AfterSalesRequest.objects.get(number=body["number"])
    assert request.changes_sku

    agent = service_agent(delivered.shop)
    services.approve(request=request, actor=agent)
    services.ship_back(request=request, actor=delivered.user, carrier_name="中通", waybill_no="ZT778899")
    services.receive(request=request, actor=agent, passed=True)
    # the returned unit goes back on the shelf as the SKU that was bought
    returned = StockLedgerEntry.objects.get(reason=LedgerReason.RETURN, reference=delivered.number)
    assert (returned.sku_id, returned.on_hand_delta) == (line.sku_id, 1)
    assert on_hand(line.sku_id) == bought_before + 1

    shipped = api_as(client, agent).post(
        f"/aftersales/shops/{delivered.shop_id}/requests/{request.number}/ship-replacement",
        {"carrier_name": "顺丰", "waybill_no": "SF990011"},
    )
    assert shipped.status_code == 200, shipped.content
    assert shipped.json()["status"] == "replacement_shipped"
    # the new size left stock through a reservation committed at once, both under the request number
    entries = StockLedgerEntry.objects.filter(reference=request.number).order_by("id")
    assert [(e.sku_id, e.reason, e.on_hand_delta, e.reserved_delta) for e in entries] == [
        (size_l.id, LedgerReason.RESERVATION, 0, 1),
        (size_l.id, LedgerReason.SALE, -1, -1),
    ]
    assert Reservation.objects.get(order_ref=request.number).status == "committed"
    assert on_hand(size_l.id) == l_before - 1
    assert Stock.objects.get(sku_id=size_l.id).reserved == 0
    assert on_hand(line.sku_id) == bought_before + 1  # nothing more taken from the bought SKU


def test_unavailable_replacement_is_refused_and_nothing_is_created(client, delivered):
    size_l = sibling(delivered.lines.get(), stock=0)
    response = ask(client, delivered, replacement_sku_id=size_l.id)
    assert response.status_code == 409
    assert response.json()["code"] == "replacement_not_available"
    assert response.json()["details"] == {"sku_id": size_l.id, "requested": 1, "available": 0}
    assert not AfterSalesRequest.objects.exists()


def test_sku_of_another_product_is_refused(client, delivered):
    _, other = of.sellable_sku(delivered.shop, price="59.90", stock=5)
    response = ask(client, delivered, replacement_sku_id=other.id)
    assert response.status_code == 422
    assert response.json()["code"] == "replacement_other_product"
    assert not AfterSalesRequest.objects.exists()


def test_sku_at_another_price_is_refused_no_top_up_in_this_version(client, delivered):
    dearer = sibling(delivered.lines.get(), price="69.90")
    response = ask(client, delivered, replacement_sku_id=dearer.id)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "replacement_price_differs"
    assert body["details"]["price"] == "69.90" and body["details"]["paid_unit_price"] == "59.90"
    assert not AfterSalesRequest.objects.exists()


def test_inactive_or_unknown_sku_is_refused(client, delivered):
    hidden = sibling(delivered.lines.get(), active=False)
    assert ask(client, delivered, replacement_sku_id=hidden.id).json()["code"] == "replacement_sku_not_found"
    assert ask(client, delivered, replacement_sku_id=10**9).json()["code"] == "replacement_sku_not_found"
    assert not AfterSalesRequest.objects.exists()


def test_a_replacement_sku_only_goes_with_an_exchange(client, delivered):
    size_l = sibling(delivered.lines.get())
    response = ask(client, delivered, kind="return_refund", replacement_sku_id=size_l.id)
    assert response.status_code == 422 and response.json()["code"] == "replacement_not_for_kind"


def test_stock_gone_by_shipping_time_refuses_the_shipment_and_changes_nothing(client, delivered):
    line = delivered.lines.get()
    size_l = sibling(line, stock=1)
    request = exchange_for(delivered, line, size_l)
    agent = service_agent(delivered.shop)
    services.approve(request=request, actor=agent)
    services.ship_back(request=request, actor=delivered.user, carrier_name="中通", waybill_no="ZT778899")
    services.receive(request=request, actor=agent, passed=True)
    warehouse = of.warehouse_for(delivered.shop)
    inventory.adjust_stock(
        shop_id=delivered.shop_id, warehouse_id=warehouse.id, sku_id=size_l.id, delta=-1, reason="破损"
    )

    response = api_as(client, agent).post(
        f"/aftersales/shops/{delivered.shop_id}/requests/{request.number}/ship-replacement",
        {"carrier_name": "顺丰", "waybill_no": "SF990011"},
    )
    assert response.status_code == 409 and response.json()["code"] == "replacement_not_available"
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.RECEIVED and request.replacement_waybill == ""
    assert not StockLedgerEntry.objects.filter(reference=request.number).exists()
    assert not Reservation.objects.filter(order_ref=request.number).exists()


def test_same_sku_exchange_is_the_default(client, delivered):
    response = ask(client, delivered)
    assert response.status_code == 201
    line = delivered.lines.get()
    assert response.json()["replacement_sku_id"] == line.sku_id
    assert not AfterSalesRequest.objects.get().changes_sku


def test_eligibility_lists_the_skus_an_exchange_may_ship(client, delivered):
    line = delivered.lines.get()
    same_price, dearer, empty = sibling(line), sibling(line, price="79.00"), sibling(line, stock=0)
    body = api_as(client, delivered.user).get(f"/aftersales/orders/{delivered.number}/eligibility").json()
    options = {o["sku_id"]: o for o in body["lines"][0]["exchange_options"]}
    assert body["lines"][0]["exchange_options"][0]["sku_id"] == line.sku_id  # the bought one first
    assert options[line.sku_id]["same_sku"] is True
    assert options[same_price.id]["allowed"] is True
    assert options[dearer.id]["allowed"] is False
    assert options[empty.id]["allowed"] is False and options[empty.id]["available"] == 0


def test_storefront_form_offers_and_submits_the_replacement(client, delivered):
    line = delivered.lines.get()
    size_l, dearer = sibling(line), sibling(line, price="79.00")
    client.force_login(delivered.user)
    page = client.get(f"/aftersales/new/{delivered.number}/").content.decode()
    assert 'name="replacement_sku"' in page
    assert f'<option value="{size_l.id}" data-line="{line.id}">' in page
    assert f'<option value="{dearer.id}" data-line="{line.id}" disabled>' in page

    response = client.post(
        f"/aftersales/new/{delivered.number}/",
        {"line": line.id, "kind": "exchange", "reason": "size", "quantity": 1, "replacement_sku": dearer.id},
    )
    assert response.status_code == 422 and "补差价" in response.content.decode()
    response = client.post(
        f"/aftersales/new/{delivered.number}/",
        {"line": line.id, "kind": "exchange", "reason": "size", "quantity": 1, "replacement_sku": size_l.id},
    )
    assert response.status_code == 302
    request = AfterSalesRequest.objects.get()
    assert request.replacement_sku_id == size_l.id
    detail = client.get(f"/aftersales/{request.number}/").content.decode()
    assert 'data-testid="replacement-sku"' in detail


def test_console_shows_the_replacement_sku(client, delivered):
    line = delivered.lines.get()
    size_l = sibling(line)
    request = exchange_for(delivered, line, size_l)
    agent = service_agent(delivered.shop)
    client.force_login(agent)
    page = client.get(f"/console/aftersales/{request.number}/").content.decode()
    assert size_l.code in page and 'data-testid="replacement-sku"' in page


def test_staff_view_of_the_queue_carries_the_replacement(client, delivered):
    line = delivered.lines.get()
    size_l = sibling(line)
    ask(client, delivered, replacement_sku_id=size_l.id)
    agent = service_agent(delivered.shop)
    items = api_as(client, agent).get(f"/aftersales/shops/{delivered.shop_id}/requests").json()["items"]
    assert items[0]["replacement_sku_id"] == size_l.id


def test_exchange_field_speaks_english(client, delivered):
    sibling(delivered.lines.get())
    client.force_login(delivered.user)
    client.cookies["django_language"] = "en"
    page = client.get(f"/aftersales/new/{delivered.number}/").content.decode()
    assert "Replacement option (exchange only)" in page and "Same option as bought" in page
