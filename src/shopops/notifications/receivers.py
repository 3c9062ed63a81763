"""Turn other apps' domain events into messages for the shopper concerned.

The apps that own the events (orders, aftersales, service) send plain Django signals after their
transaction commits and know nothing of this app; everything about who is told what lives here.
Every message carries a dedupe key derived from the event's own row, so a re-sent signal finds the
message it already made.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from shopops.notifications import messages as m
from shopops.notifications import services
from shopops.notifications.models import NotificationKind

MAX_EXCERPT = 200


def connect() -> None:
    from shopops.aftersales.signals import request_changed
    from shopops.orders.signals import order_shipped
    from shopops.service.signals import ticket_changed

    order_shipped.connect(on_order_shipped, dispatch_uid="notifications.order_shipped")
    request_changed.connect(on_aftersales_changed, dispatch_uid="notifications.aftersales")
    ticket_changed.connect(on_ticket_changed, dispatch_uid="notifications.service")


# --- orders -------------------------------------------------------------------------------------------


def on_order_shipped(sender: Any, order: Any, carrier_name: str, waybill_no: str, **kwargs: Any) -> None:
    services.notify(
        user=order.user,
        kind=NotificationKind.ORDER_SHIPPED,
        title=m.ORDER_SHIPPED,
        body=m.ORDER_SHIPPED_BODY,
        params={"order_no": order.number, "carrier": carrier_name, "waybill": waybill_no},
        link=reverse("orders:detail", args=[order.number]),
        dedupe_key=f"order:{order.number}:shipped",
    )


# --- after-sales --------------------------------------------------------------------------------------


def _aftersales_text(request: Any, event: Any) -> tuple[str, str, dict[str, Any]] | None:
    """(title, body, extra params) for a move the shopper should hear about; None for the rest
    (their own moves, and internal steps such as a refund being requested)."""
    action, data = event.action, event.data or {}
    if action == "approve":
        goods_back = request.kind in ("return_refund", "exchange")
        return m.AS_APPROVED, m.AS_APPROVED_GOODS_BACK if goods_back else m.AS_APPROVED_REFUND, {}
    if action == "reject":
        return m.AS_REJECTED, m.AS_REJECTED_BODY, {"reason": event.note or request.reject_reason}
    if action == "inspect_pass":
        return m.AS_RECEIVED, m.AS_RECEIVED_BODY, {}
    if action == "inspect_fail":
        return m.AS_INSPECTION_FAILED, m.AS_INSPECTION_FAILED_BODY, {"note": event.note}
    if action == "refund_succeeded":
        return m.AS_REFUNDED, m.AS_REFUNDED_BODY, {"amount": data.get("amount", str(request.amount))}
    if action == "ship_replacement":
        carrier, waybill = data.get("carrier_name", ""), data.get("waybill_no", "")
        return (
            m.AS_REPLACEMENT_SHIPPED,
            m.AS_REPLACEMENT_SHIPPED_BODY,
            {"carrier": carrier, "waybill": waybill},
        )
    if action == "close" and event.actor_role != "shopper" and event.from_status != "refunded":
        # A refund closes its request in the same breath: the "refund paid" message already says so.
        return m.AS_CLOSED, "", {}
    return None


def on_aftersales_changed(sender: Any, request: Any, event: Any, **kwargs: Any) -> None:
    text = _aftersales_text(request, event)
    if text is None:
        return
    title, body, extra = text
    services.notify(
        user=request.user,
        kind=NotificationKind.AFTERSALES,
        title=title,
        body=body,
        params={"number": request.number, **extra},
        link=reverse("aftersales:detail", args=[request.number]),
        dedupe_key=f"aftersales:event:{event.pk}",
    )


# --- customer service ---------------------------------------------------------------------------------


def on_ticket_changed(sender: Any, ticket: Any, message: Any, event: str, role: str, **kwargs: Any) -> None:
    if role == "shopper":
        return  # the shopper's own message or close: nothing to tell them
    if event == "staff_message":
        kind, title, body = NotificationKind.SERVICE_REPLY, m.TICKET_REPLY, "%(excerpt)s"
    elif event == "resolve":
        kind, title, body = NotificationKind.SERVICE_STATUS, m.TICKET_RESOLVED, m.TICKET_RESOLVED_BODY
    elif event == "close":
        kind, title, body = NotificationKind.SERVICE_STATUS, m.TICKET_CLOSED, ""
    else:
        return
    services.notify(
        user=ticket.user,
        kind=kind,
        title=title,
        body=body,
        params={"number": ticket.number, "excerpt": (message.body or "")[:MAX_EXCERPT]},
        link=reverse("service:detail", args=[ticket.number]),
        dedupe_key=f"service:message:{message.pk}",
    )
