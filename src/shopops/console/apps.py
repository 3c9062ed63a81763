from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "shopops.console"
    label = "console"
    verbose_name = _("运营后台")

    def ready(self) -> None:
        from django.contrib import admin

        # The admin index is the console dashboard (templates/admin/index.html); name it so.
        admin.site.index_title = _("运营概览")
