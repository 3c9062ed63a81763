from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, include, path, re_path
from django.views.generic import RedirectView

from shopops.api import api
from shopops.core.errors import api_404


def grouped_by_first_segment(urls: tuple[list, str, str]) -> tuple[list, str, str]:
    """ninja mounts every API operation in one flat list (about 220 patterns) and Django tries
    them in order, so an endpoint near the end paid ~0.3 us per pattern before it (tens of us per
    request). Nest them under one resolver per first path segment (one per router): a request
    tries a dozen prefixes, then its own router's patterns. Names and namespaces are unchanged (the
    nested resolvers have no namespace); a route whose first segment is a converter or that has no
    "/" stays where it was, and different literal first segments can never match the same path,
    so the resolution result is the same."""
    patterns, app_name, namespace = urls
    groups: dict[str, list] = {}
    nested: list = []
    for pattern in patterns:
        head, slash, rest = str(pattern.pattern).partition("/")
        if not isinstance(pattern, URLPattern) or not slash or "<" in head:
            nested.append(pattern)
            continue
        if head not in groups:
            groups[head] = []
            nested.append(path(f"{head}/", include(groups[head])))
        groups[head].append(path(rest, pattern.callback, pattern.default_args, name=pattern.name))
    return nested, app_name, namespace


urlpatterns = [
    path("api/v1/", grouped_by_first_segment(api.urls)),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    # Anything else under /api/ answers a JSON 404 in the error shape, never an HTML page.
    re_path(r"^api/", api_404),
    path("console/catalog/", include("shopops.catalog.console_urls")),
    path("console/inventory/", include("shopops.inventory.console_urls")),
    path("console/cart/", include("shopops.cart.console_urls")),
    path("console/orders/", include("shopops.orders.console_urls")),
    path("console/aftersales/", include("shopops.aftersales.console_urls")),
    path("console/reviews/", include("shopops.reviews.console_urls")),
    path("console/service/", include("shopops.service.console_urls")),
    path("console/", include("shopops.console.urls")),
    path("pay/", include("shopops.payments.urls")),
    path("shops/", include("shopops.shops.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("shopops.storefront.urls")),
    path("", include("shopops.catalog.urls")),
    path("", include("shopops.inventory.urls")),
    path("", include("shopops.cart.urls")),
    path("", include("shopops.orders.urls")),
    path("", include("shopops.aftersales.urls")),
    path("", include("shopops.reviews.urls")),
    path("", include("shopops.service.urls")),
    path("", include("shopops.notifications.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
