"""Domain events of the after-sales app, sent only after the change has committed.

    request_changed(sender=AfterSalesRequest, request=AfterSalesRequest, event=AfterSalesEvent)
        every state change made through state.transition (one per AfterSalesEvent row)

Other apps (notifications) subscribe; after-sales imports none of them.
"""

from __future__ import annotations

from django.dispatch import Signal

request_changed = Signal()
