"""Operator console pages of this app (mounted under /console/)."""

urlpatterns: list = []
