"""Domain events of the orders app ("after X happened"), sent only after the change has committed.

    order_shipped(sender=Order, order=Order, carrier_name=str, waybill_no=str)

Other apps (notifications) subscribe; orders imports none of them.
"""

from __future__ import annotations

from django.dispatch import Signal

order_shipped = Signal()
