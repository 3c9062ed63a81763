"""Answers for throttled requests: login lockouts (django-axes) and counters for caps."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from shopops.core.errors import Throttled, error_response


class LoginLocked(Throttled):
    code = "login_locked"
    message = "登录失败次数过多，请稍后再试 / Too many failed logins, try again later"


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """django-axes' lockout callable: 429 in the error shape for the API, a page for the web."""
    exc = LoginLocked(retry_after=lockout_seconds())
    if request.path.startswith("/api/"):
        response = error_response(exc.code, exc.message, 429, exc.details)
    else:
        from django.shortcuts import render

        response = render(
            request, "storefront/locked.html", {"retry_minutes": lockout_seconds() // 60}, status=429
        )
    response["Retry-After"] = str(lockout_seconds())
    return response


def hit_counter(key: str, timeout: int) -> int:
    """Atomically count an event in a window (Redis INCR in production; cache.add starts the window)."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1
