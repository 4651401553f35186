"""Reads for the stakeholder directory: one city's people with everything a row shows
already joined or prefetched, so a page costs the same number of queries at 1 person or
5,000 (issue 6)."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from stakeholders.models import City, FocusArea, Leg, Organisation, Person, PreventionLevel

# The boolean column behind each prevention level (indexed filters, see Person).
LEVEL_FIELDS = {
    PreventionLevel.PRIMARY.value: "works_primary",
    PreventionLevel.SECONDARY.value: "works_secondary",
    PreventionLevel.TERTIARY.value: "works_tertiary",
}


@dataclass(frozen=True)
class DirectoryFilters:
    """What the coordinator narrowed the directory to; empty values filter nothing."""

    q: str = ""
    leg: str = ""
    sector_id: int | None = None
    organisation_id: int | None = None
    group_id: int | None = None
    level: str = ""
    focus_area_id: int | None = None

    def as_audit_detail(self) -> dict:
        """The filters that were set, ids rather than names (the log keeps no personal data)."""
        return {key: value for key, value in self.__dict__.items() if value not in ("", None)}


@dataclass(frozen=True)
class DirectoryLegCount:
    leg: str
    label: str
    people: int


@dataclass
class DirectorySummary:
    legs: list[DirectoryLegCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(leg.people for leg in self.legs)


def _current_memberships():
    from workinggroups.models import Membership

    return (
        Membership.objects.filter(ended_on__isnull=True)
        .select_related("group")
        .only("id", "person_id", "role", "group__id", "group__name")
    )


def _initiatives():
    from workinggroups.models import ExistingInitiative

    return ExistingInitiative.objects.only("id", "name").order_by("name")


def directory_people(city: City, filters: DirectoryFilters | None = None) -> QuerySet[Person]:
    """Return the city's people matching `filters`, sorted by name, with sector,
    organisation, focus areas, current groups (`current_memberships`) and initiatives
    loaded.

    Group and focus-area filters use EXISTS rather than joins, so a person is never listed
    twice and the count stays a plain COUNT.
    """
    people = filtered_people(city, filters)
    return people.select_related("sector", "organisation").prefetch_related(
        Prefetch("focus_areas", queryset=FocusArea.objects.order_by("name")),
        Prefetch("memberships", queryset=_current_memberships(), to_attr="current_memberships"),
        Prefetch("initiatives", queryset=_initiatives()),
    )


def filtered_people(city: City, filters: DirectoryFilters | None = None) -> QuerySet[Person]:
    """Return the city's people matching `filters`, sorted by name, without joins."""
    from workinggroups.models import Membership

    filters = filters or DirectoryFilters()
    people = Person.objects.filter(city=city)
    if filters.q:
        people = people.filter(
            Q(full_name__icontains=filters.q)
            | Q(role_title__icontains=filters.q)
            | Q(organisation__name__icontains=filters.q)
        )
    if filters.leg:
        people = people.filter(leg=filters.leg)
    if filters.sector_id:
        people = people.filter(sector_id=filters.sector_id)
    if filters.organisation_id:
        people = people.filter(organisation_id=filters.organisation_id)
    if filters.level in LEVEL_FIELDS:
        people = people.filter(**{LEVEL_FIELDS[filters.level]: True})
    if filters.group_id:
        people = people.filter(
            Exists(
                Membership.objects.filter(
                    person=OuterRef("pk"), group_id=filters.group_id, ended_on__isnull=True
                )
            )
        )
    if filters.focus_area_id:
        through = Person.focus_areas.through
        people = people.filter(
            Exists(
                through.objects.filter(person=OuterRef("pk"), focusarea_id=filters.focus_area_id)
            )
        )
    return people.order_by("full_name", "pk")


def directory_summary(people: QuerySet[Person]) -> DirectorySummary:
    """Count `people` per leg in one grouped query (every leg listed, empty ones too)."""
    counts = dict(
        people.order_by().values_list("leg").annotate(n=Count("pk")).values_list("leg", "n")
    )
    return DirectorySummary(
        legs=[
            DirectoryLegCount(leg=leg.value, label=str(leg.label), people=counts.get(leg.value, 0))
            for leg in Leg
        ]
    )


def organisations_of_city(city: City) -> QuerySet[Organisation]:
    """Return the city's organisations with their sector and how many people each has."""
    return (
        Organisation.objects.filter(city=city)
        .select_related("sector")
        .annotate(people_count=Count("people"))
        .order_by("name")
    )
