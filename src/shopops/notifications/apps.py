from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shopops.notifications"
    verbose_name = _("消息通知")

    def ready(self) -> None:
        from shopops.notifications import receivers

        receivers.connect()
