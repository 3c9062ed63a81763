from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "shopops.service"
    label = "service"
    verbose_name = _("客服工单")

    def ready(self) -> None:
        from shopops.service import tasks  # noqa: F401 - registers the periodic jobs
