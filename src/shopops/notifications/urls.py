"""Storefront pages of this app."""

from django.urls import path

from shopops.notifications import views

app_name = "notifications"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/read-all/", views.read_all, name="read_all"),
    path("messages/<str:uid>/read/", views.read, name="read"),
]
