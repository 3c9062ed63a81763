"""Money: Decimal CNY with 2 places and ROUND_HALF_UP, through these helpers only."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

CURRENCY = "CNY"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DIGITS = 14


class MoneyError(ValueError):
    pass


def to_money(value: Decimal | int | str) -> Decimal:
    """Quantise to fen with ROUND_HALF_UP. Floats are refused: they cannot hold money exactly."""
    if isinstance(value, float):
        raise MoneyError("money must not be a float; pass a Decimal, int or str")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    try:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # e.g. 1e400: more digits than the context allows
        raise MoneyError(f"amount out of range: {value!r}") from exc


def to_fen(value: Decimal | int | str) -> int:
    """Integer fen (分), as payment gateways such as WeChat Pay expect."""
    return int(to_money(value) * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def allocate(total: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split `total` over `weights` so the parts sum exactly to `total`.

    Each part is rounded down to the fen, then the leftover fen go one by one to the parts with the
    largest remainders (largest remainder method), so a discount spread over order lines never gains
    or loses a fen.
    """
    total = to_money(total)
    if not weights:
        return []
    weight_sum = sum(Decimal(w) for w in weights)
    if weight_sum <= 0:
        raise MoneyError("weights must sum to a positive number")
    raw = [total * Decimal(w) / weight_sum for w in weights]
    parts = [r.quantize(CENT, rounding=ROUND_DOWN) for r in raw]
    leftover = int(((total - sum(parts)) / CENT).to_integral_value())
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - parts[i], -i), reverse=True)
    step = CENT if leftover >= 0 else -CENT
    for i in order[: abs(leftover)]:
        parts[i] += step
    return parts


def format_cny(value: Decimal) -> str:
    return f"¥{to_money(value):,.2f}"


class MoneyField(models.DecimalField):
    """A DecimalField with the project's money precision."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)
