"""The directory table's rows, written in Python.

A template loop over fifty rows, each with its nested loops over focus areas, seats and
initiatives, was most of the directory page's time (`make bench`'s "roster", issue 9).
The markup is the same as the template's was; every value is escaped here, and the
strings are translated once per page, not once per row.
"""

from functools import lru_cache
from html import escape

from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from stakeholders.directory_selectors import DirectoryChoices, DirectoryRow
from stakeholders.models import Leg, PreventionLevel

# Reversed once with this id, then the id is swapped for each row's.
_PLACEHOLDER_ID = 987654321


@lru_cache(maxsize=32)
def _fixed(language: str | None, prefix: str) -> dict:
    """What every page shares in one language and script prefix, escaped."""
    from workinggroups.models import MembershipRole

    edit_url = reverse("directory_person_edit", kwargs={"person_id": _PLACEHOLDER_ID})
    before, after = (escape(part) for part in edit_url.split(str(_PLACEHOLDER_ID), 1))
    return {
        "before": before,
        "after": after,
        "legs": {leg.value: escape(str(leg.label)) for leg in Leg},
        "levels": {level: escape(str(level.label)) for level in PreventionLevel},
        "seat_roles": {role.value: escape(str(role.label)) for role in MembershipRole},
        "edit": escape(_("Edit %(name)s")),
        "initiative": escape(_("initiative")),
        "bounced": escape(_("bounced")),
        "no_consent": f'<br><span class="meta">{escape(_("No consent to portal mail"))}</span>',
    }


def render_rows(rows: list[DirectoryRow], choices: DirectoryChoices) -> SafeString:
    """Return the `<tr>` of each row, as the directory table's body shows them."""
    fixed = _fixed(get_language(), get_script_prefix())
    before, after, legs, levels_of = (fixed[k] for k in ("before", "after", "legs", "levels"))
    seat_roles, edit, initiative = fixed["seat_roles"], fixed["edit"], fixed["initiative"]
    bounced, no_consent = fixed["bounced"], fixed["no_consent"]
    dash = "—"
    # The names of the sectors and organisations this page shows, escaped once each.
    sector_names, organisation_names = dict(choices.sectors), dict(choices.organisations)
    sectors: dict[int | None, str] = {}
    organisations: dict[int | None, str] = {}

    level_cells: dict[tuple, str] = {}
    out = []
    for row in rows:
        name = escape(row.full_name)
        role = f'<br><span class="meta">{escape(row.role_title)}</span>' if row.role_title else ""
        levels = level_cells.get(key := tuple(row.levels))
        if levels is None:
            levels = level_cells[key] = ", ".join([levels_of[level] for level in key]) or dash
        if row.seats or row.initiatives:
            seats = "".join(
                [
                    f'<span class="directory-seat">{escape(group)} <span class="meta">'
                    f"({seat_roles.get(role) or escape(role)})</span></span>"
                    for group, role in row.seats
                ]
                + [
                    f'<span class="directory-seat">{escape(title)} <span class="meta">'
                    f"({initiative})</span></span>"
                    for title in row.initiatives
                ]
            )
        else:
            seats = dash
        if row.email:
            email = escape(row.email)
            flag = f' <span class="flag">{bounced}</span>' if row.email_bounced else ""
            contact = f'<a href="mailto:{email}">{email}</a>{flag}<br>'
        else:
            contact = ""
        consent = "" if row.consent_to_contact else no_consent
        sector = sectors.get(row.sector_id)
        if sector is None:
            name_of = sector_names.get(row.sector_id)
            sector = sectors[row.sector_id] = "" if name_of is None else escape(name_of)
        organisation = organisations.get(row.organisation_id)
        if organisation is None:
            name_of = organisation_names.get(row.organisation_id)
            organisation = organisations[row.organisation_id] = (
                dash if name_of is None else escape(name_of)
            )
        out.append(
            f'<tr>\n      <th scope="row"><a href="{before}{row.pk}{after}" '
            f'aria-label="{edit % {"name": name}}">{name}</a>{role}</th>\n'
            f"      <td>{legs.get(row.leg) or escape(row.leg)}</td>\n"
            f"      <td>{sector}</td>\n"
            f"      <td>{organisation}</td>\n"
            f"      <td>{levels}</td>\n"
            f"      <td>{', '.join(map(escape, row.focus_areas)) or dash}</td>\n"
            f"      <td>{seats}</td>\n"
            f"      <td>{contact}{escape(row.phone)}{consent}</td>\n    </tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
