"""Customer-service tickets: opening, the thread, assignment, SLA and overdue flags, access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shopops.aftersales.tests.factories import bare_order
from shopops.reviews.tests.factories import png
from shopops.service import selectors, services, tasks
from shopops.service.models import Ticket, TicketStatus
from shopops.shops.permissions import CUSTOMER_SERVICE, WAREHOUSE
from shopops.shops.tests.factories import ShopFactory, api_as, make_member, make_user

pytestmark = pytest.mark.django_db
SESSION = "shopops.accounts.backends.IdentifierBackend"


@pytest.fixture
def shop():
    return ShopFactory()


@pytest.fixture
def agent(shop):
    return make_member(shop, CUSTOMER_SERVICE).user


def _open(shop, user=None, **kwargs):
    values = {
        "kind": "consultation",
        "subject": "发票怎么开",
        "body": "请问可以开专票吗？",
        "shop_id": shop.id,
    }
    values.update(kwargs)
    return services.open_ticket(user=user or make_user(), **values)


def test_a_shopper_opens_a_ticket_about_their_order_and_staff_answer(client, shop, agent):
    order = bare_order(shop)
    client.force_login(order.user, backend=SESSION)
    response = client.post(
        "/api/v1/service/tickets",
        {"kind": "complaint", "subject": "包装破损", "body": "<i>外箱</i>压坏了", "order_no": order.number,
         "attachment": png()},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["shop_id"] == shop.id and body["order_no"] == order.number
    assert body["priority"] == "high"  # complaints start higher
    assert body["messages"][0]["body"] == "外箱压坏了"
    assert body["messages"][0]["attachment_url"]
    number = body["number"]

    client.force_login(agent, backend=SESSION)
    reply = client.post(f"/api/v1/service/shops/{shop.id}/tickets/{number}/messages", {"body": "已为您补发"})
    assert reply.status_code == 201
    assert reply.json()["status"] == "pending_customer"
    assert reply.json()["assignee"] == agent.get_username()  # first to answer owns it

    client.force_login(order.user, backend=SESSION)
    again = client.post(f"/api/v1/service/tickets/{number}/messages", {"body": "谢谢"})
    assert again.json()["status"] == "open"
    assert [m["author_role"] for m in again.json()["messages"]] == ["shopper", "staff", "shopper"]


def test_a_ticket_can_only_name_the_shoppers_own_order(client, shop):
    order = bare_order(shop)
    stranger = make_user()
    client.force_login(stranger, backend=SESSION)
    response = client.post(
        "/api/v1/service/tickets",
        {"kind": "consultation", "subject": "x", "body": "y", "order_no": order.number},
    )
    assert response.status_code == 404
    assert not Ticket.objects.exists()


def test_a_ticket_without_an_order_needs_a_trading_shop(client):
    client.force_login(make_user(), backend=SESSION)
    response = client.post("/api/v1/service/tickets", {"kind": "consultation", "subject": "x", "body": "y"})
    assert response.status_code == 422
    assert response.json()["code"] == "shop_required"
    suspended = ShopFactory(status="suspended")
    data = {"kind": "consultation", "subject": "x", "body": "y", "shop_id": suspended.id}
    assert client.post("/api/v1/service/tickets", data).status_code == 404


def test_sla_due_time_follows_priority_and_settings(shop, agent, settings):
    ticket = _open(shop)
    assert ticket.sla_due_at - ticket.awaiting_since == timedelta(hours=24)
    urgent = services.set_priority(ticket=ticket, actor=agent, priority="urgent")
    assert urgent.sla_due_at - urgent.awaiting_since == timedelta(hours=2)
    settings.SERVICE_SLA_HOURS = {"low": 120}
    low = services.set_priority(ticket=ticket, actor=agent, priority="low")
    assert low.sla_due_at - low.awaiting_since == timedelta(hours=120)


def test_tickets_past_their_sla_are_flagged_overdue(shop, agent):
    late = _open(shop)
    fresh = _open(shop)
    answered = _open(shop)
    Ticket.objects.filter(pk__in=[late.pk, answered.pk]).update(
        sla_due_at=timezone.now() - timedelta(minutes=1)
    )
    services.post_message(ticket=answered, author=agent, body="您好")  # staff answered: clock stopped
    assert tasks.mark_overdue() == 1
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert late.is_overdue and late.overdue_at is not None
    assert not fresh.is_overdue
    assert [t.number for t in selectors.overdue_tickets(shop_ids=[shop.id])] == [late.number]
    assert services.mark_overdue() == 0  # idempotent
    services.post_message(ticket=late, author=agent, body="抱歉久等")
    late.refresh_from_db()
    assert not late.is_overdue


def test_the_queue_puts_overdue_then_urgent_first(client, shop, agent):
    normal = _open(shop)
    urgent = _open(shop)
    services.set_priority(ticket=urgent, actor=agent, priority="urgent")
    late = _open(shop)
    Ticket.objects.filter(pk=late.pk).update(sla_due_at=timezone.now() - timedelta(hours=1))
    items = api_as(client, agent).get(f"/service/shops/{shop.id}/tickets").json()["items"]
    assert [i["number"] for i in items] == [late.number, urgent.number, normal.number]
    assert items[0]["is_overdue"] is True
    overdue = api_as(client, agent).get(f"/service/shops/{shop.id}/tickets", overdue=True).json()["items"]
    assert [i["number"] for i in overdue] == [late.number]
    counts = api_as(client, agent).get(f"/service/shops/{shop.id}/tickets/counts").json()
    assert counts == {"open": 3, "pending_customer": 0, "overdue": 1}


def test_assignment_only_to_staff_who_handle_tickets(client, shop, agent):
    ticket = _open(shop)
    colleague = make_member(shop, CUSTOMER_SERVICE).user
    warehouse = make_member(shop, WAREHOUSE).user
    outsider = make_member(ShopFactory(), CUSTOMER_SERVICE).user
    staff = api_as(client, agent)
    url = f"/service/shops/{shop.id}/tickets/{ticket.number}/assign"
    assert staff.post(url, {"assignee_id": colleague.pk}).json()["assignee_id"] == colleague.pk
    for wrong in (warehouse, outsider):
        response = staff.post(url, {"assignee_id": wrong.pk})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_assignee"
    ticket.refresh_from_db()
    assert ticket.assignee_id == colleague.pk


def test_resolved_tickets_reopen_when_the_shopper_writes_and_closed_ones_refuse(shop, agent):
    ticket = _open(shop)
    services.resolve(ticket=ticket, actor=agent, note="已处理")
    assert ticket.status == TicketStatus.RESOLVED and ticket.sla_due_at is None
    services.post_message(ticket=ticket, author=ticket.user, body="还没收到")
    assert ticket.status == TicketStatus.OPEN and ticket.sla_due_at is not None
    services.close(ticket=ticket, actor=ticket.user)
    from shopops.service.errors import TicketClosed

    with pytest.raises(TicketClosed):
        services.post_message(ticket=ticket, author=agent, body="您好")


def test_resolved_tickets_close_themselves_after_a_while(shop, agent):
    ticket = _open(shop)
    services.resolve(ticket=ticket, actor=agent)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=8))
    assert services.close_resolved() == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_another_shoppers_ticket_is_not_found(client, shop):
    ticket = _open(shop)
    client.force_login(make_user(), backend=SESSION)
    assert client.get(f"/api/v1/service/tickets/{ticket.number}").status_code == 404
    assert client.post(f"/api/v1/service/tickets/{ticket.number}/messages", {"body": "hi"}).status_code == 404
    assert client.post(f"/api/v1/service/tickets/{ticket.number}/close").status_code == 404
    assert ticket.messages.count() == 1


def test_staff_of_another_shop_cannot_reach_the_ticket(client, shop):
    ticket = _open(shop)
    other = ShopFactory()
    outsider = api_as(client, make_member(other, CUSTOMER_SERVICE).user)
    assert outsider.get(f"/service/shops/{other.id}/tickets/{ticket.number}").status_code == 404
    assert outsider.get(f"/service/shops/{shop.id}/tickets/{ticket.number}").status_code == 404


def test_staff_without_service_permission_are_refused(client, shop):
    ticket = _open(shop)
    warehouse = api_as(client, make_member(shop, WAREHOUSE).user)
    assert warehouse.get(f"/service/shops/{shop.id}/tickets/{ticket.number}").status_code == 403


def test_empty_or_markup_only_messages_are_refused(client, shop):
    ticket = _open(shop)
    client.force_login(ticket.user, backend=SESSION)
    response = client.post(f"/api/v1/service/tickets/{ticket.number}/messages", {"body": "<b></b>"})
    assert response.status_code == 422
    assert response.json()["code"] == "body_required"


def test_messages_may_be_json_or_multipart_and_bad_json_is_a_422(client, shop, agent):
    ticket = _open(shop)
    staff = api_as(client, agent)
    url = f"/service/shops/{shop.id}/tickets/{ticket.number}/messages"
    assert staff.post(url, {"body": "您好，在的"}).status_code == 201
    assert staff.post(url, {"body": ""}).status_code == 422
    assert staff.post(url, ["not", "an", "object"]).status_code == 422
    broken = client.generic("POST", f"/api/v1{url}", data="{", content_type="application/json")
    assert broken.status_code == 422
    multipart = client.post(f"/api/v1{url}", {"body": "见图", "attachment": png()})
    assert multipart.status_code == 201
    assert multipart.json()["messages"][-1]["attachment_url"]
