"""Test data for reviews: completed orders of real products, and images."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shopops.aftersales.tests.factories import bare_order
from shopops.orders.models import OrderStatus
from shopops.orders.tests.factories import sellable_sku
from shopops.reviews import services
from shopops.shops.tests.factories import ShopFactory


def completed_purchase(
    shop: Any = None, *, user: Any = None, product: Any = None, status: str = OrderStatus.COMPLETED
):
    """(order, line) of a completed order holding one line of `product` (a new on-sale product by default)."""
    shop = shop or ShopFactory()
    if product is None:
        _, sku = sellable_sku(shop, stock=0)
        product = sku.product
    order = bare_order(shop, user=user, status=status, lines=[("59.90", 1)], product=product)
    return order, order.lines.get()


def review_of(order: Any, line: Any, rating: int = 5, text: str = "很好", **kwargs: Any):
    return services.create_review(
        user=order.user, order_no=order.number, line_id=line.id, rating=rating, text=text, **kwargs
    )


def png(name: str = "photo.png", size: tuple[int, int] = (40, 30), fmt: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(buffer, fmt)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)
