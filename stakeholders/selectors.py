"""Reads for cities and people, with their joins and aggregates applied in the query."""

from dataclasses import dataclass
from functools import cache

from django.db.models import Count, Q, QuerySet
from django.utils.translation import ngettext

from stakeholders.models import City, Leg


@dataclass(frozen=True)
class LegCount:
    leg: str
    label: str
    members: int
    # Of the whole group or city, so a leg is judged against its own table.
    total: int
    largest: int

    @property
    def thin_below(self) -> int:
        """A leg with one person, or with under an eighth of the seats, is thin (lesson 1:
        a weak leg makes a whole-of-city approach hard to start and harder to sustain)."""
        return max(2, -(-self.total // 8))

    @property
    def count_label(self) -> str:
        # Built here, not with {% blocktranslate count %}: the staff home renders four per
        # city and the template tag dominated its render time in `make bench`.
        return ngettext("%(n)d member", "%(n)d members", self.members) % {"n": self.members}

    @property
    def is_missing(self) -> bool:
        return self.members == 0

    @property
    def is_thin(self) -> bool:
        return 0 < self.members < self.thin_below


def leg_annotations(prefix: str) -> dict:
    """Count distinct current members per leg, as annotations named members_<leg>."""
    annotations = {}
    for leg in Leg:
        annotations[f"members_{leg.value}"] = Count(
            f"{prefix}person",
            filter=Q(**{f"{prefix}person__leg": leg.value, f"{prefix}ended_on__isnull": True}),
            distinct=True,
        )
    return annotations


def legs_from_annotations(obj) -> list[LegCount]:
    counts = {leg: getattr(obj, f"members_{leg.value}") for leg in Leg}
    total, largest = sum(counts.values()), max(counts.values())
    return [
        LegCount(leg=leg.value, label=str(leg.label), members=n, total=total, largest=largest)
        for leg, n in counts.items()
    ]


@cache
def _cities_with_leg_counts() -> QuerySet[City]:
    """Built once per process: resolving the filtered counts was a large part of the staff
    home's and city page's CPU time (`make bench`). Never evaluated itself; callers clone it."""
    return City.objects.select_related("programme").annotate(
        **leg_annotations("working_groups__memberships__"),
        group_count=Count("working_groups", distinct=True),
    )


def cities_with_leg_counts(city_ids: set[int] | None = None) -> QuerySet[City]:
    """Cities with current working-group members counted per leg (one query)."""
    cities = _cities_with_leg_counts().all()
    if city_ids is not None:
        cities = cities.filter(pk__in=city_ids)
    return cities.order_by("name")
