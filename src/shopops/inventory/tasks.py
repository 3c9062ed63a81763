"""Background jobs: the reservation expiry sweep (beat), low-stock e-mails, purchase orders to
suppliers."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from shopops.core.schedule import register_periodic

logger = logging.getLogger(__name__)

register_periodic(
    "inventory.release-expired-reservations",
    "shopops.inventory.tasks.release_expired_reservations",
    seconds=60,
)


@shared_task(name="shopops.inventory.tasks.release_expired_reservations")
def release_expired_reservations() -> int:
    """Give back the stock of unpaid orders whose reservation expired."""
    from shopops.inventory import services

    released = services.release_expired_reservations()
    if released:
        logger.info("released %s expired reservations", released)
    return released


@shared_task(
    name="shopops.inventory.tasks.notify_low_stock",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_low_stock(shop_id: int) -> int:
    """E-mail the shop's warehouse staff (inventory.manage) a digest of the low-stock alerts not yet
    notified. Alerts are claimed with SKIP LOCKED, so two workers never send the same alert twice;
    a failed send rolls the claim back and the retry sends it."""
    from shopops.inventory import catalog_reads, selectors, services
    from shopops.inventory.models import AlertStatus, LowStockAlert
    from shopops.shops.models import Shop

    with transaction.atomic():
        alerts = list(
            LowStockAlert.objects.select_for_update(skip_locked=True)
            .filter(shop_id=shop_id, status=AlertStatus.OPEN, notified_at__isnull=True)
            .order_by("available", "id")[:200]
        )
        if not alerts:
            return 0
        recipients = selectors.warehouse_staff_emails(shop_id)
        if recipients:
            shop = Shop.objects.get(pk=shop_id)
            labels = catalog_reads.sku_labels(a.sku_id for a in alerts)
            context = {
                "shop": shop,
                "alerts": [(alert, labels.get(alert.sku_id)) for alert in alerts],
                "console_url": f"{settings.SITE_URL.rstrip('/')}/console/inventory/{shop_id}/alerts/",
                "now": timezone.now(),
            }
            send_mail(
                subject=f"[{shop.name}] 低库存提醒 / Low stock: {len(alerts)} SKU",
                message=render_to_string("inventory/email/low_stock.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=recipients,
            )
        # With nobody to tell, the alerts still count as handled: they stay visible in the console.
        services.mark_alerts_notified(alert_ids=[a.id for a in alerts])
    return len(alerts)


@shared_task(
    name="shopops.inventory.tasks.email_purchase_order",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def email_purchase_order(po_id: int) -> bool:
    from shopops.inventory import catalog_reads
    from shopops.inventory.models import PurchaseOrder

    po = PurchaseOrder.objects.select_related("supplier", "warehouse", "shop").filter(pk=po_id).first()
    if po is None or not po.supplier.email:
        return False
    lines = list(po.lines.all())
    labels = catalog_reads.sku_labels(line.sku_id for line in lines)
    context = {"po": po, "lines": [(line, labels.get(line.sku_id)) for line in lines]}
    send_mail(
        subject=f"采购单 / Purchase order {po.number} — {po.shop.name}",
        message=render_to_string("inventory/email/purchase_order.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[po.supplier.email],
    )
    return True
