"""Public pages of the storefront.

The friendly 404 and 500 pages are the project templates ``404.html`` / ``500.html``, which
Django's default handlers render (the API keeps its JSON 404 under /api/).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "storefront/home.html")
