from django.urls import path

from shopops.shops import views

app_name = "shops"

urlpatterns = [
    path("invitations/accept/", views.accept_invitation, name="accept_invitation"),
]
