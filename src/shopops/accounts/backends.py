"""Sign in with a username, an email address or a mobile number, plus the password."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import F

from shopops.accounts.models import User, phone_digest
from shopops.accounts.validators import looks_like_phone, normalise_phone


def find_user_by_identifier(identifier: str) -> User | None:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        # Several accounts may claim an unverified address: the verified owner signs in with it;
        # while nobody has verified it, the earliest claim (a later claim cannot take over its login).
        return (
            User.objects.filter(email=identifier.lower())
            .order_by(F("email_verified_at").asc(nulls_last=True), "pk")
            .first()
        )
    if looks_like_phone(identifier):
        return User.objects.filter(phone_digest=phone_digest(normalise_phone(identifier))).first()
    exact = User.objects.filter(username=identifier).first()
    # Usernames are unique ignoring case (services enforce it), so "Alice" finds "alice".
    return exact or User.objects.filter(username__iexact=identifier).order_by("pk").first()


class IdentifierBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = find_user_by_identifier(username or kwargs.get("identifier", ""))
        if user is None:
            # Run the hasher anyway so a missing account and a wrong password take the same time.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
