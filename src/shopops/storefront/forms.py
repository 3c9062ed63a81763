"""Forms of the shopper pages. They check the shape of input; the accounts services own the rules
(password strength, code validity, uniqueness) and their errors are mapped back onto these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shopops.accounts.validators import normalise_phone, validate_phone
from shopops.storefront import regions

CODE_ATTRS = {
    "inputmode": "numeric",
    "autocomplete": "one-time-code",
    "pattern": "[0-9]*",
    "maxlength": "6",
}
PHONE_ATTRS = {"inputmode": "tel", "autocomplete": "tel", "maxlength": "20"}


class StyledForm(forms.Form):
    """Adds the design system's classes and sensible input attributes to every widget."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                continue
            widget.attrs.setdefault("class", "input")
        # No HTML "required": the browser's own bubble would pre-empt our inline, localised errors.
        self.use_required_attribute = False


class PhoneField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("手机号"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={**PHONE_ATTRS, "placeholder": _("11 位手机号")}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return value
        try:
            return validate_phone(value)
        except ValidationError as exc:
            raise ValidationError(_("请输入有效的 11 位中国大陆手机号"), code="phone") from exc


class SmsCodeField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("短信验证码"))
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("widget", forms.TextInput(attrs={**CODE_ATTRS, "placeholder": _("6 位验证码")}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = (super().clean(value) or "").strip()
        if value and not (value.isdigit() and len(value) == 6):
            raise ValidationError(_("验证码为 6 位数字"), code="code_format")
        return value


def password_field(label: Any = None, autocomplete: str = "new-password", **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label or _("密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        **kwargs,
    )


NEW_PASSWORD_HELP = _("至少 8 位，包含字母、数字、符号中的至少两类")


class ConfirmedPasswordMixin:
    """A new password typed twice. Field names: password, password_confirm."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        password, confirm = data.get("password"), data.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("两次输入的密码不一致"))  # type: ignore[attr-defined]
        return data


# ---------- Login ----------


class PasswordLoginForm(StyledForm):
    # Named "username" because django-axes reads that POST field to count failures per account.
    username = forms.CharField(
        label=_("账号"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "placeholder": _("手机号 / 邮箱 / 用户名"), "autofocus": True}
        ),
    )
    password = password_field(autocomplete="current-password")


class SmsLoginForm(StyledForm):
    phone = PhoneField()
    code = SmsCodeField()
    # Not required by the form: only a number without an account needs it (the service decides and
    # answers terms_not_accepted, which the page shows on this box).
    accept_terms = forms.BooleanField(
        label=_("我已阅读并同意《用户服务协议》和《隐私政策》"),
        required=False,
        help_text=_("未注册的手机号验证后将自动注册账号"),
    )


# ---------- Registration ----------


class AgreeMixin(forms.Form):
    agree = forms.BooleanField(
        label=_("我已阅读并同意《用户服务协议》和《隐私政策》"),
        error_messages={"required": _("请先阅读并同意用户协议与隐私政策")},
    )


class PhoneRegisterForm(ConfirmedPasswordMixin, StyledForm, AgreeMixin):
    phone = PhoneField()
    code = SmsCodeField()
    password = password_field(help_text=NEW_PASSWORD_HELP)
    password_confirm = password_field(label=_("确认密码"))

    field_order = ["phone", "code", "password", "password_confirm", "agree"]


class EmailRegisterForm(ConfirmedPasswordMixin, StyledForm, AgreeMixin):
    email = forms.EmailField(
        label=_("邮箱"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "name@example.com"}),
    )
    password = password_field(help_text=NEW_PASSWORD_HELP)
    password_confirm = password_field(label=_("确认密码"))

    field_order = ["email", "password", "password_confirm", "agree"]


class SendSmsCodeForm(forms.Form):
    """The send-code button posts the phone of the form it sits in and the flow it belongs to."""

    PURPOSES = ("register", "login", "reset_password", "bind_phone")
    # "change_phone" codes go to the signed-in account's own number; the view handles it without a
    # phone field (see auth_views.send_sms_code).

    phone = PhoneField()
    purpose = forms.ChoiceField(choices=[(p, p) for p in PURPOSES])

    PREFIXES = ("", "sms", "ph", "pw", "em")  # the prefixes of the forms that hold a send-code button


# ---------- Passwords ----------


class PasswordResetEmailForm(StyledForm):
    email = forms.EmailField(
        label=_("注册邮箱"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "name@example.com"}),
    )


class PasswordResetSmsForm(ConfirmedPasswordMixin, StyledForm):
    phone = PhoneField()
    code = SmsCodeField()
    password = password_field(label=_("新密码"), help_text=NEW_PASSWORD_HELP)
    password_confirm = password_field(label=_("确认新密码"))


class SetPasswordForm(ConfirmedPasswordMixin, StyledForm):
    password = password_field(label=_("新密码"), help_text=NEW_PASSWORD_HELP)
    password_confirm = password_field(label=_("确认新密码"))


class ChangePasswordForm(ConfirmedPasswordMixin, StyledForm):
    old_password = password_field(label=_("当前密码"), autocomplete="current-password")
    password = password_field(label=_("新密码"), help_text=NEW_PASSWORD_HELP)
    password_confirm = password_field(label=_("确认新密码"))


class BindPhoneForm(StyledForm):
    """Bind or change the mobile number: proof of the owner (current password, or a code sent to the
    current number) plus a code sent to the new number. The service says which proofs are missing."""

    password = password_field(label=_("当前密码"), autocomplete="current-password", required=False)
    current_code = SmsCodeField(label=_("原手机号验证码"), required=False)
    phone = PhoneField(label=_("新手机号"))
    code = SmsCodeField(label=_("新手机号验证码"))


# ---------- Profile, real name ----------


class ProfileForm(StyledForm):
    display_name = forms.CharField(
        label=_("昵称"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    username = forms.CharField(
        label=_("用户名"),
        max_length=30,
        help_text=_("以字母开头，3-30 位字母、数字或 _.-，可用于登录"),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(
        label=_("邮箱"),
        max_length=254,
        required=False,
        help_text=_("修改后需要重新验证"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class RealNameForm(StyledForm):
    name = forms.CharField(
        label=_("真实姓名"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("18 位居民身份证号码")}),
        error_messages={"min_length": _("身份证号为 18 位")},
    )

    def clean_id_number(self) -> str:
        return self.cleaned_data["id_number"].strip().upper()


# ---------- Addresses ----------


class AddressForm(StyledForm):
    receiver_name = forms.CharField(
        label=_("收货人"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    receiver_phone = PhoneField()
    province = forms.ChoiceField(label=_("省份"))
    city = forms.ChoiceField(label=_("城市"))
    district = forms.ChoiceField(label=_("区/县"))
    region_code = forms.CharField(required=False, widget=forms.HiddenInput)
    street = forms.CharField(
        label=_("街道/乡镇"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("选填")}),
    )
    detail = forms.CharField(
        label=_("详细地址"),
        max_length=120,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "autocomplete": "street-address",
                "placeholder": _("如道路、门牌号、小区、楼栋号、单元室等"),
            }
        ),
    )
    postcode = forms.RegexField(
        label=_("邮政编码"),
        regex=r"^\d{6}$",
        required=False,
        error_messages={"invalid": _("邮政编码为 6 位数字")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "postal-code", "maxlength": "6"}
        ),
    )
    is_default = forms.BooleanField(label=_("设为默认收货地址"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province = self._current("province")
        city = self._current("city")
        placeholder = [("", _("请选择"))]
        self.fields["province"].choices = placeholder + [(p, p) for p in regions.provinces()]
        self.fields["city"].choices = placeholder + [(c, c) for c in regions.cities(province)]
        self.fields["district"].choices = placeholder + [(d, d) for d in regions.districts(province, city)]
        for name in ("province", "city", "district"):
            self.fields[name].widget.attrs["data-region-level"] = name
            self.fields[name].widget.attrs["aria-label"] = str(self.fields[name].label)
            self.fields[name].error_messages["required"] = _("请选择所在地区")
            self.fields[name].error_messages["invalid_choice"] = _("请重新选择所在地区")
        self.fields["region_code"].widget.attrs["data-region-code"] = "1"

    def _current(self, name: str) -> str:
        if self.is_bound:
            return (self.data.get(self.add_prefix(name)) or "").strip()
        return str(self.initial.get(name) or "")

    def clean_receiver_phone(self) -> str:
        return normalise_phone(self.cleaned_data["receiver_phone"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if all(data.get(k) for k in ("province", "city", "district")):
            region = regions.resolve(data["province"], data["city"], data["district"])
            if region is None:
                self.add_error("district", _("请重新选择所在地区"))
            else:
                data["region_code"] = region.code
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "receiver_name": data["receiver_name"].strip(),
            "receiver_phone": data["receiver_phone"],
            "province": data["province"],
            "city": data["city"],
            "district": data["district"],
            "region_code": data.get("region_code", ""),
            "street": data.get("street", "").strip(),
            "detail": data["detail"].strip(),
            "postcode": data.get("postcode", "") or "",
            "is_default": bool(data.get("is_default")),
        }
