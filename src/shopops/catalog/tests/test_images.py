from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shopops.catalog import services
from shopops.catalog.errors import ImageTooLarge, NotAnImage
from shopops.catalog.models import ProductImage
from shopops.catalog.services.images import MAX_IMAGE_BYTES
from shopops.catalog.tests.factories import image_upload, make_product
from shopops.shops.tests.factories import api_as

pytestmark = pytest.mark.django_db


def test_an_upload_is_stored_with_a_small_webp_thumbnail(tax, shop):
    product = make_product(shop, tax)
    image = services.add_product_image(
        shop_id=shop.id, product_id=product.id, actor=None, upload=image_upload(size=(1600, 1200)), alt="正面"
    )
    assert (image.width, image.height) == (1600, 1200)
    assert default_storage.exists(image.image.name)
    with default_storage.open(image.thumbnail.name) as fh, Image.open(fh) as thumb:
        assert thumb.format == "WEBP"
        assert max(thumb.size) == 400


def test_an_image_over_5_mb_is_refused_and_nothing_is_stored(tax, shop):
    product = make_product(shop, tax)
    big = SimpleUploadedFile("huge.jpg", b"\xff\xd8\xff" + b"0" * MAX_IMAGE_BYTES, content_type="image/jpeg")
    with pytest.raises(ImageTooLarge) as caught:
        services.add_product_image(shop_id=shop.id, product_id=product.id, actor=None, upload=big)
    assert caught.value.status == 422
    assert not ProductImage.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(tax, shop):
    product = make_product(shop, tax)
    fake = SimpleUploadedFile("photo.jpg", b"<?php echo 'hi'; ?>", content_type="image/jpeg")
    with pytest.raises(NotAnImage):
        services.add_product_image(shop_id=shop.id, product_id=product.id, actor=None, upload=fake)
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="BMP")
    bmp = SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")
    with pytest.raises(NotAnImage):
        services.add_product_image(shop_id=shop.id, product_id=product.id, actor=None, upload=bmp)
    assert not ProductImage.objects.exists()


def test_the_api_answers_422_for_an_oversized_upload(client, tax, shop, merchant):
    product = make_product(shop, tax)
    api_as(client, merchant)
    big = SimpleUploadedFile("huge.png", b"\x89PNG" + b"0" * (MAX_IMAGE_BYTES + 10), content_type="image/png")
    response = client.post(f"/api/v1/catalog/shops/{shop.id}/products/{product.id}/images", {"file": big})
    assert response.status_code == 422
    assert response.json()["code"] == "image_too_large"


def test_the_api_uploads_orders_and_deletes_images(client, tax, shop, merchant):
    product = make_product(shop, tax)
    api = api_as(client, merchant)
    uploaded = []
    for color in ("red", "blue", "green"):
        response = client.post(
            f"/api/v1/catalog/shops/{shop.id}/products/{product.id}/images",
            {"file": image_upload(f"{color}.png", fmt="PNG", color=color), "alt": color},
        )
        assert response.status_code == 201, response.content
        uploaded.append(response.json()["id"])
    new_order = list(reversed(uploaded))
    response = api.put(
        f"/catalog/shops/{shop.id}/products/{product.id}/images/order", {"image_ids": new_order}
    )
    assert response.status_code == 200
    assert [i["id"] for i in response.json()] == new_order
    bad = api.put(
        f"/catalog/shops/{shop.id}/products/{product.id}/images/order", {"image_ids": new_order[:1]}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_image_order"
    assert api.delete(f"/catalog/shops/{shop.id}/images/{uploaded[0]}").status_code == 204
    assert list(product.images.values_list("id", flat=True).order_by("position")) == [
        uploaded[2],
        uploaded[1],
    ]


def test_removing_the_last_image_takes_the_product_off_sale(tax, shop):
    product = make_product(shop, tax, on_sale=True)
    image = product.images.get()
    services.delete_product_image(shop_id=shop.id, image_id=image.id, actor=None)
    product.refresh_from_db()
    assert product.status == "off_sale"
