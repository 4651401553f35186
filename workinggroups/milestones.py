"""Each city's place on the SCN toolkit's path: which milestones are reached, since when, and
how we know (derived from the records, or recorded with evidence).

OWNED BY THE MILESTONES HELPER: the interface below (MilestoneStatus, DERIVED, RECORDABLE,
milestone_paths) is what the dashboard summary and the reports call; keep it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from workinggroups.models import Milestone

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


def milestone_paths(city_ids: Iterable[int]) -> dict[int, list[MilestoneStatus]]:
    """Return each city's fourteen milestones in path order, in a constant number of queries
    whatever the number of cities."""
    raise NotImplementedError
