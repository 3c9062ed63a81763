"""Authentication for the API: a JWT bearer token, or the web session (with CSRF for writes)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from shopops.accounts.tokens import user_from_access_token


class JWTAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = user_from_access_token(token)  # raises InvalidToken -> 401 in the error shape
        request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """Session cookie auth (ninja enforces CSRF on unsafe methods for cookie auth)."""

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


# Use as `auth=api_auth` on every endpoint that needs a signed-in user.
api_auth = [JWTAuth(), ActiveSessionAuth()]
