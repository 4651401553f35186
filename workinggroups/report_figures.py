"""The funder's figures for a period and a scope: aggregate counts only.

What is counted (each in the city's own time zone where the record holds a moment):
- convenings held: convenings with status "held" that started in the period, by month;
- participants: distinct people who attended a held convening of the period, by leg (the leg
  copied onto the attendance) and by sector; people erased since are in the attendances by
  leg (rows) but cannot be told apart, so not among the distinct people;
- people trained: distinct people with a training completion dated in the period, by leg;
- training sessions held in the period and the modules they delivered (session x module);
- knowledge change: the self-assessments (before and after) of those sessions, per module:
  how many answered, the mean confidence (1-5) before and after, and the change;
- briefings: landscape briefings delivered (sent) in the period, deliveries by leg, and how
  many of those deliveries have been read;
- milestones reached in the period (workinggroups.milestones), by milestone.

No name, address, phone, organisation or free text of anyone leaves this module: the queries
select only ids, legs, sectors, module ids, counts and sums, and no person's id is written.

Small cells (the rule, and why): a count of 1 or 2 people in one leg or sector of one city
can point at a person in a small city (the one police officer at the table). Such a cell is
held back: shown as "<3" in the PDF, and with an empty value and a note in the CSV. Because
every breakdown sits next to its total (kept: a city's total is not a person), one held-back
cell could be worked out by subtraction; so one more cell of that breakdown is held back with
it: the smallest other one, a zero first (then it still reads "<3", truthfully), else the
next smallest ("*"). Counts of events (convenings, sessions, modules, briefings, milestones)
are not about people and are never held back. Knowledge change: a mean of fewer than three
answers is not shown (trainings.results_selectors.MIN_ANSWERS, the same rule as its pages).

Memory and queries: cities are read in batches (BATCH_SIZE, ordered by name), each batch in
a fixed number of grouped queries whatever its size; the CSV rows of a batch are written
before the next batch is read. Only the running totals (a few hundred numbers) stay.
"""

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import IO

from django.db.models import CharField, Count, DateField, F, Func, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from stakeholders.models import City, Leg, Sector
from workinggroups.models import Attendance, Convening, ConveningStatus, Milestone

BATCH_SIZE = 100
SMALL_CELL = 3
LESS_THAN = "<3"  # shown for a held-back cell whose count is below SMALL_CELL (0 included)
HELD = "*"  # shown for a cell held back only so that a small one cannot be worked out
NOTE_SMALL = "fewer than 3: held back"
NOTE_PROTECT = "held back so that a small count cannot be worked out from the total"
NOTE_MEAN = "fewer than 3 answers: mean held back"

LEGS = list(Leg.values)
MILESTONES = list(Milestone.values)


# --- SQL helpers ---------------------------------------------------------------------------------
class LocalDate(Func):
    """A moment's date in a zone named by another column (each city's own)."""

    arg_joiner = " AT TIME ZONE "
    template = "((%(expressions)s)::date)"
    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra):
        # `make run` on a bare machine: no zone database in SQLite, the UTC date will do.
        sql, params = compiler.compile(self.source_expressions[0])
        return f"DATE({sql})", params


class LocalMonth(Func):
    """A moment's month ("2024-06") in a zone named by another column."""

    arg_joiner = " AT TIME ZONE "
    template = "to_char((%(expressions)s), 'YYYY-MM')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"strftime('%%Y-%%m', {sql})", params


def _in_period(rows: QuerySet, moment: str, zone: str, start: date, end: date) -> QuerySet:
    """Rows whose `moment` falls in the period in the zone of `zone`. A UTC window one day
    wider on each side comes first, so PostgreSQL can use an index on the moment."""
    low = datetime.combine(start - timedelta(days=1), time.min, tzinfo=UTC)
    high = datetime.combine(end + timedelta(days=2), time.min, tzinfo=UTC)
    return (
        rows.filter(**{f"{moment}__gte": low, f"{moment}__lt": high})
        .annotate(local_day=LocalDate(F(moment), F(zone)))
        .filter(local_day__gte=start, local_day__lte=end)
    )


# --- The figures of one city, or of a total ------------------------------------------------------
@dataclass
class Figures:
    convenings_held: int = 0
    convenings_by_month: Counter = field(default_factory=Counter)
    attendances_by_leg: Counter = field(default_factory=Counter)
    participants_by_leg: Counter = field(default_factory=Counter)
    participants_by_sector: Counter = field(default_factory=Counter)
    trained_by_leg: Counter = field(default_factory=Counter)
    training_sessions: int = 0
    modules_delivered: int = 0
    # module id -> [answered before, n before, sum before, answered after, n after, sum after]
    knowledge: dict = field(default_factory=lambda: defaultdict(lambda: [0] * 6))
    briefings_delivered: int = 0
    deliveries_by_leg: Counter = field(default_factory=Counter)
    reads_by_leg: Counter = field(default_factory=Counter)
    milestones: Counter = field(default_factory=Counter)  # milestone -> cities

    @property
    def participants(self) -> int:
        # Each person has one sector: the sectors add up to the distinct people.
        return sum(self.participants_by_sector.values())

    @property
    def people_trained(self) -> int:
        return sum(self.trained_by_leg.values())

    def add(self, other: "Figures") -> None:
        """Add a city's figures to a total."""
        self.convenings_held += other.convenings_held
        self.training_sessions += other.training_sessions
        self.modules_delivered += other.modules_delivered
        self.briefings_delivered += other.briefings_delivered  # replaced by a distinct count
        for name in (
            "convenings_by_month",
            "attendances_by_leg",
            "participants_by_leg",
            "participants_by_sector",
            "trained_by_leg",
            "deliveries_by_leg",
            "reads_by_leg",
            "milestones",
        ):
            getattr(self, name).update(getattr(other, name))
        for module_id, values in other.knowledge.items():
            mine = self.knowledge[module_id]
            for index, value in enumerate(values):
                mine[index] += value


@dataclass(frozen=True)
class Scope:
    """What a report covers: one city (`city_id`) or every city (None), and the period."""

    city_id: int | None
    start: date
    end: date

    def cities(self) -> QuerySet:
        rows = City.objects.all()
        return rows.filter(pk=self.city_id) if self.city_id else rows


@dataclass(frozen=True)
class CityRow:
    pk: int
    name: str
    state: str


def city_batches(scope: Scope, size: int = BATCH_SIZE) -> Iterator[list[CityRow]]:
    """The scope's cities by name, `size` at a time (keyset pages: one query a batch)."""
    last: tuple[str, int] | None = None
    while True:
        rows = scope.cities().order_by("name", "pk")
        if last is not None:
            rows = rows.filter(Q(name__gt=last[0]) | Q(name=last[0], pk__gt=last[1]))
        batch = [CityRow(*row) for row in rows.values_list("pk", "name", "state")[:size]]
        if not batch:
            return
        yield batch
        if len(batch) < size:
            return
        last = (batch[-1].name, batch[-1].pk)


# --- The grouped reads of one batch --------------------------------------------------------------
def _held_convenings(ids: list[int], start: date, end: date) -> QuerySet:
    rows = Convening.objects.filter(group__city_id__in=ids, status=ConveningStatus.HELD)
    return _in_period(rows, "starts_at", "group__city__time_zone", start, end)


def _convenings(ids, start, end, figures: dict[int, Figures]) -> None:
    rows = (
        _held_convenings(ids, start, end)
        .values("group__city_id", month=LocalMonth(F("starts_at"), F("group__city__time_zone")))
        .annotate(held=Count("pk"))
        .order_by()
    )
    for row in rows:
        city = figures[row["group__city_id"]]
        city.convenings_held += row["held"]
        city.convenings_by_month[row["month"]] += row["held"]


def _attendance(ids, start, end, figures: dict[int, Figures]) -> None:
    rows = _in_period(
        Attendance.objects.filter(
            convening__group__city_id__in=ids, convening__status=ConveningStatus.HELD
        ),
        "convening__starts_at",
        "convening__group__city__time_zone",
        start,
        end,
    )
    for row in (
        rows.values("convening__group__city_id", "leg")
        .annotate(visits=Count("pk"), people=Count("person_id", distinct=True))
        .order_by()
    ):
        city = figures[row["convening__group__city_id"]]
        city.attendances_by_leg[row["leg"]] += row["visits"]
        city.participants_by_leg[row["leg"]] += row["people"]
    for row in (
        rows.filter(person__isnull=False)
        .values("convening__group__city_id", "person__sector_id")
        .annotate(people=Count("person_id", distinct=True))
        .order_by()
    ):
        figures[row["convening__group__city_id"]].participants_by_sector[
            row["person__sector_id"]
        ] += row["people"]


def _trained(ids, start, end, figures: dict[int, Figures]) -> None:
    from trainings.models import Completion

    rows = (
        Completion.objects.filter(person__city_id__in=ids, completed_on__range=(start, end))
        .values("person__city_id", "person__leg")
        .annotate(people=Count("person_id", distinct=True))
        .order_by()
    )
    for row in rows:
        figures[row["person__city_id"]].trained_by_leg[row["person__leg"]] += row["people"]


def _session_links(ids, start, end) -> QuerySet:
    """(session, module) pairs of the training sessions held in the period."""
    from trainings.models import TrainingSession

    links = TrainingSession.modules.through.objects.filter(
        trainingsession__convening__group__city_id__in=ids,
        trainingsession__convening__status=ConveningStatus.HELD,
    )
    return _in_period(
        links,
        "trainingsession__convening__starts_at",
        "trainingsession__convening__group__city__time_zone",
        start,
        end,
    )


def _trainings(ids, start, end, figures: dict[int, Figures]) -> None:
    rows = (
        _session_links(ids, start, end)
        .values("trainingsession__convening__group__city_id")
        .annotate(sessions=Count("trainingsession_id", distinct=True), modules=Count("pk"))
        .order_by()
    )
    for row in rows:
        city = figures[row["trainingsession__convening__group__city_id"]]
        city.training_sessions += row["sessions"]
        city.modules_delivered += row["modules"]


def _knowledge(ids, start, end, figures: dict[int, Figures]) -> None:
    """Answers to the sessions' self-assessments, summed per module (two queries).

    An answer is keyed by the objective's position across the session's modules (modules in
    title order, see trainings.session_services.objectives_of); the first query says which
    positions belong to which module, the second sums each position by session and phase.
    """
    from trainings.models import AssessmentPhase, AssessmentRequest
    from trainings.results_selectors import _Answer

    links = _session_links(ids, start, end).order_by(
        "trainingsession_id", "trainingmodule__title", "trainingmodule_id"
    )
    # session -> (city, [(module id, [positions])])
    sessions: dict[int, tuple[int, list[tuple[int, list[int]]]]] = {}
    for session_id, city_id, module_id, objectives in links.values_list(
        "trainingsession_id",
        "trainingsession__convening__group__city_id",
        "trainingmodule_id",
        "trainingmodule__objectives",
    ):
        city_id, modules = sessions.setdefault(session_id, (city_id, []))
        first = sum(len(positions) for _module, positions in modules)
        count = len([line for line in objectives.splitlines() if line.strip()])
        modules.append((module_id, list(range(first, first + count))))
    width = max((sum(len(p) for _m, p in modules) for _c, modules in sessions.values()), default=0)
    sums = {}
    for position in range(width):
        sums[f"s{position}"] = Sum(_Answer(position))
        sums[f"n{position}"] = Count(_Answer(position))
    answers = _in_period(
        AssessmentRequest.objects.filter(
            session__convening__group__city_id__in=ids,
            session__convening__status=ConveningStatus.HELD,
            answered_at__isnull=False,
        ),
        "session__convening__starts_at",
        "session__convening__group__city__time_zone",
        start,
        end,
    )
    for row in (
        answers.values("session_id", "phase").annotate(answered=Count("pk"), **sums).order_by()
    ):
        if row["session_id"] not in sessions:
            continue
        city_id, modules = sessions[row["session_id"]]
        offset = 0 if row["phase"] == AssessmentPhase.BEFORE else 3
        for module_id, positions in modules:
            cell = figures[city_id].knowledge[module_id]
            cell[offset] += row["answered"]
            cell[offset + 1] += sum(row[f"n{p}"] or 0 for p in positions)
            cell[offset + 2] += sum(row[f"s{p}"] or 0 for p in positions)


def _deliveries_sent(ids: list[int] | None, start, end) -> QuerySet:
    from briefings.models import Delivery, DeliveryStatus

    rows = Delivery.objects.filter(status=DeliveryStatus.SENT)
    if ids is not None:
        rows = rows.filter(city_id__in=ids)
    return _in_period(rows, "sent_at", "city__time_zone", start, end)


def _briefings(ids, start, end, figures: dict[int, Figures]) -> None:
    sent = _deliveries_sent(ids, start, end)
    for row in (
        sent.values("city_id", "leg")
        .annotate(sent=Count("pk"), read=Count("pk", filter=Q(read_at__isnull=False)))
        .order_by()
    ):
        city = figures[row["city_id"]]
        city.deliveries_by_leg[row["leg"]] += row["sent"]
        city.reads_by_leg[row["leg"]] += row["read"]
    for row in (
        sent.values("city_id").annotate(briefings=Count("briefing_id", distinct=True)).order_by()
    ):
        figures[row["city_id"]].briefings_delivered = row["briefings"]


def _milestones(ids, start, end, figures: dict[int, Figures]) -> None:
    from workinggroups.milestones import milestone_paths

    for city_id, statuses in milestone_paths(ids).items():
        for status in statuses:
            if status.reached_on is not None and start <= status.reached_on <= end:
                figures[city_id].milestones[status.milestone] = 1


def batch_figures(ids: list[int], start: date, end: date) -> dict[int, Figures]:
    """Every figure of the cities `ids` for the period, in a fixed number of queries."""
    figures = {pk: Figures() for pk in ids}
    for read in (_convenings, _attendance, _trained, _trainings, _knowledge, _briefings):
        read(ids, start, end, figures)
    _milestones(ids, start, end, figures)
    return figures


def briefings_delivered(city_id: int | None, start: date, end: date) -> int:
    """Distinct briefings delivered in the scope (a briefing sent to two cities counts once)."""
    ids = [city_id] if city_id else None
    return _deliveries_sent(ids, start, end).aggregate(n=Count("briefing_id", distinct=True))["n"]


# --- Small cells ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    value: int
    held: str = ""  # "" shown; LESS_THAN or HELD when held back

    @property
    def shown(self) -> str:
        return self.held or str(self.value)

    @property
    def note(self) -> str:
        if not self.held:
            return ""
        return NOTE_SMALL if self.held == LESS_THAN and self.value else NOTE_PROTECT


def protect(counts: dict, keys: list) -> dict:
    """The cells of one breakdown of people (legs, sectors) whose total is shown beside it,
    with the small-cell rule applied (see the module's docstring)."""
    values = {key: int(counts.get(key, 0)) for key in keys}
    small = [key for key in keys if 0 < values[key] < SMALL_CELL]
    held = {key: LESS_THAN for key in small}
    if small:
        others = [key for key in keys if key not in held]
        if others:
            # The smallest other cell (a zero first); ties go to the breakdown's order.
            extra = min(others, key=lambda key: (values[key], keys.index(key)))
            held[extra] = LESS_THAN if values[extra] < SMALL_CELL else HELD
    return {key: Cell(values[key], held.get(key, "")) for key in keys}


def small(value: int) -> Cell:
    """A count of people with no breakdown beside it: held back when 1 or 2."""
    return Cell(value, LESS_THAN if 0 < value < SMALL_CELL else "")


def mean(total: int, count: int) -> float | None:
    return round(total / count, 2) if count >= SMALL_CELL else None


# --- Rows ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Labels:
    """What the rows name: sectors and modules by id (read once per report)."""

    sectors: dict[int, tuple[str, str]]  # id -> (slug, name)
    modules: dict[int, tuple[str, str]]  # id -> (slug, title)

    @classmethod
    def load(cls) -> "Labels":
        from trainings.models import TrainingModule

        return cls(
            sectors={
                pk: (slug, name)
                for pk, slug, name in Sector.objects.order_by("position", "name").values_list(
                    "pk", "slug", "name"
                )
            },
            modules={
                pk: (slug, title)
                for pk, slug, title in TrainingModule.objects.order_by("title").values_list(
                    "pk", "slug", "title"
                )
            },
        )


FIGURE_LABELS = {
    "convenings_held": _("Convenings held"),
    "convenings_held_by_month": _("Convenings held, by month"),
    "attendances": _("Attendances (one person at one convening), by leg"),
    "participants": _("Participants (distinct people who attended), by leg"),
    "participants_by_sector": _("Participants (distinct people who attended), by sector"),
    "people_trained": _("People trained (distinct people who completed a module), by leg"),
    "training_sessions_held": _("Training sessions held"),
    "modules_delivered": _("Modules delivered (a module covered by a held session)"),
    "assessment_answers_before": _("Self-assessments answered before the session"),
    "assessment_answers_after": _("Self-assessments answered after the session"),
    "confidence_before": _("Mean confidence before (1 to 5)"),
    "confidence_after": _("Mean confidence after (1 to 5)"),
    "confidence_change": _("Change in mean confidence"),
    "briefings_delivered": _("Landscape briefings delivered"),
    "briefing_deliveries": _("Briefing deliveries sent, by leg"),
    "briefing_reads": _("Briefing deliveries read, by leg"),
    "milestones_reached": _("Milestones reached in the period"),
}
TOTAL = "total"
CSV_HEADER = [
    "period_start",
    "period_end",
    "city",
    "state",
    "figure",
    "figure_label",
    "category",
    "category_label",
    "value",
    "note",
]


def figure_rows(figures: Figures, labels: Labels) -> Iterator[tuple]:
    """(figure, category, category label, cell) for every figure of one city or a total (whose
    milestones count the cities that reached each)."""
    leg_labels = {leg.value: str(leg.label) for leg in Leg}
    all_legs = str(_("All legs"))

    def legs(figure: str, counts: Counter):
        for leg, cell in protect(counts, LEGS).items():
            yield figure, leg, leg_labels[leg], cell
        yield figure, TOTAL, all_legs, Cell(sum(counts.values()))

    yield "convenings_held", TOTAL, "", Cell(figures.convenings_held)
    for month in sorted(figures.convenings_by_month):
        yield "convenings_held_by_month", month, month, Cell(figures.convenings_by_month[month])
    yield from legs("attendances", figures.attendances_by_leg)
    yield from legs("participants", figures.participants_by_leg)
    sector_ids = list(labels.sectors)
    for pk, cell in protect(figures.participants_by_sector, sector_ids).items():
        slug, name = labels.sectors[pk]
        yield "participants_by_sector", slug, name, cell
    yield from legs("people_trained", figures.trained_by_leg)
    yield "training_sessions_held", TOTAL, "", Cell(figures.training_sessions)
    yield "modules_delivered", TOTAL, "", Cell(figures.modules_delivered)
    for module_id in sorted(figures.knowledge, key=lambda pk: labels.modules[pk][1]):
        slug, title = labels.modules[module_id]
        answered_before, n_before, s_before, answered_after, n_after, s_after = figures.knowledge[
            module_id
        ]
        before, after = mean(s_before, n_before), mean(s_after, n_after)
        yield "assessment_answers_before", slug, title, small(answered_before)
        yield "assessment_answers_after", slug, title, small(answered_after)
        for figure, value in (
            ("confidence_before", before),
            ("confidence_after", after),
            (
                "confidence_change",
                round(after - before, 2) if before is not None and after is not None else None,
            ),
        ):
            yield figure, slug, title, MeanCell(value)
    yield "briefings_delivered", TOTAL, "", Cell(figures.briefings_delivered)
    yield from legs("briefing_deliveries", figures.deliveries_by_leg)
    yield from legs("briefing_reads", figures.reads_by_leg)
    for milestone in Milestone:
        yield (
            "milestones_reached",
            milestone.value,
            str(milestone.label),
            Cell(figures.milestones.get(milestone.value, 0)),
        )


@dataclass(frozen=True)
class MeanCell:
    mean: float | None

    @property
    def held(self) -> str:
        return "" if self.mean is not None else LESS_THAN

    @property
    def shown(self) -> str:
        return LESS_THAN if self.mean is None else f"{self.mean:.2f}"

    @property
    def value(self) -> float | None:
        return self.mean

    @property
    def note(self) -> str:
        return NOTE_MEAN if self.mean is None else ""


def _safe(text: str) -> str:
    # A spreadsheet runs a cell that starts like a formula; city names are not formulas.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class CsvWriter:
    """Writes the report's rows to a text file as they come; counts them."""

    def __init__(self, handle: IO[str], start: date, end: date) -> None:
        self.writer = csv.writer(handle)
        self.period = (start.isoformat(), end.isoformat())
        self.rows = 0
        self.writer.writerow(CSV_HEADER)

    def write(self, city: str, state: str, rows: Iterator[tuple]) -> None:
        labels = {key: str(label) for key, label in FIGURE_LABELS.items()}
        out = []
        for figure, category, category_label, cell in rows:
            value = "" if cell.held else cell.value
            out.append(
                (
                    *self.period,
                    _safe(city),
                    _safe(state),
                    figure,
                    labels[figure],
                    category,
                    _safe(category_label),
                    value,
                    cell.note,
                )
            )
        self.writer.writerows(out)
        self.rows += len(out)


# --- The whole report ----------------------------------------------------------------------------
@dataclass
class Summary:
    """What the PDF needs after the CSV is written: the totals, and where each city's one-line
    summary sits in a side file (so the PDF's city table never holds every city in memory)."""

    total: Figures
    cities: int
    rows: int
    labels: Labels
    city_lines: list[int] = field(default_factory=list)  # file offsets of each chunk


SUMMARY_HEADER = [
    "city",
    "convenings_held",
    "participants",
    "people_trained",
    "modules_delivered",
    "briefing_deliveries",
    "briefing_reads",
    "milestones_reached",
]
SUMMARY_CHUNK = 30  # cities per PDF table chunk


def summary_line(name: str, state: str, figures: Figures) -> list:
    return [
        f"{name}, {state}",
        figures.convenings_held,
        figures.participants,
        figures.people_trained,
        figures.modules_delivered,
        sum(figures.deliveries_by_leg.values()),
        sum(figures.reads_by_leg.values()),
        sum(figures.milestones.values()),
    ]


def write_report(
    scope: Scope,
    csv_handle: IO[str],
    summary_handle: IO[str],
    *,
    on_batch: Callable[[int], None] = lambda done: None,
    batch_size: int = BATCH_SIZE,
) -> Summary:
    """Write the scope's CSV (each city's rows, then, for all cities, the total's rows) and
    the side file of one-line city summaries; call `on_batch(cities done)` after each batch.

    Memory: one batch of figures at a time, plus the running total."""
    labels = Labels.load()
    writer = CsvWriter(csv_handle, scope.start, scope.end)
    summary_writer = csv.writer(summary_handle)
    total, done = Figures(), 0
    offsets: list[int] = []
    for batch in city_batches(scope, batch_size):
        figures = batch_figures([city.pk for city in batch], scope.start, scope.end)
        for city in batch:
            mine = figures[city.pk]
            writer.write(city.name, city.state, figure_rows(mine, labels))
            if done % SUMMARY_CHUNK == 0:
                summary_handle.flush()
                offsets.append(summary_handle.tell())
            summary_writer.writerow(summary_line(city.name, city.state, mine))
            total.add(mine)
            done += 1
        on_batch(done)
    summary_handle.flush()
    total.briefings_delivered = briefings_delivered(scope.city_id, scope.start, scope.end)
    if scope.city_id is None:
        writer.write(str(_("All cities")), "", figure_rows(total, labels))
    return Summary(total=total, cities=done, rows=writer.rows, labels=labels, city_lines=offsets)
