"""Permission-matrix cases for the catalog API (see shops/tests/matrix.py for how cases work).

Objects named in a path are created in `w.object_shop`; the path carries `w.shop`, so the IDOR test
can cross them. Taxonomy (platform data) is created fresh inside each call's savepoint.
"""

from __future__ import annotations

import base64
import uuid

from shopops.catalog import services
from shopops.catalog.models import Category, ImportJob
from shopops.catalog.tests.factories import Taxonomy, image_upload, make_product, make_taxonomy
from shopops.shops.tests.matrix import Call, World, case


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _tax() -> Taxonomy:
    if Category.objects.filter(slug="apparel").exists():
        from shopops.catalog.tests.factories import taxonomy_from_db

        return taxonomy_from_db()
    return make_taxonomy()


def _product(w: World, *, on_sale: bool = False, skus: bool = True):
    return make_product(w.object_shop, _tax(), on_sale=on_sale, skus=None if skus else [])


def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


# --- platform: categories -----------------------------------------------------------------------------


@case("POST", "/catalog/categories")
def create_category(w: World) -> Call:
    return Call("POST", "/catalog/categories", {"name": _unique("类目")}, ok=201)


@case("PATCH", "/catalog/categories/{category_id}")
def update_category(w: World) -> Call:
    return Call("PATCH", f"/catalog/categories/{_tax().apparel.id}", {"name_en": "Clothing"})


@case("POST", "/catalog/categories/{category_id}/move")
def move_category(w: World) -> Call:
    return Call("POST", f"/catalog/categories/{_tax().tshirts.id}/move", {"parent_id": None})


@case("DELETE", "/catalog/categories/{category_id}")
def delete_category(w: World) -> Call:
    empty = services.create_category(actor=None, name=_unique("空类目"))
    return Call("DELETE", f"/catalog/categories/{empty.id}", ok=204)


@case("POST", "/catalog/categories/{category_id}/attributes")
def link_attribute(w: World) -> Call:
    tax = _tax()
    return Call(
        "POST", f"/catalog/categories/{tax.phones.id}/attributes", {"attribute_id": tax.material.id}, ok=201
    )


@case("DELETE", "/catalog/categories/{category_id}/attributes/{attribute_id}")
def unlink_attribute(w: World) -> Call:
    tax = _tax()
    return Call("DELETE", f"/catalog/categories/{tax.apparel.id}/attributes/{tax.material.id}", ok=204)


# --- platform: attributes, values, brands ---------------------------------------------------------------


@case("POST", "/catalog/attribute-groups")
def create_attribute_group(w: World) -> Call:
    return Call("POST", "/catalog/attribute-groups", {"code": _unique("g"), "name": "规格"}, ok=201)


@case("POST", "/catalog/attributes")
def create_attribute(w: World) -> Call:
    body = {"code": _unique("a"), "name": "风格", "kind": "single", "values": ["通勤", "休闲"]}
    return Call("POST", "/catalog/attributes", body, ok=201)


@case("PATCH", "/catalog/attributes/{attribute_id}")
def update_attribute(w: World) -> Call:
    return Call("PATCH", f"/catalog/attributes/{_tax().material.id}", {"name_en": "Fabric"})


@case("DELETE", "/catalog/attributes/{attribute_id}")
def delete_attribute(w: World) -> Call:
    unused = services.create_attribute(actor=None, code=_unique("u"), name="未用", kind="text")
    return Call("DELETE", f"/catalog/attributes/{unused.id}", ok=204)


@case("POST", "/catalog/attributes/{attribute_id}/values")
def add_attribute_value(w: World) -> Call:
    return Call("POST", f"/catalog/attributes/{_tax().color.id}/values", {"value": "藏青色"}, ok=201)


@case("PATCH", "/catalog/attribute-values/{value_id}")
def update_attribute_value(w: World) -> Call:
    tax = _tax()
    return Call(
        "PATCH", f"/catalog/attribute-values/{tax.value(tax.color, '红色').id}", {"swatch": "#d00000"}
    )


@case("DELETE", "/catalog/attribute-values/{value_id}")
def delete_attribute_value(w: World) -> Call:
    value = services.add_attribute_value(actor=None, attribute_id=_tax().color.id, value="米白")
    return Call("DELETE", f"/catalog/attribute-values/{value.id}", ok=204)


@case("POST", "/catalog/attribute-values/{value_id}/merge")
def merge_attribute_value(w: World) -> Call:
    color = _tax().color
    source = services.add_attribute_value(actor=None, attribute_id=color.id, value="浅灰")
    target = services.add_attribute_value(actor=None, attribute_id=color.id, value="浅灰色")
    return Call("POST", f"/catalog/attribute-values/{source.id}/merge", {"into": target.id})


@case("POST", "/catalog/brands")
def create_brand(w: World) -> Call:
    return Call("POST", "/catalog/brands", {"name": _unique("品牌")}, ok=201)


@case("PATCH", "/catalog/brands/{brand_id}")
def update_brand(w: World) -> Call:
    return Call("PATCH", f"/catalog/brands/{_tax().brand_a.id}", {"description": "森系女装"})


@case("DELETE", "/catalog/brands/{brand_id}")
def delete_brand(w: World) -> Call:
    brand = services.create_brand(actor=None, name=_unique("待删品牌"))
    return Call("DELETE", f"/catalog/brands/{brand.id}", ok=204)


# --- shop: products --------------------------------------------------------------------------------------


@case("GET", "/catalog/shops/{shop_id}/products")
def list_shop_products(w: World) -> Call:
    return Call("GET", f"/catalog/shops/{w.shop.id}/products")


@case("POST", "/catalog/shops/{shop_id}/products")
def create_product(w: World) -> Call:
    body = {
        "category_id": _tax().dresses.id,
        "title": "新款连衣裙",
        "variant_axes": ["color", "size"],
        "skus": [{"code": _unique("S"), "price": "99", "options": {"color": "红色", "size": "M"}}],
    }
    return Call("POST", f"/catalog/shops/{w.shop.id}/products", body, ok=201)


@case("GET", "/catalog/shops/{shop_id}/products/{product_id}")
def get_product(w: World) -> Call:
    return Call("GET", f"/catalog/shops/{w.shop.id}/products/{_product(w).id}")


@case("PATCH", "/catalog/shops/{shop_id}/products/{product_id}")
def update_product(w: World) -> Call:
    return Call("PATCH", f"/catalog/shops/{w.shop.id}/products/{_product(w).id}", {"subtitle": "新副标题"})


@case("DELETE", "/catalog/shops/{shop_id}/products/{product_id}")
def delete_product(w: World) -> Call:
    return Call("DELETE", f"/catalog/shops/{w.shop.id}/products/{_product(w).id}", ok=204)


@case("PUT", "/catalog/shops/{shop_id}/products/{product_id}/axes")
def set_axes(w: World) -> Call:
    product = _product(w, skus=False)
    return Call("PUT", f"/catalog/shops/{w.shop.id}/products/{product.id}/axes", {"axes": ["color"]})


@case("GET", "/catalog/shops/{shop_id}/products/{product_id}/readiness")
def readiness(w: World) -> Call:
    return Call("GET", f"/catalog/shops/{w.shop.id}/products/{_product(w).id}/readiness")


@case("POST", "/catalog/shops/{shop_id}/products/{product_id}/publish")
def publish(w: World) -> Call:
    product = _product(w)
    services.add_product_image(
        shop_id=w.object_shop.id, product_id=product.id, actor=None, upload=image_upload()
    )
    return Call("POST", f"/catalog/shops/{w.shop.id}/products/{product.id}/publish")


@case("POST", "/catalog/shops/{shop_id}/products/{product_id}/unpublish")
def unpublish(w: World) -> Call:
    product = _product(w, on_sale=True)
    return Call("POST", f"/catalog/shops/{w.shop.id}/products/{product.id}/unpublish", {"reason": "换季"})


@case("PUT", "/catalog/shops/{shop_id}/products/{product_id}/schedule")
def schedule(w: World) -> Call:
    body = {"on_sale_at": "2031-01-01T10:00:00+08:00", "off_sale_at": None}
    return Call("PUT", f"/catalog/shops/{w.shop.id}/products/{_product(w).id}/schedule", body)


# --- shop: SKUs and images ---------------------------------------------------------------------------------


@case("POST", "/catalog/shops/{shop_id}/products/{product_id}/skus")
def add_sku(w: World) -> Call:
    body = {"code": _unique("N"), "price": "129", "options": {"color": "白色", "size": "L"}}
    return Call("POST", f"/catalog/shops/{w.shop.id}/products/{_product(w).id}/skus", body, ok=201)


@case("PATCH", "/catalog/shops/{shop_id}/skus/{sku_id}")
def update_sku(w: World) -> Call:
    sku = _product(w).skus.first()
    return Call("PATCH", f"/catalog/shops/{w.shop.id}/skus/{sku.id}", {"price": "159.00"})


@case("DELETE", "/catalog/shops/{shop_id}/skus/{sku_id}")
def delete_sku(w: World) -> Call:
    sku = _product(w).skus.first()
    return Call("DELETE", f"/catalog/shops/{w.shop.id}/skus/{sku.id}", ok=204)


@case("POST", "/catalog/shops/{shop_id}/products/{product_id}/images")
def upload_image(w: World) -> Call:
    # The JSON form of the upload (multipart is what browsers send; the matrix speaks JSON).
    path = f"/catalog/shops/{w.shop.id}/products/{_product(w).id}/images"
    body = {"file_name": "front.jpg", "content_base64": _b64(image_upload().read()), "alt": "正面"}
    return Call("POST", path, body, ok=201)


def _image(w: World):
    product = _product(w)
    return services.add_product_image(
        shop_id=w.object_shop.id, product_id=product.id, actor=None, upload=image_upload()
    )


@case("PUT", "/catalog/shops/{shop_id}/products/{product_id}/images/order")
def reorder_images(w: World) -> Call:
    image = _image(w)
    path = f"/catalog/shops/{w.shop.id}/products/{image.product_id}/images/order"
    return Call("PUT", path, {"image_ids": [image.id]})


@case("PATCH", "/catalog/shops/{shop_id}/images/{image_id}")
def update_image(w: World) -> Call:
    return Call("PATCH", f"/catalog/shops/{w.shop.id}/images/{_image(w).id}", {"alt": "正面"})


@case("DELETE", "/catalog/shops/{shop_id}/images/{image_id}")
def delete_image(w: World) -> Call:
    return Call("DELETE", f"/catalog/shops/{w.shop.id}/images/{_image(w).id}", ok=204)


# --- shop: import / export ---------------------------------------------------------------------------------


@case("POST", "/catalog/shops/{shop_id}/imports")
def import_products(w: World) -> Call:
    _tax()
    content = (
        "商品编码,商品标题,类目,SKU编码,规格,售价\n"
        + f"{_unique('M')},矩阵测试连衣裙,dresses,{_unique('MS')},颜色:红色;尺码:M,99\n"
    )
    body = {"file_name": "goods.csv", "content_base64": _b64(content.encode()), "mode": "all_or_nothing"}
    return Call("POST", f"/catalog/shops/{w.shop.id}/imports", body, ok=201)


@case("GET", "/catalog/shops/{shop_id}/imports")
def list_imports(w: World) -> Call:
    return Call("GET", f"/catalog/shops/{w.shop.id}/imports")


@case("GET", "/catalog/shops/{shop_id}/imports/{job_id}")
def get_import(w: World) -> Call:
    job = ImportJob.objects.create(
        shop=w.object_shop, file_name="a.csv", file_format="csv", mode="all_or_nothing", status="applied"
    )
    return Call("GET", f"/catalog/shops/{w.shop.id}/imports/{job.id}")


@case("GET", "/catalog/shops/{shop_id}/export")
def export_products(w: World) -> Call:
    return Call("GET", f"/catalog/shops/{w.shop.id}/export")
