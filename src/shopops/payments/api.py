"""Payments API: the payer's payments, platform reconciliation, and the providers' notify endpoints.

GET  /payments                      the signed-in payer's payments (?reference=)
POST /payments                      start paying a reference (amount comes from the owning app,
                                    through hooks.resolve_payable, never from the client)
GET  /payments/channels             enabled channels, for a checkout page
GET  /payments/{payment_no}         one of the payer's payments (anyone else's: 404)
POST /payments/{payment_no}/sync    "I have paid": ask the provider now (throttled per payment)
POST /payments/reconciliations      platform: compare payments with the providers for a range
GET  /payments/reconciliations[/{id}]
POST /payments/notify/{channel}     the providers' asynchronous notifications (no auth, no CSRF:
                                    trust comes from the signature); answered in each
                                    provider's protocol, never in the error shape.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from shopops.accounts.auth import api_auth
from shopops.core.audit import client_ip
from shopops.core.errors import NotFound, error_response
from shopops.core.pagination import PageNumberPagination
from shopops.payments import hooks, selectors, services
from shopops.payments.errors import UnknownChannel
from shopops.payments.gateways import enabled_channels
from shopops.payments.models import Channel, Payment, ReconciliationItem, ReconciliationRun
from shopops.shops.access import platform_permission, public, signed_in

router = Router(tags=["payments"])

SYNC_THROTTLE_SECONDS = 3
# Reconciliation shows every merchant's payments: platform staff holding this code only.
RECONCILE_PERMISSION = "platform.payments"


class ActionOut(Schema):
    kind: str
    url: str = ""
    qr_code: str = ""
    form_fields: dict[str, str] = {}
    params: dict[str, str] = {}


class PaymentOut(Schema):
    payment_no: str
    reference: str
    subject: str
    amount: Decimal
    currency: str
    channel: str
    scene: str
    status: str
    paid_with: str
    refunded_amount: Decimal
    expires_at: datetime
    paid_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    action: ActionOut | None
    checkout_url: str

    @staticmethod
    def resolve_refunded_amount(obj: Payment) -> Decimal:
        annotated = getattr(obj, "refunded_total", None)
        return annotated if annotated is not None else selectors.refunded_total(obj)

    @staticmethod
    def resolve_action(obj: Payment) -> dict | None:
        # Only an open payment has something to do next.
        return obj.action if obj.action and obj.status == "pending" else None

    @staticmethod
    def resolve_checkout_url(obj: Payment) -> str:
        return reverse("payments:checkout", args=[obj.payment_no])


class PaymentIn(Schema):
    reference: str = Field(..., min_length=1, max_length=64)
    channel: str = Field(..., max_length=16)
    scene: str = Field("", max_length=16)
    openid: str = Field("", max_length=128, description="WeChat JSAPI only: the payer's openid")


class ChannelOut(Schema):
    channel: str
    label: str


@router.get("/channels", response=list[ChannelOut], auth=api_auth, summary="Enabled payment channels")
@signed_in("Which channels are enabled is the same for every payer; checkout is for signed-in users.")
def list_channels(request: HttpRequest):
    labels = dict(Channel.choices)
    return [{"channel": c, "label": str(labels.get(c, c))} for c in enabled_channels()]


@router.get("", response=list[PaymentOut], auth=api_auth, summary="My payments")
@signed_in("Only the caller's own payments.")
@paginate(PageNumberPagination)
def list_payments(request: HttpRequest, reference: str = "", status: str = ""):
    payments = selectors.payments_for_payer(user=request.auth, reference=reference, status=status)
    return selectors.with_refunded_total(payments)


@router.post("", response={201: PaymentOut}, auth=api_auth, summary="Start paying a reference")
@signed_in("Pays a reference the owning app confirms belongs to the caller (hooks.resolve_payable).")
def create_payment(request: HttpRequest, payload: PaymentIn):
    payable = hooks.resolve_payable(reference=payload.reference, user=request.auth)
    created = services.create_payment(
        payer=request.auth,
        amount=payable.amount,
        reference=payload.reference,
        subject=payable.subject,
        channel=payload.channel,
        return_url=payable.return_url,
        expires_at=payable.expires_at,
        scene=payload.scene,
        payer_openid=payload.openid,
        client_ip=client_ip(request) or "",
    )
    return Status(201, created.payment)


# --- platform: reconciliation (declared before /{payment_no} so the paths do not collide) -------------


class ReconcileIn(Schema):
    start: datetime
    end: datetime
    channel: str = Field("", max_length=16)


class ReconciliationItemOut(Schema):
    payment_no: str
    kind: str
    recorded_status: str
    recorded_amount: Decimal
    recorded_refunded: Decimal
    gateway_state: str
    gateway_amount: Decimal | None
    gateway_refunded: Decimal | None
    detail: str


class ReconciliationOut(Schema):
    id: int
    period_start: datetime
    period_end: datetime
    channel: str
    status: str
    checked_count: int
    matched_count: int
    mismatch_count: int
    recorded_total: Decimal
    gateway_total: Decimal
    error: str
    created_at: datetime
    finished_at: datetime | None


class ReconciliationDetailOut(ReconciliationOut):
    mismatches: list[ReconciliationItemOut]


def reconciliation_detail(run: ReconciliationRun) -> dict:
    items = ReconciliationItem.objects.filter(run=run).select_related("payment")
    data = ReconciliationOut.model_validate(run).model_dump()
    data["mismatches"] = [
        {
            "payment_no": item.payment.payment_no,
            "kind": item.kind,
            "recorded_status": item.recorded_status,
            "recorded_amount": item.recorded_amount,
            "recorded_refunded": item.recorded_refunded,
            "gateway_state": item.gateway_state,
            "gateway_amount": item.gateway_amount,
            "gateway_refunded": item.gateway_refunded,
            "detail": item.detail,
        }
        for item in items
    ]
    return data


@router.post(
    "/reconciliations",
    response={201: ReconciliationDetailOut},
    auth=api_auth,
    summary="Platform: reconcile payments with the providers",
)
@platform_permission(RECONCILE_PERMISSION)
def create_reconciliation(request: HttpRequest, payload: ReconcileIn):
    run = services.start_reconciliation(
        start=payload.start, end=payload.end, channel=payload.channel, actor=request.auth
    )
    run.refresh_from_db()
    return Status(201, reconciliation_detail(run))


@router.get("/reconciliations", response=list[ReconciliationOut], auth=api_auth, summary="Platform: runs")
@platform_permission(RECONCILE_PERMISSION)
@paginate(PageNumberPagination)
def list_reconciliations(request: HttpRequest):
    return selectors.reconciliation_runs()


@router.get(
    "/reconciliations/{run_id}", response=ReconciliationDetailOut, auth=api_auth, summary="Platform: one run"
)
@platform_permission(RECONCILE_PERMISSION)
def get_reconciliation(request: HttpRequest, run_id: int):
    run = selectors.reconciliation_run(run_id)
    if run is None:
        raise NotFound(resource="reconciliation", id=run_id)
    return reconciliation_detail(run)


# --- provider notifications -----------------------------------------------------------------------


@router.post("/notify/{channel}", auth=None, url_name="payments_notify", summary="Provider notifications")
@public("Provider notifications: trust comes from the provider's signature, not a session.")
def notify(request: HttpRequest, channel: str) -> HttpResponse:
    try:
        outcome = services.handle_notification(
            channel=channel, headers=request.headers, body=request.body, remote_addr=client_ip(request)
        )
    except UnknownChannel:
        return error_response("unknown_channel", UnknownChannel.message, 404, {"channel": channel})
    return outcome.response


# --- the payer's own payment ----------------------------------------------------------------------


@router.get("/{payment_no}", response=PaymentOut, auth=api_auth, summary="One of my payments")
@signed_in("One of the caller's own payments; anyone else's is 404.")
def get_payment(request: HttpRequest, payment_no: str):
    return selectors.payment_for_payer(user=request.auth, payment_no=payment_no)


@router.post("/{payment_no}/sync", response=PaymentOut, auth=api_auth, summary="Ask the provider now")
@signed_in("Refreshes one of the caller's own payments; anyone else's is 404.")
def sync_payment(request: HttpRequest, payment_no: str):
    payment = selectors.payment_for_payer(user=request.auth, payment_no=payment_no)
    # One provider query per payment every few seconds, however often the shopper clicks.
    if payment.status in ("created", "pending", "failed") and cache.add(
        f"payments:sync:{payment.pk}", 1, timeout=SYNC_THROTTLE_SECONDS
    ):
        payment = services.sync_payment_status(payment=payment)
    return payment
