"""Catalog console pages, mounted at /console/catalog/ (see catalog/console.py)."""

from django.urls import path

from shopops.catalog import console

app_name = "catalog_console"

urlpatterns = [
    path("", console.index, name="index"),
    path("<int:shop_id>/", console.products, name="products"),
    path("<int:shop_id>/products/new/", console.product_new, name="product_new"),
    path("<int:shop_id>/products/<int:product_id>/", console.product_detail, name="product"),
    path("<int:shop_id>/products/<int:product_id>/images/", console.image_upload, name="image_upload"),
    path(
        "<int:shop_id>/products/<int:product_id>/<str:action>/", console.product_action, name="product_action"
    ),
    path("<int:shop_id>/skus/<int:sku_id>/", console.sku_update, name="sku_update"),
    path("<int:shop_id>/images/<int:image_id>/delete/", console.image_delete, name="image_delete"),
    path("<int:shop_id>/import/", console.import_page, name="import"),
    path("<int:shop_id>/import/<int:job_id>/", console.import_job, name="import_job"),
    path("<int:shop_id>/import/template.csv", console.template_csv, name="import_template"),
    path("<int:shop_id>/export.<str:fmt>", console.export, name="export"),
]
