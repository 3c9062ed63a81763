"""Operator console page of reviews (/console/reviews/): moderation and the shop's one reply."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shopops.aftersales import consolekit as kit
from shopops.core.errors import DomainError, NotFound
from shopops.reviews import selectors, services
from shopops.reviews.models import Review, ReviewStatus

PERM = "reviews.moderate"
PAGE_SIZE = 20


def review_list(request: HttpRequest) -> HttpResponse:
    ids, denied = kit.gate(request, PERM)
    if denied:
        return denied
    shop_id = kit.chosen_shop(request, ids)
    status = request.GET.get("status") or ""
    status = status if status in ReviewStatus.values else ""
    try:
        rating = int(request.GET.get("rating") or 0) or None
    except ValueError:
        rating = None
    replied = {"1": True, "0": False}.get(request.GET.get("replied", ""))
    reviews = selectors.shop_reviews(
        shop_ids=[shop_id] if shop_id else ids,
        status=status or None,
        rating=rating,
        replied=replied,
        q=request.GET.get("q", ""),
    )
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/console/list.html",
        kit.context(
            request,
            title=_("评价管理"),
            page=page,
            shops=kit.shops_for(ids),
            shop_id=shop_id,
            statuses=ReviewStatus.choices,
            filters=request.GET,
            query=kit.query_without(request),
        ),
    )


@require_POST
def act(request: HttpRequest, review_id: int) -> HttpResponse:
    ids, _denied = kit.gate(request, PERM)
    shop_id = Review.objects.filter(pk=review_id).values_list("shop_id", flat=True).first()
    if shop_id is None:
        raise Http404
    kit.ensure_visible(ids, shop_id)
    try:
        review = selectors.shop_review(shop_id, review_id)
    except NotFound as exc:
        raise Http404 from exc
    action, user = request.POST.get("action", ""), request.user
    try:
        if action == "reply":
            services.reply(review=review, actor=user, text=request.POST.get("text", ""))
        elif action == "hide":
            services.hide(review=review, actor=user, reason=request.POST.get("reason", ""))
        elif action == "unhide":
            services.unhide(review=review, actor=user)
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("操作成功"))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or "reviews_console:list")
