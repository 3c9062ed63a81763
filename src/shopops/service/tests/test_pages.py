"""Ticket pages: a shopper writes to the shop, customer service answers in the console."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shopops.aftersales.tests.factories import bare_order
from shopops.service import services
from shopops.service.models import Ticket
from shopops.shops.permissions import CUSTOMER_SERVICE
from shopops.shops.tests.factories import ShopFactory, make_member, make_user

pytestmark = pytest.mark.django_db
SESSION = "shopops.accounts.backends.IdentifierBackend"


def test_a_shopper_opens_a_ticket_about_an_order_and_the_shop_replies(client, roles):
    shop = ShopFactory()
    order = bare_order(shop)
    client.force_login(order.user, backend=SESSION)
    assert order.number in client.get(f"/service/tickets/new/?order={order.number}").content.decode()
    response = client.post(
        "/service/tickets/new/",
        {"kind": "consultation", "order": order.number, "subject": "何时发货", "body": "急用"},
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/service/tickets/{ticket.number}/"
    agent = make_member(shop, CUSTOMER_SERVICE).user
    client.force_login(agent, backend=SESSION)
    assert ticket.number in client.get("/console/service/").content.decode()
    client.post(f"/console/service/{ticket.number}/act/", {"action": "reply", "body": "今天发出"})
    client.force_login(order.user, backend=SESSION)
    page = client.get(f"/service/tickets/{ticket.number}/").content.decode()
    assert "今天发出" in page and "待顾客回复" in page


def test_overdue_tickets_are_flagged_in_the_console(client, roles):
    shop = ShopFactory()
    late = services.open_ticket(
        user=make_user(), kind="complaint", subject="没人理", body="?", shop_id=shop.id
    )
    Ticket.objects.filter(pk=late.pk).update(sla_due_at=timezone.now() - timedelta(hours=1))
    client.force_login(make_member(shop, CUSTOMER_SERVICE).user, backend=SESSION)
    page = client.get("/console/service/").content.decode()
    assert 'class="so-overdue"' in page and 'id="overdue-count"' in page


def test_another_shoppers_ticket_page_is_not_found(client, roles):
    ticket = services.open_ticket(
        user=make_user(), kind="consultation", subject="x", body="y", shop_id=ShopFactory().id
    )
    client.force_login(make_user(), backend=SESSION)
    assert client.get(f"/service/tickets/{ticket.number}/").status_code == 404
    assert client.post(f"/service/tickets/{ticket.number}/reply/", {"body": "hi"}).status_code == 404
