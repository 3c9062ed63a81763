"""Product images: checked uploads (size, real image type, pixel bomb), thumbnails with Pillow, order."""

from __future__ import annotations

import io
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from shopops.catalog import cache
from shopops.catalog.errors import ImageTooLarge, NotAnImage, TooManyImages
from shopops.catalog.models import AttributeValue, Product, ProductImage
from shopops.catalog.services.products import _get_product, after_product_change
from shopops.core import audit
from shopops.core.errors import InvalidInput, NotFound

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # about 6300 x 6300: refuse decompression bombs before decoding
MAX_IMAGES_PER_PRODUCT = 20
THUMBNAIL_SIZE = (400, 400)
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def inspect_image(upload: UploadedFile | Any) -> tuple[str, int, int]:
    """(Pillow format, width, height) of an upload, or a clear 422: too large, or not an image whatever
    its name and declared content type say (the bytes decide)."""
    size = getattr(upload, "size", None)
    if size is None:
        raise NotAnImage(reason="empty")
    if size > MAX_IMAGE_BYTES:
        raise ImageTooLarge(size_bytes=size, max_bytes=MAX_IMAGE_BYTES)
    if size == 0:
        raise NotAnImage(reason="empty")
    upload.seek(0)
    try:
        with Image.open(upload) as img:
            fmt = img.format or ""
            width, height = img.size
            if fmt not in ALLOWED_FORMATS:
                raise NotAnImage(format=fmt or "unknown")
            if width * height > MAX_IMAGE_PIXELS:
                raise InvalidInput(
                    "图片像素过多 / The image has too many pixels",
                    code="image_too_many_pixels",
                    width=width,
                    height=height,
                )
            img.verify()  # structural check without a full decode
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise NotAnImage(reason="unreadable") from None
    finally:
        upload.seek(0)
    return fmt, width, height


def make_thumbnail(upload: UploadedFile | Any) -> ContentFile:
    upload.seek(0)
    with Image.open(upload) as img:
        img = ImageOps.exif_transpose(img)
        img.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "transparency" in img.info or img.mode in ("P", "LA") else "RGB")
        buffer = io.BytesIO()
        img.save(buffer, format="WEBP", quality=82, method=4)
    upload.seek(0)
    return ContentFile(buffer.getvalue())


@transaction.atomic
def add_product_image(
    *,
    shop_id: int,
    product_id: int,
    actor: Any,
    upload: UploadedFile | Any,
    alt: str = "",
    position: int | None = None,
    value_id: int | None = None,
) -> ProductImage:
    product = _get_product(shop_id, product_id, lock=True)
    fmt, width, height = inspect_image(upload)
    count = product.images.count()
    if count >= MAX_IMAGES_PER_PRODUCT:
        raise TooManyImages(max_images=MAX_IMAGES_PER_PRODUCT)
    if value_id and not AttributeValue.objects.filter(id=value_id).exists():
        raise NotFound(code="attribute_value_not_found", id=value_id)
    stem = uuid.uuid4().hex[:16]
    image = ProductImage(
        product=product,
        alt=(alt or "")[:120],
        position=count if position is None else max(0, position),
        size_bytes=upload.size,
        value_id=value_id,
    )
    # Everything that can refuse the upload has run; if a database write still fails, remove the
    # files again so a failed upload leaves nothing behind.
    try:
        image.image.save(f"{stem}.{ALLOWED_FORMATS[fmt]}", upload, save=False)
        image.thumbnail.save(f"{stem}_thumb.webp", make_thumbnail(upload), save=False)
        image.width, image.height = width, height
        image.save()
        after_product_change(product, actor)
    except Exception:
        _delete_files([image.image.name, image.thumbnail.name], image.image.storage)
        raise
    audit.record(
        actor=actor,
        action="catalog.image.add",
        obj=product,
        shop_id=shop_id,
        after={"image_id": image.id, "bytes": image.size_bytes, "format": fmt},
    )
    return image


def _delete_files(names: list[str], storage: Any) -> None:
    for name in names:
        if name and storage.exists(name):
            storage.delete(name)


@transaction.atomic
def reorder_images(*, shop_id: int, product_id: int, actor: Any, image_ids: list[int]) -> list[ProductImage]:
    product = _get_product(shop_id, product_id, lock=True)
    images = {img.id: img for img in product.images.all()}
    if sorted(image_ids) != sorted(images):
        raise InvalidInput(
            "须给出该商品全部图片的新顺序 / Give the new order of all of the product's images",
            code="invalid_image_order",
            expected=sorted(images),
        )
    for position, image_id in enumerate(image_ids):
        images[image_id].position = position
    ProductImage.objects.bulk_update(images.values(), ["position"])
    cache.invalidate_products([product.id])
    audit.record(
        actor=actor, action="catalog.image.reorder", obj=product, shop_id=shop_id, after={"order": image_ids}
    )
    return sorted(images.values(), key=lambda i: i.position)


@transaction.atomic
def update_image(
    *, shop_id: int, image_id: int, actor: Any, alt: str | None = None, value_id: int | None = None
) -> ProductImage:
    image = _shop_image(shop_id, image_id)
    if alt is not None:
        image.alt = alt[:120]
    if value_id is not None:
        if value_id and not AttributeValue.objects.filter(id=value_id).exists():
            raise NotFound(code="attribute_value_not_found", id=value_id)
        image.value_id = value_id or None
    image.save()
    cache.invalidate_products([image.product_id])
    return image


@transaction.atomic
def delete_product_image(*, shop_id: int, image_id: int, actor: Any) -> None:
    image = _shop_image(shop_id, image_id)
    product = image.product
    names = [image.image.name, image.thumbnail.name]
    storage = image.image.storage
    image.delete()
    # Remove the files only once the row is really gone.
    transaction.on_commit(lambda: _delete_files(names, storage))
    after_product_change(product, actor)
    audit.record(
        actor=actor,
        action="catalog.image.delete",
        obj=product,
        shop_id=shop_id,
        before={"image_id": image_id},
    )


def _shop_image(shop_id: int, image_id: int) -> ProductImage:
    image = (
        ProductImage.objects.select_related("product").filter(id=image_id, product__shop_id=shop_id).first()
    )
    if image is None:
        raise NotFound("图片不存在 / Image not found", code="image_not_found", id=image_id)
    return image


def product_has_images(product: Product) -> bool:
    return product.images.exists()
