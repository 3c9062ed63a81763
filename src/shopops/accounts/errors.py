"""Failures of the accounts domain. Each maps to the API error shape by its status and code.

Field-level input problems (a bad phone number, a weak password) are raised as Django
``ValidationError`` with an error dict, which the API answers as 422 with ``details.fields`` and which
a Django form accepts as-is through ``form.add_error(None, exc)``.
"""

from __future__ import annotations

from typing import Any

from shopops.accounts.throttling import LoginLocked
from shopops.core.errors import Conflict, DomainError, InvalidInput, NotAuthenticated, NotFound, Throttled

__all__ = [
    "AddressLimitReached",
    "AddressNotFound",
    "AlreadyVerified",
    "CurrentPasswordInvalid",
    "EmailVerifiedElsewhere",
    "IdNumberInUse",
    "IdentifierTaken",
    "InvalidCredentials",
    "InvalidVerificationToken",
    "LoginLocked",
    "NoCurrentPhone",
    "OwnerProofRequired",
    "PhoneUnchanged",
    "RealNameRejected",
    "RealNameUnavailable",
    "SmsCodeInvalid",
    "SmsCooldown",
    "SmsDailyCapReached",
    "SmsDeliveryFailed",
    "TermsNotAccepted",
]


class IdentifierTaken(Conflict):
    """A username, phone or email already belongs to another account (409)."""

    code = "identifier_taken"

    MESSAGES = {
        "username": "该用户名已被使用 / This username is already taken",
        "phone": "该手机号已注册 / This mobile number is already registered",
        "email": "该邮箱已注册 / This email address is already registered",
    }

    def __init__(self, field: str, **details: Any) -> None:
        super().__init__(
            self.MESSAGES.get(field, Conflict.message), code=f"{field}_taken", field=field, **details
        )


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    message = "账号或密码错误 / Wrong account or password"


class SmsCodeInvalid(InvalidInput):
    """Wrong, expired, used-up or never-sent code. The code field says which (the client may show it)."""

    code = "sms_code_invalid"
    message = "验证码错误或已失效 / The verification code is wrong or no longer valid"


class SmsCooldown(Throttled):
    code = "sms_cooldown"
    message = "验证码发送过于频繁，请稍后再试 / Please wait before requesting another code"


class SmsDailyCapReached(Throttled):
    code = "sms_daily_cap"
    message = "今日验证码发送次数已达上限 / Daily limit for verification codes reached"


class SmsDeliveryFailed(DomainError):
    """The SMS gateway refused or did not answer (503: try again later; nothing was charged to the user)."""

    code = "sms_delivery_failed"
    status = 503
    message = "短信发送失败，请稍后重试 / The text message could not be sent, please try again later"


class InvalidVerificationToken(DomainError):
    code = "token_invalid"
    status = 400
    message = "链接无效或已过期 / The link is invalid or has expired"


class AlreadyVerified(Conflict):
    code = "already_verified"
    message = "已完成实名认证 / Real-name verification is already complete"


class IdNumberInUse(Conflict):
    code = "id_number_in_use"
    message = "该身份证号已认证其他账号 / This ID number already verified another account"


class RealNameRejected(InvalidInput):
    code = "real_name_rejected"
    message = "姓名与身份证号不匹配 / The name does not match the ID number"


class AddressLimitReached(InvalidInput):
    code = "address_limit"
    message = "收货地址数量已达上限 / You have reached the maximum number of addresses"


class AddressNotFound(NotFound):
    code = "not_found"
    message = "收货地址不存在 / Address not found"


class RealNameUnavailable(DomainError):
    code = "real_name_unavailable"
    status = 503
    message = "实名认证服务暂不可用，请稍后重试 / Real-name verification is unavailable, try again later"


class EmailVerifiedElsewhere(Conflict):
    """Another account verified this address first; this account's claim on it was released (409)."""

    code = "email_verified_elsewhere"
    message = (
        "该邮箱已被其他账号验证，请使用其他邮箱 / "
        "Another account has already verified this email address, please use a different one"
    )


class OwnerProofRequired(InvalidInput):
    """Changing the phone needs the current password or a code sent to the current phone (422)."""

    code = "owner_proof_required"
    message = (
        "请输入当前密码或原手机号收到的验证码 / "
        "Enter your current password or the code sent to your current mobile number"
    )


class CurrentPasswordInvalid(InvalidInput):
    code = "current_password_invalid"
    message = "当前密码不正确 / The current password is wrong"


class NoCurrentPhone(InvalidInput):
    code = "no_current_phone"
    message = "账号尚未绑定手机号 / The account has no mobile number yet"


class PhoneUnchanged(InvalidInput):
    code = "phone_unchanged"
    message = "新手机号与当前手机号相同 / The new number is the same as the current one"


class TermsNotAccepted(InvalidInput):
    """SMS sign-in of a number without an account creates one: the client must show the terms and
    send accept_terms=true (422). The code was checked but not used up, so it can be sent again."""

    code = "terms_not_accepted"
    message = (
        "该手机号尚未注册，请阅读并同意《用户服务协议》和《隐私政策》后登录 / "
        "This number has no account yet: accept the Terms of Service and Privacy Policy to sign up"
    )
