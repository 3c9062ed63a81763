"""Placing an order: one group, one order per shop, price and address snapshots, stock held, all or
nothing, and idempotent."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from shopops.accounts.errors import AddressNotFound
from shopops.cart.errors import NothingToCheckout, SkuUnavailable
from shopops.cart.models import CartLine
from shopops.catalog.models import ProductStatus
from shopops.inventory.models import Reservation, ReservationStatus, Stock
from shopops.orders.errors import IdempotencyKeyReused, InvalidIdempotencyKey, OutOfStock
from shopops.orders.models import Order, OrderEvent, OrderGroup, OrderLine, OrderStatus
from shopops.orders.tests import factories
from shopops.shops.tests.factories import ShopFactory


def stock_of(sku) -> tuple[int, int]:
    row = Stock.objects.get(sku=sku)
    return row.on_hand, row.reserved


@pytest.mark.django_db
def test_a_cart_of_two_shops_becomes_one_group_with_an_order_per_shop(shopper):
    shop_a, sku_a = factories.sellable_sku(price="59.90", stock=10)
    shop_b, sku_b = factories.sellable_sku(price="120.00", stock=5)
    factories.fill_cart(shopper, (sku_a, 2), (sku_b, 1))

    result = factories.place_order(shopper)

    group = result.group
    assert result.created
    orders = {o.shop_id: o for o in group.orders.all()}
    assert set(orders) == {shop_a.id, shop_b.id}
    # 2 x 59.90 = 119.80 is over the default free-shipping threshold (99); 120.00 too.
    assert orders[shop_a.id].items_total == Decimal("119.80")
    assert orders[shop_a.id].shipping_fee == Decimal("0.00")
    assert group.total == Decimal("239.80") == group.amount_due
    assert group.pay_deadline > group.created_at
    assert all(o.status == OrderStatus.PENDING_PAYMENT for o in orders.values())
    assert OrderEvent.objects.filter(order__group=group, action="submit").count() == 2


@pytest.mark.django_db
def test_lines_keep_a_price_and_title_snapshot_that_later_catalog_edits_do_not_change(shopper, shop_and_sku):
    _, sku = shop_and_sku
    factories.fill_cart(shopper, (sku, 3))
    group = factories.place_order(shopper).group

    sku.price = Decimal("1.00")
    sku.save()
    sku.product.title = "改过的标题"
    sku.product.save()

    line = OrderLine.objects.get(order__group=group)
    assert line.unit_price == Decimal("59.90")
    assert line.subtotal == Decimal("179.70")
    assert line.paid_amount == line.subtotal - line.discount
    assert line.title.startswith("纯棉T恤")
    assert line.sku_code == sku.code


@pytest.mark.django_db
def test_the_address_is_snapshotted_encrypted_and_shown_masked(shopper, shop_and_sku):
    _, sku = shop_and_sku
    factories.fill_cart(shopper, (sku, 1))
    order = factories.place_order(shopper).group.orders.get()

    shopper.addresses.update(city="杭州市")  # a later edit of the address book
    order.refresh_from_db()
    assert order.city == "上海市"
    assert order.receiver_phone == "13812345678"
    assert order.masked_receiver_phone == "138****5678"
    assert order.masked_receiver_name == "张*"
    with connection.cursor() as cursor:
        cursor.execute("SELECT receiver_phone, address_detail FROM orders_order WHERE id = %s", [order.pk])
        phone, detail = cursor.fetchone()
    assert phone.startswith("enc1:") and "13812345678" not in phone
    assert detail.startswith("enc1:") and "世纪大道" not in detail


@pytest.mark.django_db
def test_submitting_reserves_stock_and_takes_the_lines_off_the_cart(shopper, shop_and_sku):
    _, sku = shop_and_sku
    factories.fill_cart(shopper, (sku, 4))
    order = factories.place_order(shopper).group.orders.get()

    assert stock_of(sku) == (10, 4)
    reservation = Reservation.objects.get(order_ref=order.number, sku=sku)
    assert reservation.status == ReservationStatus.ACTIVE and reservation.quantity == 4
    assert not CartLine.objects.filter(cart__user=shopper).exists()


@pytest.mark.django_db
def test_unticked_cart_lines_stay_in_the_cart(shopper):
    _, bought = factories.sellable_sku(stock=5)
    _, kept = factories.sellable_sku(stock=5)
    factories.fill_cart(shopper, (bought, 1), (kept, 2))
    from shopops.cart import services as cart_services
    from shopops.cart.selectors import CartOwner

    cart_services.set_selected(owner=CartOwner(user=shopper), sku_ids=[kept.id], selected=False)
    order = factories.place_order(shopper).group.orders.get()

    assert list(order.lines.values_list("sku_id", flat=True)) == [bought.id]
    assert list(CartLine.objects.filter(cart__user=shopper).values_list("sku_id", "quantity")) == [
        (kept.id, 2)
    ]


@pytest.mark.django_db
def test_out_of_stock_at_submit_creates_nothing_and_holds_nothing(shopper):
    _, plenty = factories.sellable_sku(stock=10)
    _, scarce = factories.sellable_sku(stock=3)
    factories.fill_cart(shopper, (plenty, 2), (scarce, 3))
    # Someone else buys the last units between "add to cart" and "submit".
    other = factories.shopper_with_address()
    factories.fill_cart(other, (scarce, 2))
    factories.place_order(other)

    with pytest.raises(OutOfStock) as caught:
        factories.place_order(shopper)

    assert caught.value.details["sku_id"] == scarce.id
    assert caught.value.status == 409
    assert not OrderGroup.objects.filter(user=shopper).exists()
    assert stock_of(plenty) == (10, 0)
    assert stock_of(scarce) == (3, 2)  # only the other shopper's hold
    assert CartLine.objects.filter(cart__user=shopper).count() == 2  # the cart is untouched


@pytest.mark.django_db
def test_an_item_taken_off_sale_cannot_be_ordered(shopper, shop_and_sku):
    _, sku = shop_and_sku
    factories.fill_cart(shopper, (sku, 1))
    sku.product.status = ProductStatus.OFF_SALE
    sku.product.save()

    with pytest.raises(SkuUnavailable):
        factories.place_order(shopper, sku_ids=[sku.id])
    # Without explicit lines, an unsellable line is not part of the checkout: nothing to buy.
    with pytest.raises(NothingToCheckout):
        factories.place_order(shopper)
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_another_users_address_is_not_found_and_nothing_is_created(shopper, shop_and_sku):
    _, sku = shop_and_sku
    stranger = factories.shopper_with_address()
    factories.fill_cart(shopper, (sku, 1))

    with pytest.raises(AddressNotFound):
        factories.place_order(shopper, address_id=stranger.addresses.get().id)
    assert not OrderGroup.objects.exists()
    assert stock_of(sku) == (10, 0)


@pytest.mark.django_db
def test_the_price_is_the_catalogs_at_submit_time(shopper, shop_and_sku):
    _, sku = shop_and_sku
    factories.fill_cart(shopper, (sku, 1))
    sku.price = Decimal("80.00")  # changed after the shopper saw 59.90
    sku.save()

    order = factories.place_order(shopper).group.orders.get()

    assert order.items_total == Decimal("80.00")
    assert order.lines.get().unit_price == Decimal("80.00")


@pytest.mark.django_db
def test_a_repeated_submit_with_the_same_key_returns_the_same_group(shopper, shop_and_sku):
    _, sku = shop_and_sku
    factories.fill_cart(shopper, (sku, 2))
    key = uuid.uuid4().hex

    first = factories.place_order(shopper, key=key)
    second = factories.place_order(shopper, key=key)

    assert first.created and not second.created
    assert first.group.pk == second.group.pk
    assert OrderGroup.objects.count() == 1 and Order.objects.count() == 1
    assert stock_of(sku) == (10, 2)


@pytest.mark.django_db
def test_a_key_reused_for_a_different_request_is_refused(shopper, shop_and_sku):
    _, sku = shop_and_sku
    factories.fill_cart(shopper, (sku, 1))
    key = uuid.uuid4().hex
    factories.place_order(shopper, key=key)
    second_address = factories.add_address(shopper, detail="人民路1号", is_default=False)

    with pytest.raises(IdempotencyKeyReused):
        factories.place_order(shopper, key=key, address_id=second_address.id)


@pytest.mark.django_db
def test_the_same_key_of_two_users_makes_two_groups(shop_and_sku):
    _, sku = shop_and_sku
    a, b = factories.shopper_with_address(), factories.shopper_with_address()
    factories.fill_cart(a, (sku, 1))
    factories.fill_cart(b, (sku, 1))
    assert factories.place_order(a, key="same-key").group != factories.place_order(b, key="same-key").group


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 65, "有中文", "white space"])
def test_a_malformed_idempotency_key_is_refused(shopper, key):
    from shopops.orders import services

    with pytest.raises(InvalidIdempotencyKey):
        services.submit_order(user=shopper, idempotency_key=key, address_id=shopper.addresses.get().id)


@pytest.mark.django_db
def test_order_numbers_are_unique_random_and_sortable_by_time(shopper):
    _, sku = factories.sellable_sku(stock=50)
    numbers = []
    for _ in range(5):
        factories.fill_cart(shopper, (sku, 1))
        group = factories.place_order(shopper).group
        numbers.append((group.number, group.orders.get().number))
    orders = [n for _, n in numbers]
    assert len(set(orders)) == 5
    assert all(n.isdigit() and len(n) == 22 for n in orders)
    assert all(g.startswith("PG") for g, _ in numbers)
    assert [n[:14] for n in orders] == sorted(n[:14] for n in orders)  # timestamp prefix
    assert len({n[14:] for n in orders}) == 5  # random tail: not a counter


@pytest.mark.django_db
def test_buy_now_items_bypass_the_cart(shopper, shop_and_sku):
    _, sku = shop_and_sku
    _, other = factories.sellable_sku(stock=5)
    factories.fill_cart(shopper, (other, 1))
    from shopops.cart.pricing import CheckoutItem

    order = factories.place_order(shopper, items=[CheckoutItem(sku.id, 2)]).group.orders.get()

    assert order.lines.get().sku_id == sku.id
    assert CartLine.objects.filter(cart__user=shopper, sku=other).exists()


@pytest.mark.django_db
def test_a_suspended_shop_takes_no_orders(shopper):
    shop, sku = factories.sellable_sku(shop=ShopFactory(), stock=5)
    factories.fill_cart(shopper, (sku, 1))
    shop.status = "suspended"
    shop.save()
    with pytest.raises(SkuUnavailable):
        factories.place_order(shopper, sku_ids=[sku.id])


# --- concurrency ------------------------------------------------------------------------------------------


def _in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return run


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_with_one_key_create_one_group():
    _, sku = factories.sellable_sku(stock=20)
    shopper = factories.shopper_with_address()
    factories.fill_cart(shopper, (sku, 2))
    key = uuid.uuid4().hex
    barrier = threading.Barrier(8)

    @_in_thread
    def submit(_):
        barrier.wait()
        return factories.place_order(shopper, key=key)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(submit, range(8)))

    assert len({r.group.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert OrderGroup.objects.count() == 1 and Order.objects.count() == 1
    assert stock_of(sku) == (20, 2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_shoppers_never_oversell_the_last_units():
    _, sku = factories.sellable_sku(stock=5)
    shoppers = [factories.shopper_with_address() for _ in range(10)]
    for shopper in shoppers:
        factories.fill_cart(shopper, (sku, 1))
    barrier = threading.Barrier(len(shoppers))

    @_in_thread
    def buy(shopper):
        barrier.wait()
        try:
            factories.place_order(shopper)
        except OutOfStock:
            return False
        return True

    with ThreadPoolExecutor(max_workers=len(shoppers)) as pool:
        outcomes = list(pool.map(buy, shoppers))

    assert sum(outcomes) == 5
    assert Order.objects.count() == 5
    assert stock_of(sku) == (5, 5)
