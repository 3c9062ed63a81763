"""Builds the demo world through each app's own services, so demo data obeys the same rules as real data.

Every step first checks whether its result already exists, so `make run` can load it again on an
existing database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.db import transaction

from shopops.accounts import services as accounts
from shopops.accounts.emails import make_email_verification_token
from shopops.accounts.sms import last_sms_code
from shopops.demo.personas import ADDRESSES, ADMIN, DEMO_PASSWORD, SHOPPERS, SHOPS, STAFF, Persona
from shopops.shops import selectors as shop_selectors
from shopops.shops import services as shops
from shopops.shops.models import Shop

logger = logging.getLogger(__name__)
User = get_user_model()


def _register(persona: Persona) -> User:
    """A verified account with phone and email, created through the registration flow."""
    existing = User.objects.filter(username=persona.username).first()
    if existing is not None:
        return existing
    accounts.send_sms_code(phone=persona.phone, purpose="register")
    user = accounts.register_user(
        username=persona.username,
        password=DEMO_PASSWORD,
        phone=persona.phone,
        email=persona.email,
        sms_code=last_sms_code(persona.phone, "register"),
        display_name=persona.display_name,
    )
    accounts.verify_email(token=make_email_verification_token(user))
    user.refresh_from_db()
    return user


def _platform_admin() -> User:
    admin = _register(ADMIN)
    if not admin.is_superuser:
        # The first platform admin cannot be granted by anyone: bootstrap as Django superuser,
        # exactly what `createsuperuser` would do on a real installation.
        User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True)
        admin.refresh_from_db()
    if not shop_selectors.is_platform_admin(admin) or "platform_admin" not in _platform_roles(admin):
        shops.grant_platform_role(actor=admin, user_id=admin.pk, role_codes=["platform_admin"])
    return admin


def _platform_roles(user: User) -> set[str]:
    membership = user.memberships.filter(shop__isnull=True).first()
    return set(shop_selectors.role_codes(membership)) if membership else set()


def _shop(admin: User, spec, owner: User) -> Shop:
    shop = Shop.objects.filter(name=spec.name).first()
    if shop is None:
        shop = shops.apply_for_shop(
            user=owner,
            name=spec.name,
            contact_name=spec.contact_name,
            contact_phone=spec.contact_phone,
            contact_email=owner.email,
            description=spec.description,
        )
        shops.update_settlement(
            actor=owner,
            shop_id=shop.pk,
            account_name=spec.settlement["account_name"],
            bank=spec.settlement["bank"],
            account_number=spec.settlement["number"],
        )
    if shop.status != "active":
        shops.approve_shop(actor=admin, shop_id=shop.pk, reason="演示数据 / demo data")
        shop.refresh_from_db()
    return shop


def _join_staff(owner: User, shop: Shop, staff: User, roles: tuple[str, ...]) -> None:
    if staff.memberships.filter(shop=shop, status="active").exists():
        return
    issued = shops.invite_staff(actor=owner, shop_id=shop.pk, role_codes=list(roles), phone=staff.phone)
    shops.accept_invitation(user=staff, token=issued.token)


def _addresses(user: User) -> None:
    if user.addresses.exists():
        return
    for address in ADDRESSES.get(user.username, []):
        accounts.create_address(user=user, **address)


def load_people_and_shops(progress: Callable[[str], None] = print) -> dict[str, Shop]:
    with transaction.atomic():
        admin = _platform_admin()
        people = {p.username: _register(p) for p in STAFF + SHOPPERS}
        result: dict[str, Shop] = {}
        for spec in SHOPS:
            result[spec.key] = _shop(admin, spec, people[spec.owner])
        for persona in STAFF:
            if persona.username != result[persona.shop_key].owner.username:
                _join_staff(
                    result[persona.shop_key].owner,
                    result[persona.shop_key],
                    people[persona.username],
                    persona.roles,
                )
        for persona in SHOPPERS:
            _addresses(people[persona.username])
    progress(f"demo: {User.objects.count()} users, {Shop.objects.count()} shops")
    return result


def load_catalog_and_stock(shops_by_key: dict[str, Shop], progress: Callable[[str], None] = print) -> None:
    """Catalog and stock come from the catalog and inventory apps' own demo loaders when present."""
    commands = get_commands()
    if "load_demo_catalog" in commands:
        call_command(
            "load_demo_catalog",
            superstore_shop=shops_by_key["superstore"].pk,
            chinese_shop=shops_by_key["cloud"].pk,
        )
    if "load_demo_stock" in commands:
        for shop in shops_by_key.values():
            call_command("load_demo_stock", "--shop", str(shop.pk))
    progress("demo: catalog and stock loaded")


def load_demo(progress: Callable[[str], None] = print) -> None:
    shops_by_key = load_people_and_shops(progress)
    load_catalog_and_stock(shops_by_key, progress)
