"""Every write of the reviews app.

    create_review(*, user, order_no, line_id, rating, text="", anonymous=False, images=()) -> Review
        Only the buyer, only for a line of a completed order (another's order or line: 404; not
        completed: 403 not_a_buyer), once per line (409), within REVIEW_WINDOW_DAYS of completion.
    add_follow_up(*, user, review_id, text, images=()) -> ReviewFollowUp      once (409)
    reply(*, review, actor, text) -> Review                                   the shop, once (409)
    hide(*, review, actor, reason) / unhide(*, review, actor) -> Review       moderation
    recompute_summary(*, product_id) -> Summary

Every change of what is visible recomputes the product's rating from the visible reviews in the
same transaction, serialised per product, and stores it through catalog.services.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from shopops.core import audit
from shopops.core.errors import PermissionDenied
from shopops.core.images import CleanImage, clean_images
from shopops.core.text import plain_text
from shopops.reviews import selectors
from shopops.reviews.errors import (
    AlreadyHidden,
    AlreadyReplied,
    AlreadyReviewed,
    FollowUpExists,
    InvalidRating,
    NotABuyer,
    NotHidden,
    ReviewWindowClosed,
    TextRequired,
)
from shopops.reviews.models import Review, ReviewFollowUp, ReviewImage, ReviewStatus

MAX_TEXT = 1000
MAX_REPLY = 500
MAX_REASON = 255
MAX_IMAGES = 9
MODERATE_PERMISSION = "reviews.moderate"
# First key of this app's two-key advisory locks (an arbitrary constant of its own).
PRODUCT_LOCK_SPACE = 7_301_002


def _clean_rating(rating: Any) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidRating(fields={"rating": ["1-5"]})
    return rating


def _save_images(
    review: Review, images: Sequence[CleanImage], follow_up: ReviewFollowUp | None = None
) -> None:
    start = review.images.count()
    for index, cleaned in enumerate(images):
        ReviewImage.objects.create(
            review=review, follow_up=follow_up, image=cleaned.content, position=start + index
        )


def create_review(
    *,
    user: Any,
    order_no: str,
    line_id: int,
    rating: int,
    text: str = "",
    anonymous: bool = False,
    images: Sequence[Any] = (),
) -> Review:
    from shopops.orders import selectors as order_selectors

    rating = _clean_rating(rating)
    text = plain_text(text, max_length=MAX_TEXT)
    order = order_selectors.my_order(user, order_no)  # someone else's order: 404
    line = order_selectors.order_line(order, line_id)  # a line of another order: 404
    if order.status != "completed" or line.product_id is None:
        raise NotABuyer(order_no=order.number, status=order.status)
    deadline = selectors.review_deadline(order)
    if deadline is not None and timezone.now() > deadline:
        raise ReviewWindowClosed(order_no=order.number, deadline=deadline)
    if Review.objects.filter(order_line_id=line.id).exists():
        raise AlreadyReviewed(line_id=line.id)
    cleaned = clean_images(list(images), max_count=MAX_IMAGES)  # checked before any write
    try:
        with transaction.atomic():
            review = Review.objects.create(
                order_line=line,
                order=order,
                product_id=line.product_id,
                shop_id=order.shop_id,
                user=user,
                rating=rating,
                text=text,
                is_anonymous=bool(anonymous),
                sku_label=line.sku_label,
            )
            _save_images(review, cleaned)
            recompute_summary(product_id=review.product_id)
    except IntegrityError as exc:
        # Two submits of the same line raced past the check above: the unique line wins once.
        if Review.objects.filter(order_line_id=line.id).exists():
            raise AlreadyReviewed(line_id=line.id) from exc
        raise
    return review


def add_follow_up(*, user: Any, review_id: int, text: str, images: Sequence[Any] = ()) -> ReviewFollowUp:
    review = selectors.my_review(user, review_id)  # someone else's review: 404
    text = plain_text(text, max_length=MAX_TEXT)
    if not text:
        raise TextRequired(fields={"text": ["required"]})
    if ReviewFollowUp.objects.filter(review=review).exists():
        raise FollowUpExists(review_id=review.pk)
    if timezone.now() > selectors.follow_up_deadline(review):
        raise ReviewWindowClosed(review_id=review.pk)
    cleaned = clean_images(list(images), max_count=MAX_IMAGES)
    try:
        with transaction.atomic():
            follow_up = ReviewFollowUp.objects.create(review=review, text=text)
            _save_images(review, cleaned, follow_up)
    except IntegrityError as exc:
        raise FollowUpExists(review_id=review.pk) from exc
    return follow_up


def _ensure_moderator(actor: Any, review: Review) -> None:
    from shopops.shops.selectors import has_shop_perm

    if not has_shop_perm(actor, review.shop_id, MODERATE_PERMISSION):
        raise PermissionDenied(permission=MODERATE_PERMISSION)


@transaction.atomic
def reply(*, review: Review, actor: Any, text: str) -> Review:
    _ensure_moderator(actor, review)
    text = plain_text(text, max_length=MAX_REPLY)
    if not text:
        raise TextRequired(fields={"text": ["required"]})
    now = timezone.now()
    # One conditional UPDATE: of two concurrent replies exactly one finds the review unanswered.
    updated = Review.objects.filter(pk=review.pk, replied_at__isnull=True).update(
        reply_text=text, replied_by=actor, replied_at=now, updated_at=now
    )
    if not updated:
        raise AlreadyReplied(review_id=review.pk)
    audit.record(
        actor=actor, action="reviews.reply", obj=review, shop_id=review.shop_id, after={"text": text}
    )
    review.refresh_from_db()
    return review


@transaction.atomic
def hide(*, review: Review, actor: Any, reason: str) -> Review:
    _ensure_moderator(actor, review)
    reason = plain_text(reason, max_length=MAX_REASON, multiline=False)
    if not reason:
        raise TextRequired("请填写隐藏原因 / A reason is required", fields={"reason": ["required"]})
    now = timezone.now()
    updated = Review.objects.filter(pk=review.pk, status=ReviewStatus.VISIBLE).update(
        status=ReviewStatus.HIDDEN, hidden_reason=reason, hidden_by=actor, hidden_at=now, updated_at=now
    )
    if not updated:
        raise AlreadyHidden(review_id=review.pk)
    recompute_summary(product_id=review.product_id)
    audit.record(
        actor=actor,
        action="reviews.hide",
        obj=review,
        shop_id=review.shop_id,
        reason=reason,
        after={"status": "hidden"},
    )
    review.refresh_from_db()
    return review


@transaction.atomic
def unhide(*, review: Review, actor: Any) -> Review:
    _ensure_moderator(actor, review)
    now = timezone.now()
    updated = Review.objects.filter(pk=review.pk, status=ReviewStatus.HIDDEN).update(
        status=ReviewStatus.VISIBLE, hidden_reason="", hidden_by=None, hidden_at=None, updated_at=now
    )
    if not updated:
        raise NotHidden(review_id=review.pk)
    recompute_summary(product_id=review.product_id)
    audit.record(
        actor=actor, action="reviews.unhide", obj=review, shop_id=review.shop_id, after={"status": "visible"}
    )
    review.refresh_from_db()
    return review


def _serialise_product(product_id: int) -> None:
    """Summary recomputes of one product run one at a time until their transaction ends: the second
    waits, then its aggregate sees the first's committed review, so the last write is never stale."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PRODUCT_LOCK_SPACE, product_id])


@transaction.atomic
def recompute_summary(*, product_id: int) -> selectors.Summary:
    from shopops.catalog import services as catalog_services

    _serialise_product(product_id)
    summary = selectors.product_summary(product_id)
    catalog_services.record_review_summary(
        product_id=product_id, rating_avg=summary.average, rating_count=summary.count
    )
    return summary
