"""Each city's place on the SCN toolkit's path: which milestones are reached, since when, and
how we know (derived from the records, or recorded with evidence).

The interface below (MilestoneStatus, DERIVED, RECORDABLE, milestone_paths) is what the
dashboard summary and the reports call; keep it.

How each derived milestone is read from the records (dates are the city's own calendar days):
- directory_compiled: the stakeholder directory has people in all four legs; reached on the
  day the last leg got its first person (the latest of the four legs' earliest created_at).
- group_formed: one working group whose *current* members (no end date) cover all four legs;
  reached on the day the last leg's earliest current member joined (a group's date is the
  latest of its four legs' earliest started_on; the city's is its earliest group's).
- first_convening: the start of the city's first held convening (any group, any kind).
- foundational_training: the start of the first held training session that covered a
  foundational module.
- first_briefing: the first landscape briefing delivery sent to a person of the city
  (Delivery keeps a copy of the city, so erasing a person does not undo it).
- framework_drafted / _reviewed / _adopted: the earliest drafted_on, reviewed_on and
  adopted_on over the city's framework versions (a superseded version was still adopted);
  a version adopted without a recorded review counts as reviewed on its adoption day.
- team_quarterly: held convenings of a City Prevention Team (the standing team the toolkit's
  step 6 asks for, not the time-limited Local Leadership Group) in each of the last four
  completed calendar quarters. Quarters are UTC calendar quarters: a convening in the last
  evening of a quarter in Denver may count for the next one, which is close enough for a
  quarterly rhythm and keeps the query one grouped read. Reached on the last day of the 4th
  quarter of the unbroken streak that runs to the last completed quarter: a streak that
  breaks is no longer "meeting at least quarterly" (the milestone is a standing state).
- budget_line: the city has a dedicated budget line; reached on the first day of the
  earliest fiscal year with a line (fiscal years as stakeholders.institution_selectors reads
  them), or today when that fiscal year has not started yet (the line is secured already).

Every query is one grouped read over all the requested cities: the count does not grow with
the number of cities (tests/test_milestones.py proves it), so the 1,000-city dashboard
summary and the funder's reports can call it at once.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Min, OuterRef, Subquery
from django.db.models.functions import TruncQuarter
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_noop as N_

from stakeholders.models import BudgetLine, City, Leg, Person
from workinggroups.models import (
    Convening,
    ConveningStatus,
    FrameworkVersion,
    GroupKind,
    Membership,
    Milestone,
    MilestoneRecord,
)

# Proved by the records; never typed in. The rest are recorded with a date and evidence.
DERIVED: frozenset[str] = frozenset(
    {
        Milestone.DIRECTORY_COMPILED,
        Milestone.GROUP_FORMED,
        Milestone.FIRST_CONVENING,
        Milestone.FOUNDATIONAL_TRAINING,
        Milestone.FIRST_BRIEFING,
        Milestone.FRAMEWORK_DRAFTED,
        Milestone.FRAMEWORK_REVIEWED,
        Milestone.FRAMEWORK_ADOPTED,
        Milestone.TEAM_QUARTERLY,
        Milestone.BUDGET_LINE,
    }
)
RECORDABLE: frozenset[str] = frozenset(Milestone.values) - DERIVED

# How many completed quarters in a row make "meeting at least quarterly".
QUARTERS_IN_A_ROW = 4


@dataclass(frozen=True)
class MilestoneStatus:
    milestone: str  # a Milestone value
    label: str
    reached_on: date | None  # None: not reached yet
    derived: bool
    # One line that says how we know, e.g. "First held convening: 12 June 2024" or
    # "Recorded with a link as evidence"; empty when not reached.
    source: str
    # Where the records behind it can be seen (every figure traceable to its records).
    href: str
    record_id: int | None = None  # the MilestoneRecord, for recorded milestones

    @property
    def reached(self) -> bool:
        return self.reached_on is not None

    @property
    def recordable(self) -> bool:
        return self.milestone in RECORDABLE


def _local(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


# --- Quarters ---------------------------------------------------------------------------------


def quarter_index(day: date) -> int:
    """Quarters counted from year 0, so consecutive quarters differ by one."""
    return day.year * 4 + (day.month - 1) // 3


def quarter_start(index: int) -> date:
    year, quarter = divmod(index, 4)
    return date(year, quarter * 3 + 1, 1)


def quarter_end(index: int) -> date:
    return quarter_start(index + 1) - timedelta(days=1)


def quarterly_streak(held_quarters: set[int], today: date) -> tuple[int, int | None]:
    """(length of the unbroken run of quarters with a held convening that ends with the last
    completed quarter, the index of the quarter in which it reached QUARTERS_IN_A_ROW)."""
    last_completed = quarter_index(today) - 1
    length, current = 0, last_completed
    while current in held_quarters:
        length += 1
        current -= 1
    if length < QUARTERS_IN_A_ROW:
        return length, None
    first = last_completed - length + 1
    return length, first + QUARTERS_IN_A_ROW - 1


# --- The reads (one query each, for every city at once) --------------------------------------


def _cities(ids: list[int]) -> list[dict]:
    """The cities with their first held convening and first foundational training session.

    A correlated subquery per city row picks each record (so the milestone links to it, which
    a grouped MIN could not); it walks the city's groups' convenings by index. Only the ids
    come from the subqueries (each column of a subquery would run it again per city); one
    more query reads the picked convenings' start and title.
    """
    held = Convening.objects.filter(group__city_id=OuterRef("pk"), status=ConveningStatus.HELD)
    first = held.order_by("starts_at", "pk").values("pk")[:1]
    training = (
        held.filter(kind=Convening.Kind.TRAINING, training_session__modules__is_foundational=True)
        .order_by("starts_at", "pk")
        .values("pk")[:1]
    )
    cities = list(
        City.objects.filter(pk__in=ids)
        .annotate(first_convening_id=Subquery(first), first_training_convening=Subquery(training))
        .values("pk", "slug", "time_zone", "first_convening_id", "first_training_convening")
        .order_by()
    )
    picked = {city["first_convening_id"] for city in cities} | {
        city["first_training_convening"] for city in cities
    }
    picked.discard(None)
    details = {
        row["pk"]: row
        for row in Convening.objects.filter(pk__in=picked).values(
            "pk", "starts_at", "title", "training_session__pk"
        )
    }
    for city in cities:
        first_row = details.get(city["first_convening_id"])
        training_row = details.get(city["first_training_convening"])
        city["first_convening_at"] = first_row["starts_at"] if first_row else None
        city["first_convening_title"] = first_row["title"] if first_row else ""
        city["first_training_id"] = training_row["training_session__pk"] if training_row else None
        city["first_training_at"] = training_row["starts_at"] if training_row else None
        city["first_training_title"] = training_row["title"] if training_row else ""
    return cities


def _directory(ids: list[int]) -> dict[int, dict[str, tuple[datetime, int]]]:
    rows = (
        Person.objects.filter(city_id__in=ids)
        .values("city_id", "leg")
        .annotate(first=Min("created_at"), people=Count("pk"))
        .order_by()
    )
    legs: dict[int, dict[str, tuple[datetime, int]]] = defaultdict(dict)
    for row in rows:
        legs[row["city_id"]][row["leg"]] = (row["first"], row["people"])
    return legs


def _groups(ids: list[int]) -> dict[int, dict[tuple[int, str], dict[str, date]]]:
    rows = (
        Membership.objects.filter(group__city_id__in=ids, ended_on__isnull=True)
        .values("group__city_id", "group_id", "group__name", "person__leg")
        .annotate(first=Min("started_on"))
        .order_by()
    )
    groups: dict[int, dict[tuple[int, str], dict[str, date]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for row in rows:
        key = (row["group_id"], row["group__name"])
        groups[row["group__city_id"]][key][row["person__leg"]] = row["first"]
    return groups


def _briefings(ids: list[int]) -> dict[int, tuple[datetime, int]]:
    # A grouped MIN in one pass over the sent deliveries: a per-city "first row" subquery
    # would scan the deliveries once per city, as no index starts with the city.
    from briefings.models import Delivery, DeliveryStatus

    rows = (
        Delivery.objects.filter(city_id__in=ids, status=DeliveryStatus.SENT)
        .values("city_id")
        .annotate(first=Min("sent_at"), briefings=Count("briefing_id", distinct=True))
        .order_by()
    )
    return {row["city_id"]: (row["first"], row["briefings"]) for row in rows}


def _frameworks(ids: list[int]) -> dict[int, list[dict]]:
    # A city keeps a handful of versions: reading them whole is cheaper than three MINs
    # that could not say which version or instrument.
    rows = (
        FrameworkVersion.objects.filter(city_id__in=ids)
        .values(
            "city_id",
            "number",
            "status",
            "drafted_on",
            "reviewed_on",
            "adopted_on",
            "adoption_instrument",
        )
        .order_by("city_id", "number")
    )
    versions: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        versions[row["city_id"]].append(row)
    return versions


def _team_quarters(ids: list[int], before: date) -> dict[int, set[int]]:
    start_of_current = datetime(before.year, before.month, before.day, tzinfo=UTC)
    rows = (
        Convening.objects.filter(
            group__city_id__in=ids,
            group__kind=GroupKind.CITY_PREVENTION_TEAM,
            status=ConveningStatus.HELD,
            starts_at__lt=start_of_current,
        )
        .annotate(quarter=TruncQuarter("starts_at", tzinfo=UTC))
        .values("group__city_id", "quarter")
        .distinct()
        .order_by()
    )
    quarters: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        quarters[row["group__city_id"]].add(quarter_index(row["quarter"].date()))
    return quarters


def _budget(ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = (
        BudgetLine.objects.filter(city_id__in=ids)
        .values("city_id")
        .annotate(first=Min("fiscal_year"), lines=Count("pk"))
        .order_by()
    )
    return {row["city_id"]: (row["first"], row["lines"]) for row in rows}


def _records(ids: list[int]) -> dict[int, dict[str, MilestoneRecord]]:
    records: dict[int, dict[str, MilestoneRecord]] = defaultdict(dict)
    for record in MilestoneRecord.objects.filter(city_id__in=ids).only(
        "pk", "city_id", "milestone", "reached_on", "evidence_url", "evidence_document"
    ):
        records[record.city_id][record.milestone] = record
    return records


# --- Putting a city's path together ----------------------------------------------------------


def fiscal_year_start(fiscal_year: int) -> date:
    from stakeholders.institution_selectors import FISCAL_YEAR_START_MONTH

    if FISCAL_YEAR_START_MONTH == 1:
        return date(fiscal_year, 1, 1)
    return date(fiscal_year - 1, FISCAL_YEAR_START_MONTH, 1)


class _Memo:
    """Words, days and links computed once per call, not once per city: for 1,000 cities,
    gettext, date formatting and reverse() dominated the time otherwise."""

    SLUG = "--slug--"
    PK = 987654321

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.days: dict[date, str] = {}
        self.templates: dict[tuple[str, str], str] = {}
        self.labels = {key: str(Milestone(key).label) for key in Milestone.values}
        self.legs = {leg: str(Leg(leg).label) for leg in Leg.values}

    def t(self, message: str) -> str:
        text = self.texts.get(message)
        if text is None:
            text = self.texts[message] = gettext(message)
        return text

    def day(self, value: date) -> str:
        text = self.days.get(value)
        if text is None:
            text = self.days[value] = formats.date_format(value, "j F Y")
        return text

    def url(self, name: str, slug: str) -> str:
        template = self.templates.get((name, "slug"))
        if template is None:
            template = reverse(name, kwargs={"slug": self.SLUG})
            self.templates[(name, "slug")] = template
        return template.replace(self.SLUG, slug)

    def url_pk(self, name: str, kwarg: str, pk: int) -> str:
        template = self.templates.get((name, kwarg))
        if template is None:
            template = reverse(name, kwargs={kwarg: self.PK})
            self.templates[(name, kwarg)] = template
        return template.replace(str(self.PK), str(pk))

    def leg_list(self, counts: dict[str, int]) -> str:
        return ", ".join(f"{self.legs[leg]}: {counts.get(leg, 0)}" for leg in Leg.values)


class _Path:
    """Builds one city's fourteen statuses from the rows read for every city."""

    def __init__(self, city: dict, today: date, memo: _Memo) -> None:
        self.memo = memo
        self.city = city
        self.zone = ZoneInfo(city["time_zone"])
        self.today = today
        self.slug = city["slug"]

    def url(self, name: str) -> str:
        return self.memo.url(name, self.slug)

    def directory(self, legs: dict[str, tuple[datetime, int]]):
        if len(legs) < len(Leg.values):
            return None, ""
        reached = max(_local(first, self.zone) for first, _people in legs.values())
        counts = {leg: people for leg, (_first, people) in legs.items()}
        return reached, self.memo.t(N_("People in all four legs since %(day)s (%(legs)s)")) % {
            "day": self.memo.day(reached),
            "legs": self.memo.leg_list(counts),
        }

    def group(self, groups: dict[tuple[int, str], dict[str, date]]):
        best = None
        for (_pk, name), legs in groups.items():
            if len(legs) < len(Leg.values):
                continue
            formed = max(legs.values())
            if best is None or formed < best[0]:
                best = (formed, name)
        if best is None:
            return None, ""
        return best[0], self.memo.t(
            N_("%(group)s has current members in all four legs since %(day)s")
        ) % {
            "group": best[1],
            "day": self.memo.day(best[0]),
        }

    def framework(self, versions: list[dict]) -> dict[str, tuple[date | None, str]]:
        drafted = [(v["drafted_on"], v) for v in versions if v["drafted_on"]]
        adopted = [(v["adopted_on"], v) for v in versions if v["adopted_on"]]
        reviewed = [(v["reviewed_on"], v) for v in versions if v["reviewed_on"]]
        result: dict[str, tuple[date | None, str]] = {}
        if drafted:
            day, version = min(drafted, key=lambda pair: (pair[0], pair[1]["number"]))
            result[Milestone.FRAMEWORK_DRAFTED] = (
                day,
                self.memo.t(N_("Version %(number)s drafted on %(day)s"))
                % {"number": version["number"], "day": self.memo.day(day)},
            )
        first_adoption = min(adopted, key=lambda pair: pair[0]) if adopted else None
        if reviewed:
            day, version = min(reviewed, key=lambda pair: pair[0])
            if first_adoption and first_adoption[0] < day:
                reviewed = []
            else:
                result[Milestone.FRAMEWORK_REVIEWED] = (
                    day,
                    self.memo.t(N_("Version %(number)s reviewed on %(day)s"))
                    % {"number": version["number"], "day": self.memo.day(day)},
                )
        if first_adoption:
            day, version = first_adoption
            instrument = FrameworkVersion.Instrument(version["adoption_instrument"]).label
            result[Milestone.FRAMEWORK_ADOPTED] = (
                day,
                self.memo.t(N_("Version %(number)s adopted on %(day)s by %(instrument)s"))
                % {
                    "number": version["number"],
                    "day": self.memo.day(day),
                    "instrument": instrument,
                },
            )
            if not reviewed:
                result[Milestone.FRAMEWORK_REVIEWED] = (
                    day,
                    self.memo.t(
                        N_("Version %(number)s adopted on %(day)s (no separate review recorded)")
                    )
                    % {"number": version["number"], "day": self.memo.day(day)},
                )
        return result

    def quarterly(self, quarters: set[int]):
        length, quarter = quarterly_streak(quarters, self.today)
        if quarter is None:
            return None, ""
        return quarter_end(quarter), ngettext(
            "The City Prevention Team held convenings in each of the last %(n)s quarter",
            "The City Prevention Team held convenings in each of the last %(n)s quarters",
            length,
        ) % {"n": length}

    def budget(self, budget: tuple[int, int] | None):
        if budget is None:
            return None, ""
        fiscal_year, lines = budget
        reached = min(fiscal_year_start(fiscal_year), self.today)
        return reached, ngettext(
            "%(lines)s budget line, the first for FY%(year)s",
            "%(lines)s budget lines, the first for FY%(year)s",
            lines,
        ) % {"lines": lines, "year": fiscal_year}


def _recorded_source(record: MilestoneRecord, memo: _Memo) -> str:
    if record.evidence_document and record.evidence_url:
        return memo.t(N_("Recorded with a document and a link as evidence"))
    if record.evidence_document:
        return memo.t(N_("Recorded with a document as evidence"))
    return memo.t(N_("Recorded with a link as evidence"))


def milestone_paths(city_ids: Iterable[int]) -> dict[int, list[MilestoneStatus]]:
    """Return each city's fourteen milestones in path order, in a constant number of queries
    whatever the number of cities."""
    ids = sorted(set(city_ids))
    if not ids:
        return {}
    today = timezone.localdate()
    cities = _cities(ids)
    directory = _directory(ids)
    groups = _groups(ids)
    briefings = _briefings(ids)
    frameworks = _frameworks(ids)
    quarters = _team_quarters(ids, quarter_start(quarter_index(today)))
    budgets = _budget(ids)
    records = _records(ids)

    memo = _Memo()
    paths: dict[int, list[MilestoneStatus]] = {}
    for city in cities:
        pk = city["pk"]
        path = _Path(city, today, memo)
        progress = path.url("city_progress")
        derived: dict[str, tuple[date | None, str, str]] = {}

        day, source = path.directory(directory.get(pk, {}))
        derived[Milestone.DIRECTORY_COMPILED] = (day, source, path.url("city_directory"))

        day, source = path.group(groups.get(pk, {}))
        derived[Milestone.GROUP_FORMED] = (day, source, path.url("city_balance"))

        if city["first_convening_id"]:
            day = _local(city["first_convening_at"], path.zone)
            source = memo.t(N_("First held convening: “%(title)s”, %(day)s")) % {
                "title": city["first_convening_title"],
                "day": memo.day(day),
            }
            href = memo.url_pk("convening_detail", "convening_id", city["first_convening_id"])
            derived[Milestone.FIRST_CONVENING] = (day, source, href)
        else:
            derived[Milestone.FIRST_CONVENING] = (None, "", path.url("city_detail"))

        if city["first_training_id"]:
            day = _local(city["first_training_at"], path.zone)
            source = memo.t(
                N_("First held session of a foundational module: “%(title)s”, %(day)s")
            ) % {
                "title": city["first_training_title"],
                "day": memo.day(day),
            }
            href = memo.url_pk("training_session", "session_id", city["first_training_id"])
            derived[Milestone.FOUNDATIONAL_TRAINING] = (day, source, href)
        else:
            derived[Milestone.FOUNDATIONAL_TRAINING] = (
                None,
                "",
                path.url("city_training_coverage"),
            )

        briefing = briefings.get(pk)
        if briefing:
            day = _local(briefing[0], path.zone)
            source = ngettext(
                "First landscape briefing delivered on %(day)s (%(n)s briefing so far)",
                "First landscape briefing delivered on %(day)s (%(n)s briefings so far)",
                briefing[1],
            ) % {"day": memo.day(day), "n": briefing[1]}
            derived[Milestone.FIRST_BRIEFING] = (day, source, path.url("city_activity"))
        else:
            derived[Milestone.FIRST_BRIEFING] = (None, "", path.url("city_activity"))

        framework = path.framework(frameworks.get(pk, []))
        for key in (
            Milestone.FRAMEWORK_DRAFTED,
            Milestone.FRAMEWORK_REVIEWED,
            Milestone.FRAMEWORK_ADOPTED,
        ):
            day, source = framework.get(key, (None, ""))
            derived[key] = (day, source, path.url("city_framework"))

        day, source = path.quarterly(quarters.get(pk, set()))
        derived[Milestone.TEAM_QUARTERLY] = (day, source, path.url("city_detail"))

        day, source = path.budget(budgets.get(pk))
        derived[Milestone.BUDGET_LINE] = (day, source, path.url("city_institution"))

        statuses = []
        city_records = records.get(pk, {})
        for key in Milestone.values:
            label = memo.labels[key]
            if key in DERIVED:
                day, source, href = derived[key]
                statuses.append(MilestoneStatus(key, label, day, True, source, href))
                continue
            record = city_records.get(key)
            href = f"{progress}#milestone-{key}"
            if record is None:
                statuses.append(MilestoneStatus(key, label, None, False, "", href))
            else:
                statuses.append(
                    MilestoneStatus(
                        key,
                        label,
                        record.reached_on,
                        False,
                        _recorded_source(record, memo),
                        href,
                        record_id=record.pk,
                    )
                )
        paths[pk] = statuses
    return paths


def milestone_path(city: City) -> list[MilestoneStatus]:
    """One city's path (the same queries as for many)."""
    return milestone_paths([city.pk]).get(city.pk, [])
