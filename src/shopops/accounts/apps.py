from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shopops.accounts"
    label = "accounts"
    verbose_name = _("用户与账户")

    def ready(self) -> None:
        from shopops.accounts import checks  # noqa: F401 - registers the deployment checks
