"""Races that real traffic produces: real threads, real PostgreSQL transactions."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from shopops.accounts import emails, services, tokens
from shopops.accounts.errors import EmailVerifiedElsewhere, IdentifierTaken, SmsCodeInvalid
from shopops.accounts.models import MAX_ADDRESSES_PER_USER, Address, SmsCode, User, phone_digest
from shopops.accounts.sms import last_sms_code
from shopops.accounts.tests.factories import DEFAULT_PASSWORD, AddressFactory, UserFactory, next_phone
from shopops.core.errors import DomainError
from shopops.core.models import AuditLog as Audit

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count, work):
    """Start `count` calls of work(i) at the same moment; return their results or exceptions."""
    barrier = threading.Barrier(count)

    def call(i):
        barrier.wait()
        try:
            return work(i)
        except Exception as exc:  # collected, asserted by the test
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(call, range(count)))


def wait_for_lock_waiters(count, timeout=30.0):
    """Block until `count` other sessions of this test database wait on a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Activity statistics are snapshotted per transaction: drop the snapshot to see new waits.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.05)
    raise AssertionError(f"{count} sessions never queued on the lock")


def test_two_registrations_with_the_same_phone_exactly_one_succeeds():
    phone = next_phone()
    services.send_sms_code(phone=phone, purpose="register")
    code = last_sms_code(phone)
    results = run_together(
        2,
        lambda i: services.register_user(
            phone=phone, sms_code=code, password=DEFAULT_PASSWORD, username=f"racer_{i}"
        ),
    )
    winners = [r for r in results if isinstance(r, User)]
    losers = [r for r in results if not isinstance(r, User)]
    assert len(winners) == 1
    assert len(losers) == 1 and isinstance(losers[0], SmsCodeInvalid | IdentifierTaken)
    assert User.objects.filter(phone_digest=phone_digest(phone)).count() == 1


def test_same_unverified_email_registers_many_times_and_exactly_one_verification_wins():
    # Registering claims the address; nobody owns it until a link is clicked.
    results = run_together(
        4, lambda i: services.register_user(email="same@example.com", password=DEFAULT_PASSWORD)
    )
    assert all(isinstance(r, User) for r in results), results
    links = [emails.make_email_verification_token(user) for user in results]
    # Every account clicks its link at the same moment: exactly one owns the address afterwards.
    # Holding the first claim's row makes all four queue on the claimants' locks together.
    with ThreadPoolExecutor(max_workers=1) as outer:
        with transaction.atomic():
            User.objects.select_for_update().get(pk=min(u.pk for u in results))
            future = outer.submit(run_together, 4, lambda i: services.verify_email(token=links[i]))
            wait_for_lock_waiters(4)
        outcomes = future.result(timeout=60)
    winners = [o for o in outcomes if isinstance(o, User)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, EmailVerifiedElsewhere) for o in outcomes if not isinstance(o, User))
    owner = User.objects.get(email="same@example.com")
    assert owner.pk == winners[0].pk and owner.email_verified_at is not None
    released = User.objects.exclude(pk=owner.pk).filter(pk__in=[u.pk for u in results])
    assert [u.email for u in released] == ["", "", ""]
    assert all(u.email_verified_at is None for u in released)


def test_verifying_while_another_account_verifies_the_same_address_never_deadlocks():
    # Two claims, each verified by its link and by a password-reset link at once (both lock paths).
    first = UserFactory(email="race@example.com")
    second = UserFactory(email="race@example.com")
    verify_links = [emails.make_email_verification_token(u) for u in (first, second)]
    reset_links = [emails.make_password_reset_token(u) for u in (first, second)]

    def work(i):
        if i < 2:
            return services.verify_email(token=verify_links[i])
        return services.reset_password(token=reset_links[i - 2], new_password="N3w-Passw0rd!")

    outcomes = run_together(4, work)
    assert not any(isinstance(o, DatabaseError) for o in outcomes), outcomes
    assert User.objects.filter(email="race@example.com", email_verified_at__isnull=False).count() == 1
    assert User.objects.filter(email="race@example.com").count() == 1


def test_parallel_wrong_guesses_never_exceed_the_try_limit():
    phone = next_phone()
    services.send_sms_code(phone=phone, purpose="register")
    right = last_sms_code(phone)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    results = run_together(
        8, lambda i: services.register_user(phone=phone, sms_code=wrong, password=DEFAULT_PASSWORD)
    )
    assert all(isinstance(r, SmsCodeInvalid) for r in results)
    assert SmsCode.objects.get(phone_digest=phone_digest(phone)).wrong_attempts == 5
    with pytest.raises(SmsCodeInvalid) as exc:
        services.register_user(phone=phone, sms_code=right, password=DEFAULT_PASSWORD)
    assert exc.value.code == "sms_code_exhausted"


def test_address_cap_holds_under_parallel_creates():
    user = UserFactory()
    for _ in range(MAX_ADDRESSES_PER_USER - 1):
        AddressFactory(user=user)
    results = run_together(5, lambda i: AddressFactory(user=user))
    assert sum(isinstance(r, Address) for r in results) == 1
    assert Address.objects.filter(user=user).count() == MAX_ADDRESSES_PER_USER


def test_parallel_default_switches_leave_exactly_one_default():
    user = UserFactory()
    addresses = [AddressFactory(user=user) for _ in range(6)]
    results = run_together(6, lambda i: services.set_default_address(user=user, address_id=addresses[i].id))
    assert not [r for r in results if isinstance(r, Exception)]
    assert Address.objects.filter(user=user, is_default=True).count() == 1


def test_parallel_first_addresses_produce_one_default():
    user = UserFactory()
    run_together(4, lambda i: AddressFactory(user=user))
    assert Address.objects.filter(user=user).count() == 4
    assert Address.objects.filter(user=user, is_default=True).count() == 1


def test_one_refresh_token_rotates_at_most_once():
    user = UserFactory()
    pair = tokens.issue_tokens(user)
    results = run_together(4, lambda i: tokens.rotate_refresh_token(pair.refresh))
    assert sum(isinstance(r, tokens.TokenPair) for r in results) <= 1
    assert all(isinstance(r, tokens.TokenPair | DomainError) for r in results)


def test_one_id_number_cannot_verify_two_accounts_at_once():
    from shopops.accounts.tests.factories import make_id_number

    number = make_id_number(sequence="357")
    users = [UserFactory() for _ in range(3)]
    results = run_together(
        3, lambda i: services.submit_real_name(user=users[i], name="周八", id_number=number)
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(getattr(r, "code", None) == "id_number_in_use" for r in results if isinstance(r, Exception))


def test_parallel_sends_to_one_phone_send_one_code():
    from shopops.accounts.errors import SmsCooldown
    from shopops.accounts.sms import sms_outbox

    phone = next_phone()
    results = run_together(5, lambda i: services.send_sms_code(phone=phone, purpose="register"))
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, SmsCooldown) for r in results if isinstance(r, Exception))
    assert len(sms_outbox(phone)) == 1
    assert SmsCode.objects.filter(phone_digest=phone_digest(phone)).count() == 1


def test_parallel_sms_sign_ups_of_one_new_number_open_one_account():
    phone = next_phone()
    services.send_sms_code(phone=phone, purpose="login")
    code = last_sms_code(phone)
    request = RequestFactory().post("/api/v1/accounts/token")
    results = run_together(
        4, lambda i: services.sign_in_with_sms(request=request, phone=phone, code=code, accept_terms=True)
    )
    opened = [r for r in results if isinstance(r, services.SmsSignIn)]
    assert len(opened) == 1 and opened[0].created, results
    assert all(isinstance(r, SmsCodeInvalid) for r in results if r not in opened)
    assert User.objects.filter(phone_digest=phone_digest(phone)).count() == 1


def test_two_parallel_phone_changes_of_one_account_exactly_one_wins():
    user = UserFactory(with_phone=True)
    numbers = [next_phone(), next_phone()]
    codes = []
    for phone in numbers:
        services.send_sms_code(phone=phone, purpose="bind_phone", user=user)
        codes.append(last_sms_code(phone))

    def change(i):
        return services.bind_phone(
            user=User.objects.get(pk=user.pk), phone=numbers[i], code=codes[i], password=DEFAULT_PASSWORD
        )

    # Hold the account's row so both changes have proven the owner and then queue on the same lock,
    # however the threads get scheduled.
    with ThreadPoolExecutor(max_workers=1) as outer:
        with transaction.atomic():
            User.objects.select_for_update().get(pk=user.pk)
            future = outer.submit(run_together, 2, change)
            wait_for_lock_waiters(2)
        results = future.result(timeout=60)
    winners = [r for r in results if isinstance(r, User)]
    assert len(winners) == 1, results
    [loser] = [r for r in results if not isinstance(r, User)]
    assert isinstance(loser, DomainError) and loser.code == "phone_changed"
    user.refresh_from_db()
    assert user.phone == winners[0].phone
    # The loser's code for its number was not used up: nothing of that attempt stuck.
    lost_number = next(n for n in numbers if n != user.phone)
    assert SmsCode.objects.get(phone_digest=phone_digest(lost_number)).consumed_at is None
    assert Audit.objects.filter(action="accounts.phone.change", object_id=str(user.pk)).count() == 1
