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
def time_in_zone(value: datetime | None, zone_name: str) -> str:
    if value is None:
        return ""
    local = value.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{formats.time_format(local, 'H:i')} {local.strftime('%Z')}"


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key, 0)
