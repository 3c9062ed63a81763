"""Inviting staff, joining, changing roles, disabling: what owners and staff notice, and the audit trail."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from shopops.accounts.models import phone_digest
from shopops.core.errors import DomainError
from shopops.core.models import AuditLog
from shopops.shops import services
from shopops.shops.models import Invitation, InvitationStatus, Membership, MembershipStatus, Role
from shopops.shops.permissions import (
    ANALYST,
    CUSTOMER_SERVICE,
    PLATFORM_ADMIN,
    SHOP_OWNER,
    WAREHOUSE,
)
from shopops.shops.tests.factories import (
    ShopFactory,
    add_member,
    api_as,
    make_invitation,
    make_member,
    make_user,
)
from shopops.shops.tests.matrix import build_world


@pytest.fixture
def world(db):
    return build_world()


def _roles(membership: Membership) -> list[str]:
    return sorted(r.code for r in Membership.objects.get(pk=membership.pk).roles.all())


# --- Inviting ---------------------------------------------------------------------------------------


def test_owner_invites_by_email_and_the_invitee_gets_a_link(
    client, world, django_capture_on_commit_callbacks
):
    owner = api_as(client, world.users[SHOP_OWNER])
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            f"/shops/{world.shop_a.id}/invitations", {"email": "New.Hire@Example.com", "roles": [WAREHOUSE]}
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["roles"] == [WAREHOUSE] and body["status"] == "pending" and body["channel"] == "email"
    assert body["contact_masked"] == "n******e@example.com"
    token = body["accept_url"].split("token=")[1]
    invitation = Invitation.objects.get(pk=body["id"])
    assert invitation.email == "new.hire@example.com"
    assert invitation.token_hash == services.hash_token(token) and token not in invitation.token_hash
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    message = mail.outbox[-1]
    assert message.to == ["new.hire@example.com"]
    assert world.shop_a.name in message.subject
    assert body["accept_url"] in message.body and "仓储" in message.body
    entry = AuditLog.objects.get(action="staff.invite")
    assert entry.after["roles"] == [WAREHOUSE] and entry.shop_id == world.shop_a.id
    assert token not in str(entry.after)


def test_the_invitation_list_never_shows_the_link_again(client, world):
    owner = api_as(client, world.users[SHOP_OWNER])
    owner.post(f"/shops/{world.shop_a.id}/invitations", {"email": "a@example.com", "roles": [ANALYST]})
    listed = owner.get(f"/shops/{world.shop_a.id}/invitations").json()["items"]
    assert len(listed) == 1 and "accept_url" not in listed[0]


def test_inviting_the_same_person_again_replaces_the_earlier_link(world):
    owner = world.users[SHOP_OWNER]
    first = services.invite_staff(
        actor=owner, shop_id=world.shop_a.pk, email="x@example.com", role_codes=[ANALYST]
    )
    services.invite_staff(actor=owner, shop_id=world.shop_a.pk, email="X@example.com", role_codes=[WAREHOUSE])
    first.invitation.refresh_from_db()
    assert first.invitation.status == InvitationStatus.REVOKED


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"roles": [ANALYST]}, "invalid"),
        ({"email": "a@example.com", "phone": "13900001111", "roles": [ANALYST]}, "invalid"),
        ({"email": "a@example.com", "roles": [PLATFORM_ADMIN]}, "role_not_assignable"),
        ({"email": "a@example.com", "roles": ["shopper"]}, "role_not_assignable"),
        ({"email": "a@example.com", "roles": ["no_such_role"]}, "role_not_assignable"),
        ({"email": "bad-email", "roles": [ANALYST]}, "invalid"),
        ({"phone": "12345678901", "roles": [ANALYST]}, "invalid"),
    ],
)
def test_bad_invitations_are_refused_and_send_nothing(client, world, body, code):
    response = api_as(client, world.users[SHOP_OWNER]).post(f"/shops/{world.shop_a.id}/invitations", body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_inviting_a_current_member_is_a_conflict(client, world):
    email = world.users[ANALYST].email
    response = api_as(client, world.users[SHOP_OWNER]).post(
        f"/shops/{world.shop_a.id}/invitations", {"email": email, "roles": [WAREHOUSE]}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_member"


def test_a_staff_manager_cannot_invite_someone_more_powerful_than_themselves(client, world):
    hr = Role.objects.create(code="hr", name="人事", scope="shop", permissions=["staff.view", "staff.manage"])
    manager = make_member(world.shop_a, hr.code)
    response = api_as(client, manager.user).post(
        f"/shops/{world.shop_a.id}/invitations", {"email": "boss@example.com", "roles": [SHOP_OWNER]}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "grant_exceeds_own_permissions"
    assert "shop.manage" in response.json()["details"]["missing"]


# --- Accepting --------------------------------------------------------------------------------------


def test_the_invitee_accepts_and_can_work_in_the_shop(client, world):
    invitee = make_user("newbie", email="newbie@example.com")
    assert not invitee.is_staff
    issued = services.invite_staff(
        actor=world.users[SHOP_OWNER],
        shop_id=world.shop_a.pk,
        email="newbie@example.com",
        role_codes=[WAREHOUSE],
    )
    caller = api_as(client, invitee)
    response = caller.post("/shops/invitations/accept", {"token": issued.token})
    assert response.status_code == 200, response.content
    assert response.json()["roles"] == [WAREHOUSE] and response.json()["shop_id"] == world.shop_a.id
    invitee.refresh_from_db()
    assert invitee.is_staff
    assert caller.get(f"/shops/{world.shop_a.id}").status_code == 200
    issued.invitation.refresh_from_db()
    assert issued.invitation.status == InvitationStatus.ACCEPTED and issued.invitation.accepted_by == invitee
    entry = AuditLog.objects.get(action="staff.join")
    assert entry.actor == invitee and entry.before is None
    assert entry.after["roles"] == [WAREHOUSE] and entry.after["user_id"] == invitee.pk


def test_a_phone_invitation_is_accepted_by_the_account_with_that_verified_number(client, world):
    invitee = make_user("phoneuser", email="", phone="13655556666")
    issued = services.invite_staff(
        actor=world.users[SHOP_OWNER],
        shop_id=world.shop_a.pk,
        phone="136 5555 6666",
        role_codes=[CUSTOMER_SERVICE],
    )
    assert issued.invitation.phone_digest == phone_digest("13655556666")
    assert not mail.outbox
    response = api_as(client, invitee).post("/shops/invitations/accept", {"token": issued.token})
    assert response.status_code == 200
    assert response.json()["roles"] == [CUSTOMER_SERVICE]


def test_an_expired_invitation_cannot_be_used(client, world):
    invitee = make_user(email="late@example.com")
    _invitation, token = make_invitation(
        world.shop_a, email="late@example.com", expires_in=timedelta(seconds=-1)
    )
    response = api_as(client, invitee).post("/shops/invitations/accept", {"token": token})
    assert response.status_code == 410
    assert response.json()["code"] == "invitation_expired"
    assert not Membership.objects.filter(user=invitee).exists()
    assert (
        api_as(client, world.users[SHOP_OWNER])
        .get(f"/shops/{world.shop_a.id}/invitations")
        .json()["items"][0]["status"]
        == "expired"
    )


def test_an_invitation_works_only_once(client, world):
    invitee = make_user(email="once@example.com")
    _, token = make_invitation(world.shop_a, email="once@example.com")
    caller = api_as(client, invitee)
    assert caller.post("/shops/invitations/accept", {"token": token}).status_code == 200
    again = caller.post("/shops/invitations/accept", {"token": token})
    assert again.status_code == 409 and again.json()["code"] == "invitation_used"


def test_a_revoked_invitation_cannot_be_used(client, world):
    invitee = make_user(email="revoked@example.com")
    invitation, token = make_invitation(world.shop_a, email="revoked@example.com")
    owner = api_as(client, world.users[SHOP_OWNER])
    assert owner.post(f"/shops/{world.shop_a.id}/invitations/{invitation.id}/revoke").status_code == 200
    response = api_as(client, invitee).post("/shops/invitations/accept", {"token": token})
    assert response.status_code == 409 and response.json()["code"] == "invitation_revoked"


def test_a_made_up_token_is_not_found(client, world):
    response = api_as(client, make_user()).post("/shops/invitations/accept", {"token": "x" * 43})
    assert response.status_code == 404 and response.json()["code"] == "invitation_not_found"


def test_an_unverified_address_cannot_claim_an_invitation(client, world):
    squatter = make_user(email="target@example.com", verified=False)
    _, token = make_invitation(world.shop_a, email="target@example.com")
    response = api_as(client, squatter).post("/shops/invitations/accept", {"token": token})
    assert response.status_code == 403 and response.json()["code"] == "contact_not_verified"
    assert not Membership.objects.filter(user=squatter).exists()


def test_joining_a_suspended_shop_waits_for_reactivation(client, world):
    invitee = make_user(email="wait@example.com")
    _, token = make_invitation(world.shop_a, email="wait@example.com")
    services.suspend_shop(actor=world.users[PLATFORM_ADMIN], shop_id=world.shop_a.pk, reason="违规")
    response = api_as(client, invitee).post("/shops/invitations/accept", {"token": token})
    assert response.status_code == 409 and response.json()["code"] == "shop_suspended"


def test_a_returning_member_gets_exactly_the_invited_roles(client, world):
    former = world.member(WAREHOUSE)
    former.roles.add(Role.objects.get(code=CUSTOMER_SERVICE))
    services.disable_member(actor=world.users[SHOP_OWNER], shop_id=world.shop_a.pk, membership_id=former.pk)
    _, token = make_invitation(world.shop_a, email=former.user.email, roles=(ANALYST,))
    response = api_as(client, former.user).post("/shops/invitations/accept", {"token": token})
    assert response.json()["roles"] == [ANALYST] and response.json()["status"] == "active"
    assert response.json()["id"] == former.pk  # the same membership, reactivated
    entry = AuditLog.objects.filter(action="staff.join").get()
    assert entry.before["status"] == "disabled"
    assert entry.before["roles"] == sorted([WAREHOUSE, CUSTOMER_SERVICE])


def test_an_active_member_invited_to_more_roles_keeps_the_old_ones(client, world):
    member = world.member(ANALYST)
    _, token = make_invitation(world.shop_a, email=member.user.email, roles=(MARKETING := "marketing",))
    api_as(client, member.user).post("/shops/invitations/accept", {"token": token})
    assert _roles(member) == sorted([ANALYST, MARKETING])


# --- Roles ------------------------------------------------------------------------------------------


def test_owner_changes_a_members_roles_and_it_is_audited(client, world):
    member = world.member(ANALYST)
    owner = api_as(client, world.users[SHOP_OWNER])
    response = owner.put(f"/shops/{world.shop_a.id}/staff/{member.id}/roles", {"roles": [WAREHOUSE, ANALYST]})
    assert response.status_code == 200
    assert response.json()["roles"] == sorted([ANALYST, WAREHOUSE])
    entry = AuditLog.objects.get(action="staff.roles_change")
    assert entry.actor == world.users[SHOP_OWNER]
    assert entry.object_type == "shops.membership" and entry.object_id == str(member.pk)
    assert entry.before == {"user_id": member.user_id, "status": "active", "roles": [ANALYST]}
    assert entry.after == {
        "user_id": member.user_id,
        "status": "active",
        "roles": sorted([ANALYST, WAREHOUSE]),
    }
    assert entry.created_at is not None


def test_new_roles_apply_on_the_members_next_request(client, world):
    member = world.member(ANALYST)
    caller = api_as(client, member.user)
    assert caller.get(f"/shops/{world.shop_a.id}/staff").status_code == 403
    services.assign_roles(
        actor=world.users[SHOP_OWNER],
        shop_id=world.shop_a.pk,
        membership_id=member.pk,
        role_codes=[SHOP_OWNER],
    )
    assert caller.get(f"/shops/{world.shop_a.id}/staff").status_code == 200


def test_setting_the_same_roles_again_changes_and_audits_nothing(world):
    member = world.member(ANALYST)
    services.assign_roles(
        actor=world.users[SHOP_OWNER], shop_id=world.shop_a.pk, membership_id=member.pk, role_codes=[ANALYST]
    )
    assert not AuditLog.objects.filter(action="staff.roles_change").exists()


def test_platform_roles_cannot_be_granted_in_a_shop(client, world):
    member = world.member(ANALYST)
    response = api_as(client, world.users[SHOP_OWNER]).put(
        f"/shops/{world.shop_a.id}/staff/{member.id}/roles", {"roles": [PLATFORM_ADMIN]}
    )
    assert response.status_code == 422 and response.json()["code"] == "role_not_assignable"
    assert _roles(member) == [ANALYST]


def test_an_empty_role_list_is_refused_use_disable_instead(client, world):
    member = world.member(ANALYST)
    response = api_as(client, world.users[SHOP_OWNER]).put(
        f"/shops/{world.shop_a.id}/staff/{member.id}/roles", {"roles": []}
    )
    assert response.status_code == 422
    assert _roles(member) == [ANALYST]


def test_the_last_owner_cannot_step_down(client, world):
    me = world.member(SHOP_OWNER)
    response = api_as(client, world.users[SHOP_OWNER]).put(
        f"/shops/{world.shop_a.id}/staff/{me.id}/roles", {"roles": [ANALYST]}
    )
    assert response.status_code == 409 and response.json()["code"] == "last_owner"
    assert _roles(me) == [SHOP_OWNER]


def test_the_platform_cannot_remove_a_shops_last_owner_either(client, world):
    me = world.member(SHOP_OWNER)
    response = api_as(client, world.users[PLATFORM_ADMIN]).put(
        f"/shops/{world.shop_a.id}/staff/{me.id}/roles", {"roles": [ANALYST]}
    )
    assert response.status_code == 409


def test_with_a_second_owner_the_first_may_step_down(client, world):
    me = world.member(SHOP_OWNER)
    make_member(world.shop_a, SHOP_OWNER)
    response = api_as(client, world.users[SHOP_OWNER]).put(
        f"/shops/{world.shop_a.id}/staff/{me.id}/roles", {"roles": [ANALYST]}
    )
    assert response.status_code == 200


def test_a_disabled_co_owner_does_not_count_as_an_owner(client, world):
    me = world.member(SHOP_OWNER)
    add_member(world.shop_a, make_user(), SHOP_OWNER, status=MembershipStatus.DISABLED)
    response = api_as(client, world.users[SHOP_OWNER]).put(
        f"/shops/{world.shop_a.id}/staff/{me.id}/roles", {"roles": [ANALYST]}
    )
    assert response.status_code == 409


def test_a_staff_manager_cannot_touch_a_colleague_with_more_power(client, world):
    hr = Role.objects.create(code="hr", name="人事", scope="shop", permissions=["staff.view", "staff.manage"])
    manager = make_member(world.shop_a, hr.code)
    owner = world.member(SHOP_OWNER)
    caller = api_as(client, manager.user)
    demote = caller.put(f"/shops/{world.shop_a.id}/staff/{owner.id}/roles", {"roles": [hr.code]})
    disable = caller.post(f"/shops/{world.shop_a.id}/staff/{owner.id}/disable")
    promote_self = caller.put(f"/shops/{world.shop_a.id}/staff/{manager.id}/roles", {"roles": [SHOP_OWNER]})
    assert [r.status_code for r in (demote, disable, promote_self)] == [403, 403, 403]
    assert _roles(owner) == [SHOP_OWNER] and _roles(manager) == ["hr"]
    # ...but may manage those with less.
    analyst = world.member(ANALYST)
    assert (
        caller.post(f"/shops/{world.shop_a.id}/staff/{analyst.id}/disable").status_code == 403
    )  # analyst has more
    clerk = make_member(world.shop_a, hr.code)
    assert caller.post(f"/shops/{world.shop_a.id}/staff/{clerk.id}/disable").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner():
    world = build_world()
    first = world.member(SHOP_OWNER)
    second = make_member(world.shop_a, SHOP_OWNER)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor, target):
        try:
            barrier.wait(timeout=10)
            services.assign_roles(
                actor=actor, shop_id=world.shop_a.pk, membership_id=target.pk, role_codes=[ANALYST]
            )
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(first.user, second)),
        threading.Thread(target=demote, args=(second.user, first)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["last_owner", "ok"] or sorted(outcomes) == ["ok", "permission_denied"]
    owners = Membership.objects.filter(shop=world.shop_a, roles__code=SHOP_OWNER, status="active")
    assert owners.count() == 1


# --- Disable / enable and the staff flag ------------------------------------------------------------


def test_disabling_a_member_cuts_access_and_console_sign_in(client, world):
    member = world.member(WAREHOUSE)
    assert member.user.is_staff
    response = api_as(client, world.users[SHOP_OWNER]).post(
        f"/shops/{world.shop_a.id}/staff/{member.id}/disable", {"reason": "离职"}
    )
    assert response.status_code == 200 and response.json()["status"] == "disabled"
    member.user.refresh_from_db()
    assert not member.user.is_staff
    assert api_as(client, member.user).get(f"/shops/{world.shop_a.id}").status_code == 404
    entry = AuditLog.objects.get(action="staff.disable")
    assert (entry.before["status"], entry.after["status"], entry.reason) == ("active", "disabled", "离职")
    assert entry.after["roles"] == [WAREHOUSE]


def test_a_member_of_two_shops_stays_staff_when_disabled_in_one(world):
    member = world.member(WAREHOUSE)
    add_member(world.shop_b, member.user, ANALYST)
    services.disable_member(actor=world.users[SHOP_OWNER], shop_id=world.shop_a.pk, membership_id=member.pk)
    member.user.refresh_from_db()
    assert member.user.is_staff


def test_enabling_restores_the_member_with_their_roles(client, world):
    member = world.member(WAREHOUSE)
    owner = api_as(client, world.users[SHOP_OWNER])
    owner.post(f"/shops/{world.shop_a.id}/staff/{member.id}/disable")
    response = owner.post(f"/shops/{world.shop_a.id}/staff/{member.id}/enable")
    assert response.status_code == 200
    assert response.json()["status"] == "active" and response.json()["roles"] == [WAREHOUSE]
    member.user.refresh_from_db()
    assert member.user.is_staff
    assert AuditLog.objects.filter(action="staff.enable", object_id=str(member.pk)).exists()


def test_disabling_twice_or_enabling_an_active_member_is_a_conflict(client, world):
    member = world.member(WAREHOUSE)
    owner = api_as(client, world.users[SHOP_OWNER])
    assert owner.post(f"/shops/{world.shop_a.id}/staff/{member.id}/enable").status_code == 409
    owner.post(f"/shops/{world.shop_a.id}/staff/{member.id}/disable")
    assert owner.post(f"/shops/{world.shop_a.id}/staff/{member.id}/disable").status_code == 409


def test_nobody_disables_themselves_or_the_last_owner(client, world):
    me = world.member(SHOP_OWNER)
    own = api_as(client, world.users[SHOP_OWNER]).post(f"/shops/{world.shop_a.id}/staff/{me.id}/disable")
    assert own.json()["code"] == "cannot_disable_self"
    by_platform = api_as(client, world.users[PLATFORM_ADMIN]).post(
        f"/shops/{world.shop_a.id}/staff/{me.id}/disable"
    )
    assert by_platform.json()["code"] == "last_owner"


def test_the_staff_list_shows_masked_contacts_and_who_owns_the_shop(client, world):
    rows = api_as(client, world.users[SHOP_OWNER]).get(f"/shops/{world.shop_a.id}/staff").json()["items"]
    principal = next(r for r in rows if r["user_id"] == world.shop_a.owner_id)
    assert principal["is_principal"] and principal["roles"] == [SHOP_OWNER]
    assert all("@" in r["email_masked"] and "*" in r["email_masked"] for r in rows)
    assert len(rows) == 6  # the owner and five other shop roles


# --- Platform roles ---------------------------------------------------------------------------------


def test_platform_admin_grants_and_withdraws_platform_roles_with_audit(client, world):
    target = make_user("auditor")
    admin = api_as(client, world.users[PLATFORM_ADMIN])
    granted = admin.put(f"/shops/platform-staff/{target.id}/roles", {"roles": [PLATFORM_ADMIN]})
    assert granted.status_code == 200 and granted.json()["roles"] == [PLATFORM_ADMIN]
    target.refresh_from_db()
    assert target.is_staff
    assert api_as(client, target).get("/shops/audit").status_code == 200
    withdrawn = admin.put(f"/shops/platform-staff/{target.id}/roles", {"roles": []})
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["status"], withdrawn.json()["roles"]) == ("disabled", [])
    target.refresh_from_db()
    assert not target.is_staff
    assert api_as(client, target).get("/shops/audit").status_code == 403
    changes = AuditLog.objects.filter(action="platform.roles_change").order_by("id")
    assert [(e.before, e.after["roles"]) for e in changes] == [
        (None, [PLATFORM_ADMIN]),
        ({"user_id": target.pk, "status": "active", "roles": [PLATFORM_ADMIN]}, []),
    ]


def test_shop_roles_cannot_be_granted_as_platform_roles(client, world):
    response = api_as(client, world.users[PLATFORM_ADMIN]).put(
        f"/shops/platform-staff/{make_user().id}/roles", {"roles": [SHOP_OWNER]}
    )
    assert response.status_code == 422


def test_the_last_platform_admin_cannot_withdraw_themselves(client, world):
    admin = world.users[PLATFORM_ADMIN]
    response = api_as(client, admin).put(f"/shops/platform-staff/{admin.id}/roles", {"roles": []})
    assert response.status_code == 409 and response.json()["code"] == "last_platform_admin"
    assert Membership.objects.get(user=admin, shop=None).status == MembershipStatus.ACTIVE


def test_a_shop_owner_cannot_grant_platform_roles(client, world):
    response = api_as(client, world.users[SHOP_OWNER]).put(
        f"/shops/platform-staff/{world.users[SHOP_OWNER].id}/roles", {"roles": [PLATFORM_ADMIN]}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=world.users[SHOP_OWNER], shop=None).exists()


def test_the_staff_flag_follows_memberships_and_superusers_keep_it(world):
    boss = make_user("boss", is_superuser=True, is_staff=True)
    services.sync_staff_flag(boss)
    assert boss.is_staff
    loner = make_user("loner", is_staff=True)  # staff with no membership: the flag is corrected
    services.sync_staff_flag(loner)
    loner.refresh_from_db()
    assert not loner.is_staff


def test_shop_b_is_untouched_by_shop_a_staff_changes(world):
    ShopFactory()
    before = list(Membership.objects.filter(shop=world.shop_b).values_list("id", "status"))
    member = world.member(ANALYST)
    services.disable_member(actor=world.users[SHOP_OWNER], shop_id=world.shop_a.pk, membership_id=member.pk)
    assert list(Membership.objects.filter(shop=world.shop_b).values_list("id", "status")) == before


def test_a_shop_cannot_send_unlimited_invitations_in_a_day(client, world, monkeypatch):
    monkeypatch.setattr(services, "INVITATIONS_PER_SHOP_PER_DAY", 2)
    owner = api_as(client, world.users[SHOP_OWNER])
    path = f"/shops/{world.shop_a.id}/invitations"
    codes = [
        owner.post(path, {"email": f"p{i}@example.com", "roles": [ANALYST]}).status_code for i in range(3)
    ]
    assert codes == [201, 201, 429]
    assert Invitation.objects.filter(shop=world.shop_a).count() == 2


def test_a_superuser_can_appoint_the_first_platform_admin(world):
    root = make_user("root", is_superuser=True, is_staff=True)
    newcomer = make_user("ops")
    membership = services.grant_platform_role(actor=root, user_id=newcomer.pk, role_codes=[PLATFORM_ADMIN])
    assert [r.code for r in membership.roles.all()] == [PLATFORM_ADMIN]
