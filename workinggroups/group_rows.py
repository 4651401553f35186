"""The group page's repeated rows (roster, recent and upcoming convenings), written in Python.

The template loops, each row with its `{% url %}`, `{% translate %}`, `get_*_display` and
filters, were most of the group page's render time (`make bench`'s "group_page", issue 9).
The markup is the same as the template's was; every value is escaped here, and the strings
are translated and the URLs reversed once per page, not once per row.
"""

from html import escape

from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from stakeholders.models import Leg
from stakeholders.templatetags.portal import in_zone
from workinggroups.models import MembershipRole

# Reversed once with this id, then the id is swapped for each row's.
_PLACEHOLDER_ID = 987654321


def _url_parts(name: str, kwarg: str) -> tuple[str, str]:
    url = reverse(name, kwargs={kwarg: _PLACEHOLDER_ID})
    before, after = url.split(str(_PLACEHOLDER_ID), 1)
    return escape(before), escape(after)


def render_roster_rows(roster, *, show_contacts: bool) -> SafeString:
    """The `<tr>` of each current membership, as the members table's body shows them."""
    legs = {leg.value: escape(str(leg.label)) for leg in Leg}
    roles = {role.value: escape(str(role.label)) for role in MembershipRole}
    if show_contacts:
        before, after = _url_parts("person_invitation", "person_id")
        account_of = escape(_("Invitation and account of %(name)s"))
        invitation = escape(_("Invitation"))
    out = []
    for membership in roster:
        person = membership.person
        name = escape(person.full_name)
        organisation = person.organisation
        org_name = escape(organisation.name) if organisation is not None else ""
        cells = [
            f'\n      <tr><th scope="row">{name}</th>'
            f"<td>{legs.get(person.leg, escape(person.leg))}</td>"
            f"<td>{org_name or '—'}</td>"
            f"<td>{roles.get(membership.role, escape(membership.role))}</td>"
        ]
        if show_contacts:
            email = escape(person.email)
            mail = f'<a href="mailto:{email}">{email}</a>' if email else ""
            cells.append(
                f"<td>{mail}</td><td>{escape(person.phone)}</td>"
                f'<td><a href="{before}{person.pk}{after}" '
                f'aria-label="{account_of % {"name": name}}">{invitation}</a></td>'
            )
        cells.append("</tr>\n    ")
        out.append("".join(cells))
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def render_recent_rows(recent, legs, zone_name: str) -> SafeString:
    """The `<tr>` of each recent convening: who came, per leg, and the legs missing."""
    before, after = _url_parts("convening_detail", "convening_id")
    leg_keys = [leg.leg for leg in legs]
    none = escape(_("none"))
    out = []
    for row in recent:
        convening = row.convening
        counts = row.attended_by_leg
        tallies = "".join(f"<td>{counts.get(key, 0)}</td>" for key in leg_keys)
        missing = row.missing_legs
        flag = (
            f'<strong class="flag">{", ".join(escape(label) for label in missing)}</strong>'
            if missing
            else none
        )
        out.append(
            f'\n      <tr><th scope="row"><a href="{before}{convening.pk}{after}">'
            f"{escape(convening.title)}</a></th>"
            f"<td>{escape(in_zone(convening.starts_at, zone_name))}</td>\n        "
            f"{tallies}\n        <td>{flag}</td></tr>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def render_upcoming_items(upcoming, zone_name: str) -> SafeString:
    """The `<li>` of each upcoming convening, with how many of those invited said yes."""
    before, after = _url_parts("convening_detail", "convening_id")
    said_yes = _("%(yes)s of %(invited)s invited said yes")
    out = []
    for convening in upcoming:
        starts_at = convening.starts_at
        answers = said_yes % {"yes": convening.yes_count, "invited": convening.invited_count}
        out.append(
            f'<li><time datetime="{escape(date_format(template_localtime(starts_at), "c"))}">'
            f"{escape(in_zone(starts_at, zone_name))}</time>: "
            f'<a href="{before}{convening.pk}{after}">{escape(convening.title)}</a> '
            f'<span class="meta">({answers})</span></li>'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
