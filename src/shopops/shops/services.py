"""Writes for shops, roles and memberships. Each public function is one transaction and is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from shopops.shops.models import PermissionDef, Role, RoleScope
from shopops.shops.permissions import DEFAULT_ROLES, PLATFORM_PERMISSIONS, SHOP_PERMISSIONS


@transaction.atomic
def sync_permissions() -> list[str]:
    """Make the permission table and system roles match the code's catalogue.

    A permission code new to the database is granted to the default roles that list it; a role an
    admin has edited keeps its edits for codes that already existed. Returns the new codes.
    """
    known = set(PermissionDef.objects.values_list("code", flat=True))
    new_codes: list[str] = []
    for code, description in {**SHOP_PERMISSIONS, **PLATFORM_PERMISSIONS}.items():
        scope = RoleScope.SHOP if code in SHOP_PERMISSIONS else RoleScope.PLATFORM
        PermissionDef.objects.update_or_create(
            code=code, defaults={"description": str(description), "scope": scope}
        )
        if code not in known:
            new_codes.append(code)
    for code, name, name_en, scope, perms in DEFAULT_ROLES:
        role, created = Role.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "scope": scope,
                "permissions": sorted(perms),
                "is_system": True,
            },
        )
        if not created:
            additions = {c for c in new_codes if c in perms} - set(role.permissions)
            if additions:
                role.permissions = sorted(set(role.permissions) | additions)
                role.save(update_fields=["permissions"])
    return new_codes


def sync_permissions_after_migrate(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("using", "default") == "default":
        sync_permissions()
