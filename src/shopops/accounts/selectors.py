"""Reads of the accounts app. Other apps (orders, storefront, console) use these, never the models' managers.

find_user_by_identifier(identifier) -> User | None
user_by_phone(phone) -> User | None
list_addresses(user) -> QuerySet[Address]           default first, then most recently changed
get_address(*, user, address_id) -> Address         AddressNotFound (404) for another user's id
default_address(user) -> Address | None
address_snapshot(address) -> dict                   plain copy for an order (unmasked)
current_real_name(user) -> RealNameVerification | None     the verified record
real_name_summary(user) -> dict                     masked, safe to show anywhere
active_devices(user) -> list[dict]                  refresh-token families still usable
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from shopops.accounts.backends import find_user_by_identifier
from shopops.accounts.errors import AddressNotFound
from shopops.accounts.models import (
    Address,
    RealNameStatus,
    RealNameVerification,
    RefreshToken,
    User,
    phone_digest,
)
from shopops.accounts.validators import looks_like_phone, normalise_phone

__all__ = [
    "active_devices",
    "address_snapshot",
    "current_real_name",
    "default_address",
    "find_user_by_identifier",
    "get_address",
    "list_addresses",
    "real_name_summary",
    "user_by_id",
    "user_by_phone",
]


def user_by_id(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def user_by_phone(phone: str) -> User | None:
    if not looks_like_phone(phone):
        return None
    return User.objects.filter(phone_digest=phone_digest(normalise_phone(phone))).first()


def list_addresses(user: User) -> QuerySet[Address]:
    return Address.objects.filter(user=user).order_by("-is_default", "-updated_at", "-id")


def get_address(*, user: User, address_id: int) -> Address:
    address = Address.objects.filter(user=user, pk=address_id).first()
    if address is None:
        # Same answer for "not yours" and "does not exist": ids of other users cannot be probed.
        raise AddressNotFound(address_id=address_id)
    return address


def default_address(user: User) -> Address | None:
    return Address.objects.filter(user=user, is_default=True).first()


def address_snapshot(address: Address) -> dict[str, Any]:
    """What an order keeps of the address it ships to (later edits must not change past orders)."""
    return {
        "receiver_name": address.receiver_name,
        "receiver_phone": address.receiver_phone,
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "region_code": address.region_code,
        "street": address.street,
        "detail": address.detail,
        "postcode": address.postcode,
    }


def current_real_name(user: User) -> RealNameVerification | None:
    return RealNameVerification.objects.filter(user=user, status=RealNameStatus.VERIFIED).first()


def real_name_summary(user: User) -> dict[str, Any]:
    record = current_real_name(user)
    if record is None:
        return {"verified": False, "name": "", "id_number": "", "verified_at": None}
    return {
        "verified": True,
        "name": record.masked_name,
        "id_number": record.masked_id_number,
        "verified_at": record.created_at,
    }


def active_devices(user: User) -> list[dict[str, Any]]:
    """One entry per refresh family with a usable token: the signed-in apps and API clients."""
    tokens = RefreshToken.objects.filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")
    return [
        {
            "family": token.family,
            "last_seen_at": token.created_at,
            "expires_at": token.expires_at,
            "ip_address": token.ip_address,
            "user_agent": token.user_agent,
        }
        for token in tokens
    ]
