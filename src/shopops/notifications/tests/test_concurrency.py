"""The same event delivered to several workers at once still makes one message and one email."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from shopops.notifications import services
from shopops.notifications.models import Notification
from shopops.shops.tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_deliveries_of_one_event_notify_once():
    user = make_user()
    user.email, user.email_verified_at = "racer@example.com", timezone.now()
    user.save(update_fields=["email", "email_verified_at"])
    start = threading.Barrier(8)

    def deliver(_: int) -> int:
        try:
            start.wait()
            note = services.notify(
                user=user, kind="order_shipped", title="订单已发货", dedupe_key="order:RACE:shipped"
            )
            return note.pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(deliver, range(8)))

    assert len(ids) == 1  # every worker got the one row back
    assert Notification.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1
