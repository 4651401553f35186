"""Reads for working groups, rosters and convenings, each a fixed number of queries."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import NamedTuple

from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from stakeholders.compiled import CompiledQuery, compile_query, run_compiled
from stakeholders.models import City, Leg, Person
from stakeholders.selectors import leg_annotations
from workinggroups.models import Convening, Invitation, Membership, WorkingGroup

# The group page's queries (group_detail) are built by the ORM once per process and
# database, with these stand-ins for the request's values, and then sent with the values
# swapped in (`_run`): building and compiling them again on every request took longer than
# PostgreSQL takes to answer them (`make bench`'s "group_page"). The stand-ins are never sent.
_GROUP_ID = -(10**15)
_NOW = datetime(1900, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _as_param(now: datetime, connection) -> object:
    """`now` as the ORM sends it in a lookup on a convening's start (a string on SQLite)."""
    return Convening._meta.get_field("starts_at").get_db_prep_value(now, connection)


def _compile(
    queryset: QuerySet, alias: str, *, with_now: bool = False
) -> tuple[CompiledQuery, object]:
    """The queryset compiled with the group's stand-in (and `now`'s): see compile_query."""
    now = (_as_param(_NOW, connections[alias]),) if with_now else ()
    return compile_query(queryset, alias, (_GROUP_ID, *now))


def _run(query: CompiledQuery, alias: str, group_id: int, now: datetime | None = None) -> list:
    """Run a compiled query for the group (and `now`): see run_compiled."""
    connection = connections[alias]
    values = {_GROUP_ID: group_id}
    if now is not None:
        values[_as_param(_NOW, connection)] = _as_param(now, connection)
    return run_compiled(query, alias, values)


@cache
def _groups_with_leg_counts() -> QuerySet[WorkingGroup]:
    """Working groups with their current members counted per leg, built once per process:
    resolving the four filtered counts was a fifth of the group and city pages' CPU time
    (`make bench`). Never evaluated itself; every caller narrows a clone of it."""
    return WorkingGroup.objects.annotate(**leg_annotations("memberships__"))


def groups_of_city(city: City) -> QuerySet[WorkingGroup]:
    """The city's working groups with current members counted per leg."""
    return _groups_with_leg_counts().filter(city=city).order_by("name")


@cache
def _group_query(alias: str) -> tuple[CompiledQuery, tuple, tuple, dict[str, int]]:
    """The group query, and where the group's columns, its city's and the counts sit in
    its row."""
    query, compiler = _compile(
        _groups_with_leg_counts().select_related("city").filter(pk=_GROUP_ID), alias
    )

    def columns(klass_info: dict) -> tuple[int, int, list[str]]:
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return start, end, [column.target.attname for column, *_ in compiler.select[start:end]]

    (city_info,) = compiler.klass_info["related_klass_infos"]
    return query, columns(compiler.klass_info), columns(city_info), compiler.annotation_col_map


def group_with_leg_counts(group_id: int, using: str = "default") -> WorkingGroup | None:
    """The group, its city and its current members counted per leg (`members_<leg>`): the
    same instances the ORM's iterator would load, from SQL compiled once per process."""
    query, (start, end, fields), (city_start, city_end, city_fields), counts = _group_query(using)
    rows = _run(query, using, group_id)
    if not rows:
        return None
    (row,) = rows
    group = WorkingGroup.from_db(using, fields, row[start:end])
    WorkingGroup.city.field.set_cached_value(
        group, City.from_db(using, city_fields, row[city_start:city_end])
    )
    for name, position in counts.items():
        setattr(group, name, row[position])
    return group


class RosterRow(NamedTuple):
    """A current member, as the group page's members table shows them."""

    person_id: int
    full_name: str
    leg: str
    organisation: str | None  # the organisation's name
    role: str
    email: str
    phone: str


@cache
def _roster_query(alias: str) -> CompiledQuery:
    return _compile(
        Membership.objects.filter(group_id=_GROUP_ID, ended_on__isnull=True)
        .order_by("person__leg", "person__full_name")
        .values_list(
            "person_id",
            "person__full_name",
            "person__leg",
            "person__organisation__name",
            "role",
            "person__email",
            "person__phone",
        ),
        alias,
    )[0]


def roster_rows(group: WorkingGroup, using: str = "default") -> list[RosterRow]:
    """The group's current members, by leg then name, as plain rows of the columns the
    group page shows (building model instances was a large part of its CPU time)."""
    return [RosterRow._make(row) for row in _run(_roster_query(using), using, group.pk)]


class ConveningRow(NamedTuple):
    """The columns of a convening the group page shows."""

    pk: int
    title: str
    starts_at: datetime


@dataclass(frozen=True)
class ConveningLegs:
    convening: ConveningRow
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


@cache
def _recent_query(limit: int, alias: str) -> CompiledQuery:
    # Pick the last few first, then count: aggregating a long-lived group's whole history
    # before the LIMIT grows with every meeting it has held.
    latest = (
        Convening.objects.filter(group_id=_GROUP_ID, starts_at__lt=_NOW)
        .exclude(status=Convening.Status.CANCELLED)
        .order_by("-starts_at")
        .values("pk")[:limit]
    )
    return _compile(
        _convenings_with_attendance()
        .filter(pk__in=latest)
        .order_by("-starts_at")
        .values_list("pk", "title", "starts_at", *(f"came_{leg.value}" for leg in Leg)),
        alias,
        with_now=True,
    )[0]


def recent_convenings_with_attendance(
    group: WorkingGroup, limit: int = 6, using: str = "default"
) -> list[ConveningLegs]:
    """The last held convenings of a group, with attendance counted per leg (lesson 5)."""
    rows = _run(_recent_query(limit, using), using, group.pk, timezone.now())
    return [
        ConveningLegs(ConveningRow(pk, title, starts_at), dict(zip(Leg.values, came, strict=True)))
        for pk, title, starts_at, *came in rows
    ]


class UpcomingConvening(NamedTuple):
    pk: int
    title: str
    starts_at: datetime
    yes_count: int
    invited_count: int


@cache
def _upcoming_query(limit: int, alias: str) -> CompiledQuery:
    next_few = (
        Convening.objects.filter(group_id=_GROUP_ID, starts_at__gte=_NOW)
        .exclude(status=Convening.Status.CANCELLED)
        .order_by("starts_at")
        .values("pk")[:limit]
    )
    return _compile(
        Convening.objects.filter(pk__in=next_few)
        .annotate(
            yes_count=Count("invitations", filter=Q(invitations__response="yes")),
            invited_count=Count("invitations"),
        )
        .order_by("starts_at")
        .values_list("pk", "title", "starts_at", "yes_count", "invited_count"),
        alias,
        with_now=True,
    )[0]


def upcoming_convenings_of_group(
    group: WorkingGroup, limit: int = 5, using: str = "default"
) -> list[UpcomingConvening]:
    """The group's next few convenings, with how many were invited and said yes."""
    rows = _run(_upcoming_query(limit, using), using, group.pk, timezone.now())
    return [UpcomingConvening._make(row) for row in rows]


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
