"""The project URLconf plus the invitation page, until shopops/urls.py mounts shops.urls itself."""

from django.urls import include, path

from shopops.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("", include("shopops.shops.urls")), *project_urlpatterns]
