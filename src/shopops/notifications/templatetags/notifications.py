from __future__ import annotations

from typing import Any

from django import template

from shopops.notifications import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """Unread messages of the signed-in user (0 for visitors), for the header badge."""
    request: Any = context.get("request")
    return selectors.unread_count(getattr(request, "user", None))
