"""JWT access and refresh tokens for the API and mobile clients.

Access tokens are short-lived (settings.JWT_ACCESS_TTL) and checked without a database row, except
for `ver`, the user's token_version: a password change or "log out everywhere" bumps it, so every
older token stops working at once. Logging out one device revokes its refresh-token family and
marks the family revoked in the cache for the access TTL, so that device's access token dies too.

Refresh tokens are recorded server-side. Each use rotates it (the old one is spent and a new one in
the same family is issued); presenting a spent or revoked one revokes the whole family, the standard
defence against a stolen refresh token being replayed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
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

    def as_response(self) -> dict:
        now = timezone.now()
        return {
            "access": self.access,
            "refresh": self.refresh,
            "token_type": "Bearer",
            "expires_in": max(0, int((self.access_expires_at - now).total_seconds())),
            "refresh_expires_in": max(0, int((self.refresh_expires_at - now).total_seconds())),
        }


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
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken(
            "令牌已过期 / The token has expired", code="token_expired", reason="expired"
        ) from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(reason=type(exc).__name__) from exc
    if claims.get("typ") != expected_type:
        raise InvalidToken(reason="wrong_token_type")
    return claims


def _revoked_family_key(family: str) -> str:
    return f"jwt:revoked-family:{family}"


def _mark_families_revoked(families: list[str]) -> None:
    # Access tokens outlive a logout by at most their TTL; remembering the family that long is enough.
    ttl = int(settings.JWT_ACCESS_TTL.total_seconds()) + 5
    cache.set_many({_revoked_family_key(f): 1 for f in families}, timeout=ttl)


def _issue(user: User, family: str, ip: str | None, user_agent: str) -> TokenPair:
    now = timezone.now()
    access_exp = now + settings.JWT_ACCESS_TTL
    refresh_exp = now + settings.JWT_REFRESH_TTL
    jti = uuid.uuid4().hex
    RefreshToken.objects.create(
        jti=jti,
        family=family,
        user=user,
        expires_at=refresh_exp,
        ip_address=ip,
        user_agent=(user_agent or "")[:200],
    )
    base = {"sub": str(user.pk), "iss": ISSUER, "iat": now, "ver": user.token_version, "fam": family}
    access = _encode({**base, "typ": "access", "exp": access_exp, "jti": uuid.uuid4().hex})
    refresh = _encode({**base, "typ": "refresh", "exp": refresh_exp, "jti": jti})
    return TokenPair(
        access=access, refresh=refresh, access_expires_at=access_exp, refresh_expires_at=refresh_exp
    )


@transaction.atomic
def issue_tokens(user: User, *, ip: str | None = None, user_agent: str = "") -> TokenPair:
    """A fresh token pair starting a new refresh family (one per signed-in device)."""
    return _issue(user, family=uuid.uuid4().hex, ip=ip, user_agent=user_agent)


def rotate_refresh_token(refresh_token: str, *, ip: str | None = None, user_agent: str = "") -> TokenPair:
    """Spend `refresh_token` and return a new pair in the same family.

    The reuse check commits its revocation before raising, so a replayed token really does cut off
    the family even though the request fails.
    """
    claims = _decode(refresh_token, "refresh")
    with transaction.atomic():
        record = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(jti=claims.get("jti"))
            .first()
        )
        failure = _refresh_failure(record, claims)
        if failure is None:
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
            return _issue(record.user, family=record.family, ip=ip, user_agent=user_agent)
    raise failure


def _refresh_failure(record: RefreshToken | None, claims: dict) -> InvalidToken | None:
    if record is None:
        return InvalidToken(reason="unknown_refresh_token")
    if record.revoked_at is not None or record.used_at is not None:
        # Replay of a spent token: assume theft and cut off the whole family.
        RefreshToken.objects.filter(family=record.family, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        _mark_families_revoked([record.family])
        return InvalidToken(code="refresh_token_reused", reason="refresh_token_reused")
    user = record.user
    if not user.is_active or claims.get("ver") != user.token_version:
        return InvalidToken(reason="revoked")
    return None


def user_from_access_token(token: str) -> User:
    claims = _decode(token, "access")
    if claims.get("fam") and cache.get(_revoked_family_key(claims["fam"])):
        raise InvalidToken(reason="revoked")
    user = User.objects.filter(pk=claims["sub"], is_active=True).first()
    if user is None or claims.get("ver") != user.token_version:
        raise InvalidToken(reason="revoked")
    return user


@transaction.atomic
def revoke_all_tokens(user: User) -> None:
    """Log out everywhere: bump the version (kills access tokens and, through the session auth hash,
    web sessions) and revoke every refresh token."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def revoke_refresh_family(refresh_token: str) -> None:
    """Log out one device. An expired refresh token still identifies its family, so it is accepted."""
    try:
        claims = jwt.decode(
            refresh_token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "typ"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(reason=type(exc).__name__) from exc
    if claims.get("typ") != "refresh" or not claims.get("fam"):
        raise InvalidToken(reason="wrong_token_type")
    RefreshToken.objects.filter(family=claims["fam"], revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    _mark_families_revoked([claims["fam"]])


@transaction.atomic
def revoke_family(*, user: User, family: str) -> int:
    """Revoke one family of `user` (the device list / admin). Returns how many tokens were revoked."""
    revoked = RefreshToken.objects.filter(user=user, family=family, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    _mark_families_revoked([family])
    return revoked
