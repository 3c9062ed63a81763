"""Storefront pages of after-sales (mounted at the site root)."""

from django.urls import path

from shopops.aftersales import views

app_name = "aftersales"

urlpatterns = [
    path("aftersales/", views.my_requests, name="list"),
    path("aftersales/new/<str:order_no>/", views.new_request, name="new"),
    path("aftersales/<str:number>/", views.request_detail, name="detail"),
    path("aftersales/<str:number>/ship-back/", views.ship_back, name="ship_back"),
    path("aftersales/<str:number>/cancel/", views.cancel, name="cancel"),
    path("aftersales/<str:number>/confirm/", views.confirm, name="confirm"),
]
