"""A person's training record: what they completed (how, when, at which session), when each
refresher falls due, and what they have not done yet. Three queries, whatever the number
of modules and completions."""

from dataclasses import dataclass, field
from datetime import date

from stakeholders.models import Person
from trainings.catalogue_selectors import Refresher, person_today, refresher_for
from trainings.models import Completion, TrainingModule


@dataclass
class ModuleRecord:
    module: TrainingModule
    completions: list[Completion] = field(default_factory=list)  # newest first
    refresher: Refresher | None = None

    @property
    def latest(self) -> Completion:
        return self.completions[0]


@dataclass
class TrainingRecord:
    person: Person
    today: date
    done: list[ModuleRecord]
    not_done: list[TrainingModule]

    @property
    def overdue(self) -> list[ModuleRecord]:
        return [row for row in self.done if row.refresher and row.refresher.is_overdue]

    @property
    def due(self) -> list[ModuleRecord]:
        return [row for row in self.done if row.refresher and row.refresher.is_due]


def training_record(person: Person) -> TrainingRecord:
    """The person's record; `person` must come with its city (for today's date there)."""
    today = person_today(person)
    completions = (
        Completion.objects.filter(person=person)
        .select_related("session__convening__group__city")
        .order_by("-completed_on", "-pk")
    )
    modules = list(TrainingModule.objects.order_by("-is_foundational", "title"))
    by_module: dict[int, ModuleRecord] = {}
    index = {module.pk: module for module in modules}
    for completion in completions:
        module = index.get(completion.module_id)
        if module is None:  # added since the module list was read
            continue
        completion.module = module
        by_module.setdefault(module.pk, ModuleRecord(module=module)).completions.append(completion)
    done = []
    not_done = []
    for module in modules:
        row = by_module.get(module.pk)
        if row is None:
            not_done.append(module)
            continue
        row.refresher = refresher_for(module, row.latest.completed_on, today)
        done.append(row)
    return TrainingRecord(person=person, today=today, done=done, not_done=not_done)
