"""Who a landscape briefing reaches, and what its TLP marking allows (TLP 2.0, FIRST).

The audience has a scope (the working groups of chosen cities, chosen working groups,
people of chosen organisations), narrowing filters (legs, sectors) and named people, who
are always included. The marking limits the choice:

- TLP:RED reaches named people only;
- TLP:AMBER+STRICT reaches people of the chosen organisations only (named people must
  belong to one of them);
- TLP:AMBER and TLP:GREEN reach the chosen cities, groups, organisations and people;
- TLP:CLEAR reaches the same, and may also be shown to any signed-in user.

The rules are checked when an audience is saved and again when the briefing is published,
so no path (a form, the admin, a scheduled publish) can send RED to a whole city.
"""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from briefings.models import TLP, LandscapeBriefing
from stakeholders.models import Person
from workinggroups.models import Membership


@dataclass(frozen=True)
class Audience:
    """An audience choice, as ids: what a form submits and what a briefing stores."""

    tlp: str
    cities: frozenset[int] = field(default_factory=frozenset)
    groups: frozenset[int] = field(default_factory=frozenset)
    organisations: frozenset[int] = field(default_factory=frozenset)
    people: frozenset[int] = field(default_factory=frozenset)
    legs: frozenset[str] = field(default_factory=frozenset)
    sectors: frozenset[int] = field(default_factory=frozenset)
    shown_to_all_signed_in: bool = False

    @property
    def has_scope(self) -> bool:
        return bool(self.cities or self.groups or self.organisations)


def audience_of(briefing: LandscapeBriefing) -> Audience:
    """Read a briefing's stored audience (one query per audience table)."""
    return Audience(
        tlp=briefing.tlp,
        cities=frozenset(briefing.audience_cities.values_list("pk", flat=True)),
        groups=frozenset(briefing.audience_groups.values_list("pk", flat=True)),
        organisations=frozenset(briefing.audience_organisations.values_list("pk", flat=True)),
        people=frozenset(briefing.audience_people.values_list("pk", flat=True)),
        legs=frozenset(briefing.audience_legs.values_list("leg", flat=True)),
        sectors=frozenset(briefing.audience_sectors.values_list("pk", flat=True)),
        shown_to_all_signed_in=briefing.shown_to_all_signed_in,
    )


def audience_errors(audience: Audience) -> list[str]:
    """What the marking does not allow in this audience, in plain words; empty when fine."""
    errors = []
    marking = f"TLP:{audience.tlp}"
    if audience.tlp not in TLP.values:
        return [_("Choose a TLP marking.")]
    if audience.shown_to_all_signed_in and audience.tlp != TLP.CLEAR:
        errors.append(
            _("Only a TLP:CLEAR briefing may be shown to every signed-in user; this is %s.")
            % marking
        )
    if audience.tlp == TLP.RED:
        if audience.has_scope or audience.legs or audience.sectors:
            errors.append(
                _(
                    "TLP:RED goes to named people only: remove the cities, working groups, "
                    "organisations, legs and sectors, and name each recipient."
                )
            )
        if not audience.people:
            errors.append(_("Name at least one recipient for a TLP:RED briefing."))
    elif audience.tlp == TLP.AMBER_STRICT:
        if audience.cities or audience.groups:
            errors.append(
                _(
                    "TLP:AMBER+STRICT stays within an organisation: choose organisations, "
                    "not cities or working groups."
                )
            )
        if not audience.organisations:
            errors.append(_("Choose the organisations a TLP:AMBER+STRICT briefing goes to."))
        elif audience.people:
            outside = Person.objects.filter(pk__in=audience.people).exclude(
                organisation_id__in=audience.organisations
            )
            names = sorted(outside.values_list("full_name", flat=True))
            if names:
                errors.append(
                    _("Not in the chosen organisations, so not allowed under TLP:AMBER+STRICT: %s.")
                    % ", ".join(names)
                )
    elif not (audience.has_scope or audience.people or audience.shown_to_all_signed_in):
        errors.append(_("Choose who receives it: cities, working groups, organisations or people."))
    narrows = audience.legs or audience.sectors
    if narrows and not audience.has_scope and audience.tlp != TLP.RED:
        errors.append(
            _(
                "Legs and sectors narrow an audience: choose the cities, working groups "
                "or organisations they narrow."
            )
        )
    return errors


def audience_people(audience: Audience, *, among: list[int] | None = None) -> QuerySet[Person]:
    """Everyone the audience reaches, each once (subqueries, no joins: no duplicates).

    `among` narrows the answer to those people, inside the membership subqueries too: the
    send loop asks about a chunk of 100 people, and without it PostgreSQL would read every
    membership of a 50,000-seat audience for each chunk.
    """
    seats = Membership.objects.filter(ended_on__isnull=True)
    if among is not None:
        seats = seats.filter(person_id__in=among)
    scope = Q()
    # A city means the people at its working groups' tables, not its whole directory: the
    # directory also lists people who were never asked to take part.
    if audience.cities:
        scope |= Q(pk__in=seats.filter(group__city_id__in=audience.cities).values("person_id"))
    if audience.groups:
        scope |= Q(pk__in=seats.filter(group_id__in=audience.groups).values("person_id"))
    if audience.organisations:
        scope |= Q(organisation_id__in=audience.organisations)
    reach = scope if scope else Q(pk__in=[])
    if audience.legs:
        reach &= Q(leg__in=audience.legs)
    if audience.sectors:
        reach &= Q(sector_id__in=audience.sectors)
    if audience.people:
        reach |= Q(pk__in=audience.people)
    people = Person.objects.filter(reach)
    return people if among is None else people.filter(pk__in=among)


def briefing_audience_people(briefing: LandscapeBriefing) -> QuerySet[Person]:
    return audience_people(audience_of(briefing))
