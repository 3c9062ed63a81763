"""Account emails and the signed tokens in their links.

Links point at storefront pages (settings.SITE_URL + the paths below); the pages call
services.verify_email / services.reset_password with the token from the URL.

Tokens are django.core.signing TimestampSigner values with their own salt, so a token made for one
purpose is useless for another. A password-reset token also carries a fingerprint of the account's
password hash, last login, token version and email address: it stops working once used, once the user
signs in, after "log out everywhere", or once the account no longer has the address it was sent to.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac

from shopops.accounts.models import User

VERIFY_EMAIL_PATH = "/accounts/verify-email/{token}/"
RESET_PASSWORD_PATH = "/accounts/reset/{token}/"
FORGOT_PASSWORD_PATH = "/accounts/password-reset/"

EMAIL_VERIFY_SALT = "shopops.accounts.verify-email"
PASSWORD_RESET_SALT = "shopops.accounts.reset-password"
SITE_NAME = "ShopOps"


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def email_verification_max_age() -> timedelta:
    return settings.EMAIL_VERIFICATION_MAX_AGE


def password_reset_max_age() -> timedelta:
    return timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


# --- Tokens --------------------------------------------------------------------------------------------


def make_email_verification_token(user: User) -> str:
    # The address is part of the token, so a link sent to an old address cannot verify a new one.
    return signing.TimestampSigner(salt=EMAIL_VERIFY_SALT).sign_object({"u": user.pk, "e": user.email})


def read_email_verification_token(token: str) -> dict[str, Any]:
    """Raises signing.SignatureExpired or signing.BadSignature."""
    return signing.TimestampSigner(salt=EMAIL_VERIFY_SALT).unsign_object(
        token, max_age=email_verification_max_age()
    )


def password_state_fingerprint(user: User) -> str:
    last_login = user.last_login.replace(microsecond=0, tzinfo=None).isoformat() if user.last_login else ""
    # The address is in it too: a link sent to an address the account has since lost (changed, or
    # released because another account verified it first) no longer works.
    return salted_hmac(
        PASSWORD_RESET_SALT, f"{user.pk}:{user.password}:{last_login}:{user.token_version}:{user.email}"
    ).hexdigest()[:24]


def make_password_reset_token(user: User) -> str:
    return signing.TimestampSigner(salt=PASSWORD_RESET_SALT).sign_object(
        {"u": user.pk, "s": password_state_fingerprint(user)}
    )


def read_password_reset_token(token: str) -> dict[str, Any]:
    """Raises signing.SignatureExpired or signing.BadSignature."""
    return signing.TimestampSigner(salt=PASSWORD_RESET_SALT).unsign_object(
        token, max_age=password_reset_max_age()
    )


# --- Sending -------------------------------------------------------------------------------------------


def _send(*, template: str, to: str, context: dict[str, Any], html: bool = True) -> None:
    context = {"site_name": SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"accounts/email/{template}_subject.txt", context).split())
    body = render_to_string(f"accounts/email/{template}.txt", context)
    message = EmailMultiAlternatives(subject=subject, body=body, to=[to])
    if html:
        message.attach_alternative(render_to_string(f"accounts/email/{template}.html", context), "text/html")
    message.send()


def _hours(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() // 3600))


def send_verification_email(user: User) -> None:
    token = make_email_verification_token(user)
    _send(
        template="verify_email",
        to=user.email,
        context={
            "user": user,
            "link": site_link(VERIFY_EMAIL_PATH.format(token=token)),
            "valid_hours": _hours(email_verification_max_age()),
        },
    )


def send_password_reset_email(user: User) -> None:
    token = make_password_reset_token(user)
    _send(
        template="password_reset",
        to=user.email,
        context={
            "user": user,
            "link": site_link(RESET_PASSWORD_PATH.format(token=token)),
            "valid_hours": _hours(password_reset_max_age()),
        },
    )


def send_password_changed_notice(user: User) -> None:
    _send(
        template="password_changed",
        to=user.email,
        context={
            "user": user,
            "changed_at": timezone.localtime(),
            "reset_url": site_link(FORGOT_PASSWORD_PATH),
        },
        html=False,
    )


def send_phone_changed_notice(user: User, *, old_phone_masked: str, new_phone_masked: str) -> None:
    _send(
        template="phone_changed",
        to=user.email,
        context={
            "user": user,
            "changed_at": timezone.localtime(),
            "old_phone": old_phone_masked,
            "new_phone": new_phone_masked,
            "reset_url": site_link(FORGOT_PASSWORD_PATH),
        },
        html=False,
    )
