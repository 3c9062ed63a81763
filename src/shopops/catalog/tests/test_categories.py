from __future__ import annotations

import pytest

from shopops.catalog import services
from shopops.catalog.errors import CategoryInUse, CategoryMoveInvalid, CategoryTooDeep
from shopops.catalog.models import Category, Product
from shopops.catalog.selectors import category_tree
from shopops.catalog.tests.factories import make_product
from shopops.shops.tests.factories import api_as

pytestmark = pytest.mark.django_db


def test_a_fourth_level_is_refused_with_a_clear_error_and_nothing_is_created(tax):
    before = Category.objects.count()
    with pytest.raises(CategoryTooDeep) as caught:
        services.create_category(actor=None, name="长款连衣裙", parent_id=tax.dresses.id)
    assert caught.value.status == 422
    assert caught.value.code == "category_too_deep"
    assert Category.objects.count() == before


def test_the_api_answers_422_for_a_fourth_level(client, tax, platform_admin):
    response = api_as(client, platform_admin).post(
        "/catalog/categories", {"name": "长款连衣裙", "parent_id": tax.dresses.id}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "category_too_deep"
    assert "三级" in body["message"] and "3 levels" in body["message"]


def test_categories_carry_chinese_and_english_names_and_a_pinyin_slug(db):
    top = services.create_category(actor=None, name="家用电器")
    assert top.slug == "jia-yong-dian-qi"
    english = services.create_category(actor=None, name="厨房电器", name_en="Kitchen Appliances")
    assert english.slug == "kitchen-appliances"


def test_siblings_are_ordered_by_position(db):
    root = services.create_category(actor=None, name="食品")
    for name, position in [("饮料", 3), ("零食", 1), ("粮油", 2)]:
        services.create_category(actor=None, name=name, parent_id=root.id, position=position)
    tree = category_tree()
    food = next(node for node in tree if node["name"] == "食品")
    assert [c["name"] for c in food["children"]] == ["零食", "粮油", "饮料"]
    drinks = Category.objects.get(name="饮料")
    services.update_category(actor=None, category_id=drinks.id, position=0)
    food = next(node for node in category_tree() if node["name"] == "食品")
    assert [c["name"] for c in food["children"]] == ["饮料", "零食", "粮油"]


def test_moving_a_subtree_keeps_its_products_and_reindexes_them(tax, shop):
    product = make_product(shop, tax)
    digital = tax.digital
    # 女装 (with 连衣裙 below it) moves under 数码: depth 2 + 1 level below = 3, allowed.
    services.move_category(actor=None, category_id=tax.womens.id, parent_id=digital.id)
    product.refresh_from_db()
    dresses = Category.objects.get(id=tax.dresses.id)
    assert product.category_id == dresses.id
    assert Category.objects.get_parent(Category.objects.get_parent(dresses)).id == digital.id
    assert "数码" in product.search_document and "服装" not in product.search_document
    assert Product.objects.filter(category__path__startswith=digital.path).count() == 1


def test_a_move_that_would_make_a_fourth_level_is_refused(tax):
    # 服装 has two levels below it; under 数码 > 手机 its leaves would sit at level 5.
    with pytest.raises(CategoryTooDeep):
        services.move_category(actor=None, category_id=tax.apparel.id, parent_id=tax.phones.id)
    apparel = Category.objects.get(id=tax.apparel.id)
    assert apparel.depth == 1


def test_a_category_cannot_move_under_its_own_descendant(tax):
    with pytest.raises(CategoryMoveInvalid):
        services.move_category(actor=None, category_id=tax.apparel.id, parent_id=tax.womens.id)


def test_a_subcategory_can_move_to_the_top_level(tax):
    moved = services.move_category(actor=None, category_id=tax.womens.id, parent_id=None)
    assert moved.depth == 1
    assert Category.objects.get(id=tax.dresses.id).depth == 2


def test_a_category_with_products_cannot_be_deleted(tax, shop):
    make_product(shop, tax)
    with pytest.raises(CategoryInUse):
        services.delete_category(actor=None, category_id=tax.womens.id)
    assert Category.objects.filter(id=tax.womens.id).exists()


def test_an_empty_leaf_category_can_be_deleted(tax):
    services.delete_category(actor=None, category_id=tax.tshirts.id)
    assert not Category.objects.filter(id=tax.tshirts.id).exists()


def test_merchants_cannot_edit_the_platform_tree(client, tax, merchant):
    response = api_as(client, merchant).post("/catalog/categories", {"name": "新类目"})
    assert response.status_code == 403
    assert not Category.objects.filter(name="新类目").exists()


def test_the_public_tree_hides_inactive_categories(client, tax):
    services.update_category(actor=None, category_id=tax.digital.id, is_active=False)
    response = api_as(client).get("/catalog/categories")
    assert response.status_code == 200
    names = [node["name"] for node in response.json()]
    assert "服装" in names and "数码" not in names


def test_a_category_lists_inherited_attributes(client, tax):
    response = api_as(client).get(f"/catalog/categories/{tax.dresses.id}")
    assert response.status_code == 200
    body = response.json()
    codes = {a["attribute"]["code"]: a for a in body["attributes"]}
    assert codes["color"]["is_variant"] and codes["size"]["is_variant"]
    assert codes["color"]["defined_on"] == tax.apparel.id
    assert [b["name"] for b in body["breadcrumbs"]] == ["服装", "女装", "连衣裙"]
