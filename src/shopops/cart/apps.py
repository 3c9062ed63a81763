from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CartConfig(AppConfig):
    name = "shopops.cart"
    label = "cart"
    verbose_name = _("购物车与结算")

    def ready(self) -> None:
        from shopops.cart import signals  # noqa: F401 - connects the login merge
