from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopops.core.money import MoneyError, allocate, format_cny, from_fen, to_fen, to_money


def test_to_money_rounds_half_up_to_fen():
    assert to_money("2.675") == Decimal("2.68")
    assert to_money("2.665") == Decimal("2.67")
    assert to_money(3) == Decimal("3.00")


def test_to_money_refuses_floats_and_garbage():
    with pytest.raises(MoneyError):
        to_money(0.1)
    with pytest.raises(MoneyError):
        to_money("abc")
    with pytest.raises(MoneyError):
        to_money("NaN")
    with pytest.raises(MoneyError):
        to_money("1e400")


def test_fen_round_trip():
    assert to_fen("12.34") == 1234
    assert from_fen(1234) == Decimal("12.34")


def test_format_cny():
    assert format_cny(Decimal("1234.5")) == "¥1,234.50"


def test_allocate_spreads_leftover_fen():
    assert allocate(Decimal("10.00"), [1, 1, 1]) == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]


@given(
    total=st.decimals(min_value=0, max_value=1_000_000, places=2),
    weights=st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=10_000, places=2), min_size=1, max_size=20
    ),
)
def test_allocate_parts_always_sum_to_total(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == to_money(total)
    assert all(p >= 0 for p in parts)
    assert len(parts) == len(weights)
