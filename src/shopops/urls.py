from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from shopops.api import api
from shopops.core.errors import api_404

urlpatterns = [
    path("api/v1/", api.urls),
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
