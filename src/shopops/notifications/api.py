"""Notifications API (/api/v1/notifications): the signed-in user's own messages only.

GET  /                     my messages, newest first (?unread=true for unread only), paged
GET  /unread-count         {"unread": n} for a badge
POST /{uid}/read           mark one read (someone else's or unknown uid: 404)
POST /read-all             mark every unread one read: {"marked": n}
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from shopops.accounts.auth import api_auth
from shopops.core.pagination import PageNumberPagination
from shopops.notifications import selectors, services
from shopops.notifications.models import Notification
from shopops.shops.access import signed_in

router = Router(tags=["notifications"], auth=api_auth)

OWN = "A user's own messages only; anyone else's answer 404."


class NotificationOut(Schema):
    uid: UUID
    kind: str
    title: str
    body: str
    link: str
    read: bool
    read_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_title(obj: Notification) -> str:
        return obj.display_title

    @staticmethod
    def resolve_body(obj: Notification) -> str:
        return obj.display_body

    @staticmethod
    def resolve_read(obj: Notification) -> bool:
        return obj.is_read


class NotificationFilter(Schema):
    unread: bool = False


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


@router.get("", response=list[NotificationOut], summary="My messages")
@paginate(PageNumberPagination)
@signed_in(OWN)
def my_notifications(request: HttpRequest, filters: Query[NotificationFilter]):
    return selectors.my_notifications(request.auth, unread_only=filters.unread)


@router.get("/unread-count", response=UnreadOut, summary="How many of my messages are unread")
@signed_in(OWN)
def unread_count(request: HttpRequest):
    return {"unread": selectors.unread_count(request.auth)}


@router.post("/read-all", response=MarkedOut, summary="Mark all my messages read")
@signed_in(OWN)
def mark_all_read(request: HttpRequest):
    return {"marked": services.mark_all_read(user=request.auth)}


@router.post("/{uid}/read", response=NotificationOut, summary="Mark one of my messages read")
@signed_in(OWN)
def mark_read(request: HttpRequest, uid: str):
    return services.mark_read(user=request.auth, uid=uid)
