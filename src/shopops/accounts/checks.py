"""Deployment checks (`manage.py check --deploy` and start-up): verification must be real in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


@register("shopops", deploy=True)
def verification_providers_are_real(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    problems = []
    if settings.SMS_PROVIDER.endswith("ConsoleSmsProvider"):
        problems.append(
            Warning(
                "SMS_PROVIDER is the console provider: codes are logged, not sent.",
                hint="Set SMS_PROVIDER=shopops.accounts.sms.HttpSmsProvider and SMS_HTTP_URL / _API_KEY.",
                id="shopops.accounts.W001",
            )
        )
    if settings.SMS_PROVIDER.endswith("HttpSmsProvider") and not settings.SMS_HTTP_URL.startswith("https://"):
        problems.append(
            Warning(
                "SMS_HTTP_URL should be an https:// address.",
                id="shopops.accounts.W002",
            )
        )
    if settings.REALNAME_PROVIDER.endswith("DevRealNameProvider"):
        problems.append(
            Warning(
                "REALNAME_PROVIDER is the development provider: every well-formed ID number is accepted.",
                hint="Plug in a licensed identity-verification RealNameProvider.",
                id="shopops.accounts.W003",
            )
        )
    return problems
