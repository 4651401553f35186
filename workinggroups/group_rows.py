"""The group page's repeated rows (roster, recent and upcoming convenings), written in Python.

The template loops, each row with its `{% url %}`, `{% translate %}`, `get_*_display` and
filters, were most of the group page's render time (`make bench`'s "group_page", issue 9).
The markup is the same as the template's was; every value is escaped here, and the strings
are translated and the URLs reversed once per page, not once per row.
"""

from datetime import datetime
from functools import lru_cache
from html import escape

from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name, template_localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from stakeholders.models import Leg
from stakeholders.templatetags.portal import in_zone
from workinggroups.models import MembershipRole
from workinggroups.selectors import ConveningLegs, RosterRow, UpcomingConvening

# Reversed once with this id, then the id is swapped for each row's.
_PLACEHOLDER_ID = 987654321


def _url_parts(name: str, kwarg: str) -> tuple[str, str]:
    url = reverse(name, kwargs={kwarg: _PLACEHOLDER_ID})
    before, after = url.split(str(_PLACEHOLDER_ID), 1)
    return escape(before), escape(after)


def _when(starts_at: datetime, zone_name: str) -> tuple[str, str]:
    """When a convening starts, escaped: in ISO 8601 (a `<time>`'s datetime, in the current
    time zone) and as `in_zone` writes it in the city's zone."""
    return _when_in(starts_at, zone_name, get_language(), get_current_timezone_name())


@lru_cache(maxsize=4096)
def _when_in(
    starts_at: datetime, zone_name: str, language: str, current_zone: str
) -> tuple[str, str]:
    # Kept per instant, zones and language, the only things the text depends on (`language`
    # and `current_zone` are here for the cache key): formatting the dates was about a tenth
    # of the group page's CPU time once its queries were compiled once per process.
    return escape(date_format(template_localtime(starts_at), "c")), escape(
        in_zone(starts_at, zone_name)
    )


def render_roster_rows(roster: list[RosterRow], *, show_contacts: bool) -> SafeString:
    """The `<tr>` of each current member, as the members table's body shows them."""
    legs = {leg.value: escape(str(leg.label)) for leg in Leg}
    roles = {role.value: escape(str(role.label)) for role in MembershipRole}
    if show_contacts:
        before, after = _url_parts("person_invitation", "person_id")
        account_of = escape(_("Invitation and account of %(name)s"))
        invitation = escape(_("Invitation"))
    out = []
    for member in roster:
        name = escape(member.full_name)
        organisation = member.organisation
        org_name = escape(organisation) if organisation is not None else ""
        cells = [
            f'\n      <tr><th scope="row">{name}</th>'
            f"<td>{legs.get(member.leg, escape(member.leg))}</td>"
            f"<td>{org_name or '—'}</td>"
            f"<td>{roles.get(member.role, escape(member.role))}</td>"
        ]
        if show_contacts:
            email = escape(member.email)
            mail = f'<a href="mailto:{email}">{email}</a>' if email else ""
            cells.append(
                f"<td>{mail}</td><td>{escape(member.phone)}</td>"
                f'<td><a href="{before}{member.person_id}{after}" '
                f'aria-label="{account_of % {"name": name}}">{invitation}</a></td>'
            )
        cells.append("</tr>\n    ")
        out.append("".join(cells))
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def render_recent_rows(recent: list[ConveningLegs], legs, zone_name: str) -> SafeString:
    """The `<tr>` of each recent convening: who came, per leg, and the legs missing."""
    before, after = _url_parts("convening_detail", "convening_id")
    leg_keys = [leg.leg for leg in legs]
    labels = [(leg.value, escape(str(leg.label))) for leg in Leg]  # as missing_legs has them
    none = escape(_("none"))
    out = []
    for row in recent:
        convening = row.convening
        counts = row.attended_by_leg
        tallies = "".join(f"<td>{counts.get(key, 0)}</td>" for key in leg_keys)
        missing = [label for leg, label in labels if not counts.get(leg)]
        flag = f'<strong class="flag">{", ".join(missing)}</strong>' if missing else none
        out.append(
            f'\n      <tr><th scope="row"><a href="{before}{convening.pk}{after}">'
            f"{escape(convening.title)}</a></th>"
            f"<td>{_when(convening.starts_at, zone_name)[1]}</td>\n        "
            f"{tallies}\n        <td>{flag}</td></tr>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def render_upcoming_items(upcoming: list[UpcomingConvening], zone_name: str) -> SafeString:
    """The `<li>` of each upcoming convening, with how many of those invited said yes."""
    before, after = _url_parts("convening_detail", "convening_id")
    said_yes = _("%(yes)s of %(invited)s invited said yes")
    out = []
    for convening in upcoming:
        iso, text = _when(convening.starts_at, zone_name)
        answers = said_yes % {"yes": convening.yes_count, "invited": convening.invited_count}
        out.append(
            f'<li><time datetime="{iso}">{text}</time>: '
            f'<a href="{before}{convening.pk}{after}">{escape(convening.title)}</a> '
            f'<span class="meta">({answers})</span></li>'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
