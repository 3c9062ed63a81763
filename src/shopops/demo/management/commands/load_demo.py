from django.core.management.base import BaseCommand

from shopops.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo world (users of every role, two shops, catalog, stock). Safe to run again."

    def handle(self, *args, **options):
        load_demo(progress=lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS("demo data ready"))
