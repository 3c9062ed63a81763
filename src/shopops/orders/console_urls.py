"""Operator console pages of orders (mounted under /console/orders/)."""

from django.urls import path

from shopops.orders import console

app_name = "orders_console"

urlpatterns = [
    path("", console.order_list, name="list"),
    path("bulk/", console.bulk_action, name="bulk"),
    path("analytics/", console.analytics, name="analytics"),
    path("<str:number>/", console.order_detail, name="detail"),
    path("<str:number>/action/", console.order_action, name="action"),
    path("<str:number>/reveal-address/", console.reveal_address, name="reveal_address"),
]
