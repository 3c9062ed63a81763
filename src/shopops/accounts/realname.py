"""Real-name verification (实名认证): checking a resident ID number and name, and the provider seam.

ID numbers follow GB 11643-1999: 17 digits and a check character.

    1 1 0 1 0 1 | 1 9 9 0 0 3 0 7 | 1 2 3 | 4
    region code | birth date      | seq.  | check (ISO 7064 MOD 11-2, "X" stands for 10)

The region code's first two digits are a province-level code from GB/T 2260 (plus 81/82/83, used
on residence permits for Hong Kong, Macao and Taiwan residents). The provider (settings.
REALNAME_PROVIDER) then confirms that the name belongs to the number; ``DevRealNameProvider``
accepts every well-formed number, for development and tests.
"""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.module_loading import import_string

# Province-level codes (GB/T 2260) and 81/82/83 for HK/Macao/Taiwan residence permits.
PROVINCE_CODES: dict[str, str] = {
    "11": "北京",
    "12": "天津",
    "13": "河北",
    "14": "山西",
    "15": "内蒙古",
    "21": "辽宁",
    "22": "吉林",
    "23": "黑龙江",
    "31": "上海",
    "32": "江苏",
    "33": "浙江",
    "34": "安徽",
    "35": "福建",
    "36": "江西",
    "37": "山东",
    "41": "河南",
    "42": "湖北",
    "43": "湖南",
    "44": "广东",
    "45": "广西",
    "46": "海南",
    "50": "重庆",
    "51": "四川",
    "52": "贵州",
    "53": "云南",
    "54": "西藏",
    "61": "陕西",
    "62": "甘肃",
    "63": "青海",
    "64": "宁夏",
    "65": "新疆",
    "71": "台湾",
    "81": "香港",
    "82": "澳门",
    "83": "台湾（居住证）",
}

# Weight of position i is 2^(17-i) mod 11 (ISO 7064 MOD 11-2).
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"
_SHAPE_RE = re.compile(r"^\d{17}[\dX]$")
_EARLIEST_BIRTH = date(1900, 1, 1)

# Chinese characters (incl. extension A) or Latin letters, with "·" between parts of a
# transliterated foreign or minority name (e.g. 阿依古丽·买买提).
_NAME_PART = r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z]+"
_NAME_RE = re.compile(rf"^{_NAME_PART}(?:·{_NAME_PART})*$")
# Look-alike dots people type from different keyboards, folded into the standard middle dot.
_DOT_VARIANTS = str.maketrans({"•": "·", "・": "·", "．": "·", "‧": "·", "∙": "·", "⋅": "·"})


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    region_code: str
    birth_date: date
    gender: str  # "male" / "female": the sequence number's parity

    @property
    def province(self) -> str:
        return PROVINCE_CODES[self.region_code[:2]]


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _invalid(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def parse_id_number(value: str, *, today: date | None = None) -> IdNumberInfo:
    """Validate an 18-character resident ID number; raise ValidationError saying what is wrong."""
    number = (value or "").strip().replace(" ", "").upper()
    if not _SHAPE_RE.match(number):
        raise _invalid(
            "身份证号应为 18 位，最后一位可为 X / An ID number has 18 characters (last may be X)", "id_format"
        )
    if number[:2] not in PROVINCE_CODES:
        raise _invalid("身份证号的地区代码无效 / The ID number's region code is not valid", "id_province")
    birth = _birth_date(number[6:14])
    today = today or timezone.localdate()
    if birth is None or birth < _EARLIEST_BIRTH or birth > today:
        raise _invalid(
            "身份证号中的出生日期无效 / The birth date in the ID number is not valid", "id_birth_date"
        )
    if check_character(number[:17]) != number[17]:
        raise _invalid("身份证号校验位不正确 / The ID number's check digit is wrong", "id_checksum")
    return IdNumberInfo(
        number=number,
        region_code=number[:6],
        birth_date=birth,
        gender="male" if int(number[16]) % 2 else "female",
    )


def _birth_date(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def normalise_real_name(value: str) -> str:
    return re.sub(r"\s+", "", (value or "").translate(_DOT_VARIANTS))


def validate_real_name(value: str) -> str:
    """2-20 characters, Chinese or Latin letters, "·" only between parts. Returns the normalised name."""
    name = normalise_real_name(value)
    if not 2 <= len(name) <= 20 or not _NAME_RE.match(name):
        raise _invalid(
            "姓名应为 2-20 个汉字或字母，可用“·”分隔 / "
            "Name: 2-20 Chinese characters or letters, parts separated by “·”",
            "real_name",
        )
    return name


# --- Providers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealNameResult:
    matched: bool
    reference: str = ""
    reason: str = ""


class RealNameProvider(ABC):
    """Confirms that a (validated) name and ID number belong together, e.g. via a licensed bureau API."""

    name: str = "abstract"

    @abstractmethod
    def verify(self, *, name: str, id_number: str) -> RealNameResult:
        """Raise RealNameUnavailable (accounts.errors) when the check could not be made."""


class DevRealNameProvider(RealNameProvider):
    """Development: every number that passes the GB 11643 checks is accepted."""

    name = "dev"

    def verify(self, *, name: str, id_number: str) -> RealNameResult:
        return RealNameResult(matched=True, reference=f"dev-{secrets.token_hex(8)}")


@lru_cache(maxsize=4)
def _provider_class(path: str) -> type[RealNameProvider]:
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, RealNameProvider)):
        raise TypeError(f"REALNAME_PROVIDER {path} is not a RealNameProvider")
    return cls


def get_realname_provider() -> RealNameProvider:
    return _provider_class(settings.REALNAME_PROVIDER)()
