"""The shopper's account centre: overview, profile, security, real-name check, address book.

Every page requires a signed-in user; every write goes through accounts.services. Another user's
address id answers 404, exactly as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from shopops.accounts import errors as account_errors
from shopops.accounts import selectors as account_selectors
from shopops.accounts import services as accounts
from shopops.accounts.models import MAX_ADDRESSES_PER_USER, Address
from shopops.accounts.throttling import request_ip as client_ip
from shopops.core.errors import DomainError
from shopops.core.masking import mask_email
from shopops.storefront import forms
from shopops.storefront.auth_views import (
    CODE_ALIASES,
    CURRENT_PHONE_PURPOSE,
    _send_code,
    _send_code_from_form,
)
from shopops.storefront.feedback import add_domain_error, add_service_errors, localise

# ---------- Reads for the pages ----------


def _addresses(user) -> list[Address]:
    return list(account_selectors.list_addresses(user))


def _own_address(user, address_id: int) -> Address:
    try:
        return account_selectors.get_address(user=user, address_id=address_id)
    except account_errors.AddressNotFound as exc:
        raise Http404("address") from exc


def _security_level(user) -> tuple[int, list[tuple[str, str]]]:
    """A simple 0-100 score shown on the overview, with what would raise it (label, page)."""
    checks = [
        (bool(user.phone_verified_at), _("绑定并验证手机号"), reverse("storefront:security") + "#bind-phone"),
        (bool(user.email and user.email_verified_at), _("验证邮箱"), reverse("storefront:profile")),
        (bool(user.real_name_verified_at), _("完成实名认证"), reverse("storefront:real_name")),
        (user.has_usable_password(), _("设置登录密码"), reverse("storefront:password_reset")),
    ]
    score = 100 * sum(ok for ok, _label, _url in checks) // len(checks)
    return score, [(label, url) for ok, label, url in checks if not ok]


def _account_context(request: HttpRequest, section: str, **extra: Any) -> dict[str, Any]:
    return {"section": section, **extra}


# ---------- Overview, profile ----------


@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    score, todo = _security_level(user)
    addresses = _addresses(user)
    context = _account_context(
        request,
        "overview",
        security_score=score,
        security_todo=todo,
        address_count=len(addresses),
        default_address=next((a for a in addresses if a.is_default), None),
        real_name=account_selectors.current_real_name(user),
        masked_email=mask_email(user.email),
    )
    return render(request, "storefront/account/overview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"display_name": user.display_name, "username": user.username, "email": user.email}
    form = forms.ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {k: v for k, v in data.items() if v != initial.get(k)}
        if not changes:
            messages.info(request, _("资料没有变化"))
            return redirect("storefront:profile")
        try:
            accounts.update_profile(user=user, **changes)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except account_errors.IdentifierTaken as exc:
            add_domain_error(form, exc, exc.details.get("field"))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if changes.get("email"):
                messages.success(request, _("资料已保存，验证邮件已发送至新邮箱"))
            else:
                messages.success(request, _("资料已保存"))
            return redirect("storefront:profile")
    status = 400 if form.errors else 200
    context = _account_context(request, "profile", form=form, masked_email=mask_email(user.email))
    return render(request, "storefront/account/profile.html", context, status=status)


@login_required
@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.email:
        messages.error(request, _("请先填写邮箱"))
    elif user.email_verified_at:
        messages.info(request, _("邮箱已验证，无需重复验证"))
    else:
        try:
            accounts.send_email_verification(user=user)
        except DomainError as exc:
            messages.error(request, localise(exc.message))
        else:
            messages.success(request, _("验证邮件已发送至 %(email)s") % {"email": mask_email(user.email)})
    return redirect("storefront:profile")


# ---------- Security ----------


@sensitive_post_parameters("pw-old_password", "pw-password", "pw-password_confirm", "ph-password")
@login_required
@require_http_methods(["GET", "POST"])
def security_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    password_form = forms.ChangePasswordForm(prefix="pw")
    phone_form = forms.BindPhoneForm(prefix="ph")
    context: dict[str, Any] = {}
    action = request.POST.get("action")

    if request.method == "POST" and action == "change_password":
        password_form = forms.ChangePasswordForm(request.POST, prefix="pw")
        if password_form.is_valid():
            try:
                accounts.change_password(
                    user=user,
                    old_password=password_form.cleaned_data["old_password"],
                    new_password=password_form.cleaned_data["password"],
                    request=request,
                )
            except ValidationError as exc:
                add_service_errors(password_form, exc, CODE_ALIASES)
            except account_errors.InvalidCredentials as exc:
                add_domain_error(password_form, exc, "old_password")
            except DomainError as exc:
                add_domain_error(password_form, exc)
            else:
                messages.success(request, _("密码已修改，其他设备上的登录已失效"))
                return redirect("storefront:security")
    elif request.method == "POST" and action == "bind_phone":
        had_phone = bool(user.phone)
        phone_form = forms.BindPhoneForm(request.POST, prefix="ph")
        if "send_code" in request.POST:
            _send_code_from_form(request, phone_form, "bind_phone", context)
        elif "send_current_code" in request.POST:
            _send_current_code(request, phone_form, context)
        elif phone_form.is_valid() and _bind_phone(request, phone_form):
            messages.success(request, _("手机号已更换") if had_phone else _("手机号已绑定"))
            return redirect("storefront:security")

    context.update(_account_context(request, "security", password_form=password_form, phone_form=phone_form))
    status = 400 if password_form.errors or phone_form.errors else 200
    return render(request, "storefront/account/security.html", context, status=status)


def _send_current_code(request: HttpRequest, form: forms.BindPhoneForm, context: dict[str, Any]) -> None:
    """No-JavaScript path of the "code to my current number" button (nothing else is validated)."""
    form._errors = ErrorDict()
    form.cleaned_data = {}
    sent, message, wait = _send_code(request, "", CURRENT_PHONE_PURPOSE)
    context["current_sms_status"] = {"ok": sent, "message": message, "wait": wait}
    if not sent and not wait:
        form.add_error("current_code", message)


# Where each failure of accounts.bind_phone shows up on the form.
BIND_PHONE_ERROR_FIELDS = {
    "owner_proof_required": None,
    "current_password_invalid": "password",
    "no_current_phone": "current_code",
    "phone_unchanged": "phone",
    "phone_taken": "phone",
}


def _bind_phone(request: HttpRequest, form: forms.BindPhoneForm) -> bool:
    data = form.cleaned_data
    try:
        accounts.bind_phone(
            user=request.user,
            phone=data["phone"],
            code=data["code"],
            password=data["password"] or None,
            current_code=data["current_code"] or None,
            request=request,
        )
    except ValidationError as exc:
        add_service_errors(form, exc, CODE_ALIASES)
    except account_errors.SmsCodeInvalid as exc:
        add_domain_error(form, exc, exc.details.get("field", "code"))
    except DomainError as exc:
        add_domain_error(form, exc, BIND_PHONE_ERROR_FIELDS.get(exc.code))
    else:
        return True
    return False


@login_required
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    accounts.log_out_everywhere(user=request.user)
    accounts.logout(request)
    messages.success(request, _("已退出所有设备上的登录，请重新登录"))
    return redirect(settings.LOGIN_URL)


# ---------- Real name ----------


@sensitive_post_parameters("name", "id_number")
@login_required
@require_http_methods(["GET", "POST"])
def real_name_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    verified = account_selectors.current_real_name(user)
    form = None if verified else forms.RealNameForm(request.POST or None)
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            accounts.submit_real_name(
                user=user,
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except account_errors.RealNameRejected as exc:
            add_domain_error(form, exc)
        except account_errors.IdNumberInUse as exc:
            add_domain_error(form, exc, "id_number")
        except account_errors.AlreadyVerified:
            messages.info(request, _("您已完成实名认证"))
            return redirect("storefront:real_name")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("实名认证成功"))
            return redirect("storefront:real_name")
    context = _account_context(
        request,
        "real_name",
        form=form,
        verification=verified,
        summary=account_selectors.real_name_summary(user),
    )
    status = 400 if form is not None and form.errors else 200
    return render(request, "storefront/account/real_name.html", context, status=status)


# ---------- Addresses ----------


def _address_book(request: HttpRequest, status: int = 200) -> HttpResponse:
    addresses = _addresses(request.user)
    context = _account_context(
        request,
        "addresses",
        addresses=addresses,
        can_add=len(addresses) < MAX_ADDRESSES_PER_USER,
        max_addresses=MAX_ADDRESSES_PER_USER,
    )
    return render(request, "storefront/account/addresses.html", context, status=status)


@login_required
def address_list(request: HttpRequest) -> HttpResponse:
    return _address_book(request)


def _address_form_page(
    request: HttpRequest, form: forms.AddressForm, address: Address | None
) -> HttpResponse:
    context = _account_context(request, "addresses", form=form, address=address)
    return render(
        request, "storefront/account/address_form.html", context, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def address_create(request: HttpRequest) -> HttpResponse:
    is_first = account_selectors.default_address(request.user) is None
    form = forms.AddressForm(request.POST or None, initial={"is_default": is_first})
    if request.method == "POST" and form.is_valid():
        try:
            accounts.create_address(user=request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("收货地址已添加"))
            return redirect("storefront:addresses")
    return _address_form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _own_address(request.user, address_id)
    initial = {
        "receiver_name": address.receiver_name,
        "receiver_phone": address.receiver_phone,
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "region_code": address.region_code,
        "street": address.street,
        "detail": address.detail,
        "postcode": address.postcode,
        "is_default": address.is_default,
    }
    form = forms.AddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.update_address(user=request.user, address_id=address.pk, **form.service_kwargs())
        except account_errors.AddressNotFound as exc:
            raise Http404("address") from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("收货地址已更新"))
            return redirect("storefront:addresses")
    return _address_form_page(request, form, address)


@login_required
@require_POST
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    try:
        accounts.delete_address(user=request.user, address_id=address_id)
    except account_errors.AddressNotFound as exc:
        raise Http404("address") from exc
    messages.success(request, _("收货地址已删除"))
    return redirect("storefront:addresses")


@login_required
@require_POST
def address_set_default(request: HttpRequest, address_id: int) -> HttpResponse:
    try:
        accounts.set_default_address(user=request.user, address_id=address_id)
    except account_errors.AddressNotFound as exc:
        raise Http404("address") from exc
    messages.success(request, _("已设为默认收货地址"))
    return redirect("storefront:addresses")
