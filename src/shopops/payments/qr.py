"""QR codes for "scan to pay" (WeChat Pay native, 扫码支付), drawn on the server as inline SVG.

segno draws the code from the provider's `code_url` exactly as given: nothing leaves the server and no
outside QR service or CDN script is involved, so the code a shopper scans is the one the provider issued.
"""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe

# Level M survives a little glare or a smudged screen; segno raises it further when the data still fits
# the same version (boost_error), and never picks a Micro QR, which WeChat does not scan.
ERROR_LEVEL = "m"
MODULE_PX = 6  # a 6 px module keeps a typical code_url (~version 3-4) around 200 px wide, easy to scan


def make_qr(data: str) -> segno.QRCode:
    """The QR symbol for `data` (used by the page and by tests that compare the drawn matrix)."""
    return segno.make_qr(data, error=ERROR_LEVEL, boost_error=True)


def qr_svg(data: str, *, title: str = "") -> SafeString:
    """Inline SVG markup (safe to put in a template) drawing `data` as a QR code."""
    svg = make_qr(data).svg_inline(
        scale=MODULE_PX,
        border=4,  # the quiet zone the standard asks for; scanners fail without it
        dark="#111827",
        light="#ffffff",
        title=title or None,
        svgclass="qr-svg",
        lineclass=None,
        omitsize=False,
    )
    # segno escapes `title` itself; the rest is made from the symbol's geometry only.
    return mark_safe(svg)  # noqa: S308
