"""Inventory console pages, mounted at /console/inventory/ (see inventory/console.py)."""

from django.urls import path

from shopops.inventory import console

app_name = "inventory_console"

urlpatterns = [
    path("", console.index, name="index"),
    path("<int:shop_id>/", console.stock, name="stock"),
    path("<int:shop_id>/skus/<int:sku_id>/", console.sku_detail, name="sku"),
    path("<int:shop_id>/ledger/", console.ledger, name="ledger"),
    path("<int:shop_id>/alerts/", console.alerts, name="alerts"),
    path("<int:shop_id>/replenishment/", console.replenishment_page, name="replenishment"),
    path("<int:shop_id>/purchase-orders/", console.purchase_orders, name="purchase_orders"),
    path("<int:shop_id>/purchase-orders/<int:po_id>/", console.purchase_order, name="purchase_order"),
]
