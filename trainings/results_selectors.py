"""What people learned: self-assessment results per session, per module and per city.

Results are the mean confidence (1 to 5) on each objective before and after, the change, by
leg, with the counts of answers. Never a person's answers: those are for network staff only
(`session_answers`). Aggregation happens in the database, grouped by session, phase and leg,
in a constant number of queries whatever the number of sessions or answers: one for the
sessions' modules (to know which objective each stored position is), one for the sums.

Small groups: a mean of fewer than MIN_ANSWERS answers is not shown, only its count, so no
one's answer can be inferred from it; the mean over all legs is not shown either when it
would give away such a leg by subtraction (the legs held back have 1 or 2 answers in all).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, Sum, Value

from stakeholders.models import Leg
from trainings.models import AssessmentPhase, AssessmentRequest, TrainingModule, TrainingSession
from trainings.session_services import Objective, objectives_of
from workinggroups.models import ConveningStatus

MIN_ANSWERS = 3
BEFORE, AFTER = AssessmentPhase.BEFORE.value, AssessmentPhase.AFTER.value
ALL = ""  # the key of the all-legs row


class _Answer(Func):
    """One objective's answer, as an integer, from the confidence JSON.

    Written out rather than with Django's key transforms: those read a digit key ("0") as
    an array index on PostgreSQL, and the answers are keyed by position as text.
    """

    arg_joiner = " ->> "
    template = "CAST(%(expressions)s AS integer)"
    output_field = IntegerField()

    def __init__(self, position: int) -> None:
        super().__init__(F("confidence"), Value(str(position)))
        self.position = position

    def as_sqlite(self, compiler, connection, **extra):
        # `make run` on a bare machine: SQLite's json_extract, with the key as a quoted path.
        path = Func(
            F("confidence"), Value(f'$."{self.position}"'), function="json_extract"
        ).resolve_expression(compiler.query)
        sql, params = compiler.compile(path)
        return f"CAST({sql} AS integer)", params


@dataclass(frozen=True)
class Cell:
    """One phase of one row: how many answered and, when enough did, the mean."""

    count: int
    total: int = 0  # sum of the answers (never shown; the mean is)
    held_back: bool = False

    @property
    def mean(self) -> float | None:
        if self.held_back or not self.count:
            return None
        return round(self.total / self.count, 1)


@dataclass(frozen=True)
class Row:
    leg: str
    label: str
    before: Cell
    after: Cell

    @property
    def change(self) -> float | None:
        if self.before.mean is None or self.after.mean is None:
            return None
        return round(self.after.mean - self.before.mean, 1)


@dataclass
class ObjectiveResult:
    module: TrainingModule
    index: int
    text: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class ModuleResult:
    module: TrainingModule
    objectives: list[ObjectiveResult] = field(default_factory=list)


@dataclass
class Results:
    modules: list[ModuleResult]
    # Answers counted by leg (and all legs): how many answered before and after.
    answered: list[Row]
    min_answers: int = MIN_ANSWERS

    @property
    def any_answers(self) -> bool:
        return any(row.before.count or row.after.count for row in self.answered)

    @property
    def any_held_back(self) -> bool:
        return any(
            row.before.held_back or row.after.held_back
            for module in self.modules
            for objective in module.objectives
            for row in objective.rows
        )


def _cells(counts: dict[str, tuple[int, int]]) -> dict[str, Cell]:
    """Cells per leg and for all legs from {leg: (count, total)}, holding back small ones."""
    cells = {}
    for leg in Leg.values:
        count, total = counts.get(leg, (0, 0))
        cells[leg] = Cell(count=count, total=total, held_back=0 < count < MIN_ANSWERS)
    count = sum(c.count for c in cells.values())
    total = sum(c.total for c in cells.values())
    hidden = sum(c.count for c in cells.values() if c.held_back)
    # The all-legs mean minus the shown legs would give away the legs held back, unless
    # those together are enough people themselves.
    cells[ALL] = Cell(
        count=count, total=total, held_back=count < MIN_ANSWERS or 0 < hidden < MIN_ANSWERS
    )
    return cells


def _rows(by_phase: dict[str, dict[str, tuple[int, int]]]) -> list[Row]:
    before, after = _cells(by_phase.get(BEFORE, {})), _cells(by_phase.get(AFTER, {}))
    rows = [
        Row(leg=leg.value, label=str(leg.label), before=before[leg], after=after[leg])
        for leg in Leg
    ]
    rows.append(Row(leg=ALL, label="", before=before[ALL], after=after[ALL]))
    return rows


def _objective_map(sessions: QuerySet) -> dict[int, list[Objective]]:
    """Each session's objectives by stored position (one query)."""
    through = TrainingSession.modules.through
    links = (
        through.objects.filter(trainingsession_id__in=sessions.values("pk"))
        .select_related("trainingmodule")
        .order_by("trainingsession_id", "trainingmodule__title", "trainingmodule__pk")
    )
    modules: dict[int, list[TrainingModule]] = defaultdict(list)
    for link in links:
        modules[link.trainingsession_id].append(link.trainingmodule)
    return {session_id: objectives_of(found) for session_id, found in modules.items()}


def assessment_results(sessions: QuerySet, *, module: TrainingModule | None = None) -> Results:
    """Results over `sessions` (cancelled ones left out), for every module they cover or
    only `module`. Two queries."""
    sessions = sessions.exclude(convening__status=ConveningStatus.CANCELLED)
    objective_map = _objective_map(sessions)
    width = max((len(found) for found in objective_map.values()), default=0)
    sums = {}
    for position in range(width):
        value = _Answer(position)
        sums[f"s{position}"] = Sum(value)
        sums[f"n{position}"] = Count(value)
    grouped = (
        AssessmentRequest.objects.filter(
            session_id__in=sessions.values("pk"), answered_at__isnull=False
        )
        .values("session_id", "phase", "leg")
        .annotate(answered=Count("pk"), **sums)
        .order_by()
    )
    # (module id, objective index) -> phase -> leg -> [count, total]
    totals: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: [0, 0])))
    answered: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    known: dict[tuple[int, int], Objective] = {}
    for found in objective_map.values():
        for objective in found:
            if module is None or objective.module.pk == module.pk:
                known.setdefault((objective.module.pk, objective.index), objective)
    for group in grouped:
        phase, leg = group["phase"], group["leg"]
        relevant = False
        for objective in objective_map.get(group["session_id"], []):
            if module is not None and objective.module.pk != module.pk:
                continue
            relevant = True
            cell = totals[(objective.module.pk, objective.index)][phase][leg]
            cell[0] += group[f"n{objective.position}"] or 0
            cell[1] += group[f"s{objective.position}"] or 0
        if relevant:
            answered[phase][leg][0] += group["answered"]
    results: dict[int, ModuleResult] = {}
    for key in sorted(known, key=lambda k: (known[k].module.title, known[k].module.pk, k[1])):
        objective = known[key]
        by_phase = {
            phase: {leg: tuple(pair) for leg, pair in legs.items()}
            for phase, legs in totals[key].items()
        }
        result = results.setdefault(objective.module.pk, ModuleResult(module=objective.module))
        result.objectives.append(
            ObjectiveResult(
                module=objective.module,
                index=objective.index,
                text=objective.text,
                rows=_rows(by_phase),
            )
        )
    counted = _rows(
        {
            phase: {leg: (pair[0], 0) for leg, pair in legs.items()}
            for phase, legs in answered.items()
        }
    )
    return Results(modules=list(results.values()), answered=counted)


def sessions_with_answer_counts(sessions: QuerySet) -> QuerySet:
    """The sessions behind a results page, with their answers counted by phase (one query)."""
    return (
        sessions.select_related("convening__group__city")
        .annotate(
            answered_before=Count(
                "assessments",
                filter=Q(assessments__phase=BEFORE, assessments__answered_at__isnull=False),
            ),
            answered_after=Count(
                "assessments",
                filter=Q(assessments__phase=AFTER, assessments__answered_at__isnull=False),
            ),
        )
        .order_by("-convening__starts_at", "pk")
    )


def session_answers(session: TrainingSession) -> list[AssessmentRequest]:
    """Every answered self-assessment of a session, person by person: for network staff only."""
    return list(
        AssessmentRequest.objects.filter(session=session, answered_at__isnull=False)
        .select_related("person")
        .order_by("-phase", "leg", "person__full_name", "pk")  # before, then after
    )
