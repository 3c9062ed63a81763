"""Property-based checks of the pure helpers (no database)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from shopops.accounts.realname import PROVINCE_CODES, parse_id_number
from shopops.accounts.services import _code_matches, _hash_code
from shopops.accounts.tests.factories import make_id_number
from shopops.core.masking import mask_id_number

births = st.dates(min_value=date(1900, 1, 1), max_value=date.today() - timedelta(days=1))
regions = st.tuples(st.sampled_from(sorted(PROVINCE_CODES)), st.integers(0, 9999)).map(
    lambda t: f"{t[0]}{t[1]:04d}"
)
sequences = st.integers(0, 999).map(lambda n: f"{n:03d}")


@settings(max_examples=200, deadline=None)
@given(region=regions, birth=births, sequence=sequences)
def test_every_well_formed_number_parses_back(region, birth, sequence):
    number = make_id_number(region, birth.strftime("%Y%m%d"), sequence)
    info = parse_id_number(number)
    assert info.birth_date == birth and info.region_code == region
    assert mask_id_number(number) == number[:4] + "*" * 10 + number[-4:]


@settings(max_examples=200, deadline=None)
@given(
    region=regions, birth=births, sequence=sequences, position=st.integers(14, 16), delta=st.integers(1, 9)
)
def test_any_single_digit_typo_in_the_sequence_is_caught(region, birth, sequence, position, delta):
    # MOD 11-2 detects every single-digit substitution; the sequence digits keep the rest valid.
    number = make_id_number(region, birth.strftime("%Y%m%d"), sequence)
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(ValidationError) as exc:
        parse_id_number(typo)
    assert exc.value.code == "id_checksum"


@settings(max_examples=50, deadline=None)
@given(code=st.integers(0, 999_999).map(lambda n: f"{n:06d}"), other=st.integers(0, 999_999))
def test_code_hash_matches_only_its_code(code, other):
    stored = _hash_code(code)
    assert _code_matches(code, stored)
    other_code = f"{other:06d}"
    assert _code_matches(other_code, stored) == (other_code == code)
    assert _hash_code(code) != stored  # salted: the same code hashes differently each time
