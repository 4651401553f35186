import zoneinfo
from datetime import datetime

from django import template
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.filter
def in_zone(value: datetime | None, zone_name: str) -> str:
    """Show an aware UTC datetime in a city's zone, with the zone's abbreviation (e.g. MST).

    The abbreviation comes from the instant itself, so it is right on both sides of a
    daylight-saving change (MST in January, MDT in July).
    """
    if value is None:
        return ""
    local = value.astimezone(zoneinfo.ZoneInfo(zone_name))
    date_part = formats.date_format(local, "D j M Y")
    time_part = formats.time_format(local, "H:i")
    return f"{date_part}, {time_part} {local.strftime('%Z')}"


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key, 0)


@register.simple_tag
def leg_bars(legs, legs_id) -> SafeString:
    """The four legs as bars (a meter per leg, scaled to the largest) with the numbers in text.

    Built in Python rather than an included template: the staff home draws fifty of these,
    and the template version was most of its render time in `make bench`.
    """
    return leg_bars_html(legs, legs_id)


def leg_bars_html(legs, legs_id) -> SafeString:
    """leg_bars' markup; every value is escaped here (f-strings, not format_html per value:
    this runs four times per city card)."""
    flags = {
        "missing": f'<strong class="flag">{escape(gettext("Leg missing"))}</strong>',
        "thin": f'<strong class="flag">{escape(gettext("Thin leg"))}</strong>',
    }
    prefix = escape(f"leg-{legs_id}-")
    rows = []
    for leg in legs:
        members = leg.members
        if members == 0:
            state = "missing"
        else:
            thin_below = leg.thin_below
            state = "thin" if members < thin_below else ""
        largest = leg.largest or 1
        leg_id = f"{prefix}{escape(leg.leg)}"
        rows.append(
            f'<li class="leg{" leg-" + state if state else ""}"><span class="leg-name" '
            f'id="{leg_id}">{escape(leg.label)}</span>'
            f'<meter min="0" max="{largest}" low="{leg.thin_below}" optimum="{largest}" '
            f'value="{members}" aria-labelledby="{leg_id}"></meter><span class="leg-tally">'
            f'<span class="leg-count">{escape(leg.count_label)}</span> '
            f"{flags[state] if state else ''}</span></li>"
        )
    return mark_safe('<ul class="legs">\n' + "\n".join(rows) + "\n</ul>")  # noqa: S308
