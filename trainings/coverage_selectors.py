"""Training coverage: which modules a city's working groups have completed, by leg.

Counted over the *current* members of the city's working groups (Membership with no end
date), each person once per city and in their own leg, whatever group(s) they sit in. A
member "has completed" a module when they hold a Completion of it, by any method. When the
module asks for a refresher (`refresher_months`) and the member's latest completion is older
than that, the completion still counts but is shown apart as "due for a refresher".

A member is *trained* once they hold a completion of every foundational module; a member with
no completion of any foundational module is *not yet trained* (the list coordinators see).

When a leg lags, plainly (LAG_* below; only legs with members are judged, and only once
foundational modules exist):
- none of its members has completed any foundational module; or
- its share of trained members is under half of the best leg's share; or
- its share is under a quarter once the city has held a training session (the city has had
  its chance to train people; a quarter is the least we look for after that).

Every number comes from grouped SQL in a constant number of queries, whatever the number of
cities, people or completions (on PostgreSQL one query counts both the legs and the modules,
`_counts_sql`; elsewhere the ORM's two): `coverage_for_cities` serves one city and the
1,000-city dashboard alike, and `city_coverage` adds the list of who is not yet trained. No
Python loop walks completions or members.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from stakeholders.models import City, Leg, Person
from trainings.models import Completion, TrainingModule
from workinggroups.models import Convening, ConveningStatus, Membership, WorkingGroup

# A leg lags when its trained share is under this fraction of the best leg's share...
LAG_RELATIVE = 0.5
# ... or under this share once the city has held a training session.
LAG_FLOOR = 0.25

# Why a leg lags (LegCoverage.reasons), as codes: the page and the mail word them.
NONE_TRAINED = "none_trained"
BELOW_HALF_OF_BEST = "below_half_of_best"
BELOW_FLOOR_AFTER_SESSION = "below_floor_after_session"


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, clamped to the month's end (31 March - 1 = 28/29 Feb)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def percent(part: int, whole: int) -> int:
    """A share as a whole percent, rounded down so "100%" always means everyone."""
    return (100 * part) // whole if whole else 0


@dataclass(frozen=True)
class ModuleInfo:
    pk: int
    slug: str
    title: str
    is_foundational: bool
    refresher_months: int | None


@dataclass(frozen=True)
class ModuleCell:
    """One module in one leg: how many of the leg's members completed it."""

    leg: str
    members: int
    completed: int  # any completion, fresh or due for a refresher
    due: int  # of those, whose latest completion is older than the refresher period

    @property
    def current(self) -> int:
        return self.completed - self.due

    @property
    def share(self) -> int:
        return percent(self.completed, self.members)

    @property
    def current_share(self) -> int:
        return percent(self.current, self.members)

    @property
    def due_share(self) -> int:
        # What the bar draws after the fresh part; the two never pass 100 together.
        return percent(self.completed, self.members) - percent(self.current, self.members)


@dataclass(frozen=True)
class ModuleRow:
    module: ModuleInfo
    cells: tuple[ModuleCell, ...]  # in Leg order


@dataclass(frozen=True)
class LegCoverage:
    leg: str
    members: int
    trained: int  # completed every foundational module
    started: int  # completed at least one foundational module
    reasons: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return str(Leg(self.leg).label)

    @property
    def share(self) -> int:
        return percent(self.trained, self.members)

    @property
    def not_yet_trained(self) -> int:
        return self.members - self.started

    @property
    def lags(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class CityCoverage:
    city_id: int
    modules: tuple[ModuleRow, ...]  # foundational first, then by title
    legs: tuple[LegCoverage, ...]  # in Leg order
    foundational_count: int
    held_session: bool
    # Filled by city_coverage only (names are for the city's coordinators and staff).
    not_yet_trained: tuple = field(default=(), compare=False)

    @property
    def members(self) -> int:
        return sum(leg.members for leg in self.legs)

    @property
    def lagging_legs(self) -> list[LegCoverage]:
        return [leg for leg in self.legs if leg.lags]

    @property
    def best_leg(self) -> LegCoverage | None:
        judged = [leg for leg in self.legs if leg.members]
        return max(judged, key=lambda leg: leg.trained / leg.members) if judged else None

    def leg(self, value: str) -> LegCoverage:
        return next(leg for leg in self.legs if leg.leg == value)


def lag_reasons(
    *, members: int, trained: int, started: int, best_share: float, held_session: bool
) -> tuple[str, ...]:
    """Why a leg lags (codes, most telling first); empty when it does not."""
    if not members:
        return ()
    share = trained / members
    reasons = []
    if started == 0:
        reasons.append(NONE_TRAINED)
    if share < LAG_RELATIVE * best_share:
        reasons.append(BELOW_HALF_OF_BEST)
    if held_session and share < LAG_FLOOR:
        reasons.append(BELOW_FLOOR_AFTER_SESSION)
    return tuple(reasons)


@dataclass(frozen=True)
class LagWords:
    """The sentences `lag_sentence` fills in and the legs' labels, translated: a page that
    words many legs asks for them once (`lag_words()`), not once per leg."""

    none_trained: str
    below_half_of_best: str
    below_floor_after_session: str
    labels: dict[str, str]


def lag_words() -> LagWords:
    return LagWords(
        none_trained=_("None of its %(n)d members has completed a foundational module yet."),
        below_half_of_best=_(
            "%(share)d%% of its members have completed every foundational module, "
            "under half of %(best)s (%(best_share)d%%)."
        ),
        below_floor_after_session=_(
            "Only %(share)d%% of its members have completed every foundational module, "
            "although the city has held a training session: a quarter is the least to "
            "aim for by now."
        ),
        labels={leg.value: str(leg.label) for leg in Leg},
    )


def lag_sentence(leg: LegCoverage, coverage: CityCoverage, words: LagWords | None = None) -> str:
    """The reasons a leg lags, in plain words (for the page and the mail)."""
    words = words or lag_words()
    best = coverage.best_leg
    parts = []
    for reason in leg.reasons:
        if reason == NONE_TRAINED:
            parts.append(words.none_trained % {"n": leg.members})
        elif reason == BELOW_HALF_OF_BEST and best is not None:
            parts.append(
                words.below_half_of_best
                % {"share": leg.share, "best": words.labels[best.leg], "best_share": best.share}
            )
        elif reason == BELOW_FLOOR_AFTER_SESSION:
            parts.append(words.below_floor_after_session % {"share": leg.share})
    return " ".join(parts)


# Advice when a leg lags: what usually keeps that leg away from trainings.
LEG_ADVICE = {
    Leg.MAYOR_COUNCIL: _(
        "Offer a short session just before or after a council meeting, or the self-paced "
        "materials with a follow-up conversation with the city lead."
    ),
    Leg.CITY_STAFF: _(
        "Hold a session in working hours and ask department heads to release their staff for it."
    ),
    Leg.COMMUNITY: _(
        "Hold a session in the evening or at a weekend, in a community venue, and say "
        "whether travel or childcare costs can be covered."
    ),
    Leg.LAW_ENFORCEMENT: _(
        "Schedule a session at a time officers can attend, such as a shift change or "
        "in-service training hours, and ask the department to count it as training time."
    ),
}


def leg_advice(leg: str) -> str:
    return str(LEG_ADVICE.get(leg, ""))


def _modules(foundational_only: bool) -> list[ModuleInfo]:
    modules = TrainingModule.objects.order_by("-is_foundational", "title")
    if foundational_only:
        modules = modules.filter(is_foundational=True)
    return [
        ModuleInfo(
            pk=m["pk"],
            slug=m["slug"],
            title=m["title"],
            is_foundational=m["is_foundational"],
            refresher_months=m["refresher_months"],
        )
        for m in modules.values("pk", "slug", "title", "is_foundational", "refresher_months")
    ]


def _fresh(modules: list[ModuleInfo], today: date, prefix: str) -> Q:
    """Completions not yet due for a refresher: one date per module, worked out here so
    the query stays plain SQL on any database."""
    fresh = Q(**{f"{prefix}module__refresher_months__isnull": True})
    for module in modules:
        if module.refresher_months:
            since = months_before(today, module.refresher_months)
            fresh |= Q(**{f"{prefix}module_id": module.pk, f"{prefix}completed_on__gte": since})
    return fresh


def _current_memberships(city_ids: list[int]):
    return Membership.objects.filter(ended_on__isnull=True, group__city_id__in=city_ids)


def _counts_orm(
    city_ids: list[int], modules: list[ModuleInfo], today: date
) -> tuple[list[dict], list[dict]]:
    """The legs' rows and the modules' rows (see `_counts`) with the ORM, in two queries:
    what SQLite reads (`make run` on a bare machine)."""
    foundational = [m for m in modules if m.is_foundational]
    # Per member, one EXISTS per foundational module, each a probe of the (person, module)
    # index: "trained" holds them all, "started" any.
    completed = {
        f"done_{module.pk}": Exists(
            Completion.objects.filter(person_id=OuterRef("person_id"), module_id=module.pk)
        )
        for module in foundational
    }
    started = Exists(
        Completion.objects.filter(
            person_id=OuterRef("person_id"), module_id__in=[m.pk for m in foundational]
        )
    )
    every = Q()
    for name in completed:
        every &= Q(**{name: True})
    legs_rows = (
        _current_memberships(city_ids)
        .alias(any_done=started, **completed)
        .order_by()
        .values("group__city_id", "person__leg")
        .annotate(
            members=Count("person_id", distinct=True),
            started=Count("person_id", distinct=True, filter=Q(any_done=True)),
            # With no foundational module nobody is "trained": there is nothing to judge.
            trained=Count("person_id", distinct=True, filter=every if completed else Q(pk=None)),
        )
    )
    legs = [
        {
            "city_id": row["group__city_id"],
            "leg": row["person__leg"],
            "members": row["members"],
            "started": row["started"],
            "trained": row["trained"],
        }
        for row in legs_rows
    ]
    if not modules:
        return legs, []
    prefix = "person__completions__"
    module_rows = (
        _current_memberships(city_ids)
        .filter(**{f"{prefix}module_id__in": [m.pk for m in modules]})
        .order_by()
        .values("group__city_id", "person__leg", f"{prefix}module_id")
        .annotate(
            completed=Count("person_id", distinct=True),
            fresh=Count("person_id", distinct=True, filter=_fresh(modules, today, prefix)),
        )
    )
    per_module = [
        {
            "city_id": row["group__city_id"],
            "leg": row["person__leg"],
            "module_id": row[f"{prefix}module_id"],
            "completed": row["completed"],
            "fresh": row["fresh"],
        }
        for row in module_rows
    ]
    return legs, per_module


def _counts_sql() -> str:
    """The one PostgreSQL query behind `_counts` (table names from the models; values are
    parameters).

    Each current member is taken once per city (`members`, DISTINCT: someone may sit in
    several of a city's groups), then their completions of the modules asked for are read
    with one probe of the (person, module, completed_on) index each (LATERAL: planners
    otherwise hash every completion of the modules, 50,000 rows for 1,300 members), one
    row per module completed with its latest date, or one row with no module. Both
    groupings read that: per leg (members; started: any foundational module; trained:
    every one) and per leg and module (completed; fresh: the latest completion is within
    the module's refresher period, when it has one).

    The earlier ORM shape counted DISTINCT people over the membership x completion join,
    in two queries that each found the members again: 2.7x the database time for a page of
    fifty cities of the bench.
    """
    group = WorkingGroup._meta.db_table
    membership = Membership._meta.db_table
    person = Person._meta.db_table
    completion = Completion._meta.db_table
    # Table names only; every value is a parameter.
    return f"""
        WITH members AS (
            SELECT DISTINCT g.city_id, m.person_id, p.leg
            FROM "{group}" g
            JOIN "{membership}" m ON m.group_id = g.id AND m.ended_on IS NULL
            JOIN "{person}" p ON p.id = m.person_id
            WHERE g.city_id = ANY(%(cities)s::bigint[])
        ),
        completed AS MATERIALIZED (
            SELECT mb.city_id, mb.leg, mb.person_id, c.module_id, c.latest
            FROM members mb
            LEFT JOIN LATERAL (
                SELECT module_id, MAX(completed_on) AS latest
                FROM "{completion}"
                WHERE person_id = mb.person_id AND module_id = ANY(%(modules)s::bigint[])
                GROUP BY module_id
            ) c ON true
        ),
        per_member AS (
            SELECT city_id, leg, COUNT(module_id) FILTER (
                WHERE module_id = ANY(%(foundational)s::bigint[])
            ) AS foundational_done
            FROM completed
            GROUP BY city_id, leg, person_id
        )
        SELECT city_id, leg, NULL::bigint AS module_id,
            COUNT(*) AS members,
            COUNT(*) FILTER (WHERE foundational_done > 0) AS started,
            COUNT(*) FILTER (
                WHERE foundational_done > 0 AND foundational_done = %(foundational_count)s
            ) AS trained,
            NULL::bigint AS completed, NULL::bigint AS fresh
        FROM per_member
        GROUP BY city_id, leg
        UNION ALL
        SELECT d.city_id, d.leg, d.module_id, NULL, NULL, NULL,
            COUNT(*),
            COUNT(*) FILTER (WHERE r.module_id IS NULL OR d.latest >= r.fresh_since)
        FROM completed d
        LEFT JOIN unnest(%(refresher_modules)s::bigint[], %(fresh_since)s::date[])
            AS r (module_id, fresh_since) ON r.module_id = d.module_id
        WHERE d.module_id IS NOT NULL
        GROUP BY d.city_id, d.leg, d.module_id
    """  # noqa: S608


def _counts(
    city_ids: list[int], modules: list[ModuleInfo], today: date
) -> tuple[list[dict], list[dict]]:
    """Rows per city and leg (members, started, trained) and per city, leg and module
    (completed, fresh): one query on PostgreSQL, two with the ORM elsewhere."""
    if connection.vendor != "postgresql":
        return _counts_orm(city_ids, modules, today)
    foundational = [m.pk for m in modules if m.is_foundational]
    refreshers = [m for m in modules if m.refresher_months]
    params = {
        "cities": city_ids,
        "modules": [m.pk for m in modules],
        "foundational": foundational,
        "foundational_count": len(foundational),
        # The day from which a completion is still fresh, per module with a refresher.
        "refresher_modules": [m.pk for m in refreshers],
        "fresh_since": [months_before(today, m.refresher_months) for m in refreshers],
    }
    legs, per_module = [], []
    with connection.cursor() as cursor:
        cursor.execute(_counts_sql(), params)
        for city_id, leg, module_id, members, started, trained, completed, fresh in cursor:
            if module_id is None:
                legs.append(
                    {
                        "city_id": city_id,
                        "leg": leg,
                        "members": members,
                        "started": started,
                        "trained": trained,
                    }
                )
            else:
                per_module.append(
                    {
                        "city_id": city_id,
                        "leg": leg,
                        "module_id": module_id,
                        "completed": completed,
                        "fresh": fresh,
                    }
                )
    return legs, per_module


def coverage_for_cities(
    city_ids: Iterable[int], *, today: date | None = None, foundational_only: bool = False
) -> dict[int, CityCoverage]:
    """Coverage of each city in `city_ids`, keyed by city id, in three queries whatever
    their number (four on SQLite): the modules, the counts per leg and per leg and module
    (`_counts`), and which cities held a training session.

    `foundational_only` leaves the other modules out of `modules` (the legs' figures only
    ever use the foundational ones); the dashboard and the nudges need no more.
    """
    city_ids = sorted(set(city_ids))
    if not city_ids:
        return {}
    today = today or timezone.localdate()
    modules = _modules(foundational_only)
    foundational_count = sum(1 for m in modules if m.is_foundational)

    legs_rows, module_rows = _counts(city_ids, modules, today)
    per_leg: dict[int, dict[str, dict]] = defaultdict(dict)
    for row in legs_rows:
        per_leg[row["city_id"]][row["leg"]] = row
    per_module: dict[tuple[int, str, int], dict] = {
        (row["city_id"], row["leg"], row["module_id"]): row for row in module_rows
    }

    # Per group, EXISTS stops at its first held training session; joining every convening
    # read about 10,000 of them for a page of fifty cities.
    held_training = Convening.objects.filter(
        group_id=OuterRef("pk"), kind=Convening.Kind.TRAINING, status=ConveningStatus.HELD
    )
    held = set(
        WorkingGroup.objects.filter(Exists(held_training), city_id__in=city_ids)
        .order_by()
        .values_list("city_id", flat=True)
        .distinct()
    )

    result = {}
    for city_id in city_ids:
        counts = per_leg.get(city_id, {})
        raw = {
            leg.value: (
                counts.get(leg.value, {}).get("members", 0),
                counts.get(leg.value, {}).get("trained", 0),
                counts.get(leg.value, {}).get("started", 0),
            )
            for leg in Leg
        }
        shares = [trained / members for members, trained, _started in raw.values() if members]
        best_share = max(shares, default=0.0)
        legs = tuple(
            LegCoverage(
                leg=leg,
                members=members,
                trained=trained,
                started=started,
                reasons=lag_reasons(
                    members=members,
                    trained=trained,
                    started=started,
                    best_share=best_share,
                    held_session=city_id in held,
                )
                if foundational_count
                else (),
            )
            for leg, (members, trained, started) in raw.items()
        )
        rows = []
        for module in modules:
            cells = []
            for leg in legs:
                found = per_module.get((city_id, leg.leg, module.pk), {})
                completed = found.get("completed", 0)
                cells.append(
                    ModuleCell(
                        leg=leg.leg,
                        members=leg.members,
                        completed=completed,
                        due=completed - found.get("fresh", 0),
                    )
                )
            rows.append(ModuleRow(module=module, cells=tuple(cells)))
        result[city_id] = CityCoverage(
            city_id=city_id,
            modules=tuple(rows),
            legs=legs,
            foundational_count=foundational_count,
            held_session=city_id in held,
        )
    return result


@dataclass(frozen=True)
class UntrainedMember:
    pk: int
    full_name: str
    leg: str
    role_title: str
    organisation: str

    @property
    def leg_label(self) -> str:
        return str(Leg(self.leg).label)


def not_yet_trained(city: City) -> list[UntrainedMember]:
    """Current members of the city's working groups with no completion of any foundational
    module, by name (one query)."""
    people = (
        Person.objects.filter(
            memberships__ended_on__isnull=True, memberships__group__city_id=city.pk
        )
        .exclude(completions__module__is_foundational=True)
        .distinct()
        .order_by("full_name", "pk")
        .values("pk", "full_name", "leg", "role_title", "organisation__name")
    )
    return [
        UntrainedMember(
            pk=p["pk"],
            full_name=p["full_name"],
            leg=p["leg"],
            role_title=p["role_title"],
            organisation=p["organisation__name"] or "",
        )
        for p in people
    ]


def city_coverage(city: City, *, today: date | None = None) -> CityCoverage:
    """One city's coverage (every module), with who is not yet trained (four queries; five
    on SQLite)."""
    coverage = coverage_for_cities([city.pk], today=today)[city.pk]
    untrained = tuple(not_yet_trained(city)) if coverage.foundational_count else ()
    return CityCoverage(
        city_id=coverage.city_id,
        modules=coverage.modules,
        legs=coverage.legs,
        foundational_count=coverage.foundational_count,
        held_session=coverage.held_session,
        not_yet_trained=untrained,
    )


def cities_with_lagging_legs(
    city_ids: Iterable[int] | None = None, *, today: date | None = None, batch: int = 500
):
    """(city id, CityCoverage) of every city with a lagging leg, by batches of city ids (a
    few queries a batch; memory bounded by a batch)."""
    ids = list(
        City.objects.order_by("pk").values_list("pk", flat=True)
        if city_ids is None
        else sorted(set(city_ids))
    )
    for start in range(0, len(ids), batch):
        chunk = coverage_for_cities(ids[start : start + batch], today=today, foundational_only=True)
        for city_id, coverage in chunk.items():
            if coverage.lagging_legs:
                yield city_id, coverage
