"""Operator console pages of reviews (mounted under /console/reviews/)."""

from django.urls import path

from shopops.reviews import console

app_name = "reviews_console"

urlpatterns = [
    path("", console.review_list, name="list"),
    path("<int:review_id>/act/", console.act, name="act"),
]
