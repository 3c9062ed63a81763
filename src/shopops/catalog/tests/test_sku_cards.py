"""`sku_cards`: what carts and checkouts show of a SKU, read without model instances."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shopops.catalog import selectors, services
from shopops.catalog.models import ProductImage, Sku
from shopops.catalog.tests.factories import image_upload, make_product

pytestmark = pytest.mark.django_db


def test_a_card_carries_title_label_attributes_price_and_the_first_thumbnail(tax, shop):
    product = make_product(shop, tax, title="碎花连衣裙", on_sale=True)
    services.add_product_image(
        shop_id=shop.id, product_id=product.id, actor=None, upload=image_upload("b.jpg")
    )
    first = ProductImage.objects.filter(product=product).order_by("position", "id").first()
    skus = list(Sku.objects.filter(product=product).order_by("id"))
    cards = selectors.sku_cards([s.id for s in skus])
    card = cards[skus[0].id]
    assert (card.title, card.shop_name, card.shop_id, card.product_id) == (
        "碎花连衣裙",
        shop.name,
        shop.id,
        product.id,
    )
    assert card.price == Decimal("199.00") and card.code == skus[0].code
    assert card.label == selectors.sku_label(skus[0]) == "红色 / M"
    assert card.attributes == {o.attribute.name: o.value.value for o in skus[0].options.all()}
    assert card.image_url == first.thumbnail.url
    assert card.sellable


def test_cards_of_unsellable_skus_say_so_and_unknown_ids_are_left_out(tax, shop):
    draft = make_product(shop, tax)  # never published
    sku = Sku.objects.filter(product=draft).first()
    cards = selectors.sku_cards([sku.id, 987654321])
    assert list(cards) == [sku.id]
    assert cards[sku.id].sellable is False and cards[sku.id].image_url == ""
    assert selectors.sellable_sku_ids([sku.id]) == set()


def test_any_number_of_cards_costs_two_queries(tax, shop):
    ids = [s.id for p in range(3) for s in Sku.objects.filter(product=make_product(shop, tax, on_sale=True))]
    with CaptureQueriesContext(connection) as queries:
        cards = selectors.sku_cards(ids)
    assert len(cards) == len(ids) == 6
    assert len(queries) == 2
