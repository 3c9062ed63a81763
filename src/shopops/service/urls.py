"""Storefront pages of this app (mounted at the site root)."""

urlpatterns: list = []
