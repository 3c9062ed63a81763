from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "shopops.orders"
    label = "orders"
    verbose_name = _("订单")

    def ready(self) -> None:
        from shopops.orders import payment_link
        from shopops.orders.models import GROUP_NUMBER_PREFIX
        from shopops.payments.hooks import register_payable_resolver

        payment_link.connect_signals()
        # POST /api/v1/payments {"reference": "PG..."} pays what the group still owes.
        register_payable_resolver(GROUP_NUMBER_PREFIX, payment_link.resolve_order_group)
