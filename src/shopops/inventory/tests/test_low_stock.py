"""Low-stock thresholds and alerts: one alert per downward crossing, resolved on recovery, e-mailed
to the shop's warehouse staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from shopops.core.errors import NotFound
from shopops.inventory import selectors, services, tasks
from shopops.inventory.errors import InvalidQuantity
from shopops.inventory.models import AlertStatus, LowStockAlert
from shopops.inventory.tests.factories import make_category, make_sku, put_stock
from shopops.shops.permissions import CUSTOMER_SERVICE, WAREHOUSE
from shopops.shops.tests.factories import make_member


def sell(sku, quantity: int, ref: str) -> None:
    services.reserve(
        sku_id=sku.id, quantity=quantity, order_ref=ref, expires_at=timezone.now() + timedelta(hours=1)
    )
    services.commit_reservation(order_ref=ref, sku_id=sku.id)


def test_falling_to_the_threshold_raises_one_alert_not_one_per_sale(shop, warehouse, sku):
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=5)
    put_stock(warehouse, sku, 8)
    sell(sku, 2, "A")  # 6: above
    assert not LowStockAlert.objects.exists()
    sell(sku, 1, "B")  # 5: at the threshold -> alert
    sell(sku, 1, "C")  # 4: still low, same alert
    sell(sku, 2, "D")  # 2
    alert = LowStockAlert.objects.get()
    assert (alert.status, alert.threshold, alert.available) == (AlertStatus.OPEN, 5, 5)


def test_alert_resolves_when_stock_recovers_and_a_new_crossing_raises_a_new_one(shop, warehouse, sku):
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=3)
    put_stock(warehouse, sku, 4)
    sell(sku, 2, "A")
    put_stock(warehouse, sku, 10)
    first = LowStockAlert.objects.get()
    assert (first.status, first.resolved_available) == (AlertStatus.RESOLVED, 12)
    sell(sku, 10, "B")
    assert LowStockAlert.objects.filter(status=AlertStatus.OPEN).count() == 1
    assert LowStockAlert.objects.count() == 2


def test_reservations_count_against_availability_and_a_release_can_resolve(shop, warehouse, sku):
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=2)
    put_stock(warehouse, sku, 5)
    services.reserve(sku_id=sku.id, quantity=3, order_ref="R", expires_at=timezone.now() + timedelta(hours=1))
    assert selectors.open_alerts(shop_id=shop.id).count() == 1
    services.release_reservation(order_ref="R", sku_id=sku.id)
    assert selectors.open_alerts(shop_id=shop.id).count() == 0


def test_sku_threshold_beats_category_default_beats_shop_default(shop, warehouse):
    parent = make_category("家电")
    child = make_category("冰箱", parent=parent)
    in_child = make_sku(shop, category=child)
    in_parent = make_sku(shop, category=parent)
    elsewhere = make_sku(shop)
    own = make_sku(shop, category=child)
    services.update_settings(shop_id=shop.id, default_low_stock_threshold=3)
    services.set_category_threshold(shop_id=shop.id, category_id=parent.id, threshold=20)
    services.set_category_threshold(shop_id=shop.id, category_id=child.id, threshold=10)
    services.set_sku_threshold(shop_id=shop.id, sku_id=own.id, threshold=1)
    levels = selectors.effective_thresholds(shop_id=shop.id)
    assert levels[in_child.id] == 10  # the nearest category wins over its ancestor
    assert levels[in_parent.id] == 20
    assert levels[elsewhere.id] == 3
    assert levels[own.id] == 1


def test_a_threshold_change_opens_or_resolves_alerts_at_once(shop, warehouse, sku):
    put_stock(warehouse, sku, 8)
    assert not LowStockAlert.objects.exists()
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=10)
    assert selectors.open_alerts(shop_id=shop.id).count() == 1
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=0)  # 0: never alert
    assert selectors.open_alerts(shop_id=shop.id).count() == 0


def test_skus_nobody_stocked_do_not_alert(shop, warehouse, sku):
    services.update_settings(shop_id=shop.id, default_low_stock_threshold=5)
    assert not LowStockAlert.objects.exists()


def test_bad_thresholds_are_refused(shop, sku, other_shop):
    with pytest.raises(InvalidQuantity):
        services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=-1)
    with pytest.raises(NotFound):
        services.set_sku_threshold(shop_id=other_shop.id, sku_id=sku.id, threshold=4)
    with pytest.raises(NotFound):
        services.set_category_threshold(shop_id=shop.id, category_id=999_999, threshold=4)
    assert not selectors.thresholds(shop_id=shop.id).exists()


def test_new_alerts_are_emailed_to_warehouse_staff_once(
    shop, warehouse, sku, django_capture_on_commit_callbacks
):
    keeper = make_member(shop, WAREHOUSE, email="keeper@example.com").user
    make_member(shop, CUSTOMER_SERVICE, email="cs@example.com")
    services.set_sku_threshold(shop_id=shop.id, sku_id=sku.id, threshold=5)
    with django_capture_on_commit_callbacks(execute=True):
        put_stock(warehouse, sku, 3)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert keeper.email in message.to and "cs@example.com" not in message.to
    assert shop.owner.email in message.to  # the owner holds inventory.manage too
    assert sku.code in message.body and "/console/inventory/" in message.body
    assert LowStockAlert.objects.get().notified_at is not None
    # The task again (a retry, a second worker): nothing new to send.
    assert tasks.notify_low_stock(shop.id) == 0
    assert len(mail.outbox) == 1
