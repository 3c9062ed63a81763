"""After-sales API (/api/v1/aftersales). Thin: schemas in, services/selectors, schemas out.

Shopper (signed in; only their own requests, anyone else's is 404):
    GET  /orders/{order_no}/eligibility     the window, what each line has left, the SKUs it may exchange to
    POST /requests                          ask for a refund, a return or an exchange (optionally for
                                            another SKU of the same product at the same price)
    GET  /requests, GET /requests/{number}
    POST /requests/{number}/cancel          while still requested
    POST /requests/{number}/ship-back       the waybill of the parcel sent back
    POST /requests/{number}/confirm         exchange: the replacement arrived
Staff (aftersales.manage in the request's shop; another shop's request is 404):
    GET  /shops/{shop_id}/requests, GET /shops/{shop_id}/requests/{number}
    POST /shops/{shop_id}/requests/{number}/approve | reject | receive | refund | ship-replacement | close
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from shopops.accounts.auth import api_auth
from shopops.aftersales import selectors, services
from shopops.aftersales.models import AfterSalesEvent, AfterSalesReason, AfterSalesRequest
from shopops.aftersales.state import ACTION_LABELS, SHOPPER, STAFF, allowed_actions
from shopops.core.masking import mask_name
from shopops.core.pagination import PageNumberPagination
from shopops.shops.access import shop_permission, signed_in

router = Router(tags=["aftersales"], auth=api_auth)

MANAGE = "aftersales.manage"
OWN = "A shopper's own after-sales requests and orders only; anyone else's answer 404."
SHOP = "/shops/{int:shop_id}/requests"

KindLiteral = Literal["refund_only", "return_refund", "exchange"]
ReasonLiteral = Literal[tuple(AfterSalesReason.values)]  # type: ignore[valid-type]


# --- schemas ------------------------------------------------------------------------------------------


class LineOut(Schema):
    id: int
    title: str
    sku_label: str
    image_url: str
    unit_price: Decimal
    quantity: int
    paid_amount: Decimal
    refunded_amount: Decimal


class EventOut(Schema):
    action: str
    label: str
    from_status: str
    to_status: str
    actor_role: str
    note: str
    data: dict
    created_at: datetime

    @staticmethod
    def resolve_label(obj: AfterSalesEvent) -> str:
        return ACTION_LABELS.get(obj.action, obj.action)


class RequestOut(Schema):
    number: str
    order_no: str
    shop_id: int
    line: LineOut
    kind: str
    kind_label: str
    status: str
    status_label: str
    quantity: int
    amount: Decimal
    refunded_amount: Decimal
    reason: str
    reason_label: str
    description: str
    decision_note: str
    reject_reason: str
    return_carrier: str
    return_waybill: str
    inspection_note: str
    restocked_quantity: int
    replacement_sku_id: int | None
    replacement_sku_code: str
    replacement_sku_label: str
    replacement_carrier: str
    replacement_waybill: str
    refund_no: str
    window_ends_at: datetime
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_order_no(obj: AfterSalesRequest) -> str:
        return obj.order.number

    @staticmethod
    def resolve_line(obj: AfterSalesRequest):
        return obj.order_line

    @staticmethod
    def resolve_kind_label(obj: AfterSalesRequest) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj: AfterSalesRequest) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_reason_label(obj: AfterSalesRequest) -> str:
        return str(obj.get_reason_display())


class MyRequestDetailOut(RequestOut):
    actions: list[str]
    timeline: list[EventOut]

    @staticmethod
    def resolve_actions(obj: AfterSalesRequest) -> list[str]:
        return allowed_actions(obj, SHOPPER)

    @staticmethod
    def resolve_timeline(obj: AfterSalesRequest) -> list[AfterSalesEvent]:
        return selectors.timeline(obj)


class ShopRequestOut(RequestOut):
    buyer: str
    handled_by: str

    @staticmethod
    def resolve_buyer(obj: AfterSalesRequest) -> str:
        return mask_name(str(getattr(obj.user, "label", "") or obj.user.get_username()))

    @staticmethod
    def resolve_handled_by(obj: AfterSalesRequest) -> str:
        return obj.handled_by.get_username() if obj.handled_by else ""


class ShopRequestDetailOut(ShopRequestOut):
    actions: list[str]
    timeline: list[EventOut]

    @staticmethod
    def resolve_actions(obj: AfterSalesRequest) -> list[str]:
        return allowed_actions(obj, STAFF)

    @staticmethod
    def resolve_timeline(obj: AfterSalesRequest) -> list[AfterSalesEvent]:
        return selectors.timeline(obj)


class ExchangeOptionOut(Schema):
    sku_id: int
    code: str
    label: str
    price: Decimal
    available: int
    same_sku: bool
    allowed: bool


class LineOptionOut(Schema):
    line: LineOut
    units_left: int
    money_left: Decimal
    max_amount: Decimal
    in_progress: bool
    available: bool
    exchange_options: list[ExchangeOptionOut]

    @staticmethod
    def resolve_units_left(obj) -> int:
        return obj.room.units_left

    @staticmethod
    def resolve_money_left(obj) -> Decimal:
        return obj.room.money_left

    @staticmethod
    def resolve_in_progress(obj) -> bool:
        return obj.room.in_progress


class EligibilityOut(Schema):
    order_no: str
    open: bool
    code: str
    window_ends_at: datetime | None
    lines: list[LineOptionOut]

    @staticmethod
    def resolve_order_no(obj) -> str:
        return obj.order.number


class RequestIn(Schema):
    order_no: str = Field(..., min_length=1, max_length=32)
    line_id: int = Field(..., ge=1)
    kind: KindLiteral
    quantity: int = Field(..., ge=1, le=100_000)
    reason: ReasonLiteral
    description: str = Field("", max_length=2000)
    amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    # Exchange only: another SKU of the same product at the same price (default: the SKU bought).
    replacement_sku_id: int | None = Field(None, ge=1)


class WaybillIn(Schema):
    carrier_name: str = Field(..., min_length=1, max_length=40)
    waybill_no: str = Field(..., min_length=1, max_length=40)


class NoteIn(Schema):
    note: str = Field("", max_length=255)


class RejectIn(Schema):
    reason: str = Field(..., min_length=1, max_length=255)


class ReceiveIn(Schema):
    passed: bool
    note: str = Field("", max_length=255)
    restock: bool = True


class RequestFilter(Schema):
    status: str | None = Field(None, max_length=20)


class ShopRequestFilter(Schema):
    status: str | None = Field(None, max_length=20)
    kind: KindLiteral | None = None
    q: str = Field("", max_length=64)
    open_only: bool = False


# --- shopper ------------------------------------------------------------------------------------------


@router.get(
    "/orders/{order_no}/eligibility", response=EligibilityOut, summary="After-sales options of my order"
)
@signed_in(OWN)
def order_eligibility(request: HttpRequest, order_no: str):
    from shopops.orders import selectors as order_selectors

    return selectors.order_eligibility(order_selectors.my_order(request.auth, order_no))


@router.post("/requests", response={201: MyRequestDetailOut}, summary="Ask for a refund, return or exchange")
@signed_in(OWN)
def create_request(request: HttpRequest, payload: RequestIn):
    created = services.create_request(user=request.auth, **payload.dict())
    return Status(201, selectors.my_request(request.auth, created.number))


@router.get("/requests", response=list[RequestOut], summary="My after-sales requests")
@paginate(PageNumberPagination)
@signed_in(OWN)
def my_requests(request: HttpRequest, filters: Query[RequestFilter]):
    return selectors.my_requests(request.auth, status=filters.status)


@router.get(
    "/requests/{number}", response=MyRequestDetailOut, summary="One of my requests, with its timeline"
)
@signed_in(OWN)
def my_request(request: HttpRequest, number: str):
    return selectors.my_request(request.auth, number)


@router.post("/requests/{number}/cancel", response=MyRequestDetailOut, summary="Withdraw my request")
@signed_in(OWN)
def cancel_request(request: HttpRequest, number: str):
    services.cancel(request=selectors.my_request(request.auth, number), actor=request.auth)
    return selectors.my_request(request.auth, number)


@router.post("/requests/{number}/ship-back", response=MyRequestDetailOut, summary="I sent the goods back")
@signed_in(OWN)
def ship_back(request: HttpRequest, number: str, payload: WaybillIn):
    services.ship_back(
        request=selectors.my_request(request.auth, number), actor=request.auth, **payload.dict()
    )
    return selectors.my_request(request.auth, number)


@router.post("/requests/{number}/confirm", response=MyRequestDetailOut, summary="The replacement arrived")
@signed_in(OWN)
def confirm_replacement(request: HttpRequest, number: str):
    services.close(
        request=selectors.my_request(request.auth, number), actor=request.auth, note="买家确认收到换货"
    )
    return selectors.my_request(request.auth, number)


# --- staff --------------------------------------------------------------------------------------------


@router.get(SHOP, response=list[ShopRequestOut], summary="The shop's after-sales queue")
@paginate(PageNumberPagination)
@shop_permission(MANAGE)
def shop_requests(request: HttpRequest, shop_id: int, filters: Query[ShopRequestFilter]):
    return selectors.shop_requests(shop_ids=[shop_id], **filters.dict())


@router.get(f"{SHOP}/{{number}}", response=ShopRequestDetailOut, summary="One request of the shop")
@shop_permission(MANAGE)
def shop_request(request: HttpRequest, shop_id: int, number: str):
    return selectors.shop_request(shop_id, number)


@router.post(f"{SHOP}/{{number}}/approve", response=ShopRequestDetailOut, summary="Approve")
@shop_permission(MANAGE)
def approve(request: HttpRequest, shop_id: int, number: str, payload: NoteIn):
    services.approve(request=selectors.shop_request(shop_id, number), actor=request.auth, note=payload.note)
    return selectors.shop_request(shop_id, number)


@router.post(f"{SHOP}/{{number}}/reject", response=ShopRequestDetailOut, summary="Reject with a reason")
@shop_permission(MANAGE)
def reject(request: HttpRequest, shop_id: int, number: str, payload: RejectIn):
    services.reject(
        request=selectors.shop_request(shop_id, number), actor=request.auth, reason=payload.reason
    )
    return selectors.shop_request(shop_id, number)


@router.post(
    f"{SHOP}/{{number}}/receive", response=ShopRequestDetailOut, summary="Goods back: inspection result"
)
@shop_permission(MANAGE)
def receive(request: HttpRequest, shop_id: int, number: str, payload: ReceiveIn):
    services.receive(request=selectors.shop_request(shop_id, number), actor=request.auth, **payload.dict())
    return selectors.shop_request(shop_id, number)


@router.post(f"{SHOP}/{{number}}/refund", response=ShopRequestDetailOut, summary="Pay the agreed refund")
@shop_permission(MANAGE)
def refund(request: HttpRequest, shop_id: int, number: str):
    services.refund(request=selectors.shop_request(shop_id, number), actor=request.auth)
    return selectors.shop_request(shop_id, number)


@router.post(
    f"{SHOP}/{{number}}/ship-replacement", response=ShopRequestDetailOut, summary="Ship the exchange"
)
@shop_permission(MANAGE)
def ship_replacement(request: HttpRequest, shop_id: int, number: str, payload: WaybillIn):
    services.ship_replacement(
        request=selectors.shop_request(shop_id, number), actor=request.auth, **payload.dict()
    )
    return selectors.shop_request(shop_id, number)


@router.post(f"{SHOP}/{{number}}/close", response=ShopRequestDetailOut, summary="Close a finished request")
@shop_permission(MANAGE)
def close(request: HttpRequest, shop_id: int, number: str, payload: NoteIn):
    services.close(request=selectors.shop_request(shop_id, number), actor=request.auth, note=payload.note)
    return selectors.shop_request(shop_id, number)
