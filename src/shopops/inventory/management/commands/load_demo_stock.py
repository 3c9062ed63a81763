"""`manage.py load_demo_stock [--shop SLUG_OR_ID ...]`: demo warehouses, stock, suppliers and a PO."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopops.inventory.demo import load_demo_stock
from shopops.shops.models import Shop


class Command(BaseCommand):
    help = (
        "Load demo inventory (warehouses, stock through the ledger, suppliers, a PO) for shops. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--shop", action="append", default=[], help="Shop slug or id (repeatable; default: all)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        shops = Shop.objects.order_by("id")
        if options["shop"]:
            wanted = options["shop"]
            ids = [int(value) for value in wanted if value.isdigit()]
            shops = shops.filter(id__in=ids) | shops.filter(slug__in=wanted)
            if not shops.exists():
                raise CommandError(f"no shop matches {wanted}")
        for shop in shops:
            started = time.perf_counter()
            result = load_demo_stock(shop)
            self.stdout.write(
                f"{shop.name}: {result.skus_stocked} SKUs stocked ({result.ledger_entries} ledger entries), "
                f"{result.warehouses_created} warehouses, {result.suppliers_created} suppliers, "
                f"{result.supplier_items} supplier items, PO {result.purchase_order or '-'}, "
                f"{result.sales} sales, {result.open_alerts} open alerts "
                f"in {time.perf_counter() - started:.1f}s"
            )
