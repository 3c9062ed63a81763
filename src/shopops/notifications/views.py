"""Storefront pages: the message centre (我的消息) and marking messages read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shopops.notifications import selectors, services
from shopops.notifications.errors import NotificationNotFound

PAGE_SIZE = 20


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("filter") == "unread"
    page = Paginator(selectors.my_notifications(request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread": selectors.unread_count(request.user),
            "section": "notifications",
        },
    )


@login_required
@require_POST
def read(request: HttpRequest, uid: str) -> HttpResponse:
    """Mark one message read, then follow its link (the "open" button) or come back to the list."""
    try:
        notification = services.mark_read(user=request.user, uid=uid)
    except NotificationNotFound as exc:
        raise Http404 from exc
    if request.POST.get("open") and notification.link and _local(request, notification.link):
        return HttpResponseRedirect(notification.link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(user=request.user)
    return redirect("notifications:inbox")


def _local(request: HttpRequest, url: str) -> bool:
    return url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False)
