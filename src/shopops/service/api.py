"""Customer-service API (/api/v1/service).

Shopper (signed in; only their own tickets, anyone else's is 404):
    POST /tickets (multipart: fields + optional image) · GET /tickets · GET /tickets/{number}
    POST /tickets/{number}/messages (multipart) · POST /tickets/{number}/close
Staff (service.manage in the ticket's shop; another shop's ticket is 404):
    GET /shops/{shop_id}/tickets (overdue first) · GET /shops/{shop_id}/tickets/counts
    GET /shops/{shop_id}/tickets/{number}
    POST /shops/{shop_id}/tickets/{number}/messages | assign | priority | resolve | close
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from shopops.accounts.auth import api_auth
from shopops.core.masking import mask_name
from shopops.core.pagination import PageNumberPagination
from shopops.service import selectors, services
from shopops.service.models import Ticket, TicketMessage
from shopops.shops.access import shop_permission, signed_in

router = Router(tags=["service"], auth=api_auth)

MANAGE = "service.manage"
OWN = "A shopper's own tickets and orders only; anyone else's answer 404."
SHOP = "/shops/{int:shop_id}/tickets"

PriorityLiteral = Literal["low", "normal", "high", "urgent"]


class MessageOut(Schema):
    id: int
    author_role: str
    author: str
    body: str
    attachment_url: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: TicketMessage) -> str:
        if obj.author_role == "staff":
            return "客服"
        if obj.author_role == "system":
            return "系统"
        return mask_name(str(getattr(obj.author, "label", "") or "")) if obj.author else ""

    @staticmethod
    def resolve_attachment_url(obj: TicketMessage) -> str:
        return obj.attachment.url if obj.attachment else ""


class TicketOut(Schema):
    number: str
    shop_id: int
    shop_name: str
    order_no: str
    kind: str
    subject: str
    status: str
    status_label: str
    priority: str
    sla_due_at: datetime | None
    is_overdue: bool
    last_message_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_shop_name(obj: Ticket) -> str:
        return obj.shop.name

    @staticmethod
    def resolve_order_no(obj: Ticket) -> str:
        return obj.order.number if obj.order_id else ""

    @staticmethod
    def resolve_status_label(obj: Ticket) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_is_overdue(obj: Ticket) -> bool:
        return obj.is_overdue or obj.is_past_due


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(obj: Ticket) -> list[TicketMessage]:
        return selectors.thread(obj)


class ShopTicketOut(TicketOut):
    customer: str
    assignee_id: int | None
    assignee: str
    first_response_at: datetime | None

    @staticmethod
    def resolve_customer(obj: Ticket) -> str:
        return mask_name(str(getattr(obj.user, "label", "") or obj.user.get_username()))

    @staticmethod
    def resolve_assignee(obj: Ticket) -> str:
        return obj.assignee.get_username() if obj.assignee_id else ""


class ShopTicketDetailOut(ShopTicketOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(obj: Ticket) -> list[TicketMessage]:
        return selectors.thread(obj)


class TicketIn(Schema):
    kind: Literal["consultation", "complaint"]
    subject: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=4000)
    shop_id: int | None = Field(None, ge=1)
    order_no: str | None = Field(None, max_length=32)


class MessageIn(Schema):
    body: str = Field(..., min_length=1, max_length=4000)


def _message_input(request: HttpRequest) -> tuple[str, UploadedFile | None]:
    """A message comes as JSON {"body": ...} or as a multipart form with an optional image
    ("attachment"). Read here, after the permission check, so both shapes share one endpoint."""
    import json

    from pydantic import ValidationError

    from shopops.core.errors import InvalidInput, validation_details

    if (request.content_type or "").startswith("application/json"):
        try:
            data = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise InvalidInput(code="invalid_json") from exc
        attachment = None
    else:
        data, attachment = request.POST.dict(), request.FILES.get("attachment")
    try:
        payload = MessageIn.model_validate(data if isinstance(data, dict) else {})
    except ValidationError as exc:
        raise InvalidInput("输入校验失败 / Validation failed", **validation_details(exc.errors())) from exc
    return payload.body, attachment


class AssignIn(Schema):
    assignee_id: int | None = Field(None, ge=1)


class PriorityIn(Schema):
    priority: PriorityLiteral


class NoteIn(Schema):
    note: str = Field("", max_length=255)


class MyTicketFilter(Schema):
    status: str | None = Field(None, max_length=20)


class ShopTicketFilter(Schema):
    status: str | None = Field(None, max_length=20)
    priority: PriorityLiteral | None = None
    overdue: bool | None = None
    assignee_id: int | None = Field(None, ge=0)
    q: str = Field("", max_length=64)


class CountsOut(Schema):
    open: int
    pending_customer: int
    overdue: int


# --- shopper ------------------------------------------------------------------------------------------


@router.post("/tickets", response={201: TicketDetailOut}, summary="Open a ticket (multipart, optional image)")
@signed_in(OWN)
def open_ticket(request: HttpRequest, payload: Form[TicketIn], attachment: File[UploadedFile] = None):
    ticket = services.open_ticket(user=request.auth, attachment=attachment, **payload.dict())
    return Status(201, selectors.my_ticket(request.auth, ticket.number))


@router.get("/tickets", response=list[TicketOut], summary="My tickets")
@paginate(PageNumberPagination)
@signed_in(OWN)
def my_tickets(request: HttpRequest, filters: Query[MyTicketFilter]):
    return selectors.my_tickets(request.auth, status=filters.status)


@router.get("/tickets/{number}", response=TicketDetailOut, summary="One of my tickets with its messages")
@signed_in(OWN)
def my_ticket(request: HttpRequest, number: str):
    return selectors.my_ticket(request.auth, number)


@router.post("/tickets/{number}/messages", response={201: TicketDetailOut}, summary="Write to the shop")
@signed_in(OWN)
def my_message(
    request: HttpRequest, number: str, payload: Form[MessageIn], attachment: File[UploadedFile] = None
):
    ticket = selectors.my_ticket(request.auth, number)
    services.post_message(ticket=ticket, author=request.auth, body=payload.body, attachment=attachment)
    return Status(201, selectors.my_ticket(request.auth, number))


@router.post("/tickets/{number}/close", response=TicketDetailOut, summary="Close my ticket")
@signed_in(OWN)
def close_my_ticket(request: HttpRequest, number: str):
    services.close(ticket=selectors.my_ticket(request.auth, number), actor=request.auth)
    return selectors.my_ticket(request.auth, number)


# --- staff --------------------------------------------------------------------------------------------


@router.get(SHOP, response=list[ShopTicketOut], summary="The shop's ticket queue, overdue first")
@paginate(PageNumberPagination)
@shop_permission(MANAGE)
def shop_tickets(request: HttpRequest, shop_id: int, filters: Query[ShopTicketFilter]):
    return selectors.shop_tickets(shop_ids=[shop_id], **filters.dict())


@router.get(f"{SHOP}/counts", response=CountsOut, summary="Open, waiting and overdue tickets")
@shop_permission(MANAGE)
def ticket_counts(request: HttpRequest, shop_id: int):
    return selectors.queue_counts([shop_id])


@router.get(f"{SHOP}/{{number}}", response=ShopTicketDetailOut, summary="One ticket of the shop")
@shop_permission(MANAGE)
def shop_ticket(request: HttpRequest, shop_id: int, number: str):
    return selectors.shop_ticket(shop_id, number)


@router.post(
    f"{SHOP}/{{number}}/messages",
    response={201: ShopTicketDetailOut},
    summary="Reply (JSON {body}, or multipart with an optional image 'attachment')",
)
@shop_permission(MANAGE)
def staff_message(request: HttpRequest, shop_id: int, number: str):
    ticket = selectors.shop_ticket(shop_id, number)
    body, attachment = _message_input(request)
    services.post_message(ticket=ticket, author=request.auth, body=body, attachment=attachment)
    return Status(201, selectors.shop_ticket(shop_id, number))


@router.post(f"{SHOP}/{{number}}/assign", response=ShopTicketDetailOut, summary="Assign to a colleague")
@shop_permission(MANAGE)
def assign(request: HttpRequest, shop_id: int, number: str, payload: AssignIn):
    services.assign(
        ticket=selectors.shop_ticket(shop_id, number), actor=request.auth, assignee_id=payload.assignee_id
    )
    return selectors.shop_ticket(shop_id, number)


@router.post(f"{SHOP}/{{number}}/priority", response=ShopTicketDetailOut, summary="Change the priority")
@shop_permission(MANAGE)
def priority(request: HttpRequest, shop_id: int, number: str, payload: PriorityIn):
    services.set_priority(
        ticket=selectors.shop_ticket(shop_id, number), actor=request.auth, priority=payload.priority
    )
    return selectors.shop_ticket(shop_id, number)


@router.post(f"{SHOP}/{{number}}/resolve", response=ShopTicketDetailOut, summary="Mark resolved")
@shop_permission(MANAGE)
def resolve(request: HttpRequest, shop_id: int, number: str, payload: NoteIn):
    services.resolve(ticket=selectors.shop_ticket(shop_id, number), actor=request.auth, note=payload.note)
    return selectors.shop_ticket(shop_id, number)


@router.post(f"{SHOP}/{{number}}/close", response=ShopTicketDetailOut, summary="Close")
@shop_permission(MANAGE)
def close(request: HttpRequest, shop_id: int, number: str, payload: NoteIn):
    services.close(ticket=selectors.shop_ticket(shop_id, number), actor=request.auth, note=payload.note)
    return selectors.shop_ticket(shop_id, number)
