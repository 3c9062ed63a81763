"""Template helpers shared by every storefront page (and by the pages other apps add).

- `{% icon "search" %}`: an inline SVG icon (no icon font, no CDN).
- `{% optional_include "catalog/partials/category_nav.html" %}`: render a template only if an app
  ships it. The base layout uses this for slots that later apps fill (category navigation, cart
  link, home-page sections) without editing storefront templates.
- `{% field form.phone %}`: one form field with its label, help text and inline errors.
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# 24x24 outline icons drawn for ShopOps: stroke paths only, coloured by currentColor.
_ICON_PATHS: dict[str, str] = {
    "search": '<circle cx="11" cy="11" r="7"/><path d="m20 20-3.5-3.5"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4 3.6-7 8-7s8 3 8 7"/>',
    "cart": '<path d="M3 4h2l2.4 11.2a1 1 0 0 0 1 .8h9.2a1 1 0 0 0 1-.8L21 8H6.2"/>'
    '<circle cx="9.5" cy="20" r="1.3"/><circle cx="17.5" cy="20" r="1.3"/>',
    "pin": '<path d="M12 21s-7-6.2-7-11.5A7 7 0 0 1 19 9.5C19 14.8 12 21 12 21Z"/>'
    '<circle cx="12" cy="9.5" r="2.5"/>',
    "shield": '<path d="M12 3 4.5 6v5.5c0 4.6 3.1 8.4 7.5 9.5 4.4-1.1 7.5-4.9 7.5-9.5V6Z"/>'
    '<path d="m9 12 2 2 4-4"/>',
    "lock": '<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V8a4 4 0 0 1 8 0v3"/>',
    "truck": '<path d="M3 6h11v10H3z"/><path d="M14 10h4l3 3v3h-7"/><circle cx="7" cy="18" r="2"/>'
    '<circle cx="17.5" cy="18" r="2"/>',
    "refresh": '<path d="M20 12a8 8 0 1 1-2.3-5.6"/><path d="M20 4v5h-5"/>',
    "phone": '<rect x="7" y="2.5" width="10" height="19" rx="2"/><path d="M11 18h2"/>',
    "mail": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3.5 6.5 8.5 6.5 8.5-6.5"/>',
    "check": '<path d="m5 12.5 4.5 4.5L19 7.5"/>',
    "x": '<path d="M6 6l12 12M18 6 6 18"/>',
    "chevron-right": '<path d="m9 6 6 6-6 6"/>',
    "chevron-down": '<path d="m6 9 6 6 6-6"/>',
    "globe": '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c2.5 2.6 3.7 5.6 3.7 9s-1.2 6.4-3.7 9'
    'c-2.5-2.6-3.7-5.6-3.7-9S9.5 5.6 12 3Z"/>',
    "id-card": '<rect x="3" y="5" width="18" height="14" rx="2"/><circle cx="9" cy="11" r="2"/>'
    '<path d="M6 16c.6-1.5 1.7-2.2 3-2.2s2.4.7 3 2.2M14.5 10h4M14.5 13.5h3"/>',
    "home": '<path d="M4 11 12 4l8 7"/><path d="M6 9.5V20h12V9.5"/><path d="M10 20v-5h4v5"/>',
    "settings": '<circle cx="12" cy="12" r="3"/><path d="M12 2.5v3M12 18.5v3M2.5 12h3M18.5 12h3'
    'M5.3 5.3l2.1 2.1M16.6 16.6l2.1 2.1M5.3 18.7l2.1-2.1M16.6 7.4l2.1-2.1"/>',
    "logout": '<path d="M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3"/><path d="M10 16l-4-4 4-4M6 12h10"/>',
    "plus": '<path d="M12 5v14M5 12h14"/>',
    "edit": '<path d="M4 20h4L19 9l-4-4L4 16Z"/><path d="m13.5 6.5 4 4"/>',
    "trash": '<path d="M4 7h16M9 7V4h6v3M6.5 7l1 13h9l1-13"/>',
    "star": '<path d="m12 3.5 2.6 5.3 5.9.9-4.3 4.1 1 5.8-5.2-2.7-5.2 2.7 1-5.8-4.3-4.1 5.9-.9Z"/>',
    "gift": '<rect x="3.5" y="8" width="17" height="4" rx="1"/><path d="M5 12v8h14v-8M12 8v12'
    'M12 8c-1.5-3-5-3.5-5-1.2C7 8 9 8 12 8Zm0 0c1.5-3 5-3.5 5-1.2C17 8 15 8 12 8Z"/>',
    "headset": '<path d="M4 14v-2a8 8 0 0 1 16 0v2"/><rect x="3" y="13.5" width="4" height="6" rx="1.5"/>'
    '<rect x="17" y="13.5" width="4" height="6" rx="1.5"/><path d="M19 19.5c0 1-1 2-3 2h-2"/>',
    "store": '<path d="M4 9.5 5.5 4h13L20 9.5"/><path d="M4 9.5a2.7 2.7 0 0 0 5.3 0 2.7 2.7 0 0 0 5.4 0 '
    '2.7 2.7 0 0 0 5.3 0"/><path d="M5 12v8h14v-8M10 20v-4h4v4"/>',
    "alert": '<path d="M12 3 2.5 20h19Z"/><path d="M12 10v4.5M12 17.5v.01"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v5.5M12 7.5v.01"/>',
    "menu": '<path d="M4 7h16M4 12h16M4 17h16"/>',
    "eye": '<path d="M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12Z"/>'
    '<circle cx="12" cy="12" r="3"/>',
}


@register.simple_tag
def icon(name: str, size: int = 20, css_class: str = "") -> SafeString:
    paths = _ICON_PATHS.get(name)
    if paths is None:
        return mark_safe("")  # an unknown icon name must not break a page
    return format_html(
        '<svg class="icon {}" width="{}" height="{}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        'stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" '
        'focusable="false">{}</svg>',
        css_class,
        size,
        size,
        mark_safe(paths),  # noqa: S308 - constant markup defined above, never user input
    )


@register.simple_tag(takes_context=True)
def optional_include(context: template.Context, template_name: str) -> SafeString:
    """Render `template_name` with the current context if some app provides it, else nothing."""
    try:
        tpl = get_template(template_name)
    except TemplateDoesNotExist:
        return mark_safe("")
    request = context.get("request")
    return mark_safe(tpl.render(context.flatten(), request))  # noqa: S308 - rendered by the template engine


@register.inclusion_tag("storefront/partials/field.html")
def field(bound_field: BoundField, **options: object) -> dict[str, object]:
    """One labelled form row. Options: hide_label=True, extra_class="..."."""
    return {"field": bound_field, **options}


@register.filter
def invalid(bound_field: BoundField) -> SafeString:
    """The widget marked invalid and pointing at its error list, for screen readers."""
    return bound_field.as_widget(
        attrs={"aria-invalid": "true", "aria-describedby": f"{bound_field.auto_id}_errors"}
    )


@register.filter
def described(bound_field: BoundField) -> SafeString:
    if not bound_field.help_text:
        return bound_field.as_widget()
    return bound_field.as_widget(attrs={"aria-describedby": f"{bound_field.auto_id}_helptext"})


@register.filter
def add_class(bound_field: BoundField, css: str) -> SafeString:
    existing = bound_field.field.widget.attrs.get("class", "")
    return bound_field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def region_line(address: object) -> str:
    """ "北京市 北京市 朝阳区" -> "北京市 朝阳区": municipalities repeat their name as the city."""
    parts: list[str] = []
    for name in (
        getattr(address, "province", ""),
        getattr(address, "city", ""),
        getattr(address, "district", ""),
        getattr(address, "street", ""),
    ):
        if name and (not parts or parts[-1] != name):
            parts.append(name)
    return " ".join(parts)
