"""Test data for accounts, importable by every app's tests.

from shopops.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory, AddressFactory
user = UserFactory()                          # username/email, password DEFAULT_PASSWORD
shopper = UserFactory(with_phone=True)        # plus a verified mobile number
address = AddressFactory(user=user)           # created through services (default invariant kept)
grant_platform_perms(admin, "pii.realname")   # platform membership with those permissions
make_id_number(birth="19900307")              # a valid GB 11643 number
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from factory.django import DjangoModelFactory

from shopops.accounts import services
from shopops.accounts.models import Address, User
from shopops.accounts.realname import check_character

DEFAULT_PASSWORD = "Passw0rd!x"

_phone_numbers = itertools.count(1)


@lru_cache(maxsize=8)
def hashed_password(raw: str = DEFAULT_PASSWORD) -> str:
    # Hash once per run: a salted hash can safely be shared by test users and Argon2 is not free.
    return make_password(raw)


def next_phone() -> str:
    """Unique, valid mainland mobile numbers (139 + 8 digits) for this test process."""
    return f"139{next(_phone_numbers):08d}"


def make_id_number(region: str = "110101", birth: str = "19900307", sequence: str = "123") -> str:
    first17 = f"{region}{birth}{sequence}"
    return first17 + check_character(first17)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        with_phone = factory.Trait(
            phone=factory.LazyFunction(next_phone),
            phone_verified_at=factory.LazyFunction(timezone.now),
        )
        verified_email = factory.Trait(email_verified_at=factory.LazyFunction(timezone.now))

    username = factory.Sequence(lambda n: f"shopper{n:05d}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    display_name = factory.LazyAttribute(lambda o: o.username)
    password = factory.LazyFunction(hashed_password)
    is_active = True


class AddressFactory(DjangoModelFactory):
    """Creates through services.create_address so the one-default rule holds like in production."""

    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    receiver_name = "张三"
    receiver_phone = "13800138000"
    province = "北京市"
    city = "北京市"
    district = "东城区"
    region_code = "110101"
    street = "东华门街道"
    detail = "景山前街 4 号"
    postcode = "100009"
    is_default = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_address(**kwargs)


def grant_platform_perms(user: User, *perms: str) -> None:
    """Give `user` a platform-level (shop-less) membership holding `perms`."""
    from shopops.shops.models import Membership, Role, RoleScope
    from shopops.shops.selectors import forget_permissions

    code = "test-platform-" + "-".join(sorted(p.replace(".", "_") for p in perms))
    role, _ = Role.objects.get_or_create(
        code=code[:40],
        defaults={"name": code[:40], "scope": RoleScope.PLATFORM, "permissions": sorted(perms)},
    )
    membership, _ = Membership.objects.get_or_create(user=user, shop=None)
    membership.roles.add(role)
    forget_permissions(user)
