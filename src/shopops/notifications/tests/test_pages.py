"""The message centre (我的消息) and the unread badge in the storefront header."""

from __future__ import annotations

import pytest

from shopops.notifications import services
from shopops.notifications.models import Notification
from shopops.shops.tests.factories import make_user

pytestmark = pytest.mark.django_db


def _note(user, title="订单 %(order_no)s 已发货", link="/orders/O1/"):
    return services.notify(user=user, kind="order_shipped", title=title, params={"order_no": "O1"}, link=link)


def test_header_badge_counts_unread_messages(client):
    user = make_user()
    _note(user)
    _note(user)
    client.force_login(user)
    html = client.get("/").content.decode()
    assert 'data-testid="messages-link"' in html
    assert 'data-testid="unread-badge">2<' in html
    services.mark_all_read(user=user)
    assert 'data-testid="unread-badge"' not in client.get("/").content.decode()


def test_visitors_see_no_message_link(client):
    assert 'data-testid="messages-link"' not in client.get("/").content.decode()


def test_inbox_lists_my_messages_and_marks_them_read(client):
    user, other = make_user(), make_user()
    mine = _note(user)
    theirs = _note(other, title="别人的消息")
    client.force_login(user)

    page = client.get("/messages/").content.decode()
    assert "订单 O1 已发货" in page and "别人的消息" not in page
    assert f'data-notification="{mine.uid}" data-unread="1"' in page

    opened = client.post(f"/messages/{mine.uid}/read/", {"open": "1"})
    assert opened.status_code == 302 and opened.headers["Location"] == "/orders/O1/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert "暂时没有消息" not in client.get("/messages/?filter=unread").content.decode()
    assert "没有未读消息" in client.get("/messages/?filter=unread").content.decode()

    # someone else's message: 404 and unchanged
    assert client.post(f"/messages/{theirs.uid}/read/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read_from_the_page(client):
    user = make_user()
    _note(user)
    _note(user)
    client.force_login(user)
    assert client.post("/messages/read-all/").status_code == 302
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()


def test_an_outside_link_is_never_followed(client):
    user = make_user()
    note = _note(user, link="https://evil.example/")
    client.force_login(user)
    response = client.post(f"/messages/{note.uid}/read/", {"open": "1"})
    assert response.headers["Location"] == "/messages/"


def test_inbox_speaks_english(client):
    user = make_user()
    _note(user)
    client.force_login(user)
    client.cookies["django_language"] = "en"
    page = client.get("/messages/").content.decode()
    assert "My messages" in page and "Order O1 has shipped" in page


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get("/messages/")
    assert response.status_code == 302 and "login" in response.headers["Location"]
