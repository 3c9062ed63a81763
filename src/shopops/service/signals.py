"""Domain events of the customer-service app, sent only after the change has committed.

    ticket_changed(sender=Ticket, ticket=Ticket, message=TicketMessage, event=str, role=str)
        a message was posted ("shopper_message" / "staff_message") or the status moved
        ("resolve" / "close"); `message` is the posted message or the system note of the move,
        `role` who caused it (shopper / staff / system)

Other apps (notifications) subscribe; service imports none of them.
"""

from __future__ import annotations

from django.dispatch import Signal

ticket_changed = Signal()
