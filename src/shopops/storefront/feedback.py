"""Showing domain errors on pages: pick the shopper's language and put each error where it belongs.

Services speak in bilingual messages ("中文 / English") because the same text goes to API clients.
A page shows only the half in the active language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language

SEPARATOR = " / "


def localise(message: object) -> str:
    """'验证码错误 / Wrong code' -> '验证码错误' in Chinese, 'Wrong code' in English."""
    text = str(message)
    zh, sep, en = text.partition(SEPARATOR)
    if not sep or not zh.strip() or not en.strip():
        return text
    return en.strip() if (get_language() or "").lower().startswith("en") else zh.strip()


def _messages_of(error: ValidationError | Iterable[object]) -> list[str]:
    if isinstance(error, ValidationError):
        return [localise(m) for m in error.messages]
    return [localise(m) for m in error]


def add_service_errors(
    form: forms.Form, exc: ValidationError, aliases: Mapping[str, str] | None = None
) -> None:
    """Attach a service's ValidationError to the form: per field when the form has that field.

    `aliases` maps a service argument name to the form field that collected it, e.g.
    {"sms_code": "code", "new_password": "password"}. Anything else becomes a form-level error,
    so no message is ever lost (Django's own add_error would raise on an unknown field name).
    """
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, _messages_of(exc))
        return
    for name, errors in exc.error_dict.items():
        target = aliases.get(name, name)
        messages = [localise(m) for error in errors for m in error.messages]
        form.add_error(target if target in form.fields else None, messages)


def add_domain_error(form: forms.Form, exc: Exception, field: str | None = None) -> None:
    form.add_error(field if field in form.fields else None, localise(getattr(exc, "message", exc)))
