"""Reads for working groups, rosters and convenings, each a fixed number of queries."""

from dataclasses import dataclass
from functools import cache

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from stakeholders.models import City, Leg, Person
from stakeholders.selectors import leg_annotations
from workinggroups.models import Convening, Invitation, Membership, WorkingGroup


@cache
def _groups_with_leg_counts() -> QuerySet[WorkingGroup]:
    """Working groups with their current members counted per leg, built once per process:
    resolving the four filtered counts was a fifth of the group and city pages' CPU time
    (`make bench`). Never evaluated itself; every caller narrows a clone of it."""
    return WorkingGroup.objects.annotate(**leg_annotations("memberships__"))


def groups_of_city(city: City) -> QuerySet[WorkingGroup]:
    """The city's working groups with current members counted per leg."""
    return _groups_with_leg_counts().filter(city=city).order_by("name")


def group_with_leg_counts(group_id: int) -> WorkingGroup | None:
    return _groups_with_leg_counts().select_related("city").filter(pk=group_id).first()


def current_roster(group: WorkingGroup) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(group=group, ended_on__isnull=True)
        .select_related("person__organisation", "person__sector")
        .order_by("person__leg", "person__full_name")
    )


@dataclass(frozen=True)
class ConveningLegs:
    convening: Convening
    attended_by_leg: dict[str, int]

    @property
    def missing_legs(self) -> list[str]:
        return [str(leg.label) for leg in Leg if not self.attended_by_leg.get(leg.value)]

    @property
    def total(self) -> int:
        return sum(self.attended_by_leg.values())


@cache
def _convenings_with_attendance() -> QuerySet[Convening]:
    """Convenings with attendance counted per leg, built once per process (as above)."""
    return Convening.objects.annotate(
        **{
            f"came_{leg.value}": Count("attendances", filter=Q(attendances__leg=leg.value))
            for leg in Leg
        }
    )


def recent_convenings_with_attendance(group: WorkingGroup, limit: int = 6) -> list[ConveningLegs]:
    """The last held convenings of a group, with attendance counted per leg (lesson 5)."""
    # Pick the last few first, then count: aggregating a long-lived group's whole history
    # before the LIMIT grows with every meeting it has held.
    latest = (
        Convening.objects.filter(group=group, starts_at__lt=timezone.now())
        .exclude(status=Convening.Status.CANCELLED)
        .order_by("-starts_at")
        .values("pk")[:limit]
    )
    convenings = _convenings_with_attendance().filter(pk__in=latest).order_by("-starts_at")
    return [
        ConveningLegs(
            convening=c,
            attended_by_leg={leg.value: getattr(c, f"came_{leg.value}") for leg in Leg},
        )
        for c in convenings
    ]


def upcoming_convenings_of_group(group: WorkingGroup, limit: int = 5) -> QuerySet[Convening]:
    next_few = (
        Convening.objects.filter(group=group, starts_at__gte=timezone.now())
        .exclude(status=Convening.Status.CANCELLED)
        .order_by("starts_at")
        .values("pk")[:limit]
    )
    return (
        Convening.objects.filter(pk__in=next_few)
        .annotate(
            yes_count=Count("invitations", filter=Q(invitations__response="yes")),
            invited_count=Count("invitations"),
        )
        .order_by("starts_at")
    )


def upcoming_convenings_of_city(city: City, limit: int = 5) -> QuerySet[Convening]:
    return (
        Convening.objects.filter(group__city=city, starts_at__gte=timezone.now())
        .exclude(status=Convening.Status.CANCELLED)
        .select_related("group")
        .order_by("starts_at")[:limit]
    )


def upcoming_invitations_of_person(person: Person) -> QuerySet[Invitation]:
    """A member's invitations to convenings that have not ended yet."""
    return (
        Invitation.objects.filter(person=person, convening__ends_at__gte=timezone.now())
        .exclude(convening__status=Convening.Status.CANCELLED)
        .select_related("convening__group__city")
        .order_by("convening__starts_at")
    )
