"""Shops API: shops, staff, invitations and roles."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["shops"])
