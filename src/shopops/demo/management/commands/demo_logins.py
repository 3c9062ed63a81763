from django.core.management.base import BaseCommand

from shopops.demo.personas import ADMIN, DEMO_PASSWORD, SHOPPERS, STAFF


class Command(BaseCommand):
    help = "Print the demo logins and URLs."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options):
        base = f"http://{host}:{port}"
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS("ShopOps is starting"))
        out(f"  storefront   {base}/")
        out(f"  console      {base}/admin/")
        out(f"  API docs     {base}/api/docs")
        out("")
        out(f"  demo logins (password for all: {DEMO_PASSWORD}; phone numbers also work as login)")
        out(f"  {'username':<11} {'phone':<12} role")
        for persona in [ADMIN, *STAFF, *SHOPPERS]:
            where = "console + storefront" if persona not in SHOPPERS else "storefront"
            out(f"  {persona.username:<11} {persona.phone:<12} {persona.description} ({where})")
        out("  SMS codes in local mode are printed in this console (ConsoleSmsProvider).")
        out("")
