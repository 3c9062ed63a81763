"""Storefront pages of reviews: reviewing a completed order, my reviews with the one follow-up,
and a product's reviews with its rating summary (public)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shopops.core.errors import DomainError, NotFound
from shopops.reviews import selectors, services

PAGE_SIZE = 10


@login_required
@require_http_methods(["GET", "POST"])
def review_order(request: HttpRequest, order_no: str) -> HttpResponse:
    from shopops.orders import selectors as order_selectors

    try:
        order = order_selectors.my_order(request.user, order_no)
    except NotFound as exc:
        raise Http404 from exc
    error = ""
    if request.method == "POST":
        try:
            services.create_review(
                user=request.user,
                order_no=order.number,
                line_id=int(request.POST.get("line_id") or 0),
                rating=int(request.POST.get("rating") or 0),
                text=request.POST.get("text", ""),
                anonymous=request.POST.get("anonymous") == "on",
                images=request.FILES.getlist("images"),
            )
        except (DomainError, ValueError) as exc:
            error = str(getattr(exc, "message", _("请选择 1-5 星评分")))
        else:
            messages.success(request, _("评价已发布，感谢您的分享"))
            return redirect("reviews:new", order_no=order.number)
    pending = selectors.reviewable_lines(request.user, order=order)
    reviewed = selectors.my_reviews(request.user).filter(order=order)
    return render(
        request,
        "reviews/review_order.html",
        {"order": order, "pending": pending, "reviewed": reviewed, "error": error, "section": "reviews"},
        status=422 if error else 200,
    )


@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_reviews(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/my_reviews.html",
        {"page": page, "pending": selectors.reviewable_lines(request.user), "section": "reviews"},
    )


@login_required
@require_POST
def follow_up(request: HttpRequest, review_id: int) -> HttpResponse:
    try:
        services.add_follow_up(
            user=request.user,
            review_id=review_id,
            text=request.POST.get("text", ""),
            images=request.FILES.getlist("images"),
        )
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("追评已发布"))
    return redirect("reviews:mine")


def product_reviews(request: HttpRequest, product_id: int) -> HttpResponse:
    from shopops.catalog import selectors as catalog_selectors

    try:
        product = catalog_selectors.public_product(product_id)  # on sale, of a trading shop
    except NotFound as exc:
        raise Http404 from exc
    try:
        rating = int(request.GET.get("rating") or 0) or None
    except ValueError:
        rating = None
    with_images = request.GET.get("images") == "1"
    reviews = selectors.product_reviews(product_id, rating=rating, with_images=with_images)
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    summary = selectors.product_summary(product_id)
    bars = [
        (star, count, round(count * 100 / summary.count) if summary.count else 0)
        for star, count in summary.distribution.items()
    ]
    return render(
        request,
        "reviews/product_reviews.html",
        {
            "product": product,
            "page": page,
            "summary": summary,
            "bars": bars,
            "rating": rating,
            "with_images": with_images,
        },
    )
