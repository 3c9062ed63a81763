from django.urls import path

from shopops.storefront import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
]
