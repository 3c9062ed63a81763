"""Shoppers are told when their order ships, their after-sales request moves, or a ticket gets a
staff reply or changes status: in the message centre, and by email when their address is verified."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.utils import timezone

from shopops.aftersales import services as aftersales
from shopops.aftersales.tests.factories import after_commit, bare_order, delivered_order, service_agent
from shopops.notifications import selectors, services
from shopops.notifications.models import Notification, NotificationKind
from shopops.notifications.receivers import on_aftersales_changed
from shopops.orders import services as order_services
from shopops.service import services as service
from shopops.shops.tests.factories import ShopFactory, api_as, make_user

pytestmark = pytest.mark.django_db


def verified(user):
    user.email = f"{user.username}@example.com"
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email", "email_verified_at"])
    return user


def messages_of(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("created_at", "id"))


def _request(order, kind="return_refund"):
    line = order.lines.order_by("id").first()
    return aftersales.create_request(
        user=order.user, order_no=order.number, line_id=line.id, kind=kind, quantity=1, reason="quality"
    )


# --- notify itself -----------------------------------------------------------------------------------


def test_the_same_dedupe_key_notifies_once():
    user = verified(make_user())
    with after_commit():
        first = services.notify(user=user, kind="order_shipped", title="订单已发货", dedupe_key="k1")
        again = services.notify(user=user, kind="order_shipped", title="订单已发货", dedupe_key="k1")
    assert again.pk == first.pk
    assert Notification.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1  # and one email, not two


def test_email_only_to_a_verified_address_and_only_after_commit(django_capture_on_commit_callbacks):
    unverified = make_user()
    unverified.email, unverified.email_verified_at = "nobody@example.com", None
    unverified.save(update_fields=["email", "email_verified_at"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(user=unverified, kind="order_shipped", title="t")
    assert callbacks == []  # nothing queued for an unproven address

    user = verified(make_user())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = services.notify(
            user=user, kind="order_shipped", title="订单 %(order_no)s 已发货", params={"order_no": "O1"}
        )
    assert len(callbacks) == 1 and mail.outbox == []  # the email waits for the commit
    callbacks[0]()
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert mail.outbox[0].subject == "订单 O1 已发货"
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_email_task_sends_once_even_when_run_again():
    from shopops.notifications.tasks import send_notification_email

    user = verified(make_user())
    note = services.notify(user=user, kind="order_shipped", title="t", email=False)
    assert send_notification_email(note.pk) is True
    assert send_notification_email(note.pk) is False
    assert len(mail.outbox) == 1


def test_message_shows_in_the_readers_language():
    from django.utils import translation

    user = make_user()
    note = services.notify(
        user=user,
        kind=NotificationKind.AFTERSALES,
        title="售后申请 %(number)s 未通过",
        body="拒绝原因：%(reason)s",
        params={"number": "AS1", "reason": "超过七天"},
    )
    assert note.display_title == "售后申请 AS1 未通过"
    with translation.override("en"):
        assert note.display_title == "After-sales request AS1 was declined"
        assert note.display_body == "Reason: 超过七天"


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        services.notify(user=make_user(), kind="nope", title="x")


# --- triggers ----------------------------------------------------------------------------------------


def test_order_shipped_notifies_the_buyer_once():
    from shopops.aftersales.tests.factories import paid_order

    order = paid_order()
    with after_commit():
        order_services.ship_order(
            order=order, actor=order.shop.owner, carrier_name="顺丰速运", waybill_no="SF1"
        )
    [note] = messages_of(order.user)
    assert note.kind == "order_shipped"
    assert note.display_title == f"订单 {order.number} 已发货"
    assert "SF1" in note.display_body
    assert note.link == f"/orders/{order.number}/"
    # the same event re-delivered (e.g. a retried receiver) adds nothing
    from shopops.orders.signals import order_shipped

    order_shipped.send(type(order), order=order, carrier_name="顺丰速运", waybill_no="SF1")
    assert len(messages_of(order.user)) == 1


def test_a_rolled_back_shipment_tells_nobody():
    from django.db import transaction

    from shopops.aftersales.tests.factories import paid_order

    order = paid_order()
    with after_commit():
        try:
            with transaction.atomic():
                order_services.ship_order(
                    order=order, actor=order.shop.owner, carrier_name="顺丰速运", waybill_no="SF2"
                )
                raise RuntimeError("something later in the same transaction failed")
        except RuntimeError:
            pass
    assert messages_of(order.user) == []


def test_each_aftersales_step_the_shopper_did_not_take_is_notified():
    shop = ShopFactory()
    agent = service_agent(shop)
    order = bare_order(shop)
    with after_commit():
        request = _request(order)  # the shopper's own step: nothing
        aftersales.approve(request=request, actor=agent)
        aftersales.ship_back(request=request, actor=order.user, carrier_name="顺丰", waybill_no="SF10001")
        aftersales.receive(request=request, actor=agent, passed=False, note="外包装破损")
        aftersales.close(request=request, actor=agent)
    titles = [n.display_title for n in messages_of(order.user)]
    assert titles == [
        f"售后申请 {request.number} 已通过审核",
        f"售后申请 {request.number} 验货未通过",
        f"售后申请 {request.number} 已完成",
    ]
    assert messages_of(order.user)[1].display_body == "验货说明：外包装破损"
    assert all(n.link == f"/aftersales/{request.number}/" for n in messages_of(order.user))


def test_rejection_carries_the_reason():
    shop = ShopFactory()
    order = bare_order(shop)
    with after_commit():
        request = _request(order)
        aftersales.reject(request=request, actor=service_agent(shop), reason="已超过质保期")
    [note] = messages_of(order.user)
    assert note.display_title == f"售后申请 {request.number} 未通过"
    assert note.display_body == "拒绝原因：已超过质保期"


def test_refund_paid_is_one_message_not_two():
    order = delivered_order()
    agent = service_agent(order.shop)
    with after_commit():
        request = _request(order, kind="refund_only")
        aftersales.approve(request=request, actor=agent)
        aftersales.refund(request=request, actor=agent)  # sandbox refunds settle after commit
    request.refresh_from_db()
    assert request.status == "closed"
    titles = [n.display_title for n in messages_of(order.user)]
    assert titles == [f"售后申请 {request.number} 已通过审核", f"售后退款已到账（{request.number}）"]
    assert "¥59.90" in messages_of(order.user)[1].display_body


def test_received_and_replacement_shipped_for_an_exchange():
    order = delivered_order()
    agent = service_agent(order.shop)
    with after_commit():
        request = _request(order, kind="exchange")
        aftersales.approve(request=request, actor=agent)
        aftersales.ship_back(request=request, actor=order.user, carrier_name="顺丰", waybill_no="SF10002")
        aftersales.receive(request=request, actor=agent, passed=True)
        aftersales.ship_replacement(request=request, actor=agent, carrier_name="中通", waybill_no="ZT20003")
        aftersales.close(request=request, actor=order.user)  # the shopper confirms: their own step
    titles = [n.display_title for n in messages_of(order.user)]
    assert titles == [
        f"售后申请 {request.number} 已通过审核",
        f"商家已收到你寄回的商品（{request.number}）",
        f"换货商品已发出（{request.number}）",
    ]
    assert "ZT20003" in messages_of(order.user)[2].display_body


def test_a_redelivered_aftersales_event_does_not_duplicate():
    shop = ShopFactory()
    order = bare_order(shop)
    with after_commit():
        request = _request(order)
        aftersales.approve(request=request, actor=service_agent(shop))
    event = request.events.get(action="approve")
    on_aftersales_changed(type(request), request=request, event=event)
    assert len(messages_of(order.user)) == 1


def test_ticket_staff_reply_and_status_changes_notify_the_shopper():
    shop = ShopFactory()
    agent = service_agent(shop)
    shopper = verified(make_user())
    with after_commit():
        ticket = service.open_ticket(
            user=shopper, kind="consultation", subject="发票", body="能开专票吗？", shop_id=shop.id
        )
        service.post_message(ticket=ticket, author=shopper, body="补充一下抬头")  # own: nothing
        service.post_message(ticket=ticket, author=agent, body="可以的，请提供税号。")
        service.resolve(ticket=ticket, actor=agent)
        service.close(ticket=ticket, actor=agent)
    notes = messages_of(shopper)
    assert [(n.kind, n.display_title) for n in notes] == [
        ("service_reply", f"客服回复了你的工单 {ticket.number}"),
        ("service_status", f"工单 {ticket.number} 已解决"),
        ("service_status", f"工单 {ticket.number} 已关闭"),
    ]
    assert notes[0].display_body == "可以的，请提供税号。"
    assert notes[0].link == f"/service/tickets/{ticket.number}/"
    assert len(mail.outbox) == 3


def test_shopper_closing_their_own_ticket_is_not_notified():
    shop = ShopFactory()
    shopper = make_user()
    with after_commit():
        ticket = service.open_ticket(
            user=shopper, kind="consultation", subject="s", body="b", shop_id=shop.id
        )
        service.close(ticket=ticket, actor=shopper)
    assert messages_of(shopper) == []


# --- reading -----------------------------------------------------------------------------------------


def test_mark_read_and_mark_all_read():
    user = make_user()
    a = services.notify(user=user, kind="order_shipped", title="a")
    services.notify(user=user, kind="order_shipped", title="b")
    assert selectors.unread_count(user) == 2
    first = services.mark_read(user=user, uid=a.uid)
    read_at = first.read_at
    assert read_at is not None and selectors.unread_count(user) == 1
    assert services.mark_read(user=user, uid=a.uid).read_at == read_at  # the first time stays
    assert services.mark_all_read(user=user) == 1
    assert selectors.unread_count(user) == 0


# --- API: each user sees only their own --------------------------------------------------------------


def test_api_lists_counts_and_marks_only_the_callers_messages(client):
    me, other = make_user(), make_user()
    mine = services.notify(
        user=me, kind="order_shipped", title="订单 %(order_no)s 已发货", params={"order_no": "O9"}
    )
    theirs = services.notify(user=other, kind="order_shipped", title="x")
    api = api_as(client, me)

    listed = api.get("/notifications").json()
    assert listed["count"] == 1
    assert listed["items"][0]["uid"] == str(mine.uid)
    assert listed["items"][0]["title"] == "订单 O9 已发货" and listed["items"][0]["read"] is False
    assert api.get("/notifications/unread-count").json() == {"unread": 1}

    # another user's message: 404, as if it did not exist, and it stays unread
    response = api.post(f"/notifications/{theirs.uid}/read")
    assert response.status_code == 404 and response.json()["code"] == "notification_not_found"
    assert api.post(f"/notifications/{uuid.uuid4()}/read").status_code == 404
    assert api.post("/notifications/not-a-uuid/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    marked = api.post(f"/notifications/{mine.uid}/read").json()
    assert marked["read"] is True
    assert api.get("/notifications").json()["count"] == 1
    assert api.get("/notifications", unread="true").json()["count"] == 0
    assert api.get("/notifications/unread-count").json() == {"unread": 0}
    assert api.post("/notifications/read-all").json() == {"marked": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_api_needs_sign_in(client):
    for method, path in (
        ("get", "/api/v1/notifications"),
        ("get", "/api/v1/notifications/unread-count"),
        ("post", "/api/v1/notifications/read-all"),
    ):
        assert getattr(client, method)(path).status_code == 401
