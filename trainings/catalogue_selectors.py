"""Reads for the training module catalogue: the list, a module's page, who may open which
material, and the dates a person's day falls on.

Who may open a material mirrors who may read a briefing attachment (briefings.permissions,
briefings.stamping), with the module's sessions standing in for a briefing's audience:

- TLP:CLEAR and TLP:GREEN materials: any signed-in user (GREEN is for the community of the
  network's working groups and staff, which is who has an account).
- TLP:AMBER, TLP:AMBER+STRICT and TLP:RED materials: network staff, city coordinators, and
  people invited to or present at a session of that module (those it was shared with "in the
  meeting"). Everyone else is not shown them at all: to them they do not exist (404).
- Downloads of AMBER and RED files are copies stamped with the reader's name; every open of
  a restricted material is audited (catalogue_services.material_open_record).

Each function returns what its page draws in a fixed number of queries.
"""

import calendar
import zoneinfo
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, Max, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from briefings.models import TLP
from stakeholders.models import Person
from stakeholders.roles import Viewer
from trainings.models import (
    Completion,
    MaterialRead,
    ModuleMaterial,
    TrainingModule,
    TrainingSession,
)
from workinggroups.models import Attendance, Convening, Invitation

OPEN_MARKINGS = frozenset({TLP.CLEAR, TLP.GREEN})
RESTRICTED_MARKINGS = frozenset({TLP.AMBER, TLP.AMBER_STRICT, TLP.RED})
UPCOMING_SESSIONS_SHOWN = 10


def is_restricted(tlp: str) -> bool:
    return tlp not in OPEN_MARKINGS


def catalogue_modules() -> QuerySet[TrainingModule]:
    """Every module, the SCN toolkit's foundational ones first, with their prerequisites."""
    return TrainingModule.objects.order_by("-is_foundational", "title").prefetch_related(
        Prefetch("prerequisites", queryset=TrainingModule.objects.order_by("title"))
    )


def module_by_slug(slug: str) -> TrainingModule | None:
    return (
        TrainingModule.objects.filter(slug=slug)
        .prefetch_related(
            Prefetch("prerequisites", queryset=TrainingModule.objects.order_by("title"))
        )
        .first()
    )


def took_part_in_module(person_id: int | None, module_id: int) -> bool:
    """Whether the person was invited to, or came to, a session of the module."""
    if not person_id:
        return False
    sessions = Convening.objects.filter(training_session__modules=module_id)
    return (
        Invitation.objects.filter(person_id=person_id, convening__in=sessions).exists()
        or Attendance.objects.filter(person_id=person_id, convening__in=sessions).exists()
    )


def may_open_restricted(viewer: Viewer, module_id: int) -> bool:
    """Whether the viewer may open the module's AMBER, AMBER+STRICT and RED materials."""
    if not viewer.user.is_authenticated:
        return False
    if viewer.is_network_staff or viewer.is_coordinator:
        return True
    return took_part_in_module(viewer.user.person_id, module_id)


def materials_for(viewer: Viewer, module: TrainingModule) -> list[ModuleMaterial]:
    """The module's materials the viewer may open, in the order staff gave them."""
    if not viewer.user.is_authenticated:
        return []
    materials = list(module.materials.order_by("position", "pk"))
    if any(is_restricted(m.tlp) for m in materials) and not may_open_restricted(viewer, module.pk):
        return [m for m in materials if not is_restricted(m.tlp)]
    return materials


def material_for(viewer: Viewer, material_id: int) -> ModuleMaterial | None:
    """The material if it exists and the viewer may open it, else None (a 404)."""
    material = ModuleMaterial.objects.select_related("module").filter(pk=material_id).first()
    if material is None or not viewer.user.is_authenticated:
        return None
    if is_restricted(material.tlp) and not may_open_restricted(viewer, material.module_id):
        return None
    return material


def viewer_city_ids(viewer: Viewer) -> set[int]:
    """The cities whose sessions a module's page lists: the person's own city, and the
    cities they coordinate."""
    ids = set(viewer.coordinated_city_ids)
    if viewer.member_city_id:
        ids.add(viewer.member_city_id)
    return ids


def upcoming_sessions(module_id: int, city_ids: set[int]) -> list[TrainingSession]:
    """Scheduled sessions of the module, not yet started, in the given cities, soonest first."""
    if not city_ids:
        return []
    return list(
        TrainingSession.objects.filter(
            modules=module_id,
            convening__group__city_id__in=city_ids,
            convening__status=Convening.Status.SCHEDULED,
            convening__starts_at__gte=timezone.now(),
        )
        .select_related("convening__group__city")
        .order_by("convening__starts_at", "pk")[:UPCOMING_SESSIONS_SHOWN]
    )


def invited_convening_ids(person_id: int | None, sessions: list[TrainingSession]) -> set[int]:
    if not person_id or not sessions:
        return set()
    return set(
        Invitation.objects.filter(
            person_id=person_id, convening_id__in=[s.convening_id for s in sessions]
        ).values_list("convening_id", flat=True)
    )


def read_material_ids(person_id: int | None, module_id: int) -> set[int]:
    if not person_id:
        return set()
    return set(
        MaterialRead.objects.filter(person_id=person_id, material__module_id=module_id).values_list(
            "material_id", flat=True
        )
    )


def completed_module_ids(person_id: int | None) -> set[int]:
    """The modules the person has completed at least once (any way)."""
    if not person_id:
        return set()
    return set(Completion.objects.filter(person_id=person_id).values_list("module_id", flat=True))


def latest_completion_dates(person_id: int | None) -> dict[int, date]:
    """Module id -> the date the person last completed it."""
    if not person_id:
        return {}
    return dict(
        Completion.objects.filter(person_id=person_id)
        .values("module_id")
        .annotate(last=Max("completed_on"))
        .values_list("module_id", "last")
    )


def module_material_ids(module_id: int) -> set[int]:
    return set(ModuleMaterial.objects.filter(module_id=module_id).values_list("pk", flat=True))


def latest_completion(person_id: int | None, module_id: int) -> Completion | None:
    if not person_id:
        return None
    return (
        Completion.objects.filter(person_id=person_id, module_id=module_id)
        .select_related("session__convening")
        .order_by("-completed_on", "-pk")
        .first()
    )


def unread_materials(person_id: int, module_id: int) -> QuerySet[ModuleMaterial]:
    """The module's materials the person has not opened yet."""
    return ModuleMaterial.objects.filter(module_id=module_id).exclude(
        Exists(MaterialRead.objects.filter(material=OuterRef("pk"), person_id=person_id))
    )


# --- Dates ------------------------------------------------------------------------------------


def person_today(person: Person) -> date:
    """Today in the person's city's zone (a completion is dated as the person lives it)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(person.city.time_zone))


def add_months(start: date, months: int) -> date:
    """The same day `months` later; the month's last day when that month is shorter."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


@dataclass(frozen=True)
class Refresher:
    """When a module's refresher falls due after a completion, and how urgent that is."""

    due_on: date
    state: str  # "overdue", "due" (within DUE_SOON_DAYS) or "later"

    @property
    def is_overdue(self) -> bool:
        return self.state == "overdue"

    @property
    def is_due(self) -> bool:
        return self.state == "due"


# A refresher due within this many days is flagged "due soon".
DUE_SOON_DAYS = 60


def refresher_for(
    module: TrainingModule, completed_on: date | None, today: date
) -> Refresher | None:
    if completed_on is None or not module.refresher_months:
        return None
    due_on = add_months(completed_on, module.refresher_months)
    if due_on < today:
        state = "overdue"
    elif (due_on - today).days <= DUE_SOON_DAYS:
        state = "due"
    else:
        state = "later"
    return Refresher(due_on=due_on, state=state)
