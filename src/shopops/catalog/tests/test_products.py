from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shopops.catalog import services
from shopops.catalog.errors import (
    AttributeNotInCategory,
    CategoryNotLeaf,
    DuplicateAttributeValue,
    DuplicateSkuCode,
    InvalidAttributeInput,
    InvalidPrice,
    InvalidVariants,
    NotReadyForSale,
    UnknownAttributeValue,
)
from shopops.catalog.models import AttributeValue, Product, ProductStatus, Sku
from shopops.catalog.tests.factories import dress_skus, image_upload, make_product
from shopops.core.errors import IllegalTransition
from shopops.core.models import AuditLog

pytestmark = pytest.mark.django_db


def _create(shop, tax, **overrides):
    data = {
        "shop_id": shop.id,
        "actor": None,
        "category_id": tax.dresses.id,
        "title": "法式红色连衣裙",
        "variant_axes": ["color", "size"],
        "skus": dress_skus("FR"),
        "attributes": {"material": "真丝"},
    }
    data.update(overrides)
    return services.create_product(**data)


def test_a_product_gets_one_sku_per_colour_and_size_with_its_own_prices(tax, shop):
    product = _create(
        shop, tax, skus=dress_skus("FR", colors=("红色", "黑色"), sizes=("M", "L"), price="259.00")
    )
    skus = list(product.skus.order_by("id"))
    assert len(skus) == 4
    assert {s.code for s in skus} == {"FR-红色-M", "FR-红色-L", "FR-黑色-M", "FR-黑色-L"}
    assert all(s.price == Decimal("259.00") and s.market_price == Decimal("359.00") for s in skus)
    assert product.status == ProductStatus.DRAFT
    assert product.min_price == Decimal("259.00")


def test_a_negative_price_is_refused_and_nothing_is_created(tax, shop):
    skus = dress_skus("NEG")
    skus[1]["price"] = "-1.00"
    with pytest.raises(InvalidPrice) as caught:
        _create(shop, tax, skus=skus)
    assert caught.value.status == 422
    assert caught.value.details["reason"] == "negative"
    assert not Product.objects.exists() and not Sku.objects.exists()


def test_a_market_price_below_the_selling_price_is_refused(tax, shop):
    skus = dress_skus("MP")
    skus[0]["market_price"] = "99.00"
    with pytest.raises(InvalidPrice) as caught:
        _create(shop, tax, skus=skus)
    assert caught.value.code == "market_price_below_price"


def test_an_unknown_attribute_value_is_refused_and_nothing_is_created(tax, shop):
    with pytest.raises(UnknownAttributeValue) as caught:
        _create(shop, tax, skus=dress_skus("UK", colors=("土豪金",)))
    assert caught.value.details == {"attribute": "color", "value": "土豪金"}
    assert not Product.objects.exists()


def test_values_are_matched_through_normalisation_and_aliases(tax, shop):
    product = _create(shop, tax, skus=dress_skus("AL", colors=("红", "ＢＬＡＣＫ"), sizes=("m",)))
    labels = sorted(o.value.value for s in product.skus.all() for o in s.options.filter(attribute=tax.color))
    assert labels == ["红色", "黑色"]


def test_a_sku_code_is_unique_within_the_shop_but_free_in_another(tax, shop, other_shop):
    _create(shop, tax)
    with pytest.raises(DuplicateSkuCode):
        _create(shop, tax, title="另一条连衣裙")
    assert Product.objects.filter(shop=shop).count() == 1
    _create(other_shop, tax)  # same codes, another shop: fine
    assert Sku.objects.filter(code="FR-红色-M").count() == 2


def test_two_skus_with_the_same_options_are_refused(tax, shop):
    skus = dress_skus("DC")
    skus[1]["options"] = dict(skus[0]["options"])
    with pytest.raises(InvalidVariants) as caught:
        _create(shop, tax, skus=skus)
    assert caught.value.code == "duplicate_combination"


def test_every_sku_must_choose_every_axis(tax, shop):
    with pytest.raises(InvalidVariants) as caught:
        _create(shop, tax, skus=[{"code": "X1", "price": "10", "options": {"color": "红色"}}])
    assert caught.value.details["missing"] == ["size"]


def test_attributes_must_be_offered_by_the_category_and_fit_their_type(tax, shop):
    with pytest.raises(AttributeNotInCategory):
        _create(shop, tax, attributes={"storage": "128GB"})
    with pytest.raises(InvalidAttributeInput):
        services.create_product(
            shop_id=shop.id,
            actor=None,
            category_id=tax.phones.id,
            title="手机",
            attributes={"screen": "很大"},
        )
    phone = services.create_product(
        shop_id=shop.id,
        actor=None,
        category_id=tax.phones.id,
        title="华为 Mate 手机",
        attributes={"screen": "6.7英寸", "features": ["5G", "NFC"]},
    )
    values = {(pav.attribute.code, str(pav.number or pav.value)) for pav in phone.attribute_values.all()}
    assert values == {("screen", "6.7000"), ("features", "5G"), ("features", "NFC")}


def test_products_go_into_leaf_categories_only(tax, shop):
    with pytest.raises(CategoryNotLeaf):
        _create(shop, tax, category_id=tax.womens.id)


def test_the_description_is_sanitised(tax, shop):
    product = _create(
        shop,
        tax,
        description='<p onclick="steal()">好看<script>alert(1)</script></p><a href="javascript:x()">链接</a>',
    )
    assert "script" not in product.description
    assert "onclick" not in product.description
    assert "javascript" not in product.description
    assert "<p>好看</p>" in product.description


def test_a_product_cannot_go_on_sale_without_price_image_and_sku_and_says_why(tax, shop):
    empty = services.create_product(shop_id=shop.id, actor=None, category_id=tax.dresses.id, title="空商品")
    with pytest.raises(NotReadyForSale) as caught:
        services.publish(shop_id=shop.id, product_id=empty.id, actor=None)
    codes = {reason["code"] for reason in caught.value.details["reasons"]}
    assert codes == {"no_active_sku", "image_missing"}
    empty.refresh_from_db()
    assert empty.status == ProductStatus.DRAFT

    free = _create(shop, tax, skus=dress_skus("Z", price="0"), title="零元商品")
    services.add_product_image(shop_id=shop.id, product_id=free.id, actor=None, upload=image_upload())
    with pytest.raises(NotReadyForSale) as caught:
        services.publish(shop_id=shop.id, product_id=free.id, actor=None)
    assert [r["code"] for r in caught.value.details["reasons"]] == ["price_missing"]


def test_listing_moves_draft_to_on_sale_to_off_sale_and_back(tax, shop):
    product = make_product(shop, tax, on_sale=True)
    assert product.status == ProductStatus.ON_SALE and product.published_at is not None
    with pytest.raises(IllegalTransition):
        services.publish(shop_id=shop.id, product_id=product.id, actor=None)
    services.unpublish(shop_id=shop.id, product_id=product.id, actor=None, reason="换季")
    assert Product.objects.get(id=product.id).status == ProductStatus.OFF_SALE
    services.publish(shop_id=shop.id, product_id=product.id, actor=None)
    assert Product.objects.get(id=product.id).status == ProductStatus.ON_SALE
    actions = list(AuditLog.objects.filter(object_id=str(product.id)).values_list("action", flat=True))
    assert "catalog.product.unpublish" in actions


def test_deactivating_the_last_sku_takes_the_product_off_sale(tax, shop):
    product = make_product(shop, tax, on_sale=True, skus=dress_skus("ONE", colors=("红色",)))
    sku = product.skus.get()
    services.update_sku(shop_id=shop.id, sku_id=sku.id, actor=None, is_active=False)
    product.refresh_from_db()
    assert product.status == ProductStatus.OFF_SALE
    assert AuditLog.objects.filter(
        action="catalog.product.auto_unpublish", object_id=str(product.id)
    ).exists()


def test_price_edits_update_the_products_price_range(tax, shop):
    product = make_product(shop, tax)
    cheap = product.skus.first()
    services.update_sku(shop_id=shop.id, sku_id=cheap.id, actor=None, price="99.50")
    product.refresh_from_db()
    assert product.min_price == Decimal("99.50") and product.max_price == Decimal("199.00")


def test_a_bad_sku_edit_changes_nothing(tax, shop):
    product = make_product(shop, tax)
    sku = product.skus.first()
    with pytest.raises(InvalidPrice):
        services.update_sku(shop_id=shop.id, sku_id=sku.id, actor=None, price="-5")
    sku.refresh_from_db()
    assert sku.price == Decimal("199.00")


def test_scheduled_times_put_products_on_and_off_sale(tax, shop):
    product = make_product(shop, tax)
    services.add_product_image(shop_id=shop.id, product_id=product.id, actor=None, upload=image_upload())
    now = timezone.now()
    services.schedule_listing(
        shop_id=shop.id,
        product_id=product.id,
        actor=None,
        on_sale_at=now + timedelta(minutes=5),
        off_sale_at=now + timedelta(hours=2),
    )
    assert services.run_scheduled_listings(now=now)["published"] == 0
    done = services.run_scheduled_listings(now=now + timedelta(minutes=6))
    assert done["published"] == 1
    product.refresh_from_db()
    assert product.status == ProductStatus.ON_SALE and product.scheduled_on_sale_at is None
    services.run_scheduled_listings(now=now + timedelta(hours=3))
    product.refresh_from_db()
    assert product.status == ProductStatus.OFF_SALE and product.scheduled_off_sale_at is None


def test_a_scheduled_product_that_is_not_ready_stays_a_draft_and_the_reason_is_logged(tax, shop):
    product = make_product(shop, tax)  # no image
    now = timezone.now()
    services.schedule_listing(
        shop_id=shop.id, product_id=product.id, actor=None, on_sale_at=now, off_sale_at=None
    )
    assert services.run_scheduled_listings(now=now + timedelta(seconds=1))["failed"] == 1
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT
    log = AuditLog.objects.get(action="catalog.product.schedule_failed")
    assert log.after["reasons"] == ["image_missing"]


def test_an_off_sale_time_before_the_on_sale_time_is_refused(tax, shop):
    product = make_product(shop, tax)
    now = timezone.now()
    with pytest.raises(Exception) as caught:
        services.schedule_listing(
            shop_id=shop.id,
            product_id=product.id,
            actor=None,
            on_sale_at=now + timedelta(hours=2),
            off_sale_at=now + timedelta(hours=1),
        )
    assert caught.value.code == "invalid_schedule"


def test_duplicate_values_are_refused_even_through_aliases(tax):
    with pytest.raises(DuplicateAttributeValue):
        services.add_attribute_value(actor=None, attribute_id=tax.color.id, value="红")  # alias of 红色
    with pytest.raises(DuplicateAttributeValue):
        services.add_attribute_value(actor=None, attribute_id=tax.color.id, value=" 红色 ")
    with pytest.raises(DuplicateAttributeValue):
        services.add_attribute_value(actor=None, attribute_id=tax.size.id, value="ｘｌ")  # full-width XL
    assert AttributeValue.objects.filter(attribute=tax.color).count() == 3


def test_merging_a_duplicate_value_moves_every_product_to_the_kept_one(tax, shop):
    wine = services.add_attribute_value(actor=None, attribute_id=tax.color.id, value="酒红")
    product = make_product(shop, tax, skus=dress_skus("W", colors=("酒红",)))
    burgundy = services.add_attribute_value(actor=None, attribute_id=tax.color.id, value="酒红色")
    services.merge_attribute_values(actor=None, source_id=wine.id, target_id=burgundy.id)
    assert not AttributeValue.objects.filter(id=wine.id).exists()
    burgundy.refresh_from_db()
    assert "酒红" in burgundy.aliases
    sku = product.skus.get()
    assert sku.options.get(attribute=tax.color).value_id == burgundy.id
    # The old spelling now resolves to the kept value.
    assert services.resolve_value(tax.color, "酒红").id == burgundy.id


def test_a_used_value_cannot_be_deleted(tax, shop):
    make_product(shop, tax)
    red = services.resolve_value(tax.color, "红色")
    with pytest.raises(Exception) as caught:
        services.delete_attribute_value(actor=None, value_id=red.id)
    assert caught.value.code == "attribute_in_use"
