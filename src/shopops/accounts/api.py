"""Accounts API (/api/v1/accounts): registration, verification, login, tokens, profile, addresses.

Thin on purpose: every rule lives in services.py / selectors.py. Endpoints that need a signed-in
user use `auth=api_auth` (JWT bearer or the web session with CSRF); public ones say `auth=None`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Field, Router, Schema, Status
from ninja.utils import check_csrf

from shopops.accounts import selectors, services, tokens
from shopops.accounts.auth import api_auth
from shopops.accounts.models import MAX_ADDRESSES_PER_USER, Address, User
from shopops.accounts.throttling import request_ip
from shopops.core.errors import NotFound, PermissionDenied
from shopops.shops.access import platform_permission_any, public, signed_in

router = Router(tags=["accounts"])

# --- Schemas ---------------------------------------------------------------------------------------


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    phone_masked: str
    email_verified: bool
    phone_verified: bool
    real_name_verified: bool
    date_joined: datetime


class TokenOut(Schema):
    access: str
    refresh: str
    token_type: str = "Bearer"
    expires_in: int = Field(..., description="Seconds until the access token expires")
    refresh_expires_in: int


class SignInTokenOut(TokenOut):
    new_account: bool = Field(
        False, description="True when this SMS sign-in opened the account (验证码登录即注册)"
    )


class RegisterIn(Schema):
    password: str = Field(..., max_length=256)
    username: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=320)
    sms_code: str | None = Field(None, max_length=16, description="Required with phone (purpose register)")
    display_name: str = Field("", max_length=64)


class RegisterOut(Schema):
    user: MeOut
    tokens: TokenOut


class SmsSendIn(Schema):
    phone: str = Field(..., max_length=32)
    purpose: Literal["register", "login", "reset_password"]


class SmsSendOut(Schema):
    sent: bool = True
    cooldown_seconds: int
    expires_in: int


class TokenIn(Schema):
    grant_type: Literal["password", "sms"] = "password"
    identifier: str | None = Field(None, max_length=320, description="Username, email or mobile")
    password: str | None = Field(None, max_length=256)
    phone: str | None = Field(None, max_length=32)
    code: str | None = Field(None, max_length=16)
    accept_terms: bool = Field(
        False,
        description="SMS sign-in of a number without an account opens one only with true (the shopper "
        "accepted the Terms of Service and Privacy Policy); otherwise 422 terms_not_accepted, and the "
        "code stays usable for the retry.",
    )


class RefreshIn(Schema):
    refresh: str = Field(..., max_length=4096)


class TokenLinkIn(Schema):
    token: str = Field(..., max_length=2048)


class EmailIn(Schema):
    email: str = Field(..., max_length=320)


class PasswordResetConfirmIn(Schema):
    new_password: str = Field(..., max_length=256)
    token: str | None = Field(None, max_length=2048, description="From the emailed link")
    phone: str | None = Field(None, max_length=32, description="With code (purpose reset_password)")
    code: str | None = Field(None, max_length=16)


class PasswordChangeIn(Schema):
    old_password: str = Field(..., max_length=256)
    new_password: str = Field(..., max_length=256)


class PasswordChangeOut(Schema):
    changed: bool = True
    tokens: TokenOut | None = Field(None, description="Fresh tokens when the request used a bearer token")


class ProfilePatchIn(Schema):
    display_name: str | None = Field(None, max_length=64)
    username: str | None = Field(None, max_length=64)
    email: str | None = Field(
        None,
        max_length=320,
        description='"" removes the address. A new address starts unverified (a link is sent); '
        "409 email_taken only when another account has verified it.",
    )


class PhoneIn(Schema):
    phone: str = Field(..., max_length=32)


class BindPhoneIn(Schema):
    phone: str = Field(..., max_length=32, description="The new number")
    code: str = Field(..., max_length=16, description="Code sent to the new number (POST /me/phone/code)")
    password: str | None = Field(
        None, max_length=256, description="Proof of the owner: the current password, or else current_code"
    )
    current_code: str | None = Field(
        None,
        max_length=16,
        description="Proof of the owner: code sent to the current number (POST /me/phone/current/code)",
    )


class RealNameIn(Schema):
    name: str = Field(..., max_length=64)
    id_number: str = Field(..., max_length=32)


class RealNameOut(Schema):
    verified: bool
    name: str = Field(..., description="Masked (张**)")
    id_number: str = Field(..., description="Masked (1101**********1234)")
    verified_at: datetime | None


class StaffRealNameOut(Schema):
    user_id: int
    verified: bool
    unmasked: bool
    name: str
    id_number: str
    verified_at: datetime | None


class AddressIn(Schema):
    receiver_name: str = Field(..., max_length=64)
    receiver_phone: str = Field(..., max_length=32)
    province: str = Field(..., max_length=64)
    city: str = Field(..., max_length=64)
    district: str = Field(..., max_length=64)
    region_code: str = Field("", max_length=16)
    street: str = Field("", max_length=128)
    detail: str = Field(..., max_length=256)
    postcode: str = Field("", max_length=16)
    is_default: bool = False


class AddressPatchIn(Schema):
    receiver_name: str | None = Field(None, max_length=64)
    receiver_phone: str | None = Field(None, max_length=32)
    province: str | None = Field(None, max_length=64)
    city: str | None = Field(None, max_length=64)
    district: str | None = Field(None, max_length=64)
    region_code: str | None = Field(None, max_length=16)
    street: str | None = Field(None, max_length=128)
    detail: str | None = Field(None, max_length=256)
    postcode: str | None = Field(None, max_length=16)
    is_default: bool | None = None


class AddressOut(Schema):
    id: int
    receiver_name: str
    receiver_phone: str
    province: str
    city: str
    district: str
    region_code: str
    street: str
    detail: str
    postcode: str
    is_default: bool
    full_region: str
    created_at: datetime
    updated_at: datetime


class AddressListOut(Schema):
    items: list[AddressOut]
    count: int
    limit: int


class SessionLoginIn(Schema):
    method: Literal["password", "sms"] = "password"
    identifier: str | None = Field(None, max_length=320)
    password: str | None = Field(None, max_length=256)
    phone: str | None = Field(None, max_length=32)
    code: str | None = Field(None, max_length=16)
    accept_terms: bool = Field(
        False,
        description="SMS sign-in of a number without an account opens one only with true (the shopper "
        "accepted the Terms of Service and Privacy Policy); otherwise 422 terms_not_accepted, and the "
        "code stays usable for the retry.",
    )


class SessionOut(Schema):
    authenticated: bool
    user: MeOut | None = None


class SessionLoginOut(SessionOut):
    new_account: bool = Field(False, description="True when this SMS sign-in opened the account")


class DeviceOut(Schema):
    family: str
    last_seen_at: datetime
    expires_at: datetime
    ip_address: str | None
    user_agent: str


# --- Helpers ---------------------------------------------------------------------------------------


def _me(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "phone_masked": user.masked_phone,
        "email_verified": user.email_verified_at is not None,
        "phone_verified": user.phone_verified_at is not None,
        "real_name_verified": user.real_name_verified_at is not None,
        "date_joined": user.date_joined,
    }


def _address(address: Address, *, masked: bool) -> dict:
    return {
        "id": address.id,
        "receiver_name": address.receiver_name,
        "receiver_phone": address.masked_phone if masked else address.receiver_phone,
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "region_code": address.region_code,
        "street": address.street,
        "detail": address.detail,
        "postcode": address.postcode,
        "is_default": address.is_default,
        "full_region": address.full_region,
        "created_at": address.created_at,
        "updated_at": address.updated_at,
    }


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


def _require_csrf(request: HttpRequest) -> None:
    """Cookie-based endpoints without auth still need CSRF (a login form could be forged otherwise)."""
    if check_csrf(request):
        raise PermissionDenied("CSRF 校验失败 / CSRF check failed", code="csrf_failed")


def _used_bearer(request: HttpRequest) -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


# --- Registration and verification -----------------------------------------------------------------


@router.post(
    "/register",
    response={201: RegisterOut},
    auth=None,
    summary="Create an account",
    description=(
        "An email address is only taken once an account verified it: an unverified claim does not "
        "block another registration, and the first account to verify the address owns it (the other "
        "claims are released). 409 email_taken when a verified account holds it."
    ),
)
@public("Anyone may open an account; throttled per IP and phone, SMS code proves the phone.")
def register(request, payload: RegisterIn):
    user = services.register_user(**payload.dict(), ip=request_ip(request))
    pair = services.issue_api_tokens(request=request, user=user)
    return Status(201, {"user": _me(user), "tokens": pair.as_response()})


@router.post(
    "/sms/send",
    response=SmsSendOut,
    auth=None,
    summary="Send an SMS verification code",
    description=(
        "register: only to a number without an account (409 phone_taken). login: to any number, since a "
        "correct code for a new number opens its account (POST /token with accept_terms). "
        "reset_password: the same answer for every number, sent only to accounts. 429 sms_cooldown "
        "(60 s per number and purpose) or sms_daily_cap (per number and per IP)."
    ),
)
@public("Sign-up, SMS login and reset need a code before an account or session exists; rate limited.")
def send_sms(request, payload: SmsSendIn):
    result = services.send_sms_code(phone=payload.phone, purpose=payload.purpose, ip=request_ip(request))
    return {"cooldown_seconds": result.cooldown_seconds, "expires_in": result.expires_in}


@router.post(
    "/email/verify",
    response=MeOut,
    auth=None,
    summary="Confirm an email address from its link (first account to verify owns it)",
    description=(
        "Releases the address from every other account that claimed it without verifying (their "
        "links stop working). 409 email_verified_elsewhere when another account verified it first; "
        "400 token_invalid / token_expired for a bad link."
    ),
)
@public("The emailed one-time link is the credential; the reader may be signed out.")
def verify_email(request, payload: TokenLinkIn):
    return _me(services.verify_email(token=payload.token, request=request))


@router.post("/email/resend", response={202: None}, auth=api_auth, summary="Send the verification link again")
@signed_in("Re-sends the link for the caller's own address.")
def resend_verification(request):
    services.send_email_verification(user=request.auth)
    return Status(202, None)


# --- Tokens ----------------------------------------------------------------------------------------


@router.post(
    "/token",
    response=SignInTokenOut,
    auth=None,
    summary="Sign in: password or SMS code -> JWT pair (an SMS code for a new number signs up)",
)
@public("Sign-in: the password or SMS code is the credential; axes and throttling limit guessing.")
def obtain_token(request, payload: TokenIn):
    new_account = False
    if payload.grant_type == "sms":
        result = services.sign_in_with_sms(
            request=request, phone=payload.phone, code=payload.code, accept_terms=payload.accept_terms
        )
        user, new_account = result.user, result.created
    else:
        user = services.authenticate_with_password(
            request=request, identifier=payload.identifier or "", password=payload.password or ""
        )
    pair = services.issue_api_tokens(request=request, user=user)
    return {**pair.as_response(), "new_account": new_account}


@router.post("/token/refresh", response=TokenOut, auth=None, summary="Rotate a refresh token")
@public("The refresh token is the credential; rotation detects reuse.")
def refresh_token(request, payload: RefreshIn):
    pair = tokens.rotate_refresh_token(
        payload.refresh, ip=request_ip(request), user_agent=_user_agent(request)
    )
    return pair.as_response()


@router.post("/logout", response={204: None}, auth=None, summary="Sign this device out (revoke its tokens)")
@public("Revokes only the token family of the refresh token presented; holding it is the credential.")
def logout(request, payload: RefreshIn):
    tokens.revoke_refresh_family(payload.refresh)
    return Status(204, None)


@router.post("/logout-all", response={204: None}, auth=api_auth, summary="Sign out every device and session")
@signed_in("Signs out the caller's own devices and sessions.")
def logout_all(request):
    services.log_out_everywhere(user=request.auth)
    return Status(204, None)


@router.get("/me/devices", response=list[DeviceOut], auth=api_auth, summary="Signed-in apps (token families)")
@signed_in("Lists the caller's own token families.")
def devices(request):
    return selectors.active_devices(request.auth)


@router.delete("/me/devices/{family}", response={204: None}, auth=api_auth, summary="Sign one device out")
@signed_in("Revokes one of the caller's own token families; another user's family is 404.")
def revoke_device(request, family: str):
    if not tokens.revoke_family(user=request.auth, family=family[:64]):
        raise NotFound(resource="device")
    return Status(204, None)


# --- Web session (for the storefront's JavaScript) -------------------------------------------------


@router.get("/session", response=SessionOut, auth=None, summary="Who is signed in; sets the CSRF cookie")
@public("Answers only about the requester's own session and sets the CSRF cookie.")
def session_status(request):
    get_token(request)
    user = request.user
    if user.is_authenticated and user.is_active:
        return {"authenticated": True, "user": _me(user)}
    return {"authenticated": False, "user": None}


@router.post(
    "/session",
    response=SessionLoginOut,
    auth=None,
    summary="Sign in to a web session (CSRF checked; an SMS code for a new number signs up)",
)
@public("Sign-in to a web session: CSRF checked, credentials throttled by axes.")
def session_login(request, payload: SessionLoginIn):
    _require_csrf(request)
    if payload.method == "sms":
        result = services.sign_in_with_sms(
            request=request,
            phone=payload.phone or "",
            code=payload.code or "",
            accept_terms=payload.accept_terms,
        )
        services.login_user(request, result.user)
        return {"authenticated": True, "user": _me(result.user), "new_account": result.created}
    user = services.login_with_password(request, payload.identifier or "", payload.password or "")
    return {"authenticated": True, "user": _me(user)}


@router.delete("/session", response={204: None}, auth=api_auth, summary="Sign out of the web session")
@signed_in("Ends the caller's own web session.")
def session_logout(request):
    services.logout(request)
    return Status(204, None)


# --- Passwords -------------------------------------------------------------------------------------


@router.post("/password/change", response=PasswordChangeOut, auth=api_auth, summary="Change password")
@signed_in("Changes the caller's own password; needs the old one.")
def change_password(request, payload: PasswordChangeIn):
    user = request.auth
    services.change_password(
        user=user, old_password=payload.old_password, new_password=payload.new_password, request=request
    )
    if not _used_bearer(request):
        return {"changed": True, "tokens": None}  # the web session was kept by the service
    # Every token was revoked; a token client gets a fresh pair so this device stays signed in.
    pair = tokens.issue_tokens(user, ip=request_ip(request), user_agent=_user_agent(request))
    return {"changed": True, "tokens": pair.as_response()}


@router.post("/password/reset", response={202: None}, auth=None, summary="Email a password-reset link")
@public("Forgotten passwords: always 202, so it reveals nothing; throttled per IP and address.")
def request_password_reset(request, payload: EmailIn):
    services.request_password_reset(email=payload.email, ip=request_ip(request))
    return Status(202, None)


@router.post("/password/reset/check", response=dict, auth=None, summary="Is a reset link still valid?")
@public("The emailed reset link is the credential; answers only valid or not.")
def check_reset_token(request, payload: TokenLinkIn):
    services.check_password_reset_token(token=payload.token)
    return {"valid": True}


@router.post("/password/reset/confirm", response=dict, auth=None, summary="Set a new password (link or SMS)")
@public("The reset link or SMS code is the credential.")
def confirm_password_reset(request, payload: PasswordResetConfirmIn):
    services.reset_password(
        new_password=payload.new_password, token=payload.token, phone=payload.phone, code=payload.code
    )
    return {"reset": True}


# --- Profile ---------------------------------------------------------------------------------------


@router.get("/me", response=MeOut, auth=api_auth, summary="The signed-in user")
@signed_in("The caller's own profile.")
def me(request):
    return _me(request.auth)


@router.patch("/me", response=MeOut, auth=api_auth, summary="Change display name, username or email")
@signed_in("Edits the caller's own profile.")
def update_me(request, payload: ProfilePatchIn):
    return _me(services.update_profile(user=request.auth, **payload.dict(exclude_unset=True)))


@router.post("/me/phone/code", response=SmsSendOut, auth=api_auth, summary="Send a code to a phone to bind")
@signed_in("Sends a code for binding a phone to the caller's own account.")
def send_bind_phone_code(request, payload: PhoneIn):
    result = services.send_sms_code(
        phone=payload.phone, purpose="bind_phone", ip=request_ip(request), user=request.auth
    )
    return {"cooldown_seconds": result.cooldown_seconds, "expires_in": result.expires_in}


@router.post(
    "/me/phone/current/code",
    response=SmsSendOut,
    auth=api_auth,
    summary="Send a code to the current phone (to prove the owner before changing it)",
)
@signed_in("Sends a code only to the caller's own current number.")
def send_current_phone_code(request):
    result = services.send_current_phone_code(user=request.auth, ip=request_ip(request))
    return {"cooldown_seconds": result.cooldown_seconds, "expires_in": result.expires_in}


@router.post(
    "/me/phone",
    response=MeOut,
    auth=api_auth,
    summary="Bind or change the mobile number (owner proof + code on the new number)",
    description=(
        "Needs the code sent to the new number and a proof of the owner: `password` (the current "
        "password) or `current_code` (sent to the current number). Errors: 422 owner_proof_required "
        "(details.methods lists what the account can use), current_password_invalid, no_current_phone, "
        "current_sms_code_invalid/_expired/_exhausted, sms_code_invalid/_expired/_exhausted (new number), "
        "phone_unchanged; 409 phone_taken; 429 throttled (wrong passwords). Nothing changes on failure; "
        "a change is audited and the old number and a verified email are notified."
    ),
)
@signed_in("Binds a phone to the caller's own account.")
def bind_phone(request, payload: BindPhoneIn):
    user = services.bind_phone(
        user=request.auth,
        phone=payload.phone,
        code=payload.code,
        password=payload.password,
        current_code=payload.current_code,
        request=request,
    )
    return _me(user)


@router.get("/me/real-name", response=RealNameOut, auth=api_auth, summary="Own real-name status (masked)")
@signed_in("The caller's own real-name status, masked.")
def my_real_name(request):
    return selectors.real_name_summary(request.auth)


@router.post("/me/real-name", response={201: RealNameOut}, auth=api_auth, summary="Submit real-name check")
@signed_in("Submits the caller's own real-name check.")
def submit_real_name(request, payload: RealNameIn):
    services.submit_real_name(
        user=request.auth, name=payload.name, id_number=payload.id_number, ip=request_ip(request)
    )
    return Status(201, selectors.real_name_summary(request.auth))


# --- Addresses -------------------------------------------------------------------------------------


@router.get("/addresses", response=AddressListOut, auth=api_auth, summary="My addresses (phones masked)")
@signed_in("The caller's own addresses.")
def list_addresses(request):
    items = [_address(a, masked=True) for a in selectors.list_addresses(request.auth)]
    return {"items": items, "count": len(items), "limit": MAX_ADDRESSES_PER_USER}


@router.post("/addresses", response={201: AddressOut}, auth=api_auth, summary="Add an address")
@signed_in("Adds an address to the caller's own book.")
def create_address(request, payload: AddressIn):
    return Status(201, _address(services.create_address(user=request.auth, **payload.dict()), masked=False))


@router.get(
    "/addresses/{address_id}", response=AddressOut, auth=api_auth, summary="One address (for editing)"
)
@signed_in("One of the caller's own addresses; anyone else's is 404.")
def get_address(request, address_id: int):
    return _address(selectors.get_address(user=request.auth, address_id=address_id), masked=False)


@router.patch("/addresses/{address_id}", response=AddressOut, auth=api_auth, summary="Change an address")
@signed_in("Edits one of the caller's own addresses; anyone else's is 404.")
def update_address(request, address_id: int, payload: AddressPatchIn):
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    address = services.update_address(user=request.auth, address_id=address_id, **changes)
    return _address(address, masked=False)


@router.delete("/addresses/{address_id}", response={204: None}, auth=api_auth, summary="Delete an address")
@signed_in("Deletes one of the caller's own addresses; anyone else's is 404.")
def delete_address(request, address_id: int):
    services.delete_address(user=request.auth, address_id=address_id)
    return Status(204, None)


@router.post(
    "/addresses/{address_id}/default", response=AddressOut, auth=api_auth, summary="Make it the default"
)
@signed_in("Changes the default among the caller's own addresses.")
def set_default_address(request, address_id: int):
    return _address(services.set_default_address(user=request.auth, address_id=address_id), masked=False)


# --- Platform staff --------------------------------------------------------------------------------

# User managers see the record masked; only "pii.realname" holders may unmask it (checked, and
# audited, by services.reveal_real_name). Either code admits the caller to the masked view.
STAFF_REAL_NAME_PERMISSIONS = ("platform.users", "pii.realname")


@router.get(
    "/admin/users/{user_id}/real-name",
    response=StaffRealNameOut,
    auth=api_auth,
    summary="A user's real-name record; unmask=true needs pii.realname and is audited",
)
@platform_permission_any(*STAFF_REAL_NAME_PERMISSIONS)
def staff_real_name(request, user_id: int, unmask: bool = False, reason: str = ""):
    viewer = request.auth
    target = selectors.user_by_id(user_id)
    if target is None:
        raise NotFound(resource="user", id=user_id)
    record = selectors.current_real_name(target)
    if record is None:
        return {"user_id": user_id, "verified": False, "unmasked": False, "name": "", "id_number": "",
                "verified_at": None}  # fmt: skip
    if unmask:
        revealed = services.reveal_real_name(
            viewer=viewer, verification=record, request=request, reason=reason[:255]
        )
        name, number = revealed.name, revealed.id_number
    else:
        name, number = record.masked_name, record.masked_id_number
    return {"user_id": user_id, "verified": True, "unmasked": unmask, "name": name, "id_number": number,
            "verified_at": record.created_at}  # fmt: skip
