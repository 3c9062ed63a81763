from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "shopops.shops"
    label = "shops"
    verbose_name = _("店铺与权限")

    def ready(self) -> None:
        from shopops.shops import services

        post_migrate.connect(services.sync_permissions_after_migrate, sender=self)
