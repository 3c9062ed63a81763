"""Storefront pages of customer service (mounted at the site root)."""

from django.urls import path

from shopops.service import views

app_name = "service"

urlpatterns = [
    path("service/tickets/", views.my_tickets, name="list"),
    path("service/tickets/new/", views.new_ticket, name="new"),
    path("service/tickets/<str:number>/", views.ticket_detail, name="detail"),
    path("service/tickets/<str:number>/reply/", views.reply, name="reply"),
    path("service/tickets/<str:number>/close/", views.close, name="close"),
]
