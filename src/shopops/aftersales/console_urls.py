"""Operator console pages of after-sales (mounted under /console/aftersales/)."""

from django.urls import path

from shopops.aftersales import console

app_name = "aftersales_console"

urlpatterns = [
    path("", console.queue, name="queue"),
    path("<str:number>/", console.detail, name="detail"),
    path("<str:number>/act/", console.act, name="act"),
]
