"""Operator console pages of the cart app (mounted under /console/cart/)."""

from django.urls import path

from shopops.cart import console

app_name = "cart_console"

urlpatterns = [
    path("", console.shipping_rules, name="shipping"),
]
