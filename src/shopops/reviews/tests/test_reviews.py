"""Reviews: who may write them, once, the shop's one reply, moderation and the product's rating."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from shopops.catalog.models import Product
from shopops.core.errors import DomainError
from shopops.orders.models import OrderStatus
from shopops.reviews import services
from shopops.reviews.models import Review, ReviewFollowUp
from shopops.reviews.tests.factories import completed_purchase, png, review_of
from shopops.shops.permissions import ANALYST, CUSTOMER_SERVICE, MERCHANT_STAFF
from shopops.shops.tests.factories import api_as, make_member, make_user

pytestmark = pytest.mark.django_db


def _post_review(client, order, line, **fields):
    data = {"order_no": order.number, "line_id": line.id, "rating": 5, "text": "好"}
    data.update(fields)
    client.force_login(order.user, backend="shopops.accounts.backends.IdentifierBackend")
    return client.post("/api/v1/reviews/reviews", data)


def _moderator(shop):
    return make_member(shop, CUSTOMER_SERVICE).user


def test_a_buyer_reviews_a_completed_line_with_photos(client):
    order, line = completed_purchase()
    response = _post_review(
        client,
        order,
        line,
        rating=4,
        text="<script>x()</script>质量不错<b>!</b>",
        images=[png(), png("b.png")],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rating"] == 4
    assert body["text"] == "质量不错!"
    assert len(body["images"]) == 2
    product = Product.objects.get(pk=line.product_id)
    assert (product.rating_avg, product.rating_count) == (Decimal("4.00"), 1)


def test_someone_who_did_not_buy_cannot_review(client):
    order, line = completed_purchase()
    stranger = make_user()
    response = api_as(client, stranger)
    client.force_login(stranger, backend="shopops.accounts.backends.IdentifierBackend")
    data = {"order_no": order.number, "line_id": line.id, "rating": 1, "text": "差"}
    assert client.post("/api/v1/reviews/reviews", data).status_code == 404
    assert response.get(f"/reviews/products/{line.product_id}/reviews").json()["count"] == 0
    assert not Review.objects.exists()


def test_a_buyer_whose_order_is_not_completed_cannot_review_yet(client):
    order, line = completed_purchase(status=OrderStatus.DELIVERED)
    response = _post_review(client, order, line)
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_buyer"


def test_a_line_is_reviewed_once(client):
    order, line = completed_purchase()
    assert _post_review(client, order, line).status_code == 201
    again = _post_review(client, order, line)
    assert again.status_code == 409
    assert again.json()["code"] == "already_reviewed"


def test_ratings_outside_one_to_five_and_bad_images_are_refused(client):
    order, line = completed_purchase()
    assert _post_review(client, order, line, rating=6).status_code == 422
    assert _post_review(client, order, line, rating=0).status_code == 422
    fake = SimpleUploadedFile("x.png", b"<?php echo 1; ?>", content_type="image/png")
    response = _post_review(client, order, line, images=[fake])
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_image"
    assert (
        _post_review(client, order, line, images=[png() for _ in range(10)]).json()["code"]
        == "too_many_images"
    )
    assert not Review.objects.exists()


def test_an_image_over_the_size_limit_is_refused(client, settings):
    settings.UPLOAD_IMAGE_MAX_BYTES = 500
    order, line = completed_purchase()
    response = _post_review(client, order, line, images=[png(size=(400, 400), fmt="JPEG", name="a.jpg")])
    assert response.json()["code"] == "image_too_large"


def test_one_follow_up_per_review(client):
    order, line = completed_purchase()
    review = review_of(order, line)
    shopper = api_as(client, order.user)
    first = client.post(f"/api/v1/reviews/mine/{review.pk}/follow-up", {"text": "用了一个月，依然很好"})
    assert first.status_code == 201, first.content
    assert first.json()["follow_up"]["text"] == "用了一个月，依然很好"
    second = client.post(f"/api/v1/reviews/mine/{review.pk}/follow-up", {"text": "再追一次"})
    assert second.status_code == 409
    assert second.json()["code"] == "follow_up_exists"
    assert ReviewFollowUp.objects.count() == 1
    assert shopper  # signed in as the buyer throughout


def test_nobody_else_can_follow_up_on_a_review(client):
    order, line = completed_purchase()
    review = review_of(order, line)
    api_as(client, make_user())
    assert client.post(f"/api/v1/reviews/mine/{review.pk}/follow-up", {"text": "冒充"}).status_code == 404


def test_the_shop_replies_once(client):
    order, line = completed_purchase()
    review = review_of(order, line)
    staff = api_as(client, _moderator(order.shop))
    url = f"/reviews/shops/{order.shop_id}/reviews/{review.pk}/reply"
    assert staff.post(url, {"text": "感谢支持！"}).json()["reply_text"] == "感谢支持！"
    again = staff.post(url, {"text": "再次感谢"})
    assert again.status_code == 409
    assert again.json()["code"] == "already_replied"
    review.refresh_from_db()
    assert review.reply_text == "感谢支持！"


def test_concurrent_replies_leave_exactly_one(transactional_db, roles):
    order, line = completed_purchase()
    review = review_of(order, line)
    moderators = [_moderator(order.shop) for _ in range(4)]
    barrier = Barrier(len(moderators))

    def answer(user) -> str:
        try:
            barrier.wait(timeout=10)
            services.reply(review=Review.objects.get(pk=review.pk), actor=user, text=f"回复 {user.pk}")
            return "ok"
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(moderators)) as pool:
        results = list(pool.map(answer, moderators))
    assert sorted(results) == ["already_replied"] * 3 + ["ok"]


def test_hiding_a_review_takes_it_out_of_the_summary_and_unhiding_puts_it_back(client):
    order, line = completed_purchase()
    product = line.product
    review_of(order, line, rating=1, text="垃圾")
    other_order, other_line = completed_purchase(order.shop, product=product)
    review_of(other_order, other_line, rating=5)
    product.refresh_from_db()
    assert (product.rating_avg, product.rating_count) == (Decimal("3.00"), 2)

    staff = api_as(client, _moderator(order.shop))
    bad = Review.objects.get(rating=1)
    url = f"/reviews/shops/{order.shop_id}/reviews/{bad.pk}"
    assert staff.post(f"{url}/hide", {"reason": " "}).status_code == 422
    hidden = staff.post(f"{url}/hide", {"reason": "辱骂性内容"})
    assert hidden.json()["status"] == "hidden"
    product.refresh_from_db()
    assert (product.rating_avg, product.rating_count) == (Decimal("5.00"), 1)
    public = api_as(client).get(f"/reviews/products/{product.pk}/reviews").json()
    assert [r["rating"] for r in public["items"]] == [5]
    summary = api_as(client).get(f"/reviews/products/{product.pk}/summary").json()
    assert summary["count"] == 1 and summary["distribution"]["1"] == 0

    staff = api_as(client, _moderator(order.shop))
    assert staff.post(f"{url}/hide", {"reason": "again"}).json()["code"] == "already_hidden"
    assert staff.post(f"{url}/unhide").json()["status"] == "visible"
    product.refresh_from_db()
    assert (product.rating_avg, product.rating_count) == (Decimal("3.00"), 2)


def test_the_summary_is_recomputed_not_incremented(client):
    order, line = completed_purchase()
    product = line.product
    Product.objects.filter(pk=product.pk).update(rating_avg=Decimal("1.00"), rating_count=99)  # drifted
    review_of(order, line, rating=4)
    product.refresh_from_db()
    assert (product.rating_avg, product.rating_count) == (Decimal("4.00"), 1)


def test_concurrent_reviews_of_one_product_keep_the_summary_exact(transactional_db, roles):
    first_order, first_line = completed_purchase()
    product = first_line.product
    purchases = [(first_order, first_line)] + [
        completed_purchase(first_order.shop, product=product) for _ in range(4)
    ]
    barrier = Barrier(len(purchases))

    def write(args) -> None:
        (order, line), rating = args
        try:
            barrier.wait(timeout=10)
            review_of(order, line, rating=rating)
        finally:
            connection.close()

    ratings = [5, 4, 4, 2, 1]
    with ThreadPoolExecutor(max_workers=len(purchases)) as pool:
        list(pool.map(write, zip(purchases, ratings, strict=True)))
    product.refresh_from_db()
    assert product.rating_count == 5
    assert product.rating_avg == Decimal("3.20")


def test_moderation_needs_the_permission_of_the_reviews_shop(client):
    order, line = completed_purchase()
    review = review_of(order, line)
    analyst = api_as(client, make_member(order.shop, ANALYST).user)
    url = f"/reviews/shops/{order.shop_id}/reviews/{review.pk}/hide"
    assert analyst.post(url, {"reason": "x"}).status_code == 403
    other_order, _ = completed_purchase()
    outsider = api_as(client, make_member(other_order.shop, MERCHANT_STAFF).user)
    assert (
        outsider.post(
            f"/reviews/shops/{other_order.shop_id}/reviews/{review.pk}/hide", {"reason": "x"}
        ).status_code
        == 404
    )
    review.refresh_from_db()
    assert review.status == "visible"


def test_anonymous_reviews_hide_the_name(client):
    order, line = completed_purchase()
    review_of(order, line, anonymous=True)
    item = api_as(client).get(f"/reviews/products/{line.product_id}/reviews").json()["items"][0]
    assert item["author"] == "匿名用户"


def test_pending_lists_what_the_shopper_can_still_review(client):
    order, line = completed_purchase()
    shopper = api_as(client, order.user)
    assert [p["line_id"] for p in shopper.get("/reviews/pending").json()] == [line.id]
    review_of(order, line)
    assert shopper.get("/reviews/pending").json() == []
