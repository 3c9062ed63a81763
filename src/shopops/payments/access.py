"""Who may use the platform-side payment endpoints and admin views."""

from __future__ import annotations

from typing import Any

from shopops.shops.access import ensure_platform_perm
from shopops.shops.permissions import ALL_PERMISSIONS

# "platform.payments" is the dedicated code (requested from the shops catalogue); until it exists,
# reconciliation falls back to the platform administrators' "platform.shops".
PAYMENTS_PLATFORM_PERMISSION = "platform.payments"


def reconcile_permission() -> str:
    return (
        PAYMENTS_PLATFORM_PERMISSION if PAYMENTS_PLATFORM_PERMISSION in ALL_PERMISSIONS else "platform.shops"
    )


def ensure_can_reconcile(user: Any) -> None:
    ensure_platform_perm(user, reconcile_permission())
