"""China's administrative regions (GB/T 2260) for the address form, read from the vendored JSON.

The same file feeds the browser's cascading selects (static/storefront/vendor/regions-cn.json), so
what a shopper can pick and what the server accepts never drift apart. The server never trusts a
region_code sent by the browser: it derives it from the chosen province / city / district names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REGIONS_FILE = Path(__file__).parent / "static" / "storefront" / "vendor" / "regions-cn.json"


@dataclass(frozen=True)
class Region:
    province: str
    city: str
    district: str
    code: str  # 6-digit GB/T 2260 code of the district (or of the city for township-level leaves)


@lru_cache(maxsize=1)
def _tree() -> list:
    with REGIONS_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)["regions"]


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str, str], str]:
    return {
        (province, city, district): code
        for _pcode, province, cities in _tree()
        for _ccode, city, districts in cities
        for code, district in districts
    }


def provinces() -> list[str]:
    return [name for _code, name, _cities in _tree()]


def cities(province: str) -> list[str]:
    for _code, name, city_list in _tree():
        if name == province:
            return [city for _ccode, city, _d in city_list]
    return []


def districts(province: str, city: str) -> list[str]:
    for _code, name, city_list in _tree():
        if name != province:
            continue
        for _ccode, city_name, district_list in city_list:
            if city_name == city:
                return [district for _dcode, district in district_list]
    return []


def resolve(province: str, city: str, district: str) -> Region | None:
    """The region for a chosen triple, or None when the combination does not exist."""
    code = _index().get((province, city, district))
    if code is None:
        return None
    return Region(province=province, city=city, district=district, code=code)
