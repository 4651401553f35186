import zoneinfo
from datetime import datetime

from django import template
from django.utils import formats

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
def leg_bars(legs, legs_id) -> str:
    """The four legs as bars (a meter per leg, scaled to the largest) with the numbers in text.

    Built in Python rather than an included template: the staff home draws fifty of these,
    and the template version was most of its render time in `make bench`.
    """
    from django.utils.html import format_html, format_html_join
    from django.utils.translation import gettext

    flags = {"missing": gettext("Leg missing"), "thin": gettext("Thin leg")}
    rows = []
    for leg in legs:
        state = "missing" if leg.is_missing else "thin" if leg.is_thin else ""
        largest = leg.largest or 1
        rows.append(
            (
                f" leg-{state}" if state else "",
                f"leg-{legs_id}-{leg.leg}",
                leg.label,
                largest,
                leg.thin_below,
                leg.members,
                leg.count_label,
                format_html('<strong class="flag">{}</strong>', flags[state]) if state else "",
            )
        )
    items = format_html_join(
        "\n",
        '<li class="leg{0}"><span class="leg-name" id="{1}">{2}</span>'
        '<meter min="0" max="{3}" low="{4}" optimum="{3}" value="{5}" aria-labelledby="{1}">'
        '</meter><span class="leg-tally"><span class="leg-count">{6}</span> {7}</span></li>',
        rows,
    )
    return format_html('<ul class="legs">\n{}\n</ul>', items)
