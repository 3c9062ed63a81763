"""Storefront pages of the cart (mounted at the site root)."""

from django.urls import path

from shopops.cart import views

app_name = "cart"

urlpatterns = [
    path("cart/", views.cart_page, name="cart"),
    path("cart/add/", views.add, name="add"),
    path("cart/items/<int:sku_id>/quantity/", views.update, name="update"),
    path("cart/items/<int:sku_id>/remove/", views.remove, name="remove"),
    path("cart/select/", views.select, name="select"),
    path("cart/remove-unavailable/", views.remove_unavailable, name="remove_unavailable"),
]
