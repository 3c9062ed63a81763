"""Every write of the after-sales app. Pages, the API, the admin, tasks and signals call these.

    create_request(*, user, order_no, line_id, kind, quantity, reason, description="", amount=None,
                   replacement_sku_id=None)
        The shopper asks about `quantity` units of one line of their delivered order, inside the shop's
        window (Shop.aftersales_window_days after delivery). The amount defaults to, and may never
        exceed, the units' share of what the line paid (see selectors.max_refund). One request per
        line at a time. An exchange ships the line's SKU, or `replacement_sku_id`: another on-sale SKU
        of the same product (another size or colour) at the price the line was bought at and in stock
        (this version has no top-up or part refund, so a different price is refused).
    approve(*, request, actor, note="")          staff
    reject(*, request, actor, reason)            staff, reason required
    cancel(*, request, actor)                    the shopper, while it is still requested
    ship_back(*, request, actor, carrier_name, waybill_no)     the shopper (return / exchange)
    receive(*, request, actor, passed, note="", restock=True)  staff: inspection; restock on a pass
    refund(*, request, actor)                    staff: money back through orders -> payments
    ship_replacement(*, request, actor, carrier_name, waybill_no)  staff (exchange)
    close(*, request, actor, note="")
    apply_refund_result(*, refund_no, succeeded)  payments' refund signals (idempotent)
    close_finished(*, now=None) -> int            beat task: exchanges delivered long enough ago

Lock order: the after-sales request row, then what orders / payments / inventory lock inside their
services (the order row, the payment row, stock rows).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shopops.aftersales import selectors
from shopops.aftersales.errors import (
    AfterSalesInProgress,
    AmountExceedsPaidShare,
    OrderNotEligible,
    QuantityExceeded,
    ReasonRequired,
    ReplacementNotAvailable,
    ReplacementNotForKind,
    ReplacementOtherProduct,
    ReplacementPriceDiffers,
    ReplacementSkuNotFound,
    WaybillRequired,
    WindowClosed,
)
from shopops.aftersales.models import (
    NUMBER_PREFIX,
    REFUND_KINDS,
    ActorRole,
    AfterSalesEvent,
    AfterSalesKind,
    AfterSalesReason,
    AfterSalesRequest,
    AfterSalesStatus,
)
from shopops.aftersales.state import Action, register_effect, transition
from shopops.core import audit
from shopops.core.errors import InvalidInput, PermissionDenied
from shopops.core.ids import time_sortable_number
from shopops.core.money import ZERO, MoneyError, to_money
from shopops.core.text import plain_text

logger = logging.getLogger(__name__)

MAX_DESCRIPTION = 500
MAX_NOTE = 255
WAYBILL_RE = re.compile(r"^[A-Za-z0-9\-]{4,40}$")
NUMBER_ATTEMPTS = 3
# First key of the two-key advisory locks this app takes (an arbitrary constant of its own).
LINE_LOCK_SPACE = 7_301_001


def exchange_auto_close_days() -> int:
    return int(getattr(settings, "AFTERSALES_EXCHANGE_AUTO_CLOSE_DAYS", 10))


def refund_purpose(request: AfterSalesRequest, attempt: int) -> str:
    """Orders' refund purpose; with the order number it forms the payments idempotency key
    ("order:<order no>:aftersales-<AS no>-<attempt>"). The attempt changes only after a refund the
    provider refused, so retries and concurrent clicks of the same attempt pay once."""
    return f"aftersales-{request.number}-{attempt}"


# --- creating a request ------------------------------------------------------------------------------


def _serialise_line(line_id: int) -> None:
    """Requests on one order line are created one at a time (a transaction-scoped advisory lock in
    our own key space), so two concurrent requests can never together claim more than the line has."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LINE_LOCK_SPACE, line_id])


def _clean_kind(kind: str) -> str:
    if kind not in AfterSalesKind.values:
        raise InvalidInput(code="invalid_kind", fields={"kind": [f"one of {AfterSalesKind.values}"]})
    return kind


def _clean_reason(reason: str) -> str:
    if reason not in AfterSalesReason.values:
        raise InvalidInput(code="invalid_reason", fields={"reason": [f"one of {AfterSalesReason.values}"]})
    return reason


def _clean_quantity(quantity: Any) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput(code="invalid_quantity", fields={"quantity": ["a whole number above 0"]})
    return quantity


def _clean_amount(amount: Any) -> Decimal | None:
    if amount is None or amount == "":
        return None
    try:
        value = to_money(amount if not isinstance(amount, float) else str(amount))
    except (MoneyError, InvalidOperation) as exc:
        raise InvalidInput(code="invalid_amount", fields={"amount": ["not an amount"]}) from exc
    if value < ZERO:
        raise InvalidInput(code="invalid_amount", fields={"amount": ["must not be negative"]})
    return value


def create_request(
    *,
    user: Any,
    order_no: str,
    line_id: int,
    kind: str,
    quantity: int,
    reason: str,
    description: str = "",
    amount: Decimal | str | None = None,
    replacement_sku_id: int | None = None,
    now: datetime | None = None,
) -> AfterSalesRequest:
    from shopops.orders import selectors as order_selectors

    kind, reason = _clean_kind(kind), _clean_reason(reason)
    quantity = _clean_quantity(quantity)
    asked = _clean_amount(amount)
    description = plain_text(description, max_length=MAX_DESCRIPTION)
    order = order_selectors.my_order(user, order_no)  # OrderNotFound (404) for anyone else's order
    line = order_selectors.order_line(order, line_id)
    replacement = _replacement(kind, line, replacement_sku_id, quantity)
    now = now or timezone.now()
    with transaction.atomic():
        _serialise_line(line.id)
        eligibility_code, ends = _window(order, now)
        if eligibility_code == OrderNotEligible.code:
            raise OrderNotEligible(order_no=order.number, status=order.status)
        if eligibility_code == WindowClosed.code:
            raise WindowClosed(order_no=order.number, window_ended_at=ends)
        room = selectors.line_room(line)
        if room.in_progress:
            raise AfterSalesInProgress(order_no=order.number, line_id=line.id)
        if quantity > room.units_left:
            raise QuantityExceeded(line_id=line.id, requested=quantity, available=room.units_left)
        money = _amount_for(kind, line, quantity, asked, room)
        request = _insert(
            order=order,
            line=line,
            user=user,
            kind=kind,
            quantity=quantity,
            amount=money,
            reason=reason,
            description=description,
            window_ends_at=ends,
            now=now,
            **replacement,
        )
        AfterSalesEvent.objects.create(
            request=request,
            action="submit",
            from_status="",
            to_status=request.status,
            actor=user,
            actor_role=ActorRole.SHOPPER,
            note=description[:MAX_NOTE],
            data={
                "kind": kind,
                "quantity": quantity,
                "amount": str(money),
                "reason": reason,
                **({"replacement_sku_id": replacement["replacement_sku_id"]} if replacement else {}),
            },
            created_at=now,
        )
    return request


def _replacement(kind: str, line: Any, sku_id: Any, quantity: int) -> dict[str, Any]:
    """The replacement SKU columns of a new request ({} when not an exchange).

    The line's own SKU needs no check here: the returned unit goes back on the shelf before the
    replacement ships. Another SKU must be of the same product, on sale, at the price the line was
    bought at (no top-up or part refund in this version), and have the units in stock now; the
    units are reserved and committed only when the replacement ships (see _on_ship_replacement).
    """
    if kind != AfterSalesKind.EXCHANGE:
        if sku_id not in (None, ""):
            raise ReplacementNotForKind(fields={"replacement_sku_id": ["only for an exchange"]})
        return {}
    if sku_id in (None, "") or (line.sku_id is not None and str(sku_id) == str(line.sku_id)):
        if not line.sku_id:
            return {}  # the SKU has since been deleted: nothing to name
        return {
            "replacement_sku_id": line.sku_id,
            "replacement_sku_code": line.sku_code,
            "replacement_sku_label": line.sku_label,
        }
    if isinstance(sku_id, bool) or not str(sku_id).isdigit():
        raise ReplacementSkuNotFound(fields={"replacement_sku_id": ["not a SKU id"]})
    from shopops.catalog import selectors as catalog
    from shopops.inventory.selectors import available_by_sku

    card = catalog.sku_cards([int(sku_id)]).get(int(sku_id))
    if card is None:
        raise ReplacementSkuNotFound(sku_id=int(sku_id))
    if line.product_id is None or card.product_id != line.product_id:
        raise ReplacementOtherProduct(sku_id=card.sku_id, product_id=line.product_id)
    if not card.sellable:
        raise ReplacementSkuNotFound(sku_id=card.sku_id)
    if card.price != line.unit_price:
        raise ReplacementPriceDiffers(sku_id=card.sku_id, price=card.price, paid_unit_price=line.unit_price)
    available = available_by_sku([card.sku_id]).get(card.sku_id, 0)
    if available < quantity:
        raise ReplacementNotAvailable(sku_id=card.sku_id, requested=quantity, available=available)
    return {
        "replacement_sku_id": card.sku_id,
        "replacement_sku_code": card.code,
        "replacement_sku_label": card.label or card.code,
    }


def _window(order: Any, now: datetime) -> tuple[str, datetime | None]:
    ends = selectors.window_ends_at(order)
    if order.status not in selectors.ELIGIBLE_ORDER_STATUSES or ends is None:
        return OrderNotEligible.code, ends
    if now > ends:
        return WindowClosed.code, ends
    return "", ends


def _amount_for(kind: str, line: Any, quantity: int, asked: Decimal | None, room: Any) -> Decimal:
    if kind not in REFUND_KINDS:
        return ZERO  # an exchange moves goods, not money
    cap = selectors.max_refund(line, quantity, room=room)
    amount = cap if asked is None else asked
    if amount <= ZERO or amount > cap:
        raise AmountExceedsPaidShare(line_id=line.id, requested=amount, refundable=cap)
    return amount


def _insert(**fields: Any) -> AfterSalesRequest:
    from django.db import IntegrityError

    order, line, now = fields.pop("order"), fields.pop("line"), fields.pop("now")
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return AfterSalesRequest.objects.create(
                    number=time_sortable_number(NUMBER_PREFIX, now),
                    order=order,
                    order_line=line,
                    shop_id=order.shop_id,
                    created_at=now,
                    **fields,
                )
        except IntegrityError:
            if attempt + 1 == NUMBER_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


# --- the steps ---------------------------------------------------------------------------------------


def _staff_audit(request: AfterSalesRequest, actor: Any, action: str, **after: Any) -> None:
    if actor is None:
        return
    audit.record(
        actor=actor,
        action=f"aftersales.{action}",
        obj=request,
        object_id=request.number,
        shop_id=request.shop_id,
        after={"status": request.status, **after},
    )


def approve(*, request: AfterSalesRequest, actor: Any, note: str = "") -> AfterSalesRequest:
    note = plain_text(note, max_length=MAX_NOTE, multiline=False)
    with transaction.atomic():
        updated = transition(request, Action.APPROVE, actor, note)
        _staff_audit(updated, actor, "approve", note=note)
    return updated


def reject(*, request: AfterSalesRequest, actor: Any, reason: str) -> AfterSalesRequest:
    reason = plain_text(reason, max_length=MAX_NOTE, multiline=False)
    if not reason:
        raise ReasonRequired(fields={"reason": ["required"]})
    with transaction.atomic():
        updated = transition(request, Action.REJECT, actor, reason)
        _staff_audit(updated, actor, "reject", reason=reason)
    return updated


def cancel(*, request: AfterSalesRequest, actor: Any) -> AfterSalesRequest:
    return transition(request, Action.CANCEL, actor, "买家撤销申请 / Cancelled by the shopper")


def _clean_waybill(carrier_name: str, waybill_no: str) -> tuple[str, str]:
    carrier = plain_text(carrier_name, max_length=40, multiline=False)
    waybill = (waybill_no or "").strip().upper()
    if not carrier or not WAYBILL_RE.match(waybill):
        raise WaybillRequired(
            fields={
                "carrier_name": [] if carrier else ["required"],
                "waybill_no": [] if WAYBILL_RE.match(waybill) else ["4-40 letters, digits or -"],
            }
        )
    return carrier, waybill


def ship_back(
    *, request: AfterSalesRequest, actor: Any, carrier_name: str, waybill_no: str
) -> AfterSalesRequest:
    carrier, waybill = _clean_waybill(carrier_name, waybill_no)
    return transition(
        request,
        Action.SHIP_BACK,
        actor,
        f"{carrier} {waybill}",
        data={"carrier_name": carrier, "waybill_no": waybill},
    )


def receive(
    *, request: AfterSalesRequest, actor: Any, passed: bool, note: str = "", restock: bool = True
) -> AfterSalesRequest:
    note = plain_text(note, max_length=MAX_NOTE, multiline=False)
    if not passed and not note:
        raise ReasonRequired(
            "验货未通过请说明原因 / Say why the inspection failed", fields={"note": ["required"]}
        )
    action = Action.INSPECT_PASS if passed else Action.INSPECT_FAIL
    with transaction.atomic():
        updated = transition(request, action, actor, note, data={"restock": bool(restock)})
        _staff_audit(updated, actor, action, note=note, restocked=updated.restocked_quantity)
    return updated


def refund(*, request: AfterSalesRequest, actor: Any) -> AfterSalesRequest:
    """Ask for the agreed amount back. Concurrent calls: the first takes the request's row lock and
    moves it to `refunding`; the others then find it refunding and get IllegalTransition (409)."""
    with transaction.atomic():
        updated = transition(request, Action.REFUND, actor, "")
        _staff_audit(updated, actor, "refund", amount=str(updated.amount), refund_no=updated.refund_no)
    return updated


def ship_replacement(
    *, request: AfterSalesRequest, actor: Any, carrier_name: str, waybill_no: str
) -> AfterSalesRequest:
    carrier, waybill = _clean_waybill(carrier_name, waybill_no)
    with transaction.atomic():
        updated = transition(
            request,
            Action.SHIP_REPLACEMENT,
            actor,
            f"{carrier} {waybill}",
            data={"carrier_name": carrier, "waybill_no": waybill},
        )
        _staff_audit(updated, actor, "ship_replacement", waybill_no=waybill)
    return updated


def close(*, request: AfterSalesRequest, actor: Any, note: str = "") -> AfterSalesRequest:
    note = plain_text(note, max_length=MAX_NOTE, multiline=False)
    return transition(request, Action.CLOSE, actor, note or "售后完成 / Closed")


# --- side effects (run inside transition's transaction, on the locked row) ---------------------------


@register_effect(Action.APPROVE)
def _on_approve(request: AfterSalesRequest, *, actor: Any, role: str, note: str, data: dict) -> dict:
    request.approved_at = timezone.now()
    request.decision_note = note
    return {}


@register_effect(Action.REJECT)
def _on_reject(request: AfterSalesRequest, *, actor: Any, role: str, note: str, data: dict) -> dict:
    request.reject_reason = note
    return {}


@register_effect(Action.SHIP_BACK)
def _on_ship_back(request: AfterSalesRequest, *, actor: Any, role: str, note: str, data: dict) -> dict:
    request.return_carrier, request.return_waybill = data["carrier_name"], data["waybill_no"]
    request.returned_at = timezone.now()
    return {"carrier_name": request.return_carrier, "waybill_no": request.return_waybill}


@register_effect(Action.INSPECT_PASS)
def _on_inspect_pass(request: AfterSalesRequest, *, actor: Any, role: str, note: str, data: dict) -> dict:
    request.received_at = timezone.now()
    request.inspection_note = note
    line = request.order_line
    if not data.get("restock", True) or not line.sku_id:
        return {"restocked": 0}
    from shopops.inventory import services as inventory

    # Reference is the order number: inventory then refuses to take back more than the order sold
    # of the SKU, and puts the units back into the warehouse they shipped from.
    entry = inventory.return_stock(
        sku_id=line.sku_id,
        quantity=request.quantity,
        reference=request.order.number,
        actor=actor,
        note=f"售后退货入库 {request.number} / After-sales return",
    )
    request.restocked_quantity = request.quantity
    request.restock_warehouse_id = entry.warehouse_id
    return {"restocked": request.quantity, "warehouse_id": entry.warehouse_id, "ledger_entry": entry.pk}


@register_effect(Action.INSPECT_FAIL)
def _on_inspect_fail(request: AfterSalesRequest, *, actor: Any, role: str, note: str, data: dict) -> dict:
    request.received_at = timezone.now()
    request.inspection_note = note
    return {}


@register_effect(Action.REFUND)
def _on_refund(request: AfterSalesRequest, *, actor: Any, role: str, note: str, data: dict) -> dict:
    from shopops.orders import services as order_services
    from shopops.shops.selectors import has_shop_perm

    if actor is not None and not has_shop_perm(actor, request.shop_id, "payments.refund"):
        raise PermissionDenied(permission="payments.refund")
    attempt = request.refund_attempts + 1
    order_refund = order_services.request_refund(
        order=request.order,
        amount=request.amount,
        actor=actor,
        reason=f"售后退款 {request.number} / After-sales refund",
        purpose=refund_purpose(request, attempt),
        line_amounts={request.order_line_id: request.amount},
    )
    if order_refund is None:  # nothing to pay (cannot happen for amount > 0, kept for safety)
        raise AmountExceedsPaidShare(line_id=request.order_line_id, requested=request.amount, refundable=ZERO)
    request.refund_attempts = attempt
    request.refund_no = order_refund.refund_no
    return {"refund_no": order_refund.refund_no, "amount": str(request.amount), "attempt": attempt}


@register_effect(Action.REFUND_SUCCEEDED)
def _on_refund_succeeded(request: AfterSalesRequest, *, actor: Any, role: str, note: str, data: dict) -> dict:
    request.refunded_amount = request.amount
    request.refunded_at = timezone.now()
    return {"refund_no": request.refund_no, "amount": str(request.amount)}


@register_effect(Action.REFUND_FAILED)
def _on_refund_failed(request: AfterSalesRequest, *, actor: Any, role: str, note: str, data: dict) -> dict:
    return {"refund_no": request.refund_no}


@register_effect(Action.SHIP_REPLACEMENT)
def _on_ship_replacement(request: AfterSalesRequest, *, actor: Any, role: str, note: str, data: dict) -> dict:
    request.replacement_carrier, request.replacement_waybill = data["carrier_name"], data["waybill_no"]
    shipped = {"carrier_name": request.replacement_carrier, "waybill_no": request.replacement_waybill}
    sku_id = request.replacement_sku_id or request.order_line.sku_id
    if not sku_id:
        return shipped
    from shopops.inventory import services as inventory
    from shopops.inventory.errors import InsufficientStock

    # The replacement leaves stock the way a sale does: reserved (the same conditional UPDATE that
    # never oversells) and committed at once, both ledger rows referenced to the request number.
    # Idempotent by (request number, SKU), and rolled back with the move if anything fails.
    try:
        inventory.reserve(
            sku_id=sku_id,
            quantity=request.quantity,
            order_ref=request.number,
            expires_at=timezone.now() + timedelta(minutes=10),
            actor=actor,
        )
    except InsufficientStock as exc:
        raise ReplacementNotAvailable(sku_id=sku_id, requested=request.quantity) from exc
    reservation = inventory.commit_reservation(order_ref=request.number, sku_id=sku_id, actor=actor)
    return {**shipped, "sku_id": sku_id, "reservation": reservation.pk}


# --- payments' refund results --------------------------------------------------------------------------


def apply_refund_result(*, refund_no: str, succeeded: bool) -> AfterSalesRequest | None:
    """Record what payments says about the request's refund. Safe to call any number of times."""
    from shopops.core.errors import IllegalTransition

    request = selectors.request_by_refund_no(refund_no)
    if request is None:
        return None  # not an after-sales refund
    action = Action.REFUND_SUCCEEDED if succeeded else Action.REFUND_FAILED
    try:
        with transaction.atomic():
            updated = transition(request, action, None)
            if succeeded:
                # Money back is the end of a refund request: close it on the same timeline.
                updated = transition(updated, Action.CLOSE, None, "退款完成，售后结束 / Refunded, closed")
    except IllegalTransition:
        return request  # already applied (duplicate signal)
    return updated


def on_refund_succeeded(sender: Any, refund: Any, **kwargs: Any) -> None:
    apply_refund_result(refund_no=refund.refund_no, succeeded=True)


def on_refund_failed(sender: Any, refund: Any, **kwargs: Any) -> None:
    apply_refund_result(refund_no=refund.refund_no, succeeded=False)


def connect_signals() -> None:
    from shopops.payments import signals

    signals.refund_succeeded.connect(on_refund_succeeded, dispatch_uid="aftersales.refund_succeeded")
    signals.refund_failed.connect(on_refund_failed, dispatch_uid="aftersales.refund_failed")


# --- housekeeping --------------------------------------------------------------------------------------


def close_finished(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Close exchanges whose replacement went out long enough ago (the shopper did not confirm)."""
    from shopops.core.errors import DomainError

    now = now or timezone.now()
    due = AfterSalesRequest.objects.filter(
        status=AfterSalesStatus.REPLACEMENT_SHIPPED,
        updated_at__lte=now - timedelta(days=exchange_auto_close_days()),
    ).order_by("updated_at", "id")[:batch_size]
    closed = 0
    for request in due:
        try:
            transition(request, Action.CLOSE, None, "换货签收超时，自动完成 / Closed automatically")
        except DomainError:
            continue
        closed += 1
    return closed
