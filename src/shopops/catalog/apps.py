import os
import sys
import threading

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _serving() -> bool:
    """True in processes that answer searches or index products (gunicorn, uvicorn, celery,
    runserver); False for other management commands and the test runner."""
    program = os.path.basename(sys.argv[0]) if sys.argv else ""
    if program in ("manage.py", "django-admin"):
        return len(sys.argv) > 1 and sys.argv[1] == "runserver"
    return not program.startswith(("pytest", "py.test")) and "pytest" not in sys.modules


class CatalogConfig(AppConfig):
    name = "shopops.catalog"
    label = "catalog"
    verbose_name = _("商品")

    def ready(self) -> None:
        if _serving() and os.environ.get("SHOPOPS_WARM_JIEBA", "1") != "0":
            # jieba loads its dictionary (~0.5-1 s) on first use; do it now, off the request path,
            # so the first search a worker answers is not a second slower than the rest.
            from shopops.catalog.text import warm_up

            threading.Thread(target=warm_up, name="jieba-warm-up", daemon=True).start()
