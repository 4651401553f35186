"""The directory table's rows, written in Python.

A template loop over fifty rows, each with its nested loops over focus areas, seats and
initiatives, was most of the directory page's time (`make bench`'s "roster", issue 9).
The markup is the same as the template's was; every value is escaped here, and the
strings are translated once per page, not once per row.
"""

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from stakeholders.directory_selectors import DirectoryChoices, DirectoryRow
from stakeholders.models import Leg, PreventionLevel

# Reversed once with this id, then the id is swapped for each row's.
_PLACEHOLDER_ID = 987654321


def _seat_labels() -> dict[str, str]:
    from workinggroups.models import MembershipRole

    return {role.value: escape(str(role.label)) for role in MembershipRole}


def render_rows(rows: list[DirectoryRow], choices: DirectoryChoices) -> SafeString:
    """Return the `<tr>` of each row, as the directory table's body shows them."""
    edit_url = reverse("directory_person_edit", kwargs={"person_id": _PLACEHOLDER_ID})
    before, after = (escape(part) for part in edit_url.split(str(_PLACEHOLDER_ID), 1))
    legs = {leg.value: escape(str(leg.label)) for leg in Leg}
    levels = {level: escape(str(level.label)) for level in PreventionLevel}
    seat_roles = _seat_labels()
    sectors = {pk: escape(name) for pk, name in choices.sectors}
    organisations = {pk: escape(name) for pk, name in choices.organisations}
    edit = escape(_("Edit %(name)s"))
    initiative = escape(_("initiative"))
    bounced = escape(_("bounced"))
    no_consent = escape(_("No consent to portal mail"))
    dash = "—"

    out = []
    for row in rows:
        name = escape(row.full_name)
        cell = [
            f'<tr>\n      <th scope="row"><a href="{before}{row.pk}{after}" '
            f'aria-label="{edit % {"name": name}}">{name}</a>'
        ]
        if row.role_title:
            cell.append(f'<br><span class="meta">{escape(row.role_title)}</span>')
        cell.append(f"</th>\n      <td>{legs.get(row.leg, escape(row.leg))}</td>")
        cell.append(f"\n      <td>{sectors.get(row.sector_id, '')}</td>")
        cell.append(f"\n      <td>{organisations.get(row.organisation_id, dash)}</td>")
        cell.append(f"\n      <td>{', '.join(levels[level] for level in row.levels) or dash}</td>")
        cell.append(f"\n      <td>{', '.join(escape(a) for a in row.focus_areas) or dash}</td>")
        seats = "".join(
            f'<span class="directory-seat">{escape(group)} <span class="meta">'
            f"({seat_roles.get(role, escape(role))})</span></span>"
            for group, role in row.seats
        ) + "".join(
            f'<span class="directory-seat">{escape(title)} <span class="meta">'
            f"({initiative})</span></span>"
            for title in row.initiatives
        )
        cell.append(f"\n      <td>{seats or dash}</td>\n      <td>")
        if row.email:
            email = escape(row.email)
            cell.append(f'<a href="mailto:{email}">{email}</a>')
            if row.email_bounced:
                cell.append(f' <span class="flag">{bounced}</span>')
            cell.append("<br>")
        cell.append(escape(row.phone))
        if not row.consent_to_contact:
            cell.append(f'<br><span class="meta">{no_consent}</span>')
        cell.append("</td>\n    </tr>\n")
        out.append("".join(cell))
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
