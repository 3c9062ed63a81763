from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from shopops.accounts import tasks, tokens
from shopops.accounts.models import RefreshToken, SmsCode
from shopops.accounts.tests.factories import UserFactory
from shopops.core.schedule import periodic_schedule

pytestmark = pytest.mark.django_db


def test_purge_deletes_only_long_spent_credentials():
    user = UserFactory()
    now = timezone.now()
    old = SmsCode.objects.create(
        phone_digest="x", purpose="login", code_hash="h", created_at=now - timedelta(days=31), expires_at=now
    )
    fresh = SmsCode.objects.create(phone_digest="y", purpose="login", code_hash="h", expires_at=now)
    tokens.issue_tokens(user)
    RefreshToken.objects.create(jti="old", family="f", user=user, expires_at=now - timedelta(days=31))
    result = tasks.purge_spent_credentials()
    assert result == {"sms_codes": 1, "refresh_tokens": 1}
    assert not SmsCode.objects.filter(pk=old.pk).exists()
    assert SmsCode.objects.filter(pk=fresh.pk).exists()
    assert RefreshToken.objects.filter(user=user).count() == 1


def test_purge_is_scheduled_daily():
    assert (
        periodic_schedule()["accounts.purge-spent-credentials"]["task"] == "accounts.purge_spent_credentials"
    )


def test_email_tasks_skip_accounts_that_no_longer_qualify():
    verified = UserFactory(verified_email=True)
    inactive = UserFactory(is_active=False)
    no_email = UserFactory(email="")
    assert tasks.send_verification_email(verified.pk) is False  # already verified
    assert tasks.send_password_reset_email(inactive.pk) is False
    assert tasks.send_password_reset_email(no_email.pk) is False
    assert tasks.send_password_changed_notice(UserFactory().pk) is False  # unverified address
    assert tasks.send_verification_email(987654) is False
    assert mail.outbox == []


def test_verification_email_has_text_and_html_parts():
    user = UserFactory()
    assert tasks.send_verification_email(user.pk) is True
    [message] = mail.outbox
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "验证邮箱 / Verify email" in html
