"""Accounts API: registration, verification, login, tokens, profile and addresses."""

from __future__ import annotations

from ninja import Router, Schema

from shopops.accounts.auth import api_auth

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    phone_masked: str
    email_verified: bool
    phone_verified: bool
    real_name_verified: bool


@router.get("/me", response=MeOut, auth=api_auth, summary="The signed-in user")
def me(request):
    user = request.auth
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "phone_masked": user.masked_phone,
        "email_verified": user.email_verified_at is not None,
        "phone_verified": user.phone_verified_at is not None,
        "real_name_verified": user.real_name_verified_at is not None,
    }
