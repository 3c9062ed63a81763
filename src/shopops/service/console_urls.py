"""Operator console pages of customer service (mounted under /console/service/)."""

from django.urls import path

from shopops.service import console

app_name = "service_console"

urlpatterns = [
    path("", console.queue, name="queue"),
    path("<str:number>/", console.detail, name="detail"),
    path("<str:number>/act/", console.act, name="act"),
]
