"""Every write of the accounts app. The storefront pages and the API both call these.

Public functions (names and arguments are stable; other apps and the storefront rely on them).
Input problems raise Django ``ValidationError`` with a field dict (422 in the API; hand it to a form
with ``form.add_error(None, exc)``); everything else raises an ``accounts.errors`` DomainError.

Registration and verification
    register_user(*, password, username=None, phone=None, email=None, sms_code=None,
                  display_name="", ip=None) -> User
        At least one of username / phone / email. A phone needs a valid SMS code (purpose "register")
        and is then verified; an email gets a verification link (sent after commit). A missing
        username is generated. 422 per field, 409 IdentifierTaken (code phone_taken/email_taken/...).
        An email is only "taken" once an account verified it: unverified claims may share an address.
    send_sms_code(*, phone, purpose, ip=None, user=None) -> SmsSendResult
        purpose: "register" | "login" | "reset_password" | "bind_phone" | "change_phone". 60 s
        cooldown per phone+purpose (SmsCooldown 429, details.retry_after), daily caps per phone and per
        IP (SmsDailyCapReached 429). "login" codes go to any number (an unknown one signs up, see
        sign_in_with_sms); for reset_password the answer is the same whether or not the phone is
        registered (a code is only really sent when it is). Dev provider: read the code with
        shopops.accounts.sms.last_sms_code(phone).
    send_email_verification(*, user) -> None
    verify_email(*, token, request=None) -> User
        First account to verify an address owns it; the other (unverified) claims are released (email
        cleared, their links dead), audited. InvalidVerificationToken (400) when tampered/expired,
        EmailVerifiedElsewhere (409) when another account verified it first.

Login (web session and API)
    login_with_password(request, identifier, password) -> User
        identifier: username, email or mobile. Logs the session in (django.contrib.auth.login).
        Raises InvalidCredentials (401) or LoginLocked (429, retry_after) after 5 failures (django-axes).
    sign_in_with_sms(*, request, phone, code, accept_terms=False) -> SmsSignIn(user, created)
        A "login" SMS code; a number without an account gets one (验证码登录即注册: generated username,
        unusable password, phone verified) only with accept_terms=True, else TermsNotAccepted (422,
        the code stays usable). No session (pair with login_user or issue_api_tokens).
    login_with_sms(request, phone, code, accept_terms=False) -> User    Session login, same rules.
    authenticate_with_password(*, request, identifier, password) -> User   Same checks, no session
    authenticate_with_sms(*, request, phone, code, accept_terms=False) -> User   (the token API).
    issue_api_tokens(*, request, user) -> TokenPair                         Records the login, new JWT pair.
    login_user(request, user) -> None       Session for a user just registered (sign-up page).
    logout(request) -> None

Passwords
    change_password(*, user, old_password, new_password, request=None) -> None
        Revokes every token and other session; keeps the current web session when request is given.
    request_password_reset(*, email, ip=None) -> None
        Emails a signed link to SITE_URL/accounts/reset/<token>/ if the address belongs to an active
        account; same answer otherwise. By SMS: send_sms_code(purpose="reset_password").
    check_password_reset_token(*, token) -> User    For the page that shows the new-password form.
    reset_password(*, new_password, token=None, phone=None, code=None) -> User
        Either the emailed token, or phone + SMS code (purpose "reset_password").

Profile
    update_profile(*, user, display_name=None, username=None, email=None) -> User
        A new email is unverified until its link is clicked (a link is sent).
    send_current_phone_code(*, user, ip=None) -> SmsSendResult   "change_phone" code to the own number.
    bind_phone(*, user, phone, code, password=None, current_code=None, request=None) -> User
        The new number's "bind_phone" code plus a proof of the owner: the password or a "change_phone"
        code (current_code). Own 4xx code per failure, nothing changes on failure; audited, and the old
        number and a verified email are told after the commit (notify_phone_changed).
    log_out_everywhere(*, user) -> None              Revokes all JWTs and all web sessions.

Real-name verification (实名认证)
    submit_real_name(*, user, name, id_number, ip=None) -> RealNameVerification
        Validates the ID number (GB 11643) and name, asks settings.REALNAME_PROVIDER.
        AlreadyVerified / IdNumberInUse (409), RealNameRejected (422).
    reveal_real_name(*, viewer, verification, request=None, reason="") -> RevealedRealName
        Plaintext for holders of the platform permission "pii.realname"; every call is audited
        (action "pii.realname.view"). PermissionDenied (403) otherwise.
    Reads (masked summaries, addresses, snapshots for orders) are in selectors.py.

Links and emails
    Emails go out through Celery tasks queued with transaction.on_commit (tests: wrap the call in
    pytest-django's django_capture_on_commit_callbacks(execute=True) to see them in mail.outbox).
    Link targets (storefront pages): emails.VERIFY_EMAIL_PATH "/accounts/verify-email/<token>/",
    emails.RESET_PASSWORD_PATH "/accounts/reset/<token>/", emails.FORGOT_PASSWORD_PATH
    "/accounts/password-reset/" (linked from the password-changed notice).

Addresses (at most MAX_ADDRESSES_PER_USER; exactly one default while any exist)
    create_address(*, user, receiver_name, receiver_phone, province, city, district, detail,
                   street="", region_code="", postcode="", is_default=False) -> Address
    update_address(*, user, address_id, **changes) -> Address
    delete_address(*, user, address_id) -> None
    set_default_address(*, user, address_id) -> Address
        Another user's address id raises AddressNotFound (404), as if it did not exist.
    validate_region(*, province, city, district, region_code="") -> RegionMatch
        The one place that judges a region (accounts/regions.py): checks the names against the
        vendored GB/T 2260 list (storefront/static/storefront/vendor/regions-cn.json), accepts
        "广西/南宁/青秀" for "广西壮族自治区/南宁市/青秀区" and fills in the 6-digit region_code.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate, password_validation, update_session_auth_hash
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth.hashers import make_password
from django.contrib.auth.signals import user_logged_in
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from shopops.accounts import emails, tasks, tokens
from shopops.accounts.backends import find_user_by_identifier
from shopops.accounts.errors import (
    AddressLimitReached,
    AlreadyVerified,
    CurrentPasswordInvalid,
    EmailVerifiedElsewhere,
    IdentifierTaken,
    IdNumberInUse,
    InvalidCredentials,
    InvalidVerificationToken,
    LoginLocked,
    NoCurrentPhone,
    OwnerProofRequired,
    PhoneUnchanged,
    RealNameRejected,
    SmsCodeInvalid,
    SmsCooldown,
    SmsDailyCapReached,
    TermsNotAccepted,
)
from shopops.accounts.models import (
    MAX_ADDRESSES_PER_USER,
    Address,
    RealNameStatus,
    RealNameVerification,
    SmsCode,
    SmsPurpose,
    User,
    id_number_digest,
    phone_digest,
)
from shopops.accounts.realname import get_realname_provider, parse_id_number, validate_real_name
from shopops.accounts.regions import validate_region
from shopops.accounts.selectors import get_address
from shopops.accounts.sms import code_message, get_sms_provider, phone_changed_message
from shopops.accounts.throttling import (
    cache_count,
    claim_cooldown,
    day_stamp,
    hit_counter,
    lockout_seconds,
    release_cooldown,
    request_ip,
    seconds_until_tomorrow,
)
from shopops.accounts.validators import looks_like_phone, normalise_phone, validate_phone, validate_username
from shopops.core import audit, crypto
from shopops.core.errors import Conflict, NotAuthenticated, PermissionDenied, Throttled
from shopops.core.masking import mask_email, mask_id_number, mask_name, mask_phone
from shopops.shops.selectors import has_platform_perm

logger = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = [
    "RevealedRealName",
    "SmsSendResult",
    "SmsSignIn",
    "authenticate_with_password",
    "authenticate_with_sms",
    "bind_phone",
    "change_password",
    "check_password_reset_token",
    "create_address",
    "delete_address",
    "issue_api_tokens",
    "log_out_everywhere",
    "login_user",
    "login_with_password",
    "login_with_sms",
    "logout",
    "notify_phone_changed",
    "register_user",
    "request_password_reset",
    "reset_password",
    "reveal_real_name",
    "send_current_phone_code",
    "send_email_verification",
    "send_sms_code",
    "set_default_address",
    "sign_in_with_sms",
    "submit_real_name",
    "update_address",
    "update_profile",
    "validate_region",
    "verify_email",
]

IDENTIFIER_BACKEND = "shopops.accounts.backends.IdentifierBackend"
CODE_RE = re.compile(r"^\d{6}$")
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "root", "system", "shopops", "support", "service", "kefu", "official",
     "staff", "api", "www", "null", "none", "undefined", "anonymous", "guanfang", "xitong"}
)  # fmt: skip
DISPLAY_NAME_MAX = 32
EMAIL_RESEND_COOLDOWN_SECONDS = 60
# Unverified claims of one address that each get a reset link (see _password_reset_recipients).
MAX_RESET_LINKS_PER_ADDRESS = 3

# Optional tuning knobs (settings may override; defaults suit a public shop).
REGISTRATIONS_PER_IP_HOURLY = getattr(settings, "ACCOUNTS_REGISTRATIONS_PER_IP_HOURLY", 20)
LOGIN_FAILURES_PER_IP_HOURLY = getattr(settings, "ACCOUNTS_LOGIN_FAILURES_PER_IP_HOURLY", 100)
PASSWORD_RESETS_PER_IP_DAILY = getattr(settings, "ACCOUNTS_PASSWORD_RESETS_PER_IP_DAILY", 20)
PASSWORD_CHANGE_FAILURES_HOURLY = getattr(settings, "ACCOUNTS_PASSWORD_CHANGE_FAILURES_HOURLY", 5)
REALNAME_ATTEMPTS_DAILY = getattr(settings, "ACCOUNTS_REALNAME_ATTEMPTS_DAILY", 5)


# ==================================================================================================
# Small helpers
# ==================================================================================================


class _FieldErrors:
    """Collects per-field problems so one answer lists all of them (422 with details.fields)."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str | ValidationError) -> None:
        messages = message.messages if isinstance(message, ValidationError) else [message]
        self.fields.setdefault(field, []).extend(str(m) for m in messages)

    def merge(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                for error in errors:
                    self.add(field, error)
        else:
            self.add(NON_FIELD_ERRORS, exc)

    def check(self, field: str, validator: Callable[[Any], T], value: Any) -> T | None:
        try:
            return validator(value)
        except ValidationError as exc:
            self.add(field, exc)
            return None

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(self.fields)


def _required_message(label_zh: str, label_en: str) -> str:
    return f"请填写{label_zh} / {label_en} is required"


def _has_control_chars(value: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in value)


def _clean_email(value: str) -> str:
    email = (value or "").strip().lower()
    if len(email) > 254:
        raise ValidationError("邮箱地址过长 / The email address is too long")
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError("请输入有效的邮箱地址 / Enter a valid email address") from None
    return email


def _clean_username(value: str) -> str:
    username = validate_username((value or "").strip())
    if username.lower() in RESERVED_USERNAMES:
        raise ValidationError("该用户名不可使用 / This username is reserved")
    return username


def _clean_display_name(value: str) -> str:
    name = " ".join((value or "").split())
    if len(name) > DISPLAY_NAME_MAX or _has_control_chars(name):
        raise ValidationError(
            f"昵称最多 {DISPLAY_NAME_MAX} 个字符 / Display name: at most {DISPLAY_NAME_MAX} characters"
        )
    return name


def _clean_code(value: str) -> str:
    code = (value or "").strip()
    if not CODE_RE.match(code):
        raise ValidationError("请输入 6 位数字验证码 / Enter the 6-digit code")
    return code


def _check_new_password(errors: _FieldErrors, field: str, password: str, user: User) -> None:
    if not password:
        errors.add(field, _required_message("密码", "Password"))
        return
    if len(password) > 128:
        errors.add(field, "密码最多 128 个字符 / Password: at most 128 characters")
        return
    errors.check(field, lambda p: password_validation.validate_password(p, user=user), password)


def _queue(task: Any, *args: Any) -> None:
    """Run a Celery task after the surrounding transaction commits (at once when there is none).

    robust=True: a broker outage is logged, not turned into an error for a request whose database
    work already committed.
    """
    transaction.on_commit(lambda: task.delay(*args), robust=True)


def _lock_user(user: User) -> User:
    # FOR NO KEY UPDATE: serialises changes to this user's rows without blocking foreign-key checks.
    return User.objects.select_for_update(no_key=True).get(pk=user.pk)


def _taken_identifier(
    *, username: str = "", phone: str = "", email: str = "", exclude_pk: int | None = None
) -> str | None:
    users = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if phone and users.filter(phone_digest=phone_digest(phone)).exists():
        return "phone"
    # Only a verified address is taken: an unverified claim must not block its real owner.
    if email and users.filter(email=email.lower(), email_verified_at__isnull=False).exists():
        return "email"
    if username and users.filter(username__iexact=username).exists():
        return "username"
    return None


# ==================================================================================================
# SMS verification codes
# ==================================================================================================


@dataclass(frozen=True)
class SmsSendResult:
    cooldown_seconds: int
    expires_in: int


def _hash_code(code: str, salt: str | None = None) -> str:
    # Keyed (SECRET_KEY) and salted: a leaked table cannot be brute-forced through a million codes.
    salt = salt or secrets.token_hex(8)
    mac = salted_hmac("shopops.accounts.sms-code", f"{salt}:{code}", algorithm="sha256").hexdigest()
    return f"hmac-sha256${salt}${mac}"


def _code_matches(code: str, stored: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 3:
        return False
    return constant_time_compare(_hash_code(code, parts[1]), stored)


def _generate_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _sms_should_deliver(*, purpose: str, digest: str, user: User | None) -> bool:
    """Whether a code really goes out; raises when the request itself is wrong."""
    owner = User.objects.filter(phone_digest=digest).first()
    if purpose == SmsPurpose.REGISTER:
        if owner is not None:
            raise IdentifierTaken("phone")
        return True
    if purpose == SmsPurpose.BIND_PHONE:
        if user is None or not user.is_authenticated:
            raise NotAuthenticated()
        if owner is not None and owner.pk == user.pk:
            raise ValidationError({"phone": ["这已是您绑定的手机号 / This number is already yours"]})
        if owner is not None:
            raise IdentifierTaken("phone")
        return True
    if purpose == SmsPurpose.CHANGE_PHONE:
        # Only ever to the signed-in account's own number (send_current_phone_code).
        if user is None or not user.is_authenticated:
            raise NotAuthenticated()
        if owner is None or owner.pk != user.pk:
            raise NoCurrentPhone()
        return True
    if purpose == SmsPurpose.LOGIN:
        # 验证码登录即注册: a number without an account gets a code too (its sign-in opens the
        # account), so the answer is the same either way. Disabled accounts get nothing.
        return owner is None or owner.is_active
    # reset_password: the same answer whether or not the number is registered, so the endpoint
    # cannot be used to find out who has an account. Only real accounts get a message.
    return owner is not None and owner.is_active


def _count_daily_sms(*, digest: str, ip: str | None) -> None:
    day, window = day_stamp(), 2 * 86400
    if ip and hit_counter(f"sms:daily:ip:{ip}:{day}", window) > settings.SMS_DAILY_CAP_PER_IP:
        raise SmsDailyCapReached(retry_after=seconds_until_tomorrow(), scope="ip")
    if hit_counter(f"sms:daily:phone:{digest}:{day}", window) > settings.SMS_DAILY_CAP_PER_PHONE:
        raise SmsDailyCapReached(retry_after=seconds_until_tomorrow(), scope="phone")


def _issue_sms_code(*, phone: str, digest: str, purpose: str, ip: str | None) -> SmsCode:
    code = _generate_code()
    provider = get_sms_provider()
    ttl = settings.SMS_CODE_TTL_SECONDS
    # The gateway call sits inside the transaction: if it fails, the new code is rolled back and the
    # previous one stays valid. Rows locked here are only this phone's older codes.
    with transaction.atomic():
        now = timezone.now()
        SmsCode.objects.filter(
            phone_digest=digest, purpose=purpose, consumed_at__isnull=True, superseded_at__isnull=True
        ).update(superseded_at=now)
        record = SmsCode.objects.create(
            phone_digest=digest,
            phone_masked=f"{phone[:3]}****{phone[-4:]}",
            purpose=purpose,
            code_hash=_hash_code(code),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            ip_address=ip,
            provider=provider.name,
        )
        record.provider_message_id = provider.send(
            code_message(phone=phone, purpose=purpose, code=code, minutes=max(1, ttl // 60))
        )
        record.save(update_fields=["provider_message_id"])
    return record


def send_sms_code(
    *, phone: str, purpose: str, ip: str | None = None, user: User | None = None
) -> SmsSendResult:
    """Send a verification code (see the module docstring for the rules)."""
    errors = _FieldErrors()
    phone = errors.check("phone", validate_phone, phone)
    if purpose not in SmsPurpose.values:
        errors.add("purpose", "不支持的验证码用途 / Unknown code purpose")
    errors.raise_if_any()
    digest = phone_digest(phone)
    cooldown = settings.SMS_RESEND_COOLDOWN_SECONDS
    cooldown_key = f"sms:cooldown:{purpose}:{digest}"
    remaining = claim_cooldown(cooldown_key, cooldown)
    if remaining:
        raise SmsCooldown(retry_after=remaining)
    try:
        # Caps are counted before the "already registered?" answer, so probing which numbers have
        # accounts costs the prober its daily budget like any other send.
        _count_daily_sms(digest=digest, ip=ip)
        if _sms_should_deliver(purpose=purpose, digest=digest, user=user):
            _issue_sms_code(phone=phone, digest=digest, purpose=purpose, ip=ip)
    except Exception:
        # Nothing went out: let the user try again at once (e.g. after a gateway hiccup).
        release_cooldown(cooldown_key)
        raise
    return SmsSendResult(cooldown_seconds=cooldown, expires_in=settings.SMS_CODE_TTL_SECONDS)


def _consume_sms_code(*, digest: str, purpose: str, code: str) -> SmsCodeInvalid | None:
    """Inside a transaction: try `code` against the newest live code and use it up; None when it
    matched.

    A wrong guess is recorded on the row and returned (not raised) so the caller can let the
    transaction commit the attempt count before raising.
    """
    record, failure = _check_sms_code(digest=digest, purpose=purpose, code=code)
    if record is not None:
        _mark_used(record)
    return failure


def _mark_used(record: SmsCode) -> None:
    record.consumed_at = timezone.now()
    record.save(update_fields=["consumed_at"])


def _check_sms_code(*, digest: str, purpose: str, code: str) -> tuple[SmsCode | None, SmsCodeInvalid | None]:
    """Inside a transaction: lock the newest live code and try `code` against it without using it
    up. Returns (the matching record, None) or (None, the failure); a wrong guess is counted."""
    record = (
        SmsCode.objects.select_for_update()
        .filter(phone_digest=digest, purpose=purpose, consumed_at__isnull=True, superseded_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    now = timezone.now()
    max_tries = settings.SMS_MAX_WRONG_TRIES
    if record is None:
        return None, SmsCodeInvalid(field="code")
    if record.expires_at <= now:
        return None, SmsCodeInvalid(
            "验证码已过期，请重新获取 / The code has expired, request a new one",
            code="sms_code_expired",
            field="code",
        )
    if record.wrong_attempts >= max_tries:
        return None, SmsCodeInvalid(
            "错误次数过多，请重新获取验证码 / Too many wrong attempts, request a new code",
            code="sms_code_exhausted",
            field="code",
        )
    if not _code_matches(code, record.code_hash):
        SmsCode.objects.filter(pk=record.pk).update(wrong_attempts=F("wrong_attempts") + 1)
        remaining = max(0, max_tries - record.wrong_attempts - 1)
        return None, SmsCodeInvalid(field="code", remaining_attempts=remaining)
    return record, None


def _with_sms_code(*, phone: str, purpose: str, code: str, then: Callable[[], T]) -> T:
    """Consume the code and run `then` in one transaction.

    If `then` raises, the code is not used up. If the code is wrong, the wrong attempt is committed
    and then SmsCodeInvalid is raised (raising inside the block would roll the count back).
    """
    with transaction.atomic():
        failure = _consume_sms_code(digest=phone_digest(phone), purpose=purpose, code=code)
        if failure is None:
            return then()
    raise failure


# ==================================================================================================
# Registration and email verification
# ==================================================================================================


@dataclass
class _Registration:
    username: str
    username_given: bool
    phone: str
    email: str
    display_name: str
    password: str


def _default_display_name(*, phone: str, email: str, username: str) -> str:
    if phone:
        return f"用户{phone[-4:]}"
    if email:
        return email.split("@", 1)[0][:DISPLAY_NAME_MAX]
    return username


def _generate_username() -> str:
    return f"user_{secrets.token_hex(5)}"


def _clean_registration(
    *, password: str, username: str | None, phone: str | None, email: str | None,
    sms_code: str | None, display_name: str,
) -> _Registration:  # fmt: skip
    errors = _FieldErrors()
    username, phone, email = (username or "").strip(), (phone or "").strip(), (email or "").strip()
    if not (username or phone or email):
        errors.add(
            NON_FIELD_ERRORS,
            "请填写用户名、手机号或邮箱 / Give a username, a mobile number or an email address",
        )
    clean_username = errors.check("username", _clean_username, username) if username else ""
    clean_phone = errors.check("phone", validate_phone, phone) if phone else ""
    clean_email = errors.check("email", _clean_email, email) if email else ""
    if phone:
        errors.check("sms_code", _clean_code, sms_code)
    name = errors.check("display_name", _clean_display_name, display_name) or ""
    probe = User(username=clean_username or "", email=clean_email or "", display_name=name)
    _check_new_password(errors, "password", password, probe)
    errors.raise_if_any()
    return _Registration(
        username=clean_username or "",
        username_given=bool(clean_username),
        phone=clean_phone or "",
        email=clean_email or "",
        display_name=name,
        password=password,
    )


def _create_user(data: _Registration, *, phone_verified: bool) -> User:
    # No password given (SMS sign-up): an unusable hash, until the user sets one.
    password_hash = make_password(data.password or None)
    for _ in range(5):
        username = data.username or _generate_username()
        user = User(
            username=username,
            email=data.email,
            phone=data.phone,
            phone_verified_at=timezone.now() if phone_verified else None,
            display_name=data.display_name
            or _default_display_name(phone=data.phone, email=data.email, username=username),
            password=password_hash,
        )
        try:
            with transaction.atomic():
                user.save()
            return user
        except IntegrityError:
            # A racing registration took an identifier between the check and the insert.
            taken = _taken_identifier(username=username, phone=data.phone, email=data.email)
            if taken == "username" and not data.username_given:
                continue  # a generated name collided: draw another
            raise IdentifierTaken(taken or "username") from None
    raise IdentifierTaken("username")


def _registration_window_key(ip: str) -> str:
    return f"register:ip:{ip}:{int(time.time() // 3600)}"


def register_user(
    *,
    password: str,
    username: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    sms_code: str | None = None,
    display_name: str = "",
    ip: str | None = None,
) -> User:
    """Create an account (see the module docstring). Returns the new, active user."""
    data = _clean_registration(
        password=password, username=username, phone=phone, email=email,
        sms_code=sms_code, display_name=display_name,
    )  # fmt: skip
    taken = _taken_identifier(username=data.username, phone=data.phone, email=data.email)
    if taken:
        raise IdentifierTaken(taken)
    if ip and cache_count(_registration_window_key(ip)) >= REGISTRATIONS_PER_IP_HOURLY:
        raise Throttled(retry_after=3600 - int(time.time()) % 3600, scope="registration")
    if data.phone:
        user = _with_sms_code(
            phone=data.phone,
            purpose=SmsPurpose.REGISTER,
            code=(sms_code or "").strip(),
            then=lambda: _create_user(data, phone_verified=True),
        )
    else:
        with transaction.atomic():
            user = _create_user(data, phone_verified=False)
    if ip:
        hit_counter(_registration_window_key(ip), 3600)
    if user.email:
        claim_cooldown(f"email-verify:cooldown:{user.pk}", EMAIL_RESEND_COOLDOWN_SECONDS)
        _queue(tasks.send_verification_email, user.pk)
    logger.info("registered user %s", user.pk)
    return user


def send_email_verification(*, user: User) -> None:
    """(Re)send the verification link to the user's current address; 60 s between sends."""
    if not user.email:
        raise ValidationError({"email": ["尚未填写邮箱 / There is no email address on the account"]})
    if user.email_verified_at is not None:
        raise Conflict("邮箱已验证 / The email address is already verified", code="email_already_verified")
    remaining = claim_cooldown(f"email-verify:cooldown:{user.pk}", EMAIL_RESEND_COOLDOWN_SECONDS)
    if remaining:
        raise Throttled(retry_after=remaining)
    _queue(tasks.send_verification_email, user.pk)


def _expired_link() -> InvalidVerificationToken:
    return InvalidVerificationToken(
        "链接已过期，请重新获取 / The link has expired, ask for a new one", code="token_expired"
    )


def _read_verification_link(token: str) -> tuple[int, str]:
    try:
        data = emails.read_email_verification_token((token or "").strip())
    except signing.SignatureExpired:
        raise _expired_link() from None
    except signing.BadSignature:
        raise InvalidVerificationToken() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not data.get("e"):
        raise InvalidVerificationToken()
    return data["u"], str(data["e"]).lower()


def _lock_email_claimants(email: str) -> list[User]:
    """Lock every account that claims `email`, in id order.

    Every path that verifies an address takes these locks first and in the same order, so two
    accounts verifying one address at once queue up here (the second then finds its claim released)
    instead of deadlocking on each other's rows.
    """
    return list(User.objects.select_for_update().filter(email=email).order_by("pk"))


def _claim_verified_email(
    user: User, claimants: list[User], *, request: HttpRequest | None = None
) -> EmailVerifiedElsewhere | None:
    """Inside a transaction holding _lock_email_claimants(user.email): make the address the user's.

    The first account to verify an address owns it; every other (unverified) claim on it is released:
    the email field is cleared, so their pending links stop working (a link names the address).
    Returns EmailVerifiedElsewhere when another account verified it first (the unique index on
    verified addresses is the last word); the caller raises it after the transaction commits.
    """
    if any(other.email_verified_at for other in claimants if other.pk != user.pk):
        _release_email_claims([user.pk])  # a claim that slipped in after the owner verified
        user.email = ""
        return EmailVerifiedElsewhere()
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        try:
            with transaction.atomic():
                user.save(update_fields=["email_verified_at"])
        except IntegrityError:
            user.email_verified_at = None
            return EmailVerifiedElsewhere()
    released = [other.pk for other in claimants if other.pk != user.pk]
    if released:
        _release_email_claims(released)
        audit.record(
            actor=user,
            action="accounts.email.verified",
            obj=user,
            after={"email": mask_email(user.email), "released_user_ids": released},
            request=request,
        )
        logger.info("email of user %s verified; claims of users %s released", user.pk, released)
    return None


def _release_email_claims(user_ids: list[int]) -> None:
    User.objects.filter(pk__in=user_ids, email_verified_at__isnull=True).update(email="")


def verify_email(*, token: str, request: HttpRequest | None = None) -> User:
    """Verify the address in a link (idempotent for the same link). First to verify wins: the other
    accounts claiming the address lose it. EmailVerifiedElsewhere (409) when this account lost."""
    user_id, email = _read_verification_link(token)
    failure: EmailVerifiedElsewhere | InvalidVerificationToken | None = None
    with transaction.atomic():
        claimants = _lock_email_claimants(email)
        user = next((c for c in claimants if c.pk == user_id and c.is_active), None)
        if user is None:
            # The account changed (or lost) its address since the link was sent.
            lost = any(c.email_verified_at for c in claimants)
            failure = EmailVerifiedElsewhere() if lost else InvalidVerificationToken()
        else:
            failure = _claim_verified_email(user, claimants, request=request)
    if failure is not None:
        raise failure
    return user


# ==================================================================================================
# Login and logout
# ==================================================================================================


def _canonical_identifier(identifier: str) -> str:
    """The account's username when the identifier matches one, so django-axes counts failures per
    account whichever identifier (username, email, phone in any spelling) is typed."""
    identifier = identifier.strip()
    if "@" in identifier:
        identifier = identifier.lower()
    elif looks_like_phone(identifier):
        identifier = normalise_phone(identifier)
    user = find_user_by_identifier(identifier)
    return user.get_username() if user is not None else identifier


def _ip_failure_key(ip: str) -> str:
    return f"login:failures:ip:{ip}:{int(time.time() // 3600)}"


def authenticate_with_password(*, request: HttpRequest, identifier: str, password: str) -> User:
    """Check credentials through django.contrib.auth.authenticate (so django-axes sees every try)."""
    errors = _FieldErrors()
    if not (identifier or "").strip():
        errors.add("identifier", _required_message("账号", "Account"))
    if not password:
        errors.add("password", _required_message("密码", "Password"))
    errors.raise_if_any()
    ip = request_ip(request)
    # Second line of defence: many accounts tried from one address (credential stuffing).
    if ip and cache_count(_ip_failure_key(ip)) >= LOGIN_FAILURES_PER_IP_HOURLY:
        raise LoginLocked(retry_after=3600 - int(time.time()) % 3600)
    user = authenticate(request=request, username=_canonical_identifier(identifier), password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise LoginLocked(retry_after=lockout_seconds())
        if ip:
            hit_counter(_ip_failure_key(ip), 3600)
        raise InvalidCredentials()
    return user


def login_with_password(request: HttpRequest, identifier: str, password: str) -> User:
    """Web sign-in with a password: authenticate, then start the session."""
    user = authenticate_with_password(request=request, identifier=identifier, password=password)
    django_login(request, user)
    return user


@dataclass(frozen=True)
class SmsSignIn:
    user: User
    created: bool  # True when this sign-in opened the account (验证码登录即注册)


def sign_in_with_sms(*, request: HttpRequest, phone: str, code: str, accept_terms: bool = False) -> SmsSignIn:
    """Check a "login" SMS code and return its account, opening one for a number without an account.

    A new account gets a generated username, no usable password and a verified phone, and only when
    the client says the shopper accepted the terms: otherwise TermsNotAccepted (422) is raised and the
    code stays usable, so the client can show the terms and send it again. Unknown numbers are only
    told apart from known ones after a correct code (which proves the phone). The usual protections
    apply: the send cooldown and daily caps, the wrong-try limit per code, and the per-IP cap on new
    accounts. A disabled account fails like a wrong code.
    """
    errors = _FieldErrors()
    phone = errors.check("phone", validate_phone, phone)
    code = errors.check("code", _clean_code, code)
    errors.raise_if_any()
    digest = phone_digest(phone)
    ip = request_ip(request)

    def sign_in() -> SmsSignIn:
        user = User.objects.select_for_update(no_key=True).filter(phone_digest=digest).first()
        if user is None:
            new_user = _open_account_by_sms(phone=phone, ip=ip, accept_terms=accept_terms)
            return SmsSignIn(user=new_user, created=True)
        if not user.is_active:
            raise SmsCodeInvalid(field="code")
        if user.phone_verified_at is None:
            user.phone_verified_at = timezone.now()
            user.save(update_fields=["phone_verified_at"])
        return SmsSignIn(user=user, created=False)

    result = _with_sms_code(phone=phone, purpose=SmsPurpose.LOGIN, code=code, then=sign_in)
    if result.created:
        if ip:
            hit_counter(_registration_window_key(ip), 3600)
        logger.info("registered user %s by SMS sign-in", result.user.pk)
    return result


def _open_account_by_sms(*, phone: str, ip: str | None, accept_terms: bool) -> User:
    """Inside sign_in_with_sms's transaction (the code row is locked): create the account.

    Raising leaves the code unused (the transaction rolls back), which is what TermsNotAccepted needs.
    """
    if accept_terms is not True:
        raise TermsNotAccepted(field="accept_terms")
    if ip and cache_count(_registration_window_key(ip)) >= REGISTRATIONS_PER_IP_HOURLY:
        raise Throttled(retry_after=3600 - int(time.time()) % 3600, scope="registration")
    data = _Registration(
        username="", username_given=False, phone=phone, email="", display_name="", password=""
    )
    user = _create_user(data, phone_verified=True)
    audit.record(
        actor=user,
        action="accounts.user.sms_signup",
        obj=user,
        after={"phone": mask_phone(phone), "terms_accepted": True},
    )
    return user


def authenticate_with_sms(*, request: HttpRequest, phone: str, code: str, accept_terms: bool = False) -> User:
    """sign_in_with_sms without telling whether the account is new (the token API uses it)."""
    return sign_in_with_sms(request=request, phone=phone, code=code, accept_terms=accept_terms).user


def login_with_sms(request: HttpRequest, phone: str, code: str, accept_terms: bool = False) -> User:
    """Web sign-in with an SMS code; opens the account for a new number (see sign_in_with_sms;
    a page that wants to greet new accounts calls that and then login_user)."""
    user = sign_in_with_sms(request=request, phone=phone, code=code, accept_terms=accept_terms).user
    django_login(request, user, backend=IDENTIFIER_BACKEND)
    return user


def login_user(request: HttpRequest, user: User) -> None:
    """Start a web session for a user the caller has just created or verified (e.g. after
    register_user on the sign-up page)."""
    django_login(request, user, backend=IDENTIFIER_BACKEND)


def issue_api_tokens(*, request: HttpRequest, user: User) -> tokens.TokenPair:
    """Token sign-in for the API: records the login like a web sign-in (last_login, django-axes
    reset) and returns a new token pair (a new refresh family for this device)."""
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return tokens.issue_tokens(
        user, ip=request_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")
    )


def logout(request: HttpRequest) -> None:
    django_logout(request)


def log_out_everywhere(*, user: User) -> None:
    """Revoke every JWT and (through the session auth hash) every web session of the user."""
    tokens.revoke_all_tokens(user)


# ==================================================================================================
# Passwords
# ==================================================================================================


def _apply_new_password(user: User, new_password: str) -> None:
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens.revoke_all_tokens(user)


def _keep_current_session(request: HttpRequest | None, user: User) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_KEY) == str(user.pk):
        update_session_auth_hash(request, user)


def change_password(
    *, user: User, old_password: str, new_password: str, request: HttpRequest | None = None
) -> None:
    """Change the password knowing the old one. Every token and other session is signed out."""
    failures_key = f"password-change:failures:{user.pk}"
    if cache_count(failures_key) >= PASSWORD_CHANGE_FAILURES_HOURLY:
        raise Throttled(retry_after=3600, scope="password_change")
    errors = _FieldErrors()
    if not user.check_password(old_password or ""):
        hit_counter(failures_key, 3600)
        errors.add("old_password", "当前密码不正确 / The current password is wrong")
        errors.raise_if_any()
    _check_new_password(errors, "new_password", new_password, user)
    errors.raise_if_any()
    with transaction.atomic():
        _apply_new_password(user, new_password)
    _keep_current_session(request, user)
    _queue(tasks.send_password_changed_notice, user.pk)


def request_password_reset(*, email: str, ip: str | None = None) -> None:
    """Email a reset link if the address belongs to an active account; the same answer otherwise."""
    errors = _FieldErrors()
    email = errors.check("email", _clean_email, email)
    errors.raise_if_any()
    remaining = claim_cooldown(
        f"password-reset:cooldown:{crypto.digest(email, purpose='email')}", EMAIL_RESEND_COOLDOWN_SECONDS
    )
    if remaining:
        raise Throttled(retry_after=remaining)
    if ip and hit_counter(f"password-reset:ip:{ip}:{day_stamp()}", 2 * 86400) > PASSWORD_RESETS_PER_IP_DAILY:
        raise Throttled(retry_after=seconds_until_tomorrow(), scope="ip")
    for user in _password_reset_recipients(email):
        _queue(tasks.send_password_reset_email, user.pk)


def _password_reset_recipients(email: str) -> list[User]:
    """The verified owner of the address; while nobody has verified it, each account claiming it.

    Each link resets only its own account, and using it verifies the address for that account
    (releasing the other claims), so the mailbox's owner decides which claim is real.
    """
    claimants = User.objects.filter(email=email, is_active=True)
    owner = claimants.filter(email_verified_at__isnull=False).first()
    if owner is not None:
        return [owner]
    return list(claimants.order_by("pk")[:MAX_RESET_LINKS_PER_ADDRESS])


def check_password_reset_token(*, token: str) -> User:
    """The account a reset link is for; InvalidVerificationToken when tampered, expired or used."""
    try:
        data = emails.read_password_reset_token((token or "").strip())
    except signing.SignatureExpired:
        raise _expired_link() from None
    except signing.BadSignature:
        raise InvalidVerificationToken() from None
    user = User.objects.filter(pk=data.get("u") if isinstance(data, dict) else None, is_active=True).first()
    if user is None or not constant_time_compare(str(data.get("s")), emails.password_state_fingerprint(user)):
        raise InvalidVerificationToken()
    return user


def _unlock_login(user: User) -> None:
    """A successful reset proves ownership: lift any django-axes lockout on the account."""
    from axes.utils import reset as axes_reset

    axes_reset(username=user.get_username())


def reset_password(
    *, new_password: str, token: str | None = None, phone: str | None = None, code: str | None = None
) -> User:
    """Set a new password from an emailed link (token) or a "reset_password" SMS code."""
    if token:
        user = _reset_with_token(token=token, new_password=new_password)
    elif phone:
        user = _reset_with_sms(phone=phone, code=code or "", new_password=new_password)
    else:
        raise ValidationError(
            {NON_FIELD_ERRORS: ["请使用重置链接或手机验证码 / Use the reset link or an SMS code"]}
        )
    _unlock_login(user)
    _queue(tasks.send_password_changed_notice, user.pk)
    return user


def _reset_with_token(*, token: str, new_password: str) -> User:
    user = check_password_reset_token(token=token)
    errors = _FieldErrors()
    _check_new_password(errors, "new_password", new_password, user)
    errors.raise_if_any()
    with transaction.atomic():
        # Claimants of the address first (the lock order of verify_email), then the account itself.
        claimants = _lock_email_claimants(user.email) if user.email and not user.email_verified_at else []
        locked = User.objects.select_for_update().get(pk=user.pk)
        # Re-check under the lock: two racing submissions of the same link cannot both succeed.
        if emails.password_state_fingerprint(locked) != emails.password_state_fingerprint(user):
            raise InvalidVerificationToken()
        _apply_new_password(locked, new_password)
        if locked.email and locked.email_verified_at is None:
            # Opening the emailed link proves the mailbox belongs to the user. Should another account
            # have verified the address meanwhile, the link is dead already (it names the address).
            _claim_verified_email(locked, claimants)
    return locked


def _reset_with_sms(*, phone: str, code: str, new_password: str) -> User:
    errors = _FieldErrors()
    phone = errors.check("phone", validate_phone, phone)
    code = errors.check("code", _clean_code, code)
    errors.raise_if_any()
    digest = phone_digest(phone)
    owner = User.objects.filter(phone_digest=digest).first()
    _check_new_password(errors, "new_password", new_password, owner or User())
    errors.raise_if_any()

    def apply() -> User:
        user = User.objects.select_for_update().filter(phone_digest=digest, is_active=True).first()
        if user is None:
            raise SmsCodeInvalid(field="code")
        _apply_new_password(user, new_password)
        return user

    return _with_sms_code(phone=phone, purpose=SmsPurpose.RESET_PASSWORD, code=code, then=apply)


# ==================================================================================================
# Profile
# ==================================================================================================


def update_profile(
    *,
    user: User,
    display_name: str | None = None,
    username: str | None = None,
    email: str | None = None,
) -> User:
    """Change the given fields only. A new email starts unverified and gets a verification link."""
    errors = _FieldErrors()
    clean_name = (
        errors.check("display_name", _clean_display_name, display_name) if display_name is not None else None
    )
    clean_username = errors.check("username", _clean_username, username) if username is not None else None
    clean_email = None
    if email is not None:
        clean_email = errors.check("email", _clean_email, email) if email.strip() else ""
    errors.raise_if_any()
    email_changed = False
    with transaction.atomic():
        locked = _lock_user(user)
        if clean_username is not None and clean_username != locked.username:
            if _taken_identifier(username=clean_username, exclude_pk=locked.pk):
                raise IdentifierTaken("username")
            locked.username = clean_username
        if clean_email is not None and clean_email != locked.email:
            if clean_email and _taken_identifier(email=clean_email, exclude_pk=locked.pk):
                raise IdentifierTaken("email")
            locked.email, locked.email_verified_at, email_changed = clean_email, None, True
        if clean_name is not None:
            locked.display_name = clean_name or locked.username
        try:
            with transaction.atomic():
                locked.save(update_fields=["username", "email", "email_verified_at", "display_name"])
        except IntegrityError:
            taken = _taken_identifier(username=locked.username, email=locked.email, exclude_pk=locked.pk)
            raise IdentifierTaken(taken or "username") from None
    if email_changed and locked.email:
        claim_cooldown(f"email-verify:cooldown:{locked.pk}", EMAIL_RESEND_COOLDOWN_SECONDS)
        _queue(tasks.send_verification_email, locked.pk)
    _copy_profile(locked, onto=user)
    return locked


def _copy_profile(source: User, *, onto: User) -> None:
    for field in ("username", "email", "email_verified_at", "display_name", "phone", "phone_verified_at"):
        setattr(onto, field, getattr(source, field))


def send_current_phone_code(*, user: User, ip: str | None = None) -> SmsSendResult:
    """Send a "change_phone" code to the account's own number: one way to prove the owner before
    the number is changed (bind_phone). NoCurrentPhone (422) when there is none."""
    current = User.objects.filter(pk=user.pk).values_list("phone", flat=True).first() or ""
    if not current:
        raise NoCurrentPhone()
    return send_sms_code(phone=current, purpose=SmsPurpose.CHANGE_PHONE, ip=ip, user=user)


def bind_phone(
    *,
    user: User,
    phone: str,
    code: str,
    password: str | None = None,
    current_code: str | None = None,
    request: HttpRequest | None = None,
) -> User:
    """Attach or change the user's mobile number. Needs two proofs:

    - the account owner: the current password, or a "change_phone" code sent to the current number
      (send_current_phone_code; only when the account has one);
    - the new number: a "bind_phone" code sent to it.

    Failures, each with its own code, change nothing on the account: owner_proof_required,
    current_password_invalid (wrong tries throttled like password changes), no_current_phone,
    current_sms_code_invalid/_expired/_exhausted, sms_code_invalid/_expired/_exhausted (new number),
    phone_unchanged, phone_taken. A success is audited ("accounts.phone.bind" / "accounts.phone.change")
    and the old number (by SMS) and a verified email are told after the commit.
    """
    errors = _FieldErrors()
    phone = errors.check("phone", validate_phone, phone)
    code = errors.check("code", _clean_code, code)
    if current_code:
        current_code = errors.check("current_code", _clean_code, current_code)
    errors.raise_if_any()
    account = User.objects.get(pk=user.pk)  # the stored number, not a possibly stale copy
    if phone == account.phone:
        raise PhoneUnchanged()
    if _taken_identifier(phone=phone, exclude_pk=user.pk):
        raise IdentifierTaken("phone")
    proof = _check_owner_proof(account, password=password, current_code=current_code)
    with transaction.atomic():
        failure = _check_phone_codes(account, phone=phone, code=code, current_code=current_code, proof=proof)
        if failure is None:
            locked = _attach_phone(account, phone=phone, proof=proof, request=request)
    if failure is not None:
        raise failure
    _copy_profile(locked, onto=user)
    return locked


def _check_owner_proof(account: User, *, password: str | None, current_code: str | None) -> str:
    """Which proof of the owner bind_phone will use; checks a password here (codes are checked in
    the transaction). Raises when none fits."""
    if password:
        failures_key = f"password-change:failures:{account.pk}"
        if cache_count(failures_key) >= PASSWORD_CHANGE_FAILURES_HOURLY:
            raise Throttled(retry_after=3600, scope="password_change")
        if not account.check_password(password):
            hit_counter(failures_key, 3600)
            raise CurrentPasswordInvalid(field="password")
        return "password"
    if current_code:
        if not account.phone:
            raise NoCurrentPhone(field="current_code")
        return "current_phone_code"
    methods = [m for m, ok in (("password", account.has_usable_password()),
                               ("current_phone_code", bool(account.phone))) if ok]  # fmt: skip
    raise OwnerProofRequired(methods=methods)


def _check_phone_codes(
    account: User, *, phone: str, code: str, current_code: str | None, proof: str
) -> SmsCodeInvalid | None:
    """Inside a transaction: check the owner's code (if that is the proof) and the new number's code,
    and use both up only when both match. Wrong tries are counted either way (the caller commits
    them before raising the returned failure)."""
    records: list[SmsCode] = []
    if proof == "current_phone_code":
        record, failure = _check_sms_code(
            digest=phone_digest(account.phone), purpose=SmsPurpose.CHANGE_PHONE, code=current_code or ""
        )
        if failure is not None:
            failure.code = f"current_{failure.code}"
            failure.details["field"] = "current_code"
            return failure
        records.append(record)
    record, failure = _check_sms_code(digest=phone_digest(phone), purpose=SmsPurpose.BIND_PHONE, code=code)
    if failure is not None:
        return failure
    for used in (*records, record):
        _mark_used(used)
    return None


def _attach_phone(account: User, *, phone: str, proof: str, request: HttpRequest | None) -> User:
    locked = _lock_user(account)
    if locked.phone != account.phone:
        # Changed by a parallel request since the owner was proven: prove it again.
        raise Conflict(
            "手机号已变更，请重试 / The mobile number changed meanwhile, try again", code="phone_changed"
        )
    old_phone = locked.phone
    locked.phone, locked.phone_verified_at = phone, timezone.now()
    try:
        with transaction.atomic():
            locked.save(update_fields=["phone", "phone_digest", "phone_verified_at"])
    except IntegrityError:
        raise IdentifierTaken("phone") from None
    audit.record(
        actor=locked,
        action="accounts.phone.change" if old_phone else "accounts.phone.bind",
        obj=locked,
        before={"phone": mask_phone(old_phone)} if old_phone else None,
        after={"phone": mask_phone(phone), "proof": proof},
        request=request,
    )
    transaction.on_commit(
        lambda: notify_phone_changed(user_id=locked.pk, old_phone=old_phone, new_phone=phone), robust=True
    )
    return locked


def notify_phone_changed(*, user_id: int, old_phone: str, new_phone: str) -> None:
    """Tell the owner the number changed: a text to the old number (when there was one and an SMS
    provider is configured) and an email to a verified address (Celery task). Failures are logged;
    the change itself has already committed."""
    if old_phone and getattr(settings, "SMS_PROVIDER", ""):
        try:
            get_sms_provider().send(phone_changed_message(phone=old_phone, new_phone=new_phone))
        except Exception:  # a notice must never turn a committed change into an error
            logger.warning("phone-changed notice to the old number of user %s failed", user_id, exc_info=True)
    tasks.send_phone_changed_notice.delay(user_id, mask_phone(old_phone), mask_phone(new_phone))


# ==================================================================================================
# Real-name verification
# ==================================================================================================


@dataclass(frozen=True)
class RevealedRealName:
    verification_id: int
    user_id: int
    name: str
    id_number: str

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


def submit_real_name(*, user: User, name: str, id_number: str, ip: str | None = None) -> RealNameVerification:
    """Verify the user's identity once. Rejected attempts are kept (and count toward the daily cap)."""
    errors = _FieldErrors()
    clean_name = errors.check("name", validate_real_name, name)
    info = errors.check("id_number", parse_id_number, id_number)
    errors.raise_if_any()
    if user.real_name_verified_at is not None:
        raise AlreadyVerified()
    digest = id_number_digest(info.number)
    if (
        RealNameVerification.objects.filter(id_number_digest=digest, status=RealNameStatus.VERIFIED)
        .exclude(user=user)
        .exists()
    ):
        raise IdNumberInUse()
    # The provider is usually a paid bureau API: cap attempts per user per day.
    if hit_counter(f"realname:attempts:{user.pk}:{day_stamp()}", 2 * 86400) > REALNAME_ATTEMPTS_DAILY:
        raise Throttled(retry_after=seconds_until_tomorrow(), scope="real_name")
    provider = get_realname_provider()
    result = provider.verify(name=clean_name, id_number=info.number)
    with transaction.atomic():
        record = _record_real_name(user, clean_name, info.number, provider.name, result)
    if not result.matched:
        raise RealNameRejected(reason=result.reason)
    user.real_name_verified_at = record.created_at
    return record


def _record_real_name(user: User, name: str, number: str, provider: str, result: Any) -> RealNameVerification:
    status = RealNameStatus.VERIFIED if result.matched else RealNameStatus.REJECTED
    try:
        with transaction.atomic():
            record = RealNameVerification.objects.create(
                user=user,
                name=name,
                id_number=number,
                status=status,
                provider=provider,
                provider_reference=(result.reference or "")[:120],
                failure_reason=(result.reason or "")[:255],
            )
    except IntegrityError:
        # Lost a race: the number (or this user) was verified meanwhile.
        if User.objects.filter(pk=user.pk, real_name_verified_at__isnull=False).exists():
            raise AlreadyVerified() from None
        raise IdNumberInUse() from None
    if result.matched:
        User.objects.filter(pk=user.pk).update(real_name_verified_at=record.created_at)
    return record


def reveal_real_name(
    *,
    viewer: User,
    verification: RealNameVerification,
    request: HttpRequest | None = None,
    reason: str = "",
) -> RevealedRealName:
    """Unmasked name and ID number for a holder of "pii.realname". Every call writes an audit entry."""
    if not has_platform_perm(viewer, "pii.realname"):
        raise PermissionDenied(permission="pii.realname")
    with transaction.atomic():
        audit.record(
            actor=viewer,
            action="pii.realname.view",
            obj=verification,
            after={"user_id": verification.user_id, "status": verification.status},
            reason=reason,
            request=request,
        )
    return RevealedRealName(
        verification_id=verification.pk,
        user_id=verification.user_id,
        name=verification.name,
        id_number=verification.id_number,
    )


# ==================================================================================================
# Addresses
# ==================================================================================================

ADDRESS_FIELDS = (
    "receiver_name", "receiver_phone", "province", "city", "district",
    "region_code", "street", "detail", "postcode",
)  # fmt: skip
POSTCODE_RE = re.compile(r"^\d{6}$")


def _clean_address(values: dict[str, Any]) -> dict[str, str]:
    errors = _FieldErrors()
    text = {field: " ".join(str(values.get(field) or "").split()) for field in ADDRESS_FIELDS}
    if not text["receiver_name"]:
        errors.add("receiver_name", _required_message("收货人", "Receiver name"))
    elif len(text["receiver_name"]) > 20 or _has_control_chars(text["receiver_name"]):
        errors.add("receiver_name", "收货人姓名最多 20 个字符 / Receiver name: at most 20 characters")
    text["receiver_phone"] = errors.check("receiver_phone", validate_phone, text["receiver_phone"]) or ""
    if len(text["street"]) > 64:
        errors.add("street", "街道最多 64 个字符 / Street: at most 64 characters")
    if len(text["detail"]) < 2:
        errors.add("detail", "请填写详细地址 / Enter the detailed address")
    elif len(text["detail"]) > 120 or _has_control_chars(text["detail"]):
        errors.add("detail", "详细地址最多 120 个字符 / Detailed address: at most 120 characters")
    if text["postcode"] and not POSTCODE_RE.match(text["postcode"]):
        errors.add("postcode", "邮编应为 6 位数字 / A postcode has 6 digits")
    try:
        region = validate_region(
            province=text["province"], city=text["city"], district=text["district"],
            region_code=text["region_code"],
        )  # fmt: skip
    except ValidationError as exc:
        errors.merge(exc)
    else:
        text.update(
            province=region.province, city=region.city, district=region.district,
            region_code=region.region_code,
        )  # fmt: skip
    errors.raise_if_any()
    return text


def _make_default(user: User, address: Address) -> None:
    Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(is_default=False)
    if not address.is_default:
        address.is_default = True
        address.save(update_fields=["is_default", "updated_at"])


def create_address(
    *,
    user: User,
    receiver_name: str,
    receiver_phone: str,
    province: str,
    city: str,
    district: str,
    detail: str,
    street: str = "",
    region_code: str = "",
    postcode: str = "",
    is_default: bool = False,
) -> Address:
    """Add an address. The first one becomes the default; so does one created with is_default."""
    cleaned = _clean_address(
        {
            "receiver_name": receiver_name, "receiver_phone": receiver_phone, "province": province,
            "city": city, "district": district, "detail": detail, "street": street,
            "region_code": region_code, "postcode": postcode,
        }
    )  # fmt: skip
    with transaction.atomic():
        _lock_user(user)
        count = Address.objects.filter(user=user).count()
        if count >= MAX_ADDRESSES_PER_USER:
            raise AddressLimitReached(limit=MAX_ADDRESSES_PER_USER)
        make_default = is_default or count == 0
        if make_default:
            Address.objects.filter(user=user, is_default=True).update(is_default=False)
        return Address.objects.create(user=user, is_default=make_default, **cleaned)


def update_address(*, user: User, address_id: int, **changes: Any) -> Address:
    """Change some fields of the user's address. is_default=True makes it the default; False is
    ignored for the default address (another address has to be chosen as default instead)."""
    unknown = set(changes) - {*ADDRESS_FIELDS, "is_default"}
    if unknown:
        raise ValidationError({field: ["未知字段 / Unknown field"] for field in sorted(unknown)})
    with transaction.atomic():
        _lock_user(user)
        address = get_address(user=user, address_id=address_id)
        merged = {field: changes.get(field, getattr(address, field)) for field in ADDRESS_FIELDS}
        cleaned = _clean_address(merged)
        for field, value in cleaned.items():
            setattr(address, field, value)
        address.save()
        if changes.get("is_default") is True:
            _make_default(user, address)
    return address


def delete_address(*, user: User, address_id: int) -> None:
    """Delete the user's address; when it was the default, the newest remaining one takes over."""
    with transaction.atomic():
        _lock_user(user)
        address = get_address(user=user, address_id=address_id)
        was_default = address.is_default
        address.delete()
        if was_default:
            newest = Address.objects.filter(user=user).order_by("-created_at", "-id").first()
            if newest is not None:
                _make_default(user, newest)


def set_default_address(*, user: User, address_id: int) -> Address:
    with transaction.atomic():
        _lock_user(user)
        address = get_address(user=user, address_id=address_id)
        _make_default(user, address)
    return address
