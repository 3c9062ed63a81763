"""Web pages of this app (mounted under /pay/)."""

urlpatterns: list = []
