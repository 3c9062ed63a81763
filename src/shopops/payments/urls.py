"""Web pages of this app (mounted under /pay/)."""

from django.urls import path

from shopops.payments import views

app_name = "payments"

urlpatterns = [
    path("sandbox/<str:payment_no>/", views.sandbox_cashier, name="sandbox"),
    path("checkout/<str:payment_no>/", views.checkout, name="checkout"),
    path("checkout/<str:payment_no>/poll/", views.checkout_poll, name="checkout_poll"),
    path("result/<str:payment_no>/", views.result, name="result"),
    path("status/<str:payment_no>/", views.status, name="status"),
]
