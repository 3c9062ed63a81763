"""Test data for shops, memberships and invitations, and a signed-in API caller.

Other apps' tests may use these: `make_member(shop, "warehouse")` gives a user with that role in the
shop, `api_as(client, user)` a client that calls the API with the user's JWT.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from shopops.shops.models import (
    Invitation,
    InvitationStatus,
    Membership,
    MembershipStatus,
    Role,
    Shop,
    ShopStatus,
)
from shopops.shops.permissions import SHOP_OWNER

_seq = itertools.count(1)


def make_user(
    username: str | None = None,
    *,
    email: str | None = None,
    phone: str = "",
    verified: bool = True,
    **extra: Any,
):
    """A user with no usable password (API tests sign in with a JWT; no hashing cost)."""
    n = next(_seq)
    username = username or f"user{n}"
    user = get_user_model().objects.create_user(
        username=username,
        email=email if email is not None else f"{username}@example.com",
        password=None,
        phone=phone,
        **extra,
    )
    if verified:
        now = timezone.now()
        user.email_verified_at = now if user.email else None
        user.phone_verified_at = now if user.phone else None
        user.save(update_fields=["email_verified_at", "phone_verified_at"])
    return user


def unique_phone() -> str:
    return f"139{next(_seq) % 100_000_000:08d}"


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        # The hook below writes memberships (and the owner's is_staff) itself and never changes the
        # shop, so the extra shop save factory-boy used to do after it (deprecated) is not needed.
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试店铺{n}")
    slug = factory.Sequence(lambda n: f"test-shop-{n}")
    status = ShopStatus.ACTIVE
    owner = factory.LazyFunction(make_user)
    contact_name = "张经理"
    contact_phone = "13800138000"
    contact_email = factory.Sequence(lambda n: f"shop{n}@example.com")
    settlement_account_name = "测试商贸有限公司"
    settlement_bank = "招商银行上海分行"
    settlement_account_number = "6225880123456789"

    @factory.post_generation
    def with_owner_membership(shop, create, extracted, **kwargs):
        """The applicant holds shop_owner, as apply_for_shop arranges (pass False to skip)."""
        if create and extracted is not False:
            add_member(shop, shop.owner, SHOP_OWNER)


def add_member(
    shop: Shop | None, user, *role_codes: str, status: str = MembershipStatus.ACTIVE
) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user, shop=shop, defaults={"status": status})
    membership.roles.set(Role.objects.filter(code__in=role_codes))
    if membership.status != status:
        membership.status = status
        membership.save(update_fields=["status"])
    if status == MembershipStatus.ACTIVE and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


def make_member(shop: Shop | None, *role_codes: str, **user_kwargs: Any) -> Membership:
    """A new user holding `role_codes` in `shop` (shop=None: platform roles)."""
    return add_member(shop, make_user(**user_kwargs), *role_codes)


def make_invitation(
    shop: Shop,
    *,
    invited_by=None,
    email: str = "",
    phone_digest: str = "",
    roles: tuple[str, ...] = ("merchant_staff",),
    token: str | None = None,
    expires_in: timedelta = timedelta(days=7),
    status: str = InvitationStatus.PENDING,
) -> tuple[Invitation, str]:
    from shopops.shops.services import hash_token

    token = token or f"tok-{next(_seq)}-abcdefghijklmnop"
    invitation = Invitation.objects.create(
        shop=shop,
        email=email or (f"invitee{next(_seq)}@example.com" if not phone_digest else ""),
        phone_digest=phone_digest,
        token_hash=hash_token(token),
        invited_by=invited_by or shop.owner,
        status=status,
        expires_at=timezone.now() + expires_in,
    )
    invitation.roles.set(Role.objects.filter(code__in=roles))
    return invitation, token


SESSION_BACKEND = "shopops.accounts.backends.IdentifierBackend"


class ApiCaller:
    """`api.get("/shops/1")` -> response, calling /api/v1 signed in as `user` (None: signed out).

    Signs in through the session (the console's path); the JWT path is covered by accounts' tests.
    The Django test client does not enforce CSRF, as a browser's fetch with the token would pass it.
    """

    prefix = "/api/v1"

    def __init__(
        self,
        client,
        user: Any = ...,
    ) -> None:
        """user=None signs the client out; leaving it out keeps whoever is signed in."""
        self.client = client
        if user is None:
            client.logout()
        elif user is not ...:
            client.force_login(user, backend=SESSION_BACKEND)

    def call(self, method: str, path: str, json_body: Any = None, query: dict | None = None):
        url = self.prefix + path
        if query:
            from urllib.parse import urlencode

            url += "?" + urlencode(query, doseq=True)
        data = json.dumps(json_body) if json_body is not None else ""
        return self.client.generic(method.upper(), url, data=data, content_type="application/json")

    def get(self, path: str, **query: Any):
        return self.call("GET", path, query=query or None)

    def post(self, path: str, body: Any = None):
        return self.call("POST", path, body)

    def put(self, path: str, body: Any = None):
        return self.call("PUT", path, body)

    def patch(self, path: str, body: Any = None):
        return self.call("PATCH", path, body)

    def delete(self, path: str):
        return self.call("DELETE", path)


def api_as(client, user=None) -> ApiCaller:
    return ApiCaller(client, user)
