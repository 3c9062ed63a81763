"""Search quality with Chinese queries, facets with counts, sorting and pagination."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopops.catalog import services
from shopops.catalog.search import SearchParams, search
from shopops.catalog.tests.factories import dress_skus, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(tax, shop):
    """A small on-sale assortment in which colour, category and wording differ."""
    made = {
        "red_dress": make_product(
            shop, tax, title="法式复古碎花连衣裙", on_sale=True, brand="森之语",
            skus=dress_skus("RD", colors=("红色",), sizes=("S", "M"), price="259.00"),
        ),
        "black_dress": make_product(
            shop, tax, title="黑色小礼服连衣裙", on_sale=True,
            skus=dress_skus("BD", colors=("黑色",), price="399.00"),
        ),
        "red_and_white_dress": make_product(
            shop, tax, title="夏季雪纺长裙", subtitle="度假风连衣裙", on_sale=True, brand="森之语",
            skus=dress_skus("RW", colors=("红色", "白色"), price="129.00"),
        ),
        "red_tshirt": make_product(
            shop, tax, title="纯棉圆领短袖T恤", category=tax.tshirts, on_sale=True,
            skus=dress_skus("RT", colors=("红色",), price="59.00"),
        ),
        "red_phone": services.create_product(
            shop_id=shop.id, actor=None, category_id=tax.phones.id, title="华为 Mate 60 Pro 智能手机",
            brand="华为", variant_axes=["color", "storage"],
            skus=[{"code": "PH-1", "price": "6999", "options": {"color": "红色", "storage": "256GB"}}],
        ),
        "draft_red_dress": make_product(
            shop, tax, title="未上架的红色连衣裙", skus=dress_skus("DR", colors=("红色",))
        ),
    }  # fmt: skip
    from shopops.catalog.tests.factories import image_upload

    services.add_product_image(
        shop_id=shop.id, product_id=made["red_phone"].id, actor=None, upload=image_upload()
    )
    services.publish(shop_id=shop.id, product_id=made["red_phone"].id, actor=None)
    return made


def ids(result):
    return {item["id"] for item in result["items"]}


def test_red_dress_query_finds_red_dresses_and_nothing_else(store):
    result = search(SearchParams(q="红色 连衣裙"))
    assert ids(result) == {store["red_dress"].id, store["red_and_white_dress"].id}
    assert result["relaxed"] is False


def test_the_short_colour_name_works_through_the_value_alias(store):
    assert ids(search(SearchParams(q="红 连衣裙"))) == {
        store["red_dress"].id,
        store["red_and_white_dress"].id,
    }


def test_a_word_inside_a_longer_word_matches(store):
    # 连衣 is inside 连衣裙; 手机 inside 智能手机; 雪纺 in the title of one dress only.
    assert store["black_dress"].id in ids(search(SearchParams(q="连衣")))
    assert ids(search(SearchParams(q="智能手机"))) == {store["red_phone"].id}
    assert ids(search(SearchParams(q="雪纺"))) == {store["red_and_white_dress"].id}


def test_brand_and_english_words_are_searchable(store):
    assert ids(search(SearchParams(q="华为"))) == {store["red_phone"].id}
    assert ids(search(SearchParams(q="mate"))) == {store["red_phone"].id}
    assert ids(search(SearchParams(q="Huawei"))) == {store["red_phone"].id}
    assert store["red_dress"].id in ids(search(SearchParams(q="Dresses")))


def test_a_title_match_ranks_above_a_subtitle_match(store):
    result = search(SearchParams(q="连衣裙"))
    order = [item["id"] for item in result["items"]]
    assert order.index(store["red_dress"].id) < order.index(store["red_and_white_dress"].id)


def test_drafts_are_never_found(store):
    assert store["draft_red_dress"].id not in ids(search(SearchParams(q="红色 连衣裙")))
    assert store["draft_red_dress"].id not in ids(search(SearchParams()))


def test_when_no_product_has_every_word_any_word_matches_and_the_result_says_so(store):
    result = search(SearchParams(q="雪纺 手机"))
    assert result["relaxed"] is True
    assert ids(result) == {store["red_and_white_dress"].id, store["red_phone"].id}


def test_nothing_found_is_an_empty_page_not_an_error(store):
    result = search(SearchParams(q="冰箱"))
    assert result["count"] == 0 and result["items"] == []


def test_facets_count_categories_brands_colours_and_price_ranges(store, tax):
    result = search(SearchParams(q="红色"))
    facets = result["facets"]
    categories = {c["name"]: c["count"] for c in facets["categories"]}
    assert categories == {"服装": 3, "女装": 3, "连衣裙": 2, "T恤": 1, "数码": 1, "手机": 1}
    brands = {b["name"]: b["count"] for b in facets["brands"]}
    assert brands == {"森之语": 2, "华为": 1}
    colours = {
        v["value"]: v["count"] for a in facets["attributes"] if a["code"] == "color" for v in a["values"]
    }
    assert colours == {"红色": 4, "白色": 1}
    prices = {(p["min"], p["max"]): p["count"] for p in facets["price_ranges"]}
    assert prices == {("50", "100"): 1, ("100", "200"): 1, ("200", "500"): 1, ("3000", "8000"): 1}


def test_facets_are_disjunctive_a_chosen_brand_still_shows_the_other_brands(store, tax):
    result = search(SearchParams(q="红色", brand_ids=[tax.brand_a.id]))
    assert ids(result) == {store["red_dress"].id, store["red_and_white_dress"].id}
    brands = {b["name"]: (b["count"], b["selected"]) for b in result["facets"]["brands"]}
    assert brands == {"森之语": (2, True), "华为": (1, False)}
    # ...while the other facets count only the chosen brand's products.
    categories = {c["name"]: c["count"] for c in result["facets"]["categories"]}
    assert categories == {"服装": 2, "女装": 2, "连衣裙": 2}


def test_filtering_by_colour_value_category_and_price(store, tax):
    white = tax.value(tax.color, "白色")
    assert ids(search(SearchParams(value_ids=[white.id]))) == {store["red_and_white_dress"].id}
    womens = {store[k].id for k in ("red_dress", "black_dress", "red_and_white_dress", "red_tshirt")}
    assert ids(search(SearchParams(category=tax.womens))) == womens
    cheap = search(SearchParams(price_min=Decimal(0), price_max=Decimal(200)))
    assert ids(cheap) == {store["red_and_white_dress"].id, store["red_tshirt"].id}


def test_sorting_by_price_sales_and_newest(store, shop):
    services.record_sales(product_id=store["black_dress"].id, quantity=50)
    by_price = [i["id"] for i in search(SearchParams(sort="price_asc"))["items"]]
    assert by_price[0] == store["red_tshirt"].id and by_price[-1] == store["red_phone"].id
    by_price_desc = [i["id"] for i in search(SearchParams(sort="price_desc"))["items"]]
    assert by_price_desc[0] == store["red_phone"].id
    assert search(SearchParams(sort="sales"))["items"][0]["id"] == store["black_dress"].id
    assert search(SearchParams(sort="newest"))["items"][0]["id"] == store["red_phone"].id


def test_pagination(store):
    first = search(SearchParams(page=1, page_size=2, sort="price_asc"))
    second = search(SearchParams(page=2, page_size=2, sort="price_asc"))
    assert first["count"] == 5 and first["pages"] == 3
    assert len(first["items"]) == 2 and not ids(first) & ids(second)


def test_the_search_document_follows_edits(store, shop, tax):
    product = store["black_dress"]
    services.update_product(shop_id=shop.id, product_id=product.id, actor=None, title="黑色丝绒晚礼服")
    assert ids(search(SearchParams(q="丝绒"))) == {product.id}
    # A new colour SKU makes the product findable by that colour.
    services.add_sku(
        shop_id=shop.id, product_id=product.id, actor=None, code="BD-NEW", price="399",
        options={"color": "白色", "size": "L"},
    )  # fmt: skip
    assert product.id in ids(search(SearchParams(q="白色")))
    # Renaming a brand re-indexes its products.
    services.update_brand(actor=None, brand_id=tax.brand_a.id, name="森林物语")
    assert ids(search(SearchParams(q="森林物语"))) == {store["red_dress"].id, store["red_and_white_dress"].id}


def test_products_of_a_suspended_shop_disappear(store, shop):
    shop.status = "suspended"
    shop.save()
    assert search(SearchParams(q="连衣裙"))["count"] == 0
