from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from shopops.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo world (users of every role, two shops, catalog, stock). Safe to run again."

    def handle(self, *args, **options):
        # The demo's own notifications (shop approved, low stock, PO to supplier...) would flood the
        # console in local mode: keep them in memory instead of printing them.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            load_demo(progress=lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS("demo data ready"))
