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
    send_sms_code(*, phone, purpose, ip=None, user=None) -> SmsSendResult
        purpose: "register" | "login" | "reset_password" | "bind_phone". 60 s cooldown per
        phone+purpose (SmsCooldown 429, details.retry_after), daily caps per phone and per IP
        (SmsDailyCapReached 429). For login/reset_password the answer is the same whether or not the
        phone is registered (a code is only really sent when it is). Dev provider: read the code with
        shopops.accounts.sms.last_sms_code(phone).
    send_email_verification(*, user) -> None
    verify_email(*, token) -> User                 InvalidVerificationToken (400) when tampered/expired.

Login (web session and API)
    login_with_password(request, identifier, password) -> User
        identifier: username, email or mobile. Logs the session in (django.contrib.auth.login).
        Raises InvalidCredentials (401) or LoginLocked (429, retry_after) after 5 failures (django-axes).
    login_with_sms(request, phone, code) -> User    Session login with a "login" SMS code.
    authenticate_with_password(*, request, identifier, password) -> User   Same checks, no session
    authenticate_with_sms(*, request, phone, code) -> User                 (the token API uses these).
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
    bind_phone(*, user, phone, code) -> User         SMS code purpose "bind_phone".
    log_out_everywhere(*, user) -> None              Revokes all JWTs and all web sessions.

Real-name verification (实名认证)
    submit_real_name(*, user, name, id_number, ip=None) -> RealNameVerification
        Validates the ID number (GB 11643) and name, asks settings.REALNAME_PROVIDER.
        AlreadyVerified / IdNumberInUse (409), RealNameRejected (422).
    reveal_real_name(*, viewer, verification, request=None, reason="") -> RevealedRealName
        Plaintext for holders of the platform permission "pii.realname"; every call is audited
        (action "pii.realname.view"). PermissionDenied (403) otherwise.

Addresses (at most MAX_ADDRESSES_PER_USER; exactly one default while any exist)
    create_address(*, user, receiver_name, receiver_phone, province, city, district, detail,
                   street="", region_code="", postcode="", is_default=False) -> Address
    update_address(*, user, address_id, **changes) -> Address
    delete_address(*, user, address_id) -> None
    set_default_address(*, user, address_id) -> Address
        Another user's address id raises AddressNotFound (404), as if it did not exist.
    validate_region(*, province, city, district, region_code="") -> None   (the one place to extend)
"""

from __future__ import annotations
