"""Masking PII for display: enough to recognise, not enough to misuse."""

from __future__ import annotations


def mask_middle(value: str | None, keep_start: int, keep_end: int, char: str = "*") -> str:
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return char * len(value)
    return value[:keep_start] + char * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_phone(phone: str | None) -> str:
    """13812345678 -> 138****5678."""
    return mask_middle(phone, 3, 4)


def mask_id_number(id_number: str | None) -> str:
    """110101199003071234 -> 1101**********1234."""
    return mask_middle(id_number, 4, 4)


def mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return mask_middle(email, 1, 0)
    local, domain = email.split("@", 1)
    return f"{mask_middle(local, 1, 1) if len(local) > 2 else local[:1] + '*'}@{domain}"


def mask_name(name: str | None) -> str:
    """张三丰 -> 张**; keeps the family name as Chinese apps do."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)
