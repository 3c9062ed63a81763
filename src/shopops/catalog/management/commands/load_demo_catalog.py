"""manage.py load_demo_catalog --superstore-shop <id|slug> --chinese-shop <id|slug>

Loads the demo catalogues into existing shops (the demo app creates them). Safe to run again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopops.catalog.demo import load_demo_catalog
from shopops.shops.models import Shop


def _shop_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    text = str(value)
    shop = (
        Shop.objects.filter(pk=int(text)).first()
        if text.isdigit()
        else Shop.objects.filter(slug=text).first()
    )
    if shop is None:
        raise CommandError(f"shop {value!r} not found")
    return shop.pk


class Command(BaseCommand):
    help = "Load the Superstore catalogue and a Chinese demo catalogue into existing shops (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--superstore-shop", dest="superstore_shop", help="shop id or slug for Superstore"
        )
        parser.add_argument(
            "--chinese-shop", dest="chinese_shop", help="shop id or slug for the Chinese catalogue"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        superstore, chinese = _shop_id(options.get("superstore_shop")), _shop_id(options.get("chinese_shop"))
        if not superstore and not chinese:
            raise CommandError("give --superstore-shop and/or --chinese-shop")
        quiet = options.get("quiet") or options.get("verbosity", 1) == 0
        load_demo_catalog(
            superstore_shop=superstore,
            chinese_shop=chinese,
            quiet=quiet,
            log=lambda line: self.stdout.write(line),
        )
