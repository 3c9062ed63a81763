"""The audit log records who changed what, and only for changes that actually happened."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import RequestFactory

from shopops.core import audit
from shopops.core.models import AuditLog


@pytest.mark.django_db
def test_an_entry_written_in_a_rolled_back_transaction_disappears_with_it():
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=None, action="thing.change", object_type="thing", object_id=1)
        raise RuntimeError("the change failed")
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_an_entry_keeps_actor_object_snapshots_and_client_ip(django_user_model):
    user = django_user_model.objects.create_user(username="auditor1", password=None)
    request = RequestFactory().post("/x", REMOTE_ADDR="203.0.113.9")
    entry = audit.record(
        actor=user,
        action="shop.update_profile",
        obj=user,
        shop_id=7,
        before={"name": "旧"},
        after={"name": "新"},
        reason="r" * 300,
        request=request,
    )
    entry.refresh_from_db()
    assert (entry.actor, entry.object_type, entry.object_id) == (user, "accounts.user", str(user.pk))
    assert (entry.before, entry.after, entry.shop_id) == ({"name": "旧"}, {"name": "新"}, 7)
    assert entry.ip_address == "203.0.113.9" and len(entry.reason) == 255


@pytest.mark.django_db
def test_system_and_anonymous_changes_have_no_actor():
    entry = audit.record(actor=AnonymousUser(), action="job.run", object_type="job")
    assert entry.actor is None


def test_snapshots_hold_plain_json_values(django_user_model):
    user = django_user_model(username="snap", pk=5, is_staff=True)
    assert audit.snapshot(user, ["username", "is_staff", "pk"]) == {
        "username": "snap",
        "is_staff": True,
        "pk": 5,
    }
