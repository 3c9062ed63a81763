"""Validation of identifiers and the project's password strength rule."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,29}$")


def normalise_phone(phone: str) -> str:
    """Accept '+86 138-1234-5678' style input; store the 11-digit mainland number."""
    digits = re.sub(r"[\s-]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def looks_like_phone(value: str) -> bool:
    return bool(PHONE_RE.match(normalise_phone(value)))


def validate_phone(phone: str) -> str:
    normalised = normalise_phone(phone)
    if not PHONE_RE.match(normalised):
        raise ValidationError(
            _("请输入有效的中国大陆手机号 / Enter a valid mainland China mobile number"), code="phone"
        )
    return normalised


def validate_username(username: str) -> str:
    if not USERNAME_RE.match(username or ""):
        raise ValidationError(
            _(
                "用户名需以字母开头，3-30 位字母、数字或 _.- / "
                "Username: 3-30 letters, digits or _.-, starting with a letter"
            ),
            code="username",
        )
    return username


class CharacterClassValidator:
    """At least two of: letters, digits, symbols. Complements Django's length and common-password rules."""

    def validate(self, password: str, user=None) -> None:
        classes = sum(
            [
                bool(re.search(r"[A-Za-z]", password)),
                bool(re.search(r"\d", password)),
                bool(re.search(r"[^A-Za-z0-9]", password)),
            ]
        )
        if classes < 2:
            raise ValidationError(
                self.get_help_text(),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("密码需包含字母、数字、符号中的至少两类 / Use at least two of: letters, digits, symbols")
