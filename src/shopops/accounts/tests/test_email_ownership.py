"""An email address belongs to the account that verifies it first; unverified claims cannot squat it."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from shopops.accounts import emails, services
from shopops.accounts.errors import EmailVerifiedElsewhere, InvalidVerificationToken
from shopops.accounts.models import User
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from shopops.core.models import AuditLog

pytestmark = pytest.mark.django_db

ADDRESS = "owner@example.com"


def register(api, email=ADDRESS, **extra):
    return api.post("/register", {"email": email, "password": DEFAULT_PASSWORD, **extra})


def test_an_unverified_claim_does_not_block_registering_the_address(api):
    squatter = UserFactory(email=ADDRESS)
    response = register(api, "Owner@Example.com")
    assert response.status_code == 201, response.content
    assert response.json()["user"]["email"] == ADDRESS
    assert response.json()["user"]["email_verified"] is False
    assert User.objects.filter(email=ADDRESS).count() == 2
    squatter.refresh_from_db()
    assert squatter.email == ADDRESS  # nobody owns the address yet


def test_a_verified_address_stays_unique(api):
    UserFactory(email=ADDRESS, verified_email=True)
    response = register(api)
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert User.objects.filter(email=ADDRESS).count() == 1


def test_first_verification_wins_and_releases_the_other_claims(api, django_capture_on_commit_callbacks):
    squatter = UserFactory(email=ADDRESS)
    squatter_link = emails.make_email_verification_token(squatter)
    with django_capture_on_commit_callbacks(execute=True):
        owner_id = register(api).json()["user"]["id"]
    [message] = mail.outbox
    assert message.to == [ADDRESS]
    owner_link = emails.make_email_verification_token(User.objects.get(pk=owner_id))

    response = api.post("/email/verify", {"token": owner_link})
    assert response.status_code == 200, response.content
    assert response.json()["email_verified"] is True

    squatter.refresh_from_db()
    assert squatter.email == "" and squatter.email_verified_at is None
    assert squatter.is_active  # keeps the account, loses only the address
    # The squatter's pending link stops working, with a code that says why.
    response = api.post("/email/verify", {"token": squatter_link})
    assert response.status_code == 409
    assert response.json()["code"] == "email_verified_elsewhere"
    entry = AuditLog.objects.get(action="accounts.email.verified")
    assert entry.object_id == str(owner_id) and entry.after["released_user_ids"] == [squatter.pk]
    assert ADDRESS not in str(entry.after)  # masked


def test_the_same_link_twice_is_still_fine(api):
    user = UserFactory(email=ADDRESS)
    link = emails.make_email_verification_token(user)
    assert api.post("/email/verify", {"token": link}).status_code == 200
    assert api.post("/email/verify", {"token": link}).status_code == 200


def test_a_claim_made_after_verification_is_refused_at_its_own_verification():
    owner = UserFactory(email=ADDRESS, verified_email=True)
    # A claim that slipped past the check (e.g. raced it), stored directly.
    late = UserFactory(email="late@example.com")
    User.objects.filter(pk=late.pk).update(email=ADDRESS)
    late.refresh_from_db()
    with pytest.raises(EmailVerifiedElsewhere):
        services.verify_email(token=emails.make_email_verification_token(late))
    late.refresh_from_db()
    assert late.email == ""  # the stale claim is released, committed despite the error
    owner.refresh_from_db()
    assert owner.email == ADDRESS and owner.email_verified_at is not None


def test_the_database_refuses_two_verified_accounts_with_one_address():
    UserFactory(email=ADDRESS, verified_email=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="OWNER@example.com", email_verified_at=timezone.now())
    # Unverified duplicates are fine at the database level too.
    UserFactory(email=ADDRESS)
    UserFactory(email=ADDRESS)
    assert User.objects.filter(email=ADDRESS).count() == 3


def test_profile_email_change_follows_the_same_rule(api):
    UserFactory(email=ADDRESS)
    user = UserFactory()
    api.login(user.username)
    assert api.patch("/me", {"email": ADDRESS}).status_code == 200
    services.verify_email(token=emails.make_email_verification_token(User.objects.get(pk=user.pk)))
    other = UserFactory()
    api.login(other.username)
    response = api.patch("/me", {"email": ADDRESS})
    assert response.status_code == 409 and response.json()["code"] == "email_taken"


def test_email_sign_in_goes_to_the_verified_owner(api):
    squatter = UserFactory(email=ADDRESS)
    owner = UserFactory(email=ADDRESS)
    # Before anyone verifies, the earliest claim signs in with the address.
    assert api.post("/token", {"identifier": ADDRESS, "password": DEFAULT_PASSWORD}).status_code == 200
    services.verify_email(token=emails.make_email_verification_token(owner))
    response = api.post("/token", {"identifier": ADDRESS, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    api.token = response.json()["access"]
    assert api.get("/me").json()["id"] == owner.pk
    squatter.refresh_from_db()
    assert squatter.email == ""


def test_password_reset_goes_to_the_verified_owner_only(api, django_capture_on_commit_callbacks):
    UserFactory(email=ADDRESS)
    owner = UserFactory(email=ADDRESS)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/password/reset", {"email": ADDRESS}).status_code == 202
    # Nobody verified it: each claim gets a link for its own account.
    assert len(mail.outbox) == 2
    services.verify_email(token=emails.make_email_verification_token(owner))
    mail.outbox.clear()
    cache.clear()  # the per-address cooldown between reset emails
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/password/reset", {"email": ADDRESS}).status_code == 202
    [message] = mail.outbox
    assert f"{owner.label}" in message.body


def test_reset_link_of_a_released_claim_stops_working(api):
    squatter = UserFactory(email=ADDRESS)
    owner = UserFactory(email=ADDRESS)
    reset_link = emails.make_password_reset_token(squatter)
    services.check_password_reset_token(token=reset_link)  # valid while the claim stands
    services.verify_email(token=emails.make_email_verification_token(owner))
    with pytest.raises(InvalidVerificationToken):
        services.check_password_reset_token(token=reset_link)


def test_using_a_reset_link_verifies_the_address_and_releases_the_others(api):
    squatter = UserFactory(email=ADDRESS)
    owner = UserFactory(email=ADDRESS)
    link = emails.make_password_reset_token(owner)
    services.reset_password(token=link, new_password="Fresh-Pass9")
    owner.refresh_from_db()
    squatter.refresh_from_db()
    assert owner.email_verified_at is not None and owner.check_password("Fresh-Pass9")
    assert squatter.email == ""
