"""Operator console pages of this app (mounted under /console/<app>/)."""

urlpatterns: list = []
