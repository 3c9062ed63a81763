"""Reads of the reviews app.

product_reviews(product_id, *, rating=None, with_images=False) -> QuerySet   visible only
product_summary(product_id) -> Summary          average, count and star distribution (visible)
my_reviews(user) / my_review(user, review_id)   ReviewNotFound for anyone else's
reviewable_lines(user, *, order=None) -> list   completed lines not reviewed yet, in the window
shop_reviews(*, shop_ids, status=None, rating=None, replied=None, q="") / shop_review(shop_id, id)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from shopops.reviews.errors import ReviewNotFound
from shopops.reviews.models import Review, ReviewImage, ReviewStatus

RATING_PLACES = Decimal("0.01")


def review_window_days() -> int:
    return int(getattr(settings, "REVIEW_WINDOW_DAYS", 180))


def follow_up_window_days() -> int:
    return int(getattr(settings, "REVIEW_FOLLOW_UP_DAYS", 180))


def _details(qs: QuerySet[Review]) -> QuerySet[Review]:
    return qs.select_related("user", "product", "shop", "order", "follow_up").prefetch_related(
        Prefetch("images", queryset=ReviewImage.objects.order_by("position", "id"))
    )


def product_reviews(
    product_id: int, *, rating: int | None = None, with_images: bool = False
) -> QuerySet[Review]:
    qs = Review.objects.filter(product_id=product_id, status=ReviewStatus.VISIBLE)
    if rating:
        qs = qs.filter(rating=rating)
    if with_images:
        qs = qs.filter(images__isnull=False).distinct()
    return _details(qs).order_by("-created_at", "-id")


@dataclass
class Summary:
    product_id: int
    count: int
    average: Decimal
    distribution: dict[int, int] = field(default_factory=dict)

    @property
    def positive_rate(self) -> float:
        """Share of 4-5 star reviews (好评率)."""
        if not self.count:
            return 0.0
        return round((self.distribution.get(4, 0) + self.distribution.get(5, 0)) / self.count, 4)


def average(total: int, count: int) -> Decimal:
    if not count:
        return Decimal("0.00")
    return (Decimal(total) / Decimal(count)).quantize(RATING_PLACES, rounding=ROUND_HALF_UP)


def product_summary(product_id: int) -> Summary:
    visible = Review.objects.filter(product_id=product_id, status=ReviewStatus.VISIBLE)
    totals = visible.aggregate(n=Count("id"), total=Sum("rating"))
    per_star = dict(visible.values_list("rating").annotate(n=Count("id")).values_list("rating", "n"))
    return Summary(
        product_id=product_id,
        count=totals["n"] or 0,
        average=average(totals["total"] or 0, totals["n"] or 0),
        distribution={star: per_star.get(star, 0) for star in range(5, 0, -1)},
    )


def my_reviews(user: Any) -> QuerySet[Review]:
    return _details(Review.objects.filter(user_id=getattr(user, "pk", None))).order_by("-created_at", "-id")


def my_review(user: Any, review_id: int) -> Review:
    review = _details(Review.objects.filter(user_id=getattr(user, "pk", None), pk=review_id)).first()
    if review is None:
        raise ReviewNotFound(id=review_id)
    return review


def review_deadline(order: Any) -> datetime | None:
    if order.completed_at is None:
        return None
    return order.completed_at + timedelta(days=review_window_days())


def follow_up_deadline(review: Review) -> datetime:
    return review.created_at + timedelta(days=follow_up_window_days())


def reviewable_lines(user: Any, *, order: Any = None) -> list[Any]:
    """Completed, not yet reviewed lines of the user (of `order` only when given), newest first."""
    from shopops.orders import selectors as order_selectors

    lines = order_selectors.purchased_lines(user).filter(review__isnull=True, product__isnull=False)
    if order is not None:
        lines = lines.filter(order_id=order.pk)
    since = timezone.now() - timedelta(days=review_window_days())
    return list(lines.filter(order__completed_at__gte=since))


def shop_reviews(
    *,
    shop_ids: Iterable[int] | None,
    status: str | None = None,
    rating: int | None = None,
    replied: bool | None = None,
    q: str = "",
) -> QuerySet[Review]:
    qs = Review.objects.all()
    if shop_ids is not None:
        qs = qs.filter(shop_id__in=list(shop_ids))
    if status:
        qs = qs.filter(status=status)
    if rating:
        qs = qs.filter(rating=rating)
    if replied is not None:
        qs = qs.filter(replied_at__isnull=not replied)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(text__icontains=q) | Q(product__title__icontains=q) | Q(order__number=q))
    return _details(qs).order_by("-created_at", "-id")


def shop_review(shop_id: int, review_id: int) -> Review:
    review = _details(Review.objects.filter(shop_id=shop_id, pk=review_id)).first()
    if review is None:
        raise ReviewNotFound(id=review_id)
    return review
