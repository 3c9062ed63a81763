"""The cart: lines per SKU, quantities within stock, guests and signed-in shoppers, merge at login."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from shopops.cart import selectors, services
from shopops.cart.errors import CartLineNotFound, NotEnoughStock, QuantityOutOfRange, SkuUnavailable
from shopops.cart.models import MAX_LINE_QUANTITY, Cart, CartLine
from shopops.cart.selectors import CartOwner
from shopops.catalog.models import ProductStatus
from shopops.orders.tests import factories
from shopops.shops.tests.factories import make_user

pytestmark = pytest.mark.django_db


def lines_of(user) -> dict[int, int]:
    return dict(CartLine.objects.filter(cart__user=user).values_list("sku_id", "quantity"))


def test_adding_the_same_sku_twice_adds_to_one_line():
    user = make_user()
    _, sku = factories.sellable_sku(stock=10)
    owner = CartOwner(user=user)
    services.add_item(owner=owner, sku_id=sku.id, quantity=2)
    services.add_item(owner=owner, sku_id=sku.id, quantity=3)
    assert lines_of(user) == {sku.id: 5}


def test_a_quantity_beyond_what_can_be_sold_is_refused_and_changes_nothing():
    user = make_user()
    _, sku = factories.sellable_sku(stock=3)
    owner = CartOwner(user=user)
    services.add_item(owner=owner, sku_id=sku.id, quantity=2)
    with pytest.raises(NotEnoughStock) as caught:
        services.add_item(owner=owner, sku_id=sku.id, quantity=2)
    assert caught.value.details == {"sku_id": sku.id, "requested": 4, "available": 3}
    with pytest.raises(NotEnoughStock):
        services.set_quantity(owner=owner, sku_id=sku.id, quantity=4)
    assert lines_of(user) == {sku.id: 2}
    services.set_quantity(owner=owner, sku_id=sku.id, quantity=1)  # lowering is always fine
    assert lines_of(user) == {sku.id: 1}


@pytest.mark.parametrize("quantity", [0, -1, MAX_LINE_QUANTITY + 1, True, "2"])
def test_silly_quantities_are_refused(quantity):
    _, sku = factories.sellable_sku(stock=10)
    with pytest.raises(QuantityOutOfRange):
        services.add_item(owner=CartOwner(user=make_user()), sku_id=sku.id, quantity=quantity)


def test_an_item_off_sale_cannot_be_added_and_shows_as_unavailable():
    user = make_user()
    _, sku = factories.sellable_sku(stock=10)
    owner = CartOwner(user=user)
    services.add_item(owner=owner, sku_id=sku.id, quantity=1)
    sku.product.status = ProductStatus.OFF_SALE
    sku.product.save()

    view = selectors.cart_view(owner)
    assert view.shops == [] and [line.sku_id for line in view.unavailable] == [sku.id]
    assert view.unavailable[0].problem == "unavailable"
    with pytest.raises(SkuUnavailable):
        services.add_item(owner=owner, sku_id=sku.id, quantity=1)
    with pytest.raises(SkuUnavailable):
        services.add_item(owner=owner, sku_id=999_999_999, quantity=1)


def test_the_cart_shows_live_prices_grouped_by_shop():
    user = make_user()
    shop_a, sku_a = factories.sellable_sku(price="10.00", stock=10)
    _, sku_b = factories.sellable_sku(price="25.50", stock=10)
    _, sku_a2 = factories.sellable_sku(shop_a, price="5.00", stock=10)
    owner = CartOwner(user=user)
    for sku, qty in ((sku_a, 2), (sku_b, 1), (sku_a2, 4)):
        services.add_item(owner=owner, sku_id=sku.id, quantity=qty)
    sku_b.price = Decimal("20.00")
    sku_b.save()

    view = selectors.cart_view(owner)

    assert [s.shop_id for s in view.shops] == sorted([shop_a.id, sku_b.shop_id])
    assert view.count == 7
    assert view.selected_total == Decimal("60.00")  # 2x10 + 1x20 (new price) + 4x5
    services.set_selected(owner=owner, sku_ids=[sku_a2.id], selected=False)
    assert selectors.cart_view(owner).selected_total == Decimal("40.00")


def test_lines_short_of_stock_are_flagged_and_not_checked_out():
    user = make_user()
    _, sku = factories.sellable_sku(stock=5)
    owner = CartOwner(user=user)
    services.add_item(owner=owner, sku_id=sku.id, quantity=5)
    other = factories.shopper_with_address()
    factories.fill_cart(other, (sku, 3))
    factories.place_order(other)

    line = selectors.cart_view(owner).lines[0]
    assert line.problem == "insufficient_stock" and line.available == 2
    assert selectors.cart_view(owner).selected_total == 0


def test_changing_a_line_that_is_not_in_the_cart_is_not_found():
    with pytest.raises(CartLineNotFound):
        services.set_quantity(owner=CartOwner(user=make_user()), sku_id=1, quantity=1)
    with pytest.raises(CartLineNotFound):
        services.set_selected(owner=CartOwner(user=make_user()), sku_ids=[1], selected=True)


def test_a_guest_cart_merges_into_the_shoppers_cart_at_login():
    shopper = make_user("merge-me")
    _, in_both = factories.sellable_sku(stock=10)
    _, guest_only = factories.sellable_sku(stock=10)
    _, scarce = factories.sellable_sku(stock=2)
    services.add_item(owner=CartOwner(user=shopper), sku_id=in_both.id, quantity=3)
    browser = Client()
    for sku, qty in ((in_both, 1), (guest_only, 2), (scarce, 2)):
        assert browser.post("/cart/add/", {"sku_id": sku.id, "quantity": qty}).status_code == 302
    # stock of `scarce` drops after the guest put 2 in the cart
    other = factories.shopper_with_address()
    factories.fill_cart(other, (scarce, 1))
    factories.place_order(other)
    assert Cart.objects.filter(user__isnull=True).count() == 1

    browser.force_login(shopper, backend="shopops.accounts.backends.IdentifierBackend")

    # max(3, 1) = 3 for the SKU in both; the guest's lines come over, capped by what can be sold.
    assert lines_of(shopper) == {in_both.id: 3, guest_only.id: 2, scarce.id: 1}
    assert not Cart.objects.filter(user__isnull=True).exists()
    assert "shopops_cart_token" not in browser.session


def test_logging_in_without_a_guest_cart_leaves_the_cart_alone():
    shopper = make_user()
    _, sku = factories.sellable_sku(stock=10)
    services.add_item(owner=CartOwner(user=shopper), sku_id=sku.id, quantity=1)
    browser = Client()
    browser.get("/cart/")
    browser.force_login(shopper, backend="shopops.accounts.backends.IdentifierBackend")
    assert lines_of(shopper) == {sku.id: 1}


def test_guest_carts_are_found_only_through_their_own_session():
    _, sku = factories.sellable_sku(stock=10)
    first, second = Client(), Client()
    first.post("/cart/add/", {"sku_id": sku.id, "quantity": 2})
    assert selectors.cart_count(CartOwner(token=first.session["shopops_cart_token"])) == 2
    response = second.get("/cart/")
    assert response.status_code == 200
    assert response.context["cart"].is_empty


def test_stale_guest_carts_are_purged():
    from datetime import timedelta

    from django.utils import timezone

    _, sku = factories.sellable_sku(stock=10)
    services.add_item(owner=CartOwner(token="old-token"), sku_id=sku.id, quantity=1)
    services.add_item(owner=CartOwner(token="new-token"), sku_id=sku.id, quantity=1)
    Cart.objects.filter(token="old-token").update(updated_at=timezone.now() - timedelta(days=31))
    assert services.purge_guest_carts() == 1
    assert list(Cart.objects.values_list("token", flat=True)) == ["new-token"]
