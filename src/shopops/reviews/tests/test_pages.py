"""Review pages: writing reviews from an order, the product's reviews, moderation in the console."""

from __future__ import annotations

import pytest

from shopops.reviews.models import Review
from shopops.reviews.tests.factories import completed_purchase, png, review_of
from shopops.shops.permissions import CUSTOMER_SERVICE, WAREHOUSE
from shopops.shops.tests.factories import make_member, make_user

pytestmark = pytest.mark.django_db
SESSION = "shopops.accounts.backends.IdentifierBackend"


def test_the_buyer_reviews_from_the_order_page_and_the_product_page_shows_it(client, roles):
    order, line = completed_purchase()
    client.force_login(order.user, backend=SESSION)
    assert line.title in client.get(f"/reviews/new/{order.number}/").content.decode()
    response = client.post(
        f"/reviews/new/{order.number}/",
        {"line_id": line.id, "rating": "4", "text": "做工不错", "images": [png()]},
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.rating == 4 and review.images.count() == 1
    client.logout()
    page = client.get(f"/p/{line.product_id}/reviews/").content.decode()
    assert "做工不错" in page and 'id="rating-average"' in page and "4.00" in page
    client.force_login(order.user, backend=SESSION)
    client.post(f"/reviews/mine/{review.pk}/follow-up/", {"text": "一个月后依然好用"})
    assert "一个月后依然好用" in client.get("/reviews/mine/").content.decode()


def test_a_stranger_cannot_open_someone_elses_review_form(client, roles):
    order, _ = completed_purchase()
    client.force_login(make_user(), backend=SESSION)
    assert client.get(f"/reviews/new/{order.number}/").status_code == 404


def test_moderators_reply_and_hide_in_the_console(client, roles):
    order, line = completed_purchase()
    review = review_of(order, line, rating=1, text="联系我 vx123")
    moderator = make_member(order.shop, CUSTOMER_SERVICE).user
    client.force_login(moderator, backend=SESSION)
    assert "联系我 vx123" in client.get("/console/reviews/").content.decode()
    client.post(f"/console/reviews/{review.pk}/act/", {"action": "reply", "text": "您好"})
    client.post(f"/console/reviews/{review.pk}/act/", {"action": "hide", "reason": "站外引流"})
    review.refresh_from_db()
    assert review.reply_text == "您好" and review.status == "hidden"
    line.product.refresh_from_db()
    assert line.product.rating_count == 0
    client.force_login(make_member(order.shop, WAREHOUSE).user, backend=SESSION)
    assert client.get("/console/reviews/").status_code == 403
