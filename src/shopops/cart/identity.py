"""Who owns the cart of a request: the signed-in user, or the guest whose session holds a cart token.

The token is random and lives only in the server-side session, so a guest cart can never be reached
by guessing an id; it is created lazily on the first write, so browsing never creates sessions.
"""

from __future__ import annotations

from django.http import HttpRequest

from shopops.cart.selectors import CartOwner
from shopops.core.ids import random_token

SESSION_KEY = "shopops_cart_token"


def cart_owner(request: HttpRequest, *, user=None, create: bool = False) -> CartOwner:
    """The cart owner of `request` (`user` when the caller authenticated another way, e.g. a JWT)."""
    user = user if user is not None else getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return CartOwner(user=user)
    session = getattr(request, "session", None)
    if session is None:
        return CartOwner()
    token = session.get(SESSION_KEY)
    if token is None and create:
        token = random_token(24)
        session[SESSION_KEY] = token
    return CartOwner(token=token)


def guest_token(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    return session.get(SESSION_KEY) if session is not None else None


def forget_guest_token(request: HttpRequest) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(SESSION_KEY, None)
