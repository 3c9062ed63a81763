"""Sign-in, registration, email verification, password reset: thin views over accounts.services.

Each view validates the form, calls one service, and maps the service's errors back onto the form.
A send-code button works with htmx (stays on the page, starts a 60 s countdown) and without
JavaScript (the form posts with `send_code` and the page comes back with the countdown running).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from shopops.accounts import errors as account_errors
from shopops.accounts import services as accounts
from shopops.accounts.throttling import request_ip as client_ip
from shopops.core.errors import DomainError, Throttled
from shopops.core.masking import mask_email, mask_phone
from shopops.storefront import forms
from shopops.storefront.feedback import add_domain_error, add_service_errors, localise

logger = logging.getLogger(__name__)

CODE_ALIASES = {"sms_code": "code", "new_password": "password", "identifier": "username"}
SESSION_PENDING_EMAIL = "storefront:pending_email"
SESSION_RESET_EMAIL = "storefront:reset_email"
CURRENT_PHONE_PURPOSE = "change_phone"


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _after_login(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(_safe_next(request) or reverse(settings.LOGIN_REDIRECT_URL))


def locked_response(request: HttpRequest, exc: Throttled | None = None) -> HttpResponse:
    retry = getattr(exc, "retry_after", None) or int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request, "storefront/locked.html", {"retry_minutes": max(1, round(retry / 60))}, status=429
    )
    response["Retry-After"] = str(retry)
    return response


def _tab(request: HttpRequest, allowed: tuple[str, ...]) -> str:
    tab = request.POST.get("tab") or request.GET.get("tab") or allowed[0]
    return tab if tab in allowed else allowed[0]


# ---------- Sending SMS codes ----------


def _send_code(request: HttpRequest, phone: str, purpose: str) -> tuple[bool, str, int]:
    """Ask the service for a code. Returns (sent, message for the shopper, seconds to wait).

    purpose "change_phone" ignores `phone`: that code only ever goes to the signed-in account's own
    number (proof of the owner before the number is changed).
    """
    cooldown = int(getattr(settings, "SMS_RESEND_COOLDOWN_SECONDS", 60))
    try:
        if purpose == CURRENT_PHONE_PURPOSE:
            if not request.user.is_authenticated:
                return False, _("请先登录"), 0
            phone = request.user.phone
            result = accounts.send_current_phone_code(user=request.user, ip=client_ip(request))
        else:
            result = accounts.send_sms_code(
                phone=phone,
                purpose=purpose,
                ip=client_ip(request),
                user=request.user if request.user.is_authenticated else None,
            )
    except Throttled as exc:
        return False, localise(exc.message), int(exc.retry_after or 0)
    except ValidationError as exc:
        return False, localise(" ".join(exc.messages)), 0
    except DomainError as exc:
        return False, localise(exc.message), 0
    wait = int(getattr(result, "cooldown_seconds", None) or getattr(result, "retry_after", None) or cooldown)
    return True, _("验证码已发送至 %(phone)s，5 分钟内有效") % {"phone": mask_phone(phone)}, wait


def _send_code_from_form(request: HttpRequest, form: Any, purpose: str, context: dict[str, Any]) -> None:
    """No-JavaScript path: the send-code button submitted the whole form.

    Only the phone matters for sending, so the other (still empty) fields are not validated.
    """
    form._errors = ErrorDict()
    form.cleaned_data = {}
    try:
        phone = form.fields["phone"].clean(form.data.get(form.add_prefix("phone"), ""))
    except ValidationError as exc:
        form.add_error("phone", exc)
        return
    sent, message, wait = _send_code(request, phone, purpose)
    context["sms_status"] = {"ok": sent, "message": message, "wait": wait}
    if not sent and not wait:
        form.add_error("phone", message)


@require_POST
def send_sms_code(request: HttpRequest) -> HttpResponse:
    """htmx endpoint behind every send-code button. Answers a status line and a countdown trigger."""
    if request.POST.get("purpose") == CURRENT_PHONE_PURPOSE:
        return _sms_status_response(request, *_send_code(request, "", CURRENT_PHONE_PURPOSE))
    # The button posts its own form's phone input, named with that form's prefix (e.g. "sms-phone").
    prefix = request.POST.get("prefix", "")
    phone_key = f"{prefix}-phone" if prefix in forms.SendSmsCodeForm.PREFIXES and prefix else "phone"
    form = forms.SendSmsCodeForm(
        {"phone": request.POST.get(phone_key, ""), "purpose": request.POST.get("purpose", "")}
    )
    if not form.is_valid():
        message = localise(" ".join(e for errs in form.errors.values() for e in errs))
        response = render(
            request, "storefront/partials/sms_status.html", {"ok": False, "message": message}, status=422
        )
    else:
        response = _sms_status_response(
            request, *_send_code(request, form.cleaned_data["phone"], form.cleaned_data["purpose"])
        )
    # htmx swaps 4xx answers too (see app.js), so the shopper always sees why nothing was sent.
    return response


def _sms_status_response(request: HttpRequest, sent: bool, message: str, wait: int) -> HttpResponse:
    status = 200 if sent else (429 if wait else 400)
    response = render(
        request, "storefront/partials/sms_status.html", {"ok": sent, "message": message}, status=status
    )
    if wait:
        response["HX-Trigger"] = json.dumps({"sms-countdown": {"seconds": wait}})
    return response


# ---------- Login / logout ----------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return _after_login(request)
    tab = _tab(request, ("password", "sms"))
    password_form = forms.PasswordLoginForm(prefix="pw")
    sms_form = forms.SmsLoginForm(prefix="sms")
    context: dict[str, Any] = {"tab": tab, "next": _safe_next(request) or ""}

    if request.method == "POST" and tab == "password":
        password_form = forms.PasswordLoginForm(request.POST, prefix="pw")
        if password_form.is_valid():
            try:
                accounts.login_with_password(
                    request, password_form.cleaned_data["username"], password_form.cleaned_data["password"]
                )
            except account_errors.LoginLocked as exc:
                return locked_response(request, exc)
            except account_errors.InvalidCredentials as exc:
                add_domain_error(password_form, exc)
            except ValidationError as exc:
                add_service_errors(password_form, exc, CODE_ALIASES)
            except DomainError as exc:
                add_domain_error(password_form, exc)
            else:
                return _after_login(request)
    elif request.method == "POST" and tab == "sms":
        sms_form = forms.SmsLoginForm(request.POST, prefix="sms")
        if "send_code" in request.POST:
            _send_code_from_form(request, sms_form, "login", context)
        elif sms_form.is_valid():
            data = sms_form.cleaned_data
            try:
                # 验证码登录即注册: a number without an account gets one, once the terms are accepted.
                result = accounts.sign_in_with_sms(
                    request=request, phone=data["phone"], code=data["code"], accept_terms=data["accept_terms"]
                )
            except account_errors.LoginLocked as exc:
                return locked_response(request, exc)
            except ValidationError as exc:
                add_service_errors(sms_form, exc, CODE_ALIASES)
            except account_errors.SmsCodeInvalid as exc:
                add_domain_error(sms_form, exc, "code")
            except account_errors.TermsNotAccepted as exc:
                add_domain_error(sms_form, exc, "accept_terms")
            except DomainError as exc:
                add_domain_error(sms_form, exc)
            else:
                accounts.login_user(request, result.user)
                if result.created:
                    messages.success(request, _("注册成功，欢迎加入 ShopOps！"))
                return _after_login(request)

    context.update(password_form=password_form, sms_form=sms_form)
    status = 400 if request.method == "POST" and (password_form.errors or sms_form.errors) else 200
    return render(request, "storefront/auth/login.html", context, status=status)


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """POST logs out (CSRF-protected); GET only asks, so a crafted link cannot sign anyone out."""
    if request.method == "POST":
        if request.user.is_authenticated:
            accounts.logout(request)
            messages.success(request, _("您已安全退出登录"))
        return redirect(settings.LOGOUT_REDIRECT_URL)
    if not request.user.is_authenticated:
        return redirect(settings.LOGOUT_REDIRECT_URL)
    return render(request, "storefront/auth/logout_confirm.html")


# ---------- Registration ----------


@sensitive_post_parameters("password", "password_confirm")
@never_cache
@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    tab = _tab(request, ("phone", "email"))
    phone_form = forms.PhoneRegisterForm(prefix="ph")
    email_form = forms.EmailRegisterForm(prefix="em")
    context: dict[str, Any] = {"tab": tab, "next": _safe_next(request) or ""}

    if request.method == "POST" and tab == "phone":
        phone_form = forms.PhoneRegisterForm(request.POST, prefix="ph")
        if "send_code" in request.POST:
            _send_code_from_form(request, phone_form, "register", context)
        elif phone_form.is_valid():
            data = phone_form.cleaned_data
            try:
                accounts.register_user(
                    password=data["password"],
                    phone=data["phone"],
                    sms_code=data["code"],
                    ip=client_ip(request),
                )
                accounts.login_with_password(request, data["phone"], data["password"])
            except ValidationError as exc:
                add_service_errors(phone_form, exc, CODE_ALIASES)
            except account_errors.IdentifierTaken as exc:
                add_domain_error(phone_form, exc, exc.details.get("field"))
            except account_errors.SmsCodeInvalid as exc:
                add_domain_error(phone_form, exc, "code")
            except DomainError as exc:
                add_domain_error(phone_form, exc)
            else:
                messages.success(request, _("注册成功，欢迎加入 ShopOps！"))
                return _after_login(request)
    elif request.method == "POST" and tab == "email":
        email_form = forms.EmailRegisterForm(request.POST, prefix="em")
        if email_form.is_valid():
            data = email_form.cleaned_data
            try:
                accounts.register_user(password=data["password"], email=data["email"], ip=client_ip(request))
            except ValidationError as exc:
                add_service_errors(email_form, exc, CODE_ALIASES)
            except account_errors.IdentifierTaken as exc:
                add_domain_error(email_form, exc, exc.details.get("field"))
            except DomainError as exc:
                add_domain_error(email_form, exc)
            else:
                request.session[SESSION_PENDING_EMAIL] = data["email"]
                return redirect("storefront:register_email_sent")

    context.update(phone_form=phone_form, email_form=email_form)
    status = 400 if request.method == "POST" and (phone_form.errors or email_form.errors) else 200
    return render(request, "storefront/auth/register.html", context, status=status)


def register_email_sent(request: HttpRequest) -> HttpResponse:
    email = request.session.get(SESSION_PENDING_EMAIL, "")
    return render(request, "storefront/auth/register_email_sent.html", {"masked_email": mask_email(email)})


@never_cache
def verify_email_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the verification email. Verifies once; a used or forged link explains itself."""
    try:
        user = accounts.verify_email(token=token, request=request)
    except DomainError as exc:
        return render(
            request,
            "storefront/auth/verify_email.html",
            {"ok": False, "reason": localise(exc.message)},
            status=400,
        )
    request.session.pop(SESSION_PENDING_EMAIL, None)
    return render(
        request,
        "storefront/auth/verify_email.html",
        {"ok": True, "verified_email": user.email, "is_same_user": request.user == user},
    )


# ---------- Password reset ----------


@sensitive_post_parameters("password", "password_confirm")
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest) -> HttpResponse:
    tab = _tab(request, ("email", "sms"))
    email_form = forms.PasswordResetEmailForm(prefix="em")
    sms_form = forms.PasswordResetSmsForm(prefix="sms")
    context: dict[str, Any] = {"tab": tab}

    if request.method == "POST" and tab == "email":
        email_form = forms.PasswordResetEmailForm(request.POST, prefix="em")
        if email_form.is_valid():
            try:
                accounts.request_password_reset(email=email_form.cleaned_data["email"], ip=client_ip(request))
            except ValidationError as exc:
                add_service_errors(email_form, exc)
            except Throttled as exc:
                add_domain_error(email_form, exc)
            else:
                request.session[SESSION_RESET_EMAIL] = email_form.cleaned_data["email"]
                return redirect("storefront:password_reset_sent")
    elif request.method == "POST" and tab == "sms":
        sms_form = forms.PasswordResetSmsForm(request.POST, prefix="sms")
        if "send_code" in request.POST:
            _send_code_from_form(request, sms_form, "reset_password", context)
        elif sms_form.is_valid():
            data = sms_form.cleaned_data
            try:
                accounts.reset_password(new_password=data["password"], phone=data["phone"], code=data["code"])
            except ValidationError as exc:
                add_service_errors(sms_form, exc, CODE_ALIASES)
            except account_errors.SmsCodeInvalid as exc:
                add_domain_error(sms_form, exc, "code")
            except DomainError as exc:
                add_domain_error(sms_form, exc)
            else:
                messages.success(request, _("密码已重置，请使用新密码登录"))
                return redirect("storefront:login")

    context.update(email_form=email_form, sms_form=sms_form)
    status = 400 if request.method == "POST" and (email_form.errors or sms_form.errors) else 200
    return render(request, "storefront/auth/password_reset.html", context, status=status)


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    email = request.session.get(SESSION_RESET_EMAIL, "")
    return render(request, "storefront/auth/password_reset_sent.html", {"masked_email": mask_email(email)})


@sensitive_post_parameters("password", "password_confirm")
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        accounts.check_password_reset_token(token=token)
    except DomainError as exc:
        return render(
            request,
            "storefront/auth/password_reset_confirm.html",
            {"invalid": True, "reason": localise(exc.message)},
            status=400,
        )
    form = forms.SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.reset_password(new_password=form.cleaned_data["password"], token=token)
        except ValidationError as exc:
            add_service_errors(form, exc, CODE_ALIASES)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("密码已重置，请使用新密码登录"))
            return redirect("storefront:login")
    status = 400 if form.errors else 200
    return render(request, "storefront/auth/password_reset_confirm.html", {"form": form}, status=status)
