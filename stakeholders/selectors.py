"""Reads for cities and people, with their joins and aggregates applied in the query."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from stakeholders.models import City, Leg, Person


@dataclass(frozen=True)
class LegCount:
    leg: str
    label: str
    members: int

    @property
    def is_missing(self) -> bool:
        return self.members == 0

    @property
    def is_thin(self) -> bool:
        return 0 < self.members < THIN_LEG_BELOW


# Fewer current members than this in one leg is called thin (DOMAIN.md lesson 1: a weak leg).
THIN_LEG_BELOW = 3


def _current_member_filter(prefix: str = "") -> Q:
    return Q(**{f"{prefix}memberships__ended_on__isnull": True})


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
    return [
        LegCount(leg=leg.value, label=str(leg.label), members=getattr(obj, f"members_{leg.value}"))
        for leg in Leg
    ]


def cities_with_leg_counts(city_ids: set[int] | None = None) -> QuerySet[City]:
    """Cities with current working-group members counted per leg (one query)."""
    cities = City.objects.select_related("programme").annotate(
        **leg_annotations("working_groups__memberships__"),
        group_count=Count("working_groups", distinct=True),
    )
    if city_ids is not None:
        cities = cities.filter(pk__in=city_ids)
    return cities.order_by("name")


def city_with_leg_counts(city: City) -> City:
    return cities_with_leg_counts({city.pk}).get()


def directory_people(city: City) -> QuerySet[Person]:
    return (
        Person.objects.filter(city=city)
        .select_related("sector", "organisation")
        .order_by("leg", "full_name")
    )
