"""Reads for the stakeholder directory: one city's people with everything a row shows
already joined or prefetched, so a page costs the same number of queries at 1 person or
5,000 (issue 6).

The directory page itself (issue 9, `make bench`'s "roster": at most five queries with the
session, the user and the audit entry) reads in two queries: the city with its filter
choices (`cities_with_filter_choices`), then one page of people with the per-leg counts
and each row's lists (`directory_page`).
"""

import functools
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Exists, JSONField, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from stakeholders.compiled import CompiledQuery, compile_query, run_compiled
from stakeholders.models import (
    City,
    FocusArea,
    Leg,
    Organisation,
    Person,
    PreventionLevel,
    Sector,
)

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


# --- The directory page: two queries -----------------------------------------------------
# The lists are plain SQL (RawSQL): built with ORM expressions (ArraySubquery, Window) the
# two queries took longer to compile in Python than to run in PostgreSQL.


@dataclass(frozen=True)
class DirectoryChoices:
    """The (id, name) pairs each filter offers, in the order the lists show them."""

    sectors: list[tuple[int, str]]
    focus_areas: list[tuple[int, str]]
    organisations: list[tuple[int, str]]
    groups: list[tuple[int, str]]


def _choices_sql() -> str:
    from workinggroups.models import WorkingGroup

    def pairs(model, order: str, where: str = "") -> str:
        table = model._meta.db_table
        return (
            # Table and column names from the models; no values.
            f"(SELECT jsonb_agg(jsonb_build_array(t.id, t.name) ORDER BY {order}) "  # noqa: S608
            f'FROM "{table}" t{where})'
        )

    own_city = f' WHERE t.city_id = "{City._meta.db_table}"."id"'
    return (
        "jsonb_build_array("
        f"{pairs(Sector, 't.position, t.name, t.id')}, "
        f"{pairs(FocusArea, 't.name, t.id')}, "
        f"{pairs(Organisation, 't.name, t.id', own_city)}, "
        f"{pairs(WorkingGroup, 't.name, t.id', own_city)})"
    )


def sql_pages() -> bool:
    """Whether the directory page reads in its two PostgreSQL queries (JSON, arrays and
    window aggregates); on SQLite (`make run` on a bare machine) it reads with the ORM,
    in a few more queries."""
    return connection.vendor == "postgresql"


def cities_with_filter_choices() -> QuerySet[City]:
    """Return cities with what the directory's filters offer (`filter_choices`) read in the
    same query: the sectors and focus areas (shared lists) and the city's organisations and
    working groups."""
    cities = City.objects.only("id", "slug", "name")
    if not sql_pages():
        return cities
    choices = RawSQL(_choices_sql(), (), output_field=JSONField())  # noqa: S611 - no values
    return cities.annotate(filter_choices=choices)


# Stand-ins for the values the city read is compiled with (see `_city_sql`): never sent.
_SLUG, _VIEWER = "\x00slug\x00", -(10**15) - 10


@functools.lru_cache(maxsize=8)
def _city_query(alias: str, with_roles: bool) -> CompiledQuery:
    """`cities_with_filter_choices()` for one slug (and, `with_roles`, the ids of the cities
    a viewer coordinates), compiled once per process: building and compiling the annotated
    queryset took longer than PostgreSQL took to answer it (issue 9)."""
    from django.contrib.postgres.expressions import ArraySubquery

    from stakeholders.models import User
    from stakeholders.roles import coordinated_cities_query

    cities = cities_with_filter_choices().filter(slug=_SLUG).order_by()
    if with_roles:
        cities = cities.annotate(
            viewer_coordinated_city_ids=ArraySubquery(coordinated_cities_query(User(pk=_VIEWER)))
        )
    cities = cities.values_list(
        "id", "name", "slug", "filter_choices", *(["viewer_coordinated_city_ids"] * with_roles)
    )
    return compile_query(cities, alias, (_SLUG, _VIEWER) if with_roles else (_SLUG,))[0]


def directory_city(slug: str, roles_of=None) -> City | None:
    """The city of `slug` as `cities_with_filter_choices()` reads it (with the ids of the
    cities `roles_of` coordinates as `viewer_coordinated_city_ids`, when given), in one
    query compiled once per process; None when there is no such city. PostgreSQL only
    (`sql_pages`)."""
    alias = connection.alias
    values = {_SLUG: slug, _VIEWER: roles_of.pk if roles_of is not None else None}
    rows = run_compiled(_city_query(alias, roles_of is not None), alias, values)
    if not rows:
        return None
    (row,) = rows
    city = City(pk=row[0], name=row[1], slug=row[2])
    city.filter_choices = row[3]
    if roles_of is not None:
        city.viewer_coordinated_city_ids = row[4] or []
    return city


def filter_choices(city: City) -> DirectoryChoices:
    """The filter choices of `city`: from its row when it was read with
    `cities_with_filter_choices`, else read now."""
    if hasattr(city, "filter_choices"):
        lists = city.filter_choices
    elif sql_pages():
        lists = cities_with_filter_choices().get(pk=city.pk).filter_choices
    else:
        from workinggroups.models import WorkingGroup

        lists = [
            Sector.objects.order_by("position", "name", "pk").values_list("pk", "name"),
            FocusArea.objects.order_by("name", "pk").values_list("pk", "name"),
            Organisation.objects.filter(city=city).order_by("name", "pk").values_list("pk", "name"),
            WorkingGroup.objects.filter(city=city).order_by("name", "pk").values_list("pk", "name"),
        ]
    sectors, focus_areas, organisations, groups = (
        [(pk, name) for pk, name in values or ()] for values in lists
    )
    return DirectoryChoices(
        sectors=sectors, focus_areas=focus_areas, organisations=organisations, groups=groups
    )


@dataclass(slots=True)
class DirectoryRow:
    """One person as a directory row shows them (names, not objects: no query per row)."""

    pk: int
    full_name: str
    role_title: str
    leg: str
    sector_id: int
    organisation_id: int | None
    email: str
    phone: str
    consent_to_contact: bool
    email_bounced: bool
    levels: list[str]
    focus_areas: list[str]
    seats: list[tuple[str, str]]  # (group name, membership role) of current memberships
    initiatives: list[str]


@dataclass
class DirectoryPage:
    rows: list[DirectoryRow]
    summary: DirectorySummary
    page: Page


# The person's own columns a row shows, in the order `_row` reads them.
_PERSON_COLUMNS = (
    "id",
    "full_name",
    "role_title",
    "leg",
    "sector_id",
    "organisation_id",
    "email",
    "phone",
    "consent_to_contact",
    "email_bounced_at",
    "works_primary",
    "works_secondary",
    "works_tertiary",
)


def _page_sql_template() -> str:
    """The outer page query around the matching people (`{matching}`, see `_page_sql`).

    `matching` numbers every matching person in name order (`rn`) and carries, on each row,
    their total and the count per leg (window aggregates); it reads only the id, name and
    leg, so with a leg filter or none PostgreSQL numbers them from an index alone
    (person_city_leg_name_idx, person_city_name_leg_idx). The `page` subquery keeps one
    page of ids, moved back to the last page when the asked one is past the end (as
    Paginator.get_page does), so even that case costs one query; then only those rows are
    read from the table, and their lists (focus areas, current seats, initiatives) are
    correlated subqueries run for them alone.
    """
    from workinggroups.models import ExistingInitiative, Membership, WorkingGroup

    focus_through = Person.focus_areas.through._meta.db_table
    initiative_through = ExistingInitiative.people.through._meta.db_table
    seats = (
        f'FROM "{Membership._meta.db_table}" s JOIN "{WorkingGroup._meta.db_table}" g '
        "ON g.id = s.group_id WHERE s.person_id = p.id AND s.ended_on IS NULL "
        "ORDER BY s.group_id, s.id"
    )
    # The result is a str.format template: {matching} is filled in by `_page_sql`. Table
    # and column names come from the models; every value is a parameter.
    return (
        f"SELECT {', '.join(f'p.{column}' for column in _PERSON_COLUMNS)}, "  # noqa: S608
        f'ARRAY(SELECT f.name FROM "{FocusArea._meta.db_table}" f JOIN "{focus_through}" pf '
        "ON pf.focusarea_id = f.id WHERE pf.person_id = p.id ORDER BY f.name), "
        # [[group name, role], ...]: an empty array when the person holds no seat.
        f"ARRAY(SELECT ARRAY[g.name::text, s.role::text] {seats}), "
        f'ARRAY(SELECT i.name FROM "{ExistingInitiative._meta.db_table}" i '
        f'JOIN "{initiative_through}" pi ON pi.existinginitiative_id = i.id '
        "WHERE pi.person_id = p.id ORDER BY i.name), "
        "page.leg_counts, page.rn "
        "FROM (SELECT matching.id, matching.rn, matching.leg_counts "
        "FROM ({matching}) AS matching (id, rn, total, leg_counts) "
        "WHERE matching.rn > LEAST(%s, (matching.total - 1) / %s * %s) "
        "ORDER BY matching.rn LIMIT %s) AS page "
        f'JOIN "{Person._meta.db_table}" p ON p.id = page.id '
        "ORDER BY page.rn"
    )


# Stand-ins for the values a page query is compiled with (see `_page_sql`): never sent.
_CITY, _SECTOR, _ORGANISATION, _GROUP, _FOCUS_AREA = (-(10**15) - n for n in range(5))
_LEG, _TEXT = "\x00leg\x00", "\x00q\x00"


@functools.lru_cache(maxsize=256)
def _page_sql(shape: DirectoryFilters) -> tuple[str, tuple]:
    """The page query for filters of this `shape` (which filters are set, and the level),
    compiled once per process: the ORM took longer to build it than PostgreSQL to run it.

    The matching people come from `filtered_people`, the same filters as the export.
    Returns the SQL and its parameters, in which the stand-ins are replaced by the real
    values on each call (`_page_rows`); the page's four parameters come last.
    """
    table = Person._meta.db_table
    in_order = f'ORDER BY "{table}"."full_name", "{table}"."id"'
    counts = ", ".join(f'count(*) FILTER (WHERE "{table}"."leg" = %s) OVER ()' for _ in Leg)
    matching = (
        filtered_people(City(pk=_CITY), shape)
        .order_by()
        .annotate(
            # Column names from the model; the legs are parameters.
            rn=RawSQL(f"row_number() OVER ({in_order})", ()),  # noqa: S611
            total=RawSQL("count(*) OVER ()", ()),
            leg_counts=RawSQL(f"ARRAY[{counts}]", tuple(Leg.values)),  # noqa: S611
        )
        .values_list("id", "rn", "total", "leg_counts")
    )
    sql, params = matching.query.sql_with_params()
    return _page_sql_template().format(matching=sql), tuple(params)


def _page_rows(city: City, filters: DirectoryFilters, number: int, per_page: int) -> list[tuple]:
    """Page `number` of the city's people matching `filters` (or the last page, when that
    one is past the end): one tuple per row, see `_page_sql_template`."""
    shape = DirectoryFilters(
        q=_TEXT if filters.q else "",
        leg=_LEG if filters.leg else "",
        sector_id=_SECTOR if filters.sector_id else None,
        organisation_id=_ORGANISATION if filters.organisation_id else None,
        group_id=_GROUP if filters.group_id else None,
        level=filters.level if filters.level in LEVEL_FIELDS else "",
        focus_area_id=_FOCUS_AREA if filters.focus_area_id else None,
    )
    sql, template = _page_sql(shape)
    values = {
        _CITY: city.pk,
        _SECTOR: filters.sector_id,
        _ORGANISATION: filters.organisation_id,
        _GROUP: filters.group_id,
        _FOCUS_AREA: filters.focus_area_id,
        _LEG: filters.leg,
    }
    like = connection.ops.prep_for_like_query(filters.q)
    params = [
        param.replace(_TEXT, like)
        if isinstance(param, str) and _TEXT in param
        else values.get(param, param)
        if isinstance(param, int | str) and not isinstance(param, bool)
        else param
        for param in template
    ]
    params += [(number - 1) * per_page, per_page, per_page, per_page]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _summary(counts: dict[str, int]) -> DirectorySummary:
    return DirectorySummary(
        legs=[
            DirectoryLegCount(leg=leg.value, label=str(leg.label), people=counts.get(leg.value, 0))
            for leg in Leg
        ]
    )


_LEVELS = (PreventionLevel.PRIMARY, PreventionLevel.SECONDARY, PreventionLevel.TERTIARY)
# (works_primary, works_secondary, works_tertiary) -> the levels, for each of the 8 cases.
_LEVELS_OF = {
    (primary, secondary, tertiary): [
        level for level, on in zip(_LEVELS, (primary, secondary, tertiary), strict=True) if on
    ]
    for primary in (False, True)
    for secondary in (False, True)
    for tertiary in (False, True)
}


def _row(values: tuple) -> DirectoryRow:
    (pk, full_name, role_title, leg, sector_id, organisation_id, email, phone, consent,
     bounced_at, primary, secondary, tertiary, focus, seats, initiatives, _counts,
     _rn) = values  # fmt: skip
    # Positional, in the field order (a few microseconds a row on a 50-row page).
    return DirectoryRow(
        pk,
        full_name,
        role_title,
        leg,
        sector_id,
        organisation_id,
        email,
        phone,
        consent,
        bounced_at is not None,
        list(_LEVELS_OF[primary, secondary, tertiary]),
        focus,
        [(group, role) for group, role in seats] if seats else [],
        initiatives,
    )


def page_number(value) -> int:
    """The page asked for: 1 when missing, not a whole number, or below 1."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        try:
            number = int(float(value))
        except (TypeError, ValueError, OverflowError):
            return 1
    return max(number, 1)


def directory_page(
    city: City, filters: DirectoryFilters, number: int, per_page: int
) -> DirectoryPage:
    """Return page `number` of the city's people matching `filters` (the last page when
    `number` is past the end), with the per-leg counts of all of them, in one query."""
    if not sql_pages():
        return _orm_directory_page(city, filters, number, per_page)
    raw = _page_rows(city, filters, number, per_page)
    if raw:
        summary = _summary(dict(zip(Leg.values, raw[0][-2], strict=True)))
        number = (raw[0][-1] - 1) // per_page + 1
    else:
        summary, number = _summary({}), 1
    paginator = Paginator((), per_page)
    # The window counts already add up to the total: no COUNT query.
    paginator.count = summary.total
    rows = [_row(values) for values in raw]
    return DirectoryPage(rows=rows, summary=summary, page=Page(rows, number, paginator))


def _orm_directory_page(
    city: City, filters: DirectoryFilters, number: int, per_page: int
) -> DirectoryPage:
    """`directory_page` through the ORM, for databases other than PostgreSQL."""
    summary = directory_summary(filtered_people(city, filters))
    paginator = Paginator(directory_people(city, filters), per_page)
    paginator.count = summary.total
    page = paginator.get_page(number)
    rows = [
        DirectoryRow(
            pk=person.pk,
            full_name=person.full_name,
            role_title=person.role_title,
            leg=person.leg,
            sector_id=person.sector_id,
            organisation_id=person.organisation_id,
            email=person.email,
            phone=person.phone,
            consent_to_contact=person.consent_to_contact,
            email_bounced=person.email_bounced_at is not None,
            levels=person.prevention_levels,
            focus_areas=[area.name for area in person.focus_areas.all()],
            seats=[(seat.group.name, seat.role) for seat in person.current_memberships],
            initiatives=[initiative.name for initiative in person.initiatives.all()],
        )
        for person in page.object_list
    ]
    return DirectoryPage(rows=rows, summary=summary, page=Page(rows, page.number, paginator))
