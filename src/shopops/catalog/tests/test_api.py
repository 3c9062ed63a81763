"""The catalog API end to end: merchant product flow, public reads, errors in the one shape, IDOR."""

from __future__ import annotations

import pytest

from shopops.catalog.models import Brand, Product, Sku
from shopops.catalog.tests.factories import image_upload, make_product
from shopops.shops.tests.factories import api_as

pytestmark = pytest.mark.django_db


def _new_product_body(tax, **extra):
    body = {
        "category_id": tax.dresses.id,
        "title": "桑蚕丝红色连衣裙",
        "subtitle": "100% 桑蚕丝",
        "brand": "森之语",
        "attributes": {"material": "真丝"},
        "variant_axes": ["color", "size"],
        "skus": [
            {
                "code": "SILK-R-M",
                "price": "599.00",
                "market_price": "899.00",
                "options": {"color": "红色", "size": "M"},
            },
            {"code": "SILK-R-L", "price": "629.00", "options": {"color": "红色", "size": "L"}},
        ],
    }
    body.update(extra)
    return body


def test_a_merchant_creates_a_product_with_two_skus_and_puts_it_on_sale(client, tax, shop, merchant):
    api = api_as(client, merchant)
    response = api.post(f"/catalog/shops/{shop.id}/products", _new_product_body(tax))
    assert response.status_code == 201, response.content
    product = response.json()
    assert product["status"] == "draft" and len(product["skus"]) == 2
    assert product["variant_axes"] == ["color", "size"]
    not_ready = api.post(f"/catalog/shops/{shop.id}/products/{product['id']}/publish")
    assert not_ready.status_code == 422
    assert not_ready.json()["code"] == "not_ready_for_sale"
    assert [r["code"] for r in not_ready.json()["details"]["reasons"]] == ["image_missing"]
    upload = client.post(
        f"/api/v1/catalog/shops/{shop.id}/products/{product['id']}/images", {"file": image_upload()}
    )
    assert upload.status_code == 201
    readiness = api.get(f"/catalog/shops/{shop.id}/products/{product['id']}/readiness").json()
    assert readiness == {"ready": True, "problems": []}
    published = api.post(f"/catalog/shops/{shop.id}/products/{product['id']}/publish")
    assert published.status_code == 200 and published.json()["status"] == "on_sale"
    public = api_as(client).get(f"/catalog/products/{product['id']}").json()
    assert public["title"] == "桑蚕丝红色连衣裙"
    assert {s["code"]: s["price"] for s in public["skus"]} == {"SILK-R-M": "599.00", "SILK-R-L": "629.00"}
    assert "cost" not in public["skus"][0]  # merchant-only fields stay private
    assert [a["code"] for a in public["axes"]] == ["color", "size"]


def test_bad_input_gets_the_error_shape_and_changes_nothing(client, tax, shop, merchant):
    api = api_as(client, merchant)

    def sku(price, color="红色"):
        return [{"code": "N1", "price": price, "options": {"color": color, "size": "M"}}]

    cases = [
        (_new_product_body(tax, skus=sku("-3")), 422, "invalid_price"),
        (_new_product_body(tax, skus=sku("3", color="紫")), 422, "unknown_attribute_value"),
        (_new_product_body(tax, category_id=tax.womens.id), 422, "category_not_leaf"),
        (_new_product_body(tax, category_id=999999), 404, "category_not_found"),
        (_new_product_body(tax, brand="不存在的牌子"), 422, "unknown_brand"),
        (_new_product_body(tax, title=""), 422, "validation_error"),
        (_new_product_body(tax, skus=sku("abc")), 422, "validation_error"),
    ]
    for body, status, code in cases:
        response = api.post(f"/catalog/shops/{shop.id}/products", body)
        assert response.status_code == status, (code, response.content)
        payload = response.json()
        assert payload["code"] == code and set(payload) == {"code", "message", "details"}
    assert not Product.objects.exists() and not Sku.objects.exists()


def test_a_sku_code_taken_in_the_shop_answers_409(client, tax, shop, merchant):
    api = api_as(client, merchant)
    assert api.post(f"/catalog/shops/{shop.id}/products", _new_product_body(tax)).status_code == 201
    again = api.post(f"/catalog/shops/{shop.id}/products", _new_product_body(tax, title="另一件"))
    assert again.status_code == 409 and again.json()["code"] == "duplicate_sku_code"


def test_another_shops_product_is_not_found(client, tax, shop, other_shop, merchant):
    foreign = make_product(other_shop, tax)
    foreign_sku = foreign.skus.first()
    api = api_as(client, merchant)
    assert api.get(f"/catalog/shops/{shop.id}/products/{foreign.id}").status_code == 404
    assert api.patch(f"/catalog/shops/{shop.id}/products/{foreign.id}", {"title": "改"}).status_code == 404
    assert api.patch(f"/catalog/shops/{shop.id}/skus/{foreign_sku.id}", {"price": "1"}).status_code == 404
    assert api.get(f"/catalog/shops/{other_shop.id}/products").status_code == 404
    foreign_sku.refresh_from_db()
    assert foreign_sku.price != 1


def test_a_viewer_can_read_but_not_change_products(client, tax, shop, viewer):
    product = make_product(shop, tax)
    api = api_as(client, viewer)
    assert api.get(f"/catalog/shops/{shop.id}/products/{product.id}").status_code == 200
    response = api.patch(f"/catalog/shops/{shop.id}/products/{product.id}", {"title": "改"})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_drafts_are_invisible_to_shoppers(client, tax, shop):
    product = make_product(shop, tax)
    response = api_as(client).get(f"/catalog/products/{product.id}")
    assert response.status_code == 404


def test_the_merchant_list_filters_by_status_and_finds_by_sku_code(client, tax, shop, merchant):
    on_sale = make_product(shop, tax, on_sale=True, title="在售连衣裙")
    make_product(shop, tax, title="草稿连衣裙")
    api = api_as(client, merchant)
    listed = api.get(f"/catalog/shops/{shop.id}/products", status="on_sale").json()
    assert [p["id"] for p in listed["items"]] == [on_sale.id]
    code = on_sale.skus.first().code
    found = api.get(f"/catalog/shops/{shop.id}/products", q=code).json()
    assert [p["id"] for p in found["items"]] == [on_sale.id]


def test_public_search_endpoint_returns_items_and_facets(client, tax, shop):
    make_product(shop, tax, on_sale=True, title="红色真丝连衣裙")
    response = api_as(client).get("/catalog/search", q="红色 连衣裙")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["items"][0]["title"] == "红色真丝连衣裙"
    assert {c["name"] for c in body["facets"]["categories"]} == {"服装", "女装", "连衣裙"}
    listing = api_as(client).get("/catalog/products", category=tax.apparel.id, sort="price_asc").json()
    assert listing["count"] == 1 and listing.get("facets") is None
    bad = api_as(client).get("/catalog/search", sort="random")
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"


def test_editing_through_the_api_and_sku_management(client, tax, shop, merchant):
    api = api_as(client, merchant)
    product = api.post(f"/catalog/shops/{shop.id}/products", _new_product_body(tax)).json()
    pid = product["id"]
    patched = api.patch(
        f"/catalog/shops/{shop.id}/products/{pid}",
        {"title": "新标题", "description": "<p>详情<script>x</script></p>", "attributes": {"material": "棉"}},
    )
    assert patched.status_code == 200
    assert patched.json()["description"] == "<p>详情</p>"
    assert patched.json()["attributes"][0]["display"] == "棉"
    added = api.post(
        f"/catalog/shops/{shop.id}/products/{pid}/skus",
        {"code": "SILK-B-M", "price": "599", "options": {"color": "黑色", "size": "M"}},
    )
    assert added.status_code == 201 and added.json()["label"] == "黑色 / M"
    dup = api.post(
        f"/catalog/shops/{shop.id}/products/{pid}/skus",
        {"code": "SILK-B-M2", "price": "599", "options": {"color": "黑色", "size": "M"}},
    )
    assert dup.status_code == 422 and dup.json()["code"] == "duplicate_combination"
    sku_id = added.json()["id"]
    assert api.patch(f"/catalog/shops/{shop.id}/skus/{sku_id}", {"price": "579"}).json()["price"] == "579.00"
    assert api.delete(f"/catalog/shops/{shop.id}/skus/{sku_id}").status_code == 204
    assert api.delete(f"/catalog/shops/{shop.id}/products/{pid}").status_code == 204
    assert not Product.objects.filter(id=pid).exists()


def test_the_json_base64_upload_form_works_too(client, tax, shop, merchant):
    import base64

    product = make_product(shop, tax)
    api = api_as(client, merchant)
    body = {"file_name": "a.png", "content_base64": base64.b64encode(image_upload(fmt="PNG").read()).decode()}
    response = api.post(f"/catalog/shops/{shop.id}/products/{product.id}/images", body)
    assert response.status_code == 201
    missing = api.post(f"/catalog/shops/{shop.id}/products/{product.id}/images", {})
    assert missing.status_code == 422 and missing.json()["code"] == "file_required"
    garbage = api.post(
        f"/catalog/shops/{shop.id}/products/{product.id}/images", {"file_name": "x", "content_base64": "!!!"}
    )
    assert garbage.status_code == 422 and garbage.json()["code"] == "invalid_base64"


def test_platform_admin_manages_attributes_values_and_brands(client, tax, platform_admin):
    api = api_as(client, platform_admin)
    attribute = api.post(
        "/catalog/attributes",
        {"code": "neckline", "name": "领型", "kind": "single", "values": ["圆领", "V领"]},
    )
    assert attribute.status_code == 201
    attr_id = attribute.json()["id"]
    dup = api.post(f"/catalog/attributes/{attr_id}/values", {"value": "ｖ领"})
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate_attribute_value"
    link = api.post(f"/catalog/categories/{tax.dresses.id}/attributes", {"attribute_id": attr_id})
    assert link.status_code == 201
    assert "neckline" in [a["attribute"]["code"] for a in link.json()["attributes"]]
    brand = api.post("/catalog/brands", {"name": "小米", "name_en": "Xiaomi"})
    assert brand.status_code == 201 and brand.json()["slug"] == "xiaomi"
    again = api.post("/catalog/brands", {"name": " 小米 "})
    assert again.status_code == 409 and again.json()["code"] == "duplicate_brand"
    in_use = api.delete(f"/catalog/brands/{tax.brand_a.id}")
    assert in_use.status_code in (204, 409)


def test_the_taxonomy_needs_platform_catalog_not_shop_review_rights(client, tax):
    """Catalogue staff (platform.catalog only) edit the shared taxonomy; shop reviewers
    (platform.shops only) do not."""
    from shopops.shops.models import Role, RoleScope
    from shopops.shops.tests.factories import make_member

    for code, perms in (("catalog_staff", ["platform.catalog"]), ("shop_reviewer", ["platform.shops"])):
        Role.objects.create(code=code, name=code, scope=RoleScope.PLATFORM, permissions=perms)
    curator = api_as(client, make_member(None, "catalog_staff").user)
    created = curator.post("/catalog/brands", {"name": "类目运营品牌", "name_en": "Curated Brand"})
    assert created.status_code == 201
    reviewer = api_as(client, make_member(None, "shop_reviewer").user)
    refused = reviewer.post("/catalog/brands", {"name": "审核员品牌", "name_en": "Reviewer Brand"})
    assert refused.status_code == 403
    assert not Brand.objects.filter(name="审核员品牌").exists()
