"""Storefront pages of orders (mounted at the site root)."""

from django.urls import path, register_converter

from shopops.orders import views


class OrderNumberConverter:
    """22 digits (core.ids.time_sortable_number): keeps /orders/pay/... apart from order numbers."""

    regex = "[0-9]{22}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class GroupNumberConverter(OrderNumberConverter):
    regex = "PG[0-9]{22}"


register_converter(OrderNumberConverter, "order_no")
register_converter(GroupNumberConverter, "group_no")

app_name = "orders"

urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.my_orders, name="list"),
    path("orders/pay/<group_no:number>/", views.pay, name="pay"),
    path("orders/pay/<group_no:number>/result/", views.pay_result, name="pay_result"),
    path("orders/<order_no:number>/", views.order_detail, name="detail"),
    path("orders/<order_no:number>/confirm/", views.confirm_receipt, name="confirm"),
    path("orders/<order_no:number>/cancel/", views.cancel, name="cancel"),
]
