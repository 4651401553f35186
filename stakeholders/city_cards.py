"""The city cards of the staff and coordinator homes, written in Python.

An included template per city, each with its `{% url %}`, `{% blocktranslate count %}` and
`get_pilot_status_display`, was most of the staff home's render time (fifty cards a page,
`make bench`'s "staff_home", issue 9). The markup is the same as the template's was; every
value is escaped here, and the fixed strings are translated once per page.
"""

from html import escape

from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stakeholders.models import CityPilotStatus
from stakeholders.templatetags.portal import in_zone, leg_bars_html

_PLACEHOLDER_SLUG = "city-slug-placeholder"


def attach_cards(cities) -> None:
    """Give each city (with .legs and .group_count) its card's markup as .card_html."""
    before, after = (
        escape(part)
        for part in reverse("city_detail", kwargs={"slug": _PLACEHOLDER_SLUG}).split(
            _PLACEHOLDER_SLUG, 1
        )
    )
    statuses = {status.value: escape(str(status.label)) for status in CityPilotStatus}
    lead = escape(_("Lead:"))
    groups_label = {}
    for city in cities:
        n = city.group_count
        if n not in groups_label:
            groups_label[n] = escape(
                ngettext("%(n)s working group", "%(n)s working groups", n) % {"n": n}
            )
        lead_role = f" · {lead} {escape(city.lead_role)}" if city.lead_role else ""
        city.card_html = mark_safe(  # noqa: S308 - every value is escaped
            f'<article class="card">\n  <h2><a href="{before}{escape(city.slug)}{after}">'
            f"{escape(city.name)}, {escape(city.state)}</a></h2>\n"
            f'  <p class="meta">{statuses.get(city.pilot_status, escape(city.pilot_status))}'
            f" · {groups_label[n]}{lead_role}</p>\n"
            f"  {leg_bars_html(city.legs, city.slug)}\n</article>\n"
        )


def render_cards(cities) -> SafeString:
    """Every city's card, as the staff home's loop over the included card showed them."""
    return mark_safe("".join(f"\n{city.card_html}" for city in cities))  # noqa: S308


def render_group_cards(groups) -> SafeString:
    """The city page's working-group cards, from (group, legs) pairs."""
    from workinggroups.models import WorkingGroup

    before, after = (
        escape(part)
        for part in reverse("group_detail", kwargs={"group_id": 987654321}).split("987654321", 1)
    )
    kinds = {
        kind: escape(str(label)) for kind, label in WorkingGroup._meta.get_field("kind").flatchoices
    }
    statuses = {
        status: escape(str(label))
        for status, label in WorkingGroup._meta.get_field("status").flatchoices
    }
    out = []
    for group, legs in groups:
        out.append(
            f'\n  <article class="card">\n    <h3><a href="{before}{group.pk}{after}">'
            f"{escape(group.name)}</a></h3>\n"
            f'    <p class="meta">{kinds.get(group.kind, escape(group.kind))} · '
            f"{statuses.get(group.status, escape(group.status))}</p>\n"
            f"    {leg_bars_html(legs, group.pk)}\n  </article>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def render_upcoming_items(upcoming, zone_name: str) -> SafeString:
    """The city page's `<li>` per upcoming convening (with its group, select_related)."""
    out = []
    for convening in upcoming:
        starts_at = convening.starts_at
        out.append(
            f'<li><time datetime="{escape(date_format(template_localtime(starts_at), "c"))}">'
            f"{escape(in_zone(starts_at, zone_name))}</time>: {escape(convening.title)} "
            f'<span class="meta">({escape(convening.group.name)})</span></li>'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
