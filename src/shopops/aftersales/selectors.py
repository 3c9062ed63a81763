"""Reads of the after-sales app, for pages, the API and other apps.

Shopper reads take the user and answer AfterSalesNotFound (404) for anyone else's request; shop reads
take the shop id and never return another shop's request.

    my_requests(user, *, status=None) -> QuerySet
    my_request(user, number) -> AfterSalesRequest
    shop_requests(*, shop_ids, status=None, kind=None, q="") -> QuerySet     shop_ids None: every shop
    shop_request(shop_id, number) -> AfterSalesRequest
    timeline(request) -> list[AfterSalesEvent]
    order_eligibility(order, *, now=None) -> Eligibility  window and what each line has left
    line_room(line, *, exclude_request_id=None) -> LineRoom
    max_refund(line, quantity, *, room=None) -> Decimal  the paid share of `quantity` units
    exchange_options(line) -> list[ExchangeOption]        SKUs an exchange of the line may ship
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from shopops.aftersales.errors import AfterSalesNotFound
from shopops.aftersales.models import (
    FINAL_STATUSES,
    REFUND_KINDS,
    RELEASED_STATUSES,
    AfterSalesEvent,
    AfterSalesRequest,
    AfterSalesStatus,
)
from shopops.core.money import ZERO, to_money

# Order statuses from which after-sales may be requested: the goods reached the shopper.
ELIGIBLE_ORDER_STATUSES = ("delivered", "completed")
# Refund idempotency keys of after-sales refunds contain this (see services.refund_purpose).
AFTERSALES_REFUND_MARK = ":aftersales-"


def _details(qs: QuerySet[AfterSalesRequest]) -> QuerySet[AfterSalesRequest]:
    return qs.select_related("order", "order_line", "shop", "user", "handled_by")


def my_requests(user: Any, *, status: str | None = None) -> QuerySet[AfterSalesRequest]:
    qs = AfterSalesRequest.objects.filter(user_id=getattr(user, "pk", None))
    if status:
        qs = qs.filter(status=status)
    return _details(qs).order_by("-created_at", "-id")


def my_request(user: Any, number: str) -> AfterSalesRequest:
    found = _details(
        AfterSalesRequest.objects.filter(user_id=getattr(user, "pk", None), number=number)
    ).first()
    if found is None:
        raise AfterSalesNotFound(number=number)
    return found


def shop_requests(
    *,
    shop_ids: Iterable[int] | None,
    status: str | None = None,
    kind: str | None = None,
    q: str = "",
    open_only: bool = False,
) -> QuerySet[AfterSalesRequest]:
    qs = AfterSalesRequest.objects.all()
    if shop_ids is not None:
        qs = qs.filter(shop_id__in=list(shop_ids))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if open_only:
        qs = qs.exclude(status__in=FINAL_STATUSES)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(number=q) | Q(order__number=q) | Q(return_waybill=q) | Q(order_line__title__icontains=q)
        )
    return _details(qs).order_by("-created_at", "-id")


def shop_request(shop_id: int, number: str) -> AfterSalesRequest:
    found = _details(AfterSalesRequest.objects.filter(shop_id=shop_id, number=number)).first()
    if found is None:
        raise AfterSalesNotFound(number=number)
    return found


def request_by_refund_no(refund_no: str) -> AfterSalesRequest | None:
    if not refund_no:
        return None
    return AfterSalesRequest.objects.filter(refund_no=refund_no).first()


def timeline(request: AfterSalesRequest) -> list[AfterSalesEvent]:
    return list(request.events.select_related("actor").order_by("created_at", "id"))


def status_counts(shop_ids: Iterable[int] | None) -> dict[str, int]:
    qs = AfterSalesRequest.objects.all()
    if shop_ids is not None:
        qs = qs.filter(shop_id__in=list(shop_ids))
    counts = dict.fromkeys(AfterSalesStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in qs.values("status").annotate(n=Count("id"))})
    return counts


# --- what a line has left ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRoom:
    """Units and money of one order line still open to after-sales."""

    units_left: int
    money_left: Decimal
    in_progress: bool  # another request on the line is not finished yet


def _held_by_other_refunds(line: Any) -> Decimal:
    """Money of the line given back (or on its way) by refunds that are not after-sales refunds,
    e.g. a partial refund staff made on the order directly."""
    from shopops.orders import selectors as order_selectors

    held = ZERO
    for refund in order_selectors.refunds_of(line.order):
        if refund.status == "failed" or AFTERSALES_REFUND_MARK in refund.idempotency_key:
            continue
        held += to_money((refund.line_amounts or {}).get(str(line.id), ZERO))
    return held


def line_room(line: Any, *, exclude_request_id: int | None = None) -> LineRoom:
    claims = AfterSalesRequest.objects.filter(order_line_id=line.id).exclude(status__in=RELEASED_STATUSES)
    if exclude_request_id is not None:
        claims = claims.exclude(pk=exclude_request_id)
    totals = claims.aggregate(units=Sum("quantity"), money=Sum("amount", filter=Q(kind__in=REFUND_KINDS)))
    in_progress = claims.exclude(status__in=FINAL_STATUSES).exists()
    units_left = max(line.quantity - (totals["units"] or 0), 0)
    money_left = line.paid_amount - (totals["money"] or ZERO) - _held_by_other_refunds(line)
    return LineRoom(units_left=units_left, money_left=max(money_left, ZERO), in_progress=in_progress)


def max_refund(line: Any, quantity: int, *, room: LineRoom | None = None) -> Decimal:
    """The most `quantity` units of the line may get back: their share of what the line paid (after
    its allocated discounts), never more than the money the line has left. Asking for every unit
    still left releases all the money left, so rounding never strands a fen."""
    room = room or line_room(line)
    if quantity <= 0 or room.units_left <= 0:
        return ZERO
    if quantity >= room.units_left:
        return room.money_left
    share = to_money(line.paid_amount * Decimal(quantity) / Decimal(line.quantity))
    return min(share, room.money_left)


# --- the order's window -------------------------------------------------------------------------------


def delivered_at(order: Any) -> datetime | None:
    """When the goods reached the shopper: the carrier's delivery, else the shopper's confirmation."""
    return order.delivered_at or order.completed_at


def window_ends_at(order: Any) -> datetime | None:
    base = delivered_at(order)
    if base is None:
        return None
    return base + timedelta(days=order.shop.aftersales_window_days)


@dataclass
class ExchangeOption:
    """A SKU of the line's product as a replacement: `allowed` when it sells at the price the line
    was bought at (no top-up or part refund in this version) and has stock."""

    sku_id: int
    code: str
    label: str
    price: Decimal
    available: int
    same_sku: bool
    same_price: bool

    @property
    def allowed(self) -> bool:
        return (self.same_sku or self.same_price) and self.available > 0


@dataclass
class LineOption:
    line: Any
    room: LineRoom
    max_amount: Decimal
    exchange_options: list[ExchangeOption] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.room.units_left > 0 and not self.room.in_progress


@dataclass
class Eligibility:
    order: Any
    window_ends_at: datetime | None
    code: str = ""  # "" when requests are open; else why not
    lines: list[LineOption] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return not self.code


def order_eligibility(order: Any, *, now: datetime | None = None) -> Eligibility:
    now = now or timezone.now()
    ends = window_ends_at(order)
    code = ""
    if order.status not in ELIGIBLE_ORDER_STATUSES or ends is None:
        code = "order_not_eligible"
    elif now > ends:
        code = "aftersales_window_closed"
    options = []
    for line in order.lines.all().order_by("id"):
        room = line_room(line)
        options.append(
            LineOption(
                line=line,
                room=room,
                max_amount=max_refund(line, room.units_left, room=room),
                exchange_options=exchange_options(line) if room.units_left and not code else [],
            )
        )
    return Eligibility(order=order, window_ends_at=ends, code=code, lines=options)


# --- exchanges ----------------------------------------------------------------------------------------


def exchange_options(line: Any) -> list[ExchangeOption]:
    """Every on-sale SKU of the line's product, the bought one first. Empty when the product is gone."""
    if not line.product_id:
        return []
    from shopops.catalog import selectors as catalog
    from shopops.inventory.selectors import available_by_sku

    skus = catalog.product_skus(line.product_id)
    stock = available_by_sku([sku.id for sku in skus])
    options = [
        ExchangeOption(
            sku_id=sku.id,
            code=sku.code,
            label=catalog.sku_label(sku) or sku.code,
            price=sku.price,
            available=int(stock.get(sku.id, 0)),
            same_sku=sku.id == line.sku_id,
            same_price=sku.price == line.unit_price,
        )
        for sku in skus
    ]
    return sorted(options, key=lambda o: not o.same_sku)
