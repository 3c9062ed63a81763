"""Checking images people upload (review photos, ticket attachments) with Pillow.

`clean_image(upload)` refuses anything that is not a real JPEG/PNG/WebP within the size and pixel
limits, and returns a re-encoded copy: re-encoding drops EXIF (phone photos carry GPS positions)
and anything smuggled after the image data.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from shopops.core.errors import InvalidInput

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


def max_image_bytes() -> int:
    return int(getattr(settings, "UPLOAD_IMAGE_MAX_BYTES", 5 * 1024 * 1024))


class InvalidImage(InvalidInput):
    code = "invalid_image"
    message = "图片无效（仅支持 JPEG、PNG、WebP）/ Not a valid image (JPEG, PNG or WebP only)"


class ImageTooLarge(InvalidInput):
    code = "image_too_large"
    message = "图片过大 / The image is too large"


class TooManyImages(InvalidInput):
    code = "too_many_images"
    message = "图片数量超过上限 / Too many images"


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile
    width: int
    height: int


def clean_image(upload: Any, *, max_bytes: int | None = None) -> CleanImage:
    limit = max_bytes or max_image_bytes()
    size = getattr(upload, "size", None)
    if size is None or size > limit:
        raise ImageTooLarge(size_bytes=size, max_bytes=limit)
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in ALLOWED_FORMATS:
                raise InvalidImage(format=fmt)
            if width * height > MAX_PIXELS:
                raise ImageTooLarge("图片像素过多 / Too many pixels", width=width, height=height)
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as img:
            img.load()
            img = ImageOps.exif_transpose(img)
            buffer = io.BytesIO()
            if fmt == "JPEG":
                img.convert("RGB").save(buffer, "JPEG", quality=88, optimize=True)
            else:
                img.save(buffer, fmt)
            width, height = img.size
    except (InvalidImage, ImageTooLarge):
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidImage() from exc
    name = f"{uuid.uuid4().hex}.{ALLOWED_FORMATS[fmt]}"
    return CleanImage(ContentFile(buffer.getvalue(), name=name), width, height)


def clean_images(uploads: list[Any] | None, *, max_count: int) -> list[CleanImage]:
    uploads = [u for u in (uploads or []) if u]
    if len(uploads) > max_count:
        raise TooManyImages(max_images=max_count, given=len(uploads))
    return [clean_image(u) for u in uploads]
