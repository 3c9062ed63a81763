"""The WeChat Pay native (扫码支付) page: a real QR code of the provider's code_url, drawn on the server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from shopops.payments.models import Payment, PaymentStatus
from shopops.payments.qr import make_qr
from shopops.payments.tests.conftest import open_payment
from shopops.shops.tests.factories import make_user

_SVG = re.compile(r'<svg [^>]*class="qr-svg".*?</svg>', re.S)
_PATH = re.compile(r'<path stroke="[^"]+" d="([^"]+)"')
_CMD = re.compile(r"([Mmh])(-?\d+(?:\.\d+)?)(?: (-?\d+(?:\.\d+)?))?")


def matrix_from_svg(svg: str, size: int, border: int = 4) -> list[list[int]]:
    """Rebuild the module grid from segno's path ("M x y" / "m dx dy" moves, "h n" dark runs).

    Reading the drawing back, rather than comparing markup, proves what a scanner would see.
    """
    grid = [[0] * size for _ in range(size)]
    x = y = 0.0
    for cmd, a, b in _CMD.findall(_PATH.search(svg).group(1)):
        if cmd == "M":
            x, y = float(a), float(b)
        elif cmd == "m":
            x, y = x + float(a), y + float(b)
        else:
            for col in range(int(x), int(x + float(a))):
                grid[int(y) - border][col - border] = 1
            x += float(a)
    return grid


def qr_page(client, payment: Payment):
    client.force_login(payment.payer)
    return client.get(reverse("payments:checkout", args=[payment.payment_no]))


@pytest.mark.django_db
def test_native_page_draws_the_exact_code_url_as_a_qr_image(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34")
    code_url = payment.action["qr_code"]

    response = qr_page(client, payment)

    assert response.status_code == 200
    html = response.content.decode()
    svg = _SVG.search(html).group(0)
    expected = make_qr(code_url)
    size = expected.symbol_size(border=0)[0]
    assert matrix_from_svg(svg, size) == [list(row) for row in expected.matrix]
    # and not just any code: another URL draws another matrix
    assert matrix_from_svg(svg, size) != [list(row) for row in make_qr(code_url + "x").matrix]
    assert "¥12.34" in html
    assert f'data-testid="order-number">{payment.reference}<' in html
    assert 'id="countdown" data-seconds="' in html
    assert reverse("payments:checkout_poll", args=[payment.payment_no]) in html
    assert 'hx-trigger="every 3s"' in html
    assert "storefront/vendor/htmx" in html  # served with the site, no CDN
    assert "http://" not in svg and "https://" not in svg


@pytest.mark.django_db
def test_countdown_starts_from_the_time_left_before_the_deadline(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", expires_at=timezone.now() + timedelta(minutes=10))
    html = qr_page(client, payment).content.decode()
    seconds = int(re.search(r'data-seconds="(\d+)"', html).group(1))
    assert 590 <= seconds <= 600
    assert re.search(r">(09:5\d|10:00)</strong>", html)


@pytest.mark.django_db
def test_poll_sends_the_browser_to_the_order_once_paid(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", amount="12.34", return_url="/orders/pay/G123/")
    client.force_login(payer)
    poll = reverse("payments:checkout_poll", args=[payment.payment_no])

    waiting = client.get(poll, headers={"HX-Request": "true"})
    assert waiting.status_code == 200
    assert "HX-Redirect" not in waiting.headers
    assert 'hx-trigger="every 3s"' in waiting.content.decode()

    fake_wechat.pay(payment.payment_no, "12.34")  # the provider's query now answers SUCCESS
    cache.delete(f"payments:sync:{payment.pk}")  # skip the few-seconds query throttle of the first poll
    paid = client.get(poll, headers={"HX-Request": "true"})
    assert paid.headers["HX-Redirect"] == "/orders/pay/G123/"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


@pytest.mark.django_db
def test_poll_of_a_closed_payment_goes_to_the_result_page(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat")
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CLOSED, closed_at=timezone.now())
    client.force_login(payer)
    response = client.get(reverse("payments:checkout_poll", args=[payment.payment_no]))
    assert response.headers["HX-Redirect"] == reverse("payments:result", args=[payment.payment_no])


@pytest.mark.django_db
def test_expired_code_is_not_shown_and_polling_stops(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat", return_url="/orders/pay/G9/")
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    payment.refresh_from_db()

    page = qr_page(client, payment)
    assert page.status_code == 410
    html = page.content.decode()
    assert "qr-svg" not in html and 'data-testid="qr-expired"' in html
    assert 'href="/orders/pay/G9/"' in html

    poll = client.get(reverse("payments:checkout_poll", args=[payment.payment_no]))
    body = poll.content.decode()
    assert poll.status_code == 200
    assert "hx-trigger" not in body  # no further polling
    assert 'hx-swap-oob="true"' in body  # the code on the page is replaced by the notice


@pytest.mark.django_db
def test_someone_elses_or_unknown_payment_is_404(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat")
    client.force_login(make_user())
    for name in ("payments:checkout", "payments:checkout_poll"):
        assert client.get(reverse(name, args=[payment.payment_no])).status_code == 404
        assert client.get(reverse(name, args=["P-does-not-exist"])).status_code == 404


@pytest.mark.django_db
def test_signed_out_shopper_is_sent_to_sign_in(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat")
    response = client.get(reverse("payments:checkout_poll", args=[payment.payment_no]))
    assert response.status_code == 302
    assert "login" in response.headers["Location"]


@pytest.mark.django_db
def test_qr_page_speaks_english_when_the_shopper_switches(client, payer, fake_wechat):
    payment = open_payment(payer, channel="wechat")
    client.cookies["django_language"] = "en"
    html = qr_page(client, payment).content.decode()
    assert "Scan with WeChat to pay" in html and "Time left to pay" in html and "Please pay before" in html
