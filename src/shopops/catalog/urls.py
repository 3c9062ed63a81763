"""Storefront pages of the catalog (mounted at the site root)."""

from django.urls import path

from shopops.catalog import views

app_name = "catalog"

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("categories/", views.categories_page, name="categories"),
    path("c/<slug:slug>/", views.category_page, name="category"),
    path("p/<int:product_id>/", views.product_page, name="product"),
]
