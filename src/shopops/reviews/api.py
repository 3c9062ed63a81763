"""Reviews API (/api/v1/reviews).

Anyone:   GET /products/{product_id}/reviews (visible only) · GET /products/{product_id}/summary
Shopper:  GET /pending (lines waiting for a review) · POST /reviews (multipart: fields + images)
          GET /mine · POST /mine/{review_id}/follow-up (multipart)
Staff (reviews.moderate in the review's shop; another shop's review is 404):
          GET /shops/{shop_id}/reviews · POST /shops/{shop_id}/reviews/{review_id}/reply | hide | unhide
"""

# No `from __future__ import annotations`: the public endpoints below are handed to ninja undecorated
# (behind paginate), and ninja resolves string annotations in the wrapper's module, not this one.
from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from shopops.accounts.auth import api_auth
from shopops.core.pagination import PageNumberPagination
from shopops.reviews import selectors, services
from shopops.reviews.models import Review, ReviewImage
from shopops.shops.access import public, shop_permission, signed_in

router = Router(tags=["reviews"], auth=api_auth)

MODERATE = "reviews.moderate"
OWN = "A shopper's own purchases and reviews only; anyone else's answer 404."
PUBLIC_READS = "Visible reviews are public on the product page; hidden ones never leave here."


class ImageOut(Schema):
    url: str
    width: int
    height: int
    follow_up: bool

    @staticmethod
    def resolve_url(obj: ReviewImage) -> str:
        return obj.image.url

    @staticmethod
    def resolve_follow_up(obj: ReviewImage) -> bool:
        return obj.follow_up_id is not None


class FollowUpOut(Schema):
    text: str
    created_at: datetime


class ReviewOut(Schema):
    id: int
    product_id: int
    author: str
    rating: int
    text: str
    sku_label: str
    images: list[ImageOut]
    follow_up: FollowUpOut | None
    reply_text: str
    replied_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Review) -> str:
        return obj.display_name

    @staticmethod
    def resolve_images(obj: Review) -> list[ReviewImage]:
        return list(obj.images.all())

    @staticmethod
    def resolve_follow_up(obj: Review):
        return getattr(obj, "follow_up", None)


class MyReviewOut(ReviewOut):
    order_no: str
    status: str
    hidden_reason: str

    @staticmethod
    def resolve_order_no(obj: Review) -> str:
        return obj.order.number


class ShopReviewOut(MyReviewOut):
    product_title: str
    hidden_at: datetime | None

    @staticmethod
    def resolve_product_title(obj: Review) -> str:
        return obj.product.title


class SummaryOut(Schema):
    product_id: int
    count: int
    average: Decimal
    positive_rate: float
    distribution: dict[int, int]


class PendingLineOut(Schema):
    order_no: str
    line_id: int
    product_id: int | None
    title: str
    sku_label: str
    image_url: str
    completed_at: datetime | None

    @staticmethod
    def resolve_order_no(obj) -> str:
        return obj.order.number

    @staticmethod
    def resolve_line_id(obj) -> int:
        return obj.id

    @staticmethod
    def resolve_completed_at(obj) -> datetime | None:
        return obj.order.completed_at


class ReviewIn(Schema):
    order_no: str = Field(..., min_length=1, max_length=32)
    line_id: int = Field(..., ge=1)
    rating: int = Field(..., ge=1, le=5)
    text: str = Field("", max_length=4000)
    anonymous: bool = False


class TextIn(Schema):
    text: str = Field(..., min_length=1, max_length=4000)


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=255)


class ProductReviewFilter(Schema):
    rating: int | None = Field(None, ge=1, le=5)
    with_images: bool = False


class ShopReviewFilter(Schema):
    status: str | None = Field(None, max_length=12)
    rating: int | None = Field(None, ge=1, le=5)
    replied: bool | None = None
    q: str = Field("", max_length=64)


# --- public -------------------------------------------------------------------------------------------


@router.get(
    "/products/{int:product_id}/reviews", response=list[ReviewOut], auth=None, summary="A product's reviews"
)
@paginate(PageNumberPagination)
@public(PUBLIC_READS)
def product_reviews(request: HttpRequest, product_id: int, filters: Query[ProductReviewFilter]):
    return selectors.product_reviews(product_id, rating=filters.rating, with_images=filters.with_images)


@router.get(
    "/products/{int:product_id}/summary", response=SummaryOut, auth=None, summary="A product's rating summary"
)
@public(PUBLIC_READS)
def product_summary(request: HttpRequest, product_id: int):
    return selectors.product_summary(product_id)


# --- shopper ------------------------------------------------------------------------------------------


@router.get("/pending", response=list[PendingLineOut], summary="My purchases waiting for a review")
@signed_in(OWN)
def pending(request: HttpRequest):
    return selectors.reviewable_lines(request.auth)


@router.post("/reviews", response={201: MyReviewOut}, summary="Review a purchased item (multipart, images)")
@signed_in(OWN)
def create_review(request: HttpRequest, payload: Form[ReviewIn], images: File[list[UploadedFile]] = None):
    review = services.create_review(user=request.auth, images=images or [], **payload.dict())
    return Status(201, selectors.my_review(request.auth, review.pk))


@router.get("/mine", response=list[MyReviewOut], summary="My reviews")
@paginate(PageNumberPagination)
@signed_in(OWN)
def my_reviews(request: HttpRequest):
    return selectors.my_reviews(request.auth)


@router.post("/mine/{int:review_id}/follow-up", response={201: MyReviewOut}, summary="Add my one follow-up")
@signed_in(OWN)
def follow_up(
    request: HttpRequest, review_id: int, payload: Form[TextIn], images: File[list[UploadedFile]] = None
):
    services.add_follow_up(user=request.auth, review_id=review_id, text=payload.text, images=images or [])
    return Status(201, selectors.my_review(request.auth, review_id))


# --- staff --------------------------------------------------------------------------------------------


@router.get("/shops/{int:shop_id}/reviews", response=list[ShopReviewOut], summary="The shop's reviews")
@paginate(PageNumberPagination)
@shop_permission(MODERATE)
def shop_reviews(request: HttpRequest, shop_id: int, filters: Query[ShopReviewFilter]):
    return selectors.shop_reviews(shop_ids=[shop_id], **filters.dict())


@router.post(
    "/shops/{int:shop_id}/reviews/{int:review_id}/reply", response=ShopReviewOut, summary="Reply once"
)
@shop_permission(MODERATE)
def reply(request: HttpRequest, shop_id: int, review_id: int, payload: TextIn):
    services.reply(review=selectors.shop_review(shop_id, review_id), actor=request.auth, text=payload.text)
    return selectors.shop_review(shop_id, review_id)


@router.post("/shops/{int:shop_id}/reviews/{int:review_id}/hide", response=ShopReviewOut, summary="Hide")
@shop_permission(MODERATE)
def hide(request: HttpRequest, shop_id: int, review_id: int, payload: ReasonIn):
    services.hide(review=selectors.shop_review(shop_id, review_id), actor=request.auth, reason=payload.reason)
    return selectors.shop_review(shop_id, review_id)


@router.post(
    "/shops/{int:shop_id}/reviews/{int:review_id}/unhide", response=ShopReviewOut, summary="Show again"
)
@shop_permission(MODERATE)
def unhide(request: HttpRequest, shop_id: int, review_id: int):
    services.unhide(review=selectors.shop_review(shop_id, review_id), actor=request.auth)
    return selectors.shop_review(shop_id, review_id)
