"""Answers for throttled requests: login lockouts (django-axes) and counters for caps."""

from __future__ import annotations

import math
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

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
        response = _lockout_page(request)
    response["Retry-After"] = str(lockout_seconds())
    return response


def _lockout_page(request: HttpRequest) -> HttpResponse:
    from django.shortcuts import render
    from django.template import TemplateDoesNotExist

    minutes = lockout_seconds() // 60
    try:
        return render(request, "storefront/locked.html", {"retry_minutes": minutes}, status=429)
    except TemplateDoesNotExist:
        # The storefront page is optional; the lockout itself must never turn into a 500.
        return HttpResponse(
            f"登录失败次数过多，请 {minutes} 分钟后再试。/ Too many failed sign-ins, "
            f"try again in {minutes} minutes.",
            status=429,
            content_type="text/plain; charset=utf-8",
        )


def hit_counter(key: str, timeout: int) -> int:
    """Atomically count an event in a window (Redis INCR in production; cache.add starts the window)."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def cache_count(key: str) -> int:
    """Current value of a hit_counter window (0 when none)."""
    return int(cache.get(key) or 0)


def claim_cooldown(key: str, seconds: int) -> int:
    """Start a cooldown unless one is running. Returns 0 when claimed, else the seconds left.

    cache.add is atomic (Redis SET NX), so two racing requests cannot both claim it. The stored value
    is the end time, which lets any cache backend answer how long is left.
    """
    until = time.time() + seconds
    if cache.add(key, until, timeout=seconds):
        return 0
    remaining = math.ceil(float(cache.get(key) or until) - time.time())
    return max(1, min(seconds, remaining))


def release_cooldown(key: str) -> None:
    cache.delete(key)


def seconds_until_tomorrow() -> int:
    """Seconds to local midnight: when a daily cap resets."""
    now = timezone.localtime()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, math.ceil((midnight - now).total_seconds()))


def day_stamp() -> str:
    return timezone.localdate().strftime("%Y%m%d")


def request_ip(request: HttpRequest | None) -> str | None:
    """The client's address as django-axes sees it (honours AXES_IPWARE_PROXY_COUNT behind proxies)."""
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or None
