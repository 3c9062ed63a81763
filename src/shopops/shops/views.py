"""The page an invitation email links to: see what you are invited to, then accept it.

Mounted by shopops/urls.py under /shops/, giving /shops/invitations/accept/?token=...
(services.accept_url builds that link with reverse(), so the mount point may move).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shopops.core.errors import DomainError
from shopops.shops import services
from shopops.shops.models import Invitation, InvitationStatus


def _pending_invitation(token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return (
        Invitation.objects.select_related("shop", "invited_by")
        .prefetch_related("roles")
        .filter(token_hash=services.hash_token(token.strip()))
        .first()
    )


@login_required
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest) -> HttpResponse:
    token = (request.POST.get("token") if request.method == "POST" else request.GET.get("token")) or ""
    if request.method == "POST":
        try:
            membership = services.accept_invitation(user=request.user, token=token, request=request)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect(f"{request.path}?{urlencode({'token': token})}" if token else request.path)
        messages.success(
            request, f"已加入「{membership.shop.name}」 / You have joined {membership.shop.name}"
        )
        return redirect("admin:index")
    invitation = _pending_invitation(token)
    problem = None
    if invitation is None:
        problem = "邀请链接无效 / This invitation link is not valid"
    elif invitation.status == InvitationStatus.ACCEPTED:
        problem = "邀请已被使用 / This invitation has already been used"
    elif invitation.status == InvitationStatus.REVOKED:
        problem = "邀请已被撤销 / This invitation has been revoked"
    elif invitation.expires_at <= timezone.now():
        problem = "邀请已过期，请联系店铺重新邀请 / This invitation has expired"
    context = {"invitation": None if problem else invitation, "problem": problem, "token": token}
    return render(request, "shops/accept_invitation.html", context, status=404 if invitation is None else 200)
