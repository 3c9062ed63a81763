"""JWT access and refresh tokens for the API and mobile clients.

Access tokens are short-lived and stateless except for `ver`, the user's token_version, which a
password change bumps so every older token stops working at once. Refresh tokens are recorded
server-side: each use rotates it (the old one is spent), and presenting a spent one revokes the
whole family, the standard defence against a stolen refresh token being replayed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shopops.accounts.models import RefreshToken, User
from shopops.core.errors import NotAuthenticated

ALGORITHM = "HS256"
ISSUER = "shopops"


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    message = "令牌无效或已过期 / The token is invalid or expired"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_at: datetime
    refresh_expires_at: datetime


def _encode(claims: dict) -> str:
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM)


def _decode(token: str, expected_type: str) -> dict:
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "typ"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(reason=type(exc).__name__) from exc
    if claims.get("typ") != expected_type:
        raise InvalidToken(reason="wrong_token_type")
    return claims


def _issue(user: User, family: str) -> TokenPair:
    now = timezone.now()
    access_exp = now + settings.JWT_ACCESS_TTL
    refresh_exp = now + settings.JWT_REFRESH_TTL
    jti = uuid.uuid4().hex
    RefreshToken.objects.create(jti=jti, family=family, user=user, expires_at=refresh_exp)
    base = {"sub": str(user.pk), "iss": ISSUER, "iat": now, "ver": user.token_version}
    access = _encode({**base, "typ": "access", "exp": access_exp, "jti": uuid.uuid4().hex})
    refresh = _encode({**base, "typ": "refresh", "exp": refresh_exp, "jti": jti, "fam": family})
    return TokenPair(
        access=access, refresh=refresh, access_expires_at=access_exp, refresh_expires_at=refresh_exp
    )


@transaction.atomic
def issue_tokens(user: User) -> TokenPair:
    return _issue(user, family=uuid.uuid4().hex)


@transaction.atomic
def rotate_refresh_token(refresh_token: str) -> TokenPair:
    claims = _decode(refresh_token, "refresh")
    record = (
        RefreshToken.objects.select_for_update().select_related("user").filter(jti=claims.get("jti")).first()
    )
    if record is None:
        raise InvalidToken(reason="unknown_refresh_token")
    now = timezone.now()
    if record.revoked_at is not None or record.used_at is not None:
        # Replay of a spent token: assume theft and cut off the whole family.
        RefreshToken.objects.filter(family=record.family, revoked_at__isnull=True).update(revoked_at=now)
        raise InvalidToken(reason="refresh_token_reused")
    user = record.user
    if not user.is_active or claims.get("ver") != user.token_version:
        raise InvalidToken(reason="revoked")
    record.used_at = now
    record.save(update_fields=["used_at"])
    return _issue(user, family=record.family)


def user_from_access_token(token: str) -> User:
    claims = _decode(token, "access")
    user = User.objects.filter(pk=claims["sub"], is_active=True).first()
    if user is None or claims.get("ver") != user.token_version:
        raise InvalidToken(reason="revoked")
    return user


@transaction.atomic
def revoke_all_tokens(user: User) -> None:
    """Log out everywhere: bump the version (kills access tokens) and revoke refresh tokens."""
    User.objects.filter(pk=user.pk).update(token_version=user.token_version + 1)
    user.token_version += 1
    RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def revoke_refresh_family(refresh_token: str) -> None:
    claims = _decode(refresh_token, "refresh")
    RefreshToken.objects.filter(family=claims.get("fam"), revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
