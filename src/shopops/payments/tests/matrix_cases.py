"""Permission-matrix cases for the payments API (see shops/tests/matrix.py for how cases work).

Reconciliation is platform-only ("platform.payments"); the payer endpoints answer every signed-in
user about their own payments.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shopops.payments.models import ReconciliationRun
from shopops.shops.tests.matrix import Call, World, case


def _last_day() -> dict[str, str]:
    end = timezone.now()
    return {"start": (end - timedelta(days=1)).isoformat(), "end": end.isoformat()}


# --- platform: reconciliation -------------------------------------------------------------------------


@case("POST", "/payments/reconciliations")
def start_reconciliation(w: World) -> Call:
    return Call("POST", "/payments/reconciliations", _last_day(), ok=201)


@case("GET", "/payments/reconciliations")
def list_reconciliations(w: World) -> Call:
    return Call("GET", "/payments/reconciliations")


@case("GET", "/payments/reconciliations/{run_id}")
def get_reconciliation(w: World) -> Call:
    now = timezone.now()
    run = ReconciliationRun.objects.create(period_start=now - timedelta(days=1), period_end=now)
    return Call("GET", f"/payments/reconciliations/{run.id}")


# --- signed in: the caller's own payments -------------------------------------------------------------


@case("GET", "/payments")
def my_payments(w: World) -> Call:
    return Call("GET", "/payments")


@case("GET", "/payments/channels")
def payment_channels(w: World) -> Call:
    return Call("GET", "/payments/channels")
