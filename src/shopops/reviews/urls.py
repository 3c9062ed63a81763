"""Storefront pages of reviews (mounted at the site root)."""

from django.urls import path

from shopops.reviews import views

app_name = "reviews"

urlpatterns = [
    path("reviews/mine/", views.my_reviews, name="mine"),
    path("reviews/mine/<int:review_id>/follow-up/", views.follow_up, name="follow_up"),
    path("reviews/new/<str:order_no>/", views.review_order, name="new"),
    path("p/<int:product_id>/reviews/", views.product_reviews, name="product"),
]
