"""Seat gaps: the recommended seats a group lacks, and who could fill them (lesson 3).

Who sits at the table matters. The sector taxonomy holds the recommended seats (community
liaisons, public-safety directors, faith leaders, public health, school administrators,
...). A seat is filled when a current member's sector is that seat. For each empty seat
the directory of the group's own city suggests a few people of that sector who are not in
the group, those carrying the least civic load first (lesson 4: do not pile more on the
people everyone already asks).
"""

from dataclasses import dataclass, field

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from stakeholders.models import Person, Sector
from workinggroups.civic_load import CivicLoad, load_annotations, load_of, with_civic_load
from workinggroups.models import Membership, WorkingGroup

SUGGESTIONS_PER_GAP = 3

# Lesson 3: a local leadership group of 10 to 40 people.
GROUP_SIZE_MIN, GROUP_SIZE_MAX = 10, 40


@dataclass(frozen=True)
class Suggestion:
    person: Person
    load: CivicLoad


@dataclass
class SeatGap:
    sector: Sector
    suggestions: list[Suggestion] = field(default_factory=list)


def seated_sector_ids(group: WorkingGroup):
    """The sectors of the group's current members, as a subquery."""
    return Membership.objects.filter(group=group, ended_on__isnull=True).values("person__sector_id")


def seat_gaps(group: WorkingGroup, *, per_gap: int = SUGGESTIONS_PER_GAP) -> list[SeatGap]:
    """The recommended sectors no current member holds, each with up to `per_gap` people
    of the group's city who could fill it (two queries for all gaps together)."""
    gaps = [
        SeatGap(sector=sector)
        for sector in Sector.objects.filter(recommended=True).exclude(
            pk__in=seated_sector_ids(group)
        )
    ]
    if not gaps:
        return gaps
    by_sector = {gap.sector.pk: gap for gap in gaps}
    candidates = (
        with_civic_load(
            Person.objects.filter(city_id=group.city_id, sector_id__in=list(by_sector)).exclude(
                pk__in=Membership.objects.filter(group=group, ended_on__isnull=True).values(
                    "person_id"
                )
            )
        )
        .select_related("organisation")
        .annotate(
            gap_rank=Window(
                RowNumber(),
                partition_by=[F("sector_id")],
                order_by=[F("civic_load").asc(), F("full_name").asc(), F("pk").asc()],
            )
        )
        .filter(gap_rank__lte=per_gap)
        .order_by("sector_id", "gap_rank")
    )
    for person in candidates:
        by_sector[person.sector_id].suggestions.append(
            Suggestion(person=person, load=load_of(person))
        )
    return gaps


def member_loads(group: WorkingGroup) -> list[tuple[Membership, CivicLoad]]:
    """The group's current members with the civic load each carries, heaviest first
    (one query)."""
    memberships = (
        Membership.objects.filter(group=group, ended_on__isnull=True)
        .select_related("person__sector", "person__organisation")
        .annotate(**load_annotations(person_ref="person_id"))
        .annotate(civic_load=F("load_groups") + F("load_initiatives") + F("load_upcoming"))
        .order_by("-civic_load", "person__full_name")
    )
    return [(membership, load_of(membership)) for membership in memberships]
