"""Writes for the training module catalogue: modules, their materials, reading a material
and completing a module at one's own pace. Each service is one transaction with one audit
entry per change."""

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from briefings.uploads import delete_after_commit, stored_with_row
from stakeholders.models import Person
from trainings import catalogue_selectors as selectors
from trainings.models import (
    Completion,
    CompletionMethod,
    MaterialKind,
    MaterialRead,
    ModuleMaterial,
    TrainingModule,
)

# The fields staff edit on a module (ModuleData), in the order the audit entry lists them.
MODULE_FIELDS = (
    "title",
    "summary",
    "objectives",
    "duration_minutes",
    "prevention_level",
    "is_foundational",
    "refresher_months",
)


class TrainingError(Exception):
    """A change refused for a reason the person can act on; `messages` say it in words."""

    def __init__(self, *messages: str) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True)
class ModuleData:
    title: str
    summary: str
    objectives: str
    duration_minutes: int
    prevention_level: str
    is_foundational: bool
    refresher_months: int | None
    prerequisite_ids: frozenset[int] = field(default_factory=frozenset)


# --- Prerequisites ----------------------------------------------------------------------------


def prerequisite_cycle(module_id: int | None, prerequisite_ids: Iterable[int]) -> list[int]:
    """The chain of module ids that giving `module_id` these prerequisites would close into a
    loop ([module, prerequisite, ..., module]), or [] when there is none.

    The whole prerequisite graph is read in one query: the catalogue is tens of modules.
    """
    wanted = set(prerequisite_ids)
    if module_id is None:
        return []  # nothing can require a module that does not exist yet
    if module_id in wanted:
        return [module_id, module_id]
    through = TrainingModule.prerequisites.through
    requires: dict[int, set[int]] = {}
    for needs, needed in through.objects.exclude(from_trainingmodule_id=module_id).values_list(
        "from_trainingmodule_id", "to_trainingmodule_id"
    ):
        requires.setdefault(needs, set()).add(needed)
    # Depth-first from each new prerequisite, remembering how we got there.
    for start in sorted(wanted):
        stack: list[tuple[int, list[int]]] = [(start, [module_id, start])]
        seen: set[int] = set()
        while stack:
            current, path = stack.pop()
            if current == module_id:
                return path
            if current in seen:
                continue
            seen.add(current)
            for nxt in sorted(requires.get(current, ())):
                stack.append((nxt, [*path, nxt]))
    return []


def cycle_message(path: list[int]) -> str:
    """Say in words why a prerequisite chain is refused."""
    titles = dict(TrainingModule.objects.filter(pk__in=set(path)).values_list("pk", "title"))
    # A module not saved yet has no title in the database; it cannot be in a loop anyway.
    names = [f"“{titles.get(pk, '?')}”" for pk in path]
    if len(path) == 2:
        return _("A module cannot be its own prerequisite.")
    return _(
        "These prerequisites would go round in a circle (%(chain)s), so nobody could ever "
        "start. Remove one of them."
    ) % {"chain": " → ".join(names)}


def _lock_catalogue() -> None:
    # Two staff editing two modules at once could each add half of a loop; holding every
    # module's row while the prerequisites change makes the check and the write one step.
    list(TrainingModule.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def _check_prerequisites(module_id: int | None, prerequisite_ids: frozenset[int]) -> None:
    found = set(TrainingModule.objects.filter(pk__in=prerequisite_ids).values_list("pk", flat=True))
    if found != set(prerequisite_ids):
        raise TrainingError(_("A chosen prerequisite no longer exists. Choose again."))
    path = prerequisite_cycle(module_id, prerequisite_ids)
    if path:
        raise TrainingError(cycle_message(path))


# --- Modules ----------------------------------------------------------------------------------


def module_create(*, actor, slug: str, data: ModuleData, request=None) -> TrainingModule:
    """Add a module to the catalogue."""
    with transaction.atomic():
        _lock_catalogue()
        if TrainingModule.objects.filter(slug=slug).exists():
            raise TrainingError(_("Another module already has this web address (slug)."))
        if TrainingModule.objects.filter(title__iexact=data.title).exists():
            raise TrainingError(_("Another module already has this title."))
        _check_prerequisites(None, data.prerequisite_ids)
        module = TrainingModule.objects.create(
            slug=slug, **{name: getattr(data, name) for name in MODULE_FIELDS}
        )
        module.prerequisites.set(data.prerequisite_ids)
        audit_record(
            actor=actor,
            action=AuditAction.TRAINING_MODULE_CHANGED,
            request=request,
            target=module,
            change="created",
            prerequisites=sorted(data.prerequisite_ids),
        )
    return module


def module_update(*, actor, module_id: int, data: ModuleData, request=None) -> list[str]:
    """Change a module; return the names of the fields that changed (empty: nothing did)."""
    with transaction.atomic():
        _lock_catalogue()
        module = TrainingModule.objects.get(pk=module_id)
        if TrainingModule.objects.filter(title__iexact=data.title).exclude(pk=module_id).exists():
            raise TrainingError(_("Another module already has this title."))
        _check_prerequisites(module_id, data.prerequisite_ids)
        changed = [name for name in MODULE_FIELDS if getattr(module, name) != getattr(data, name)]
        before = set(module.prerequisites.values_list("pk", flat=True))
        if before != set(data.prerequisite_ids):
            changed.append("prerequisites")
        if not changed:
            return []
        for name in MODULE_FIELDS:
            setattr(module, name, getattr(data, name))
        module.save()
        module.prerequisites.set(data.prerequisite_ids)
        audit_record(
            actor=actor,
            action=AuditAction.TRAINING_MODULE_CHANGED,
            request=request,
            target=module,
            change="changed",
            fields=changed,
            prerequisites=sorted(data.prerequisite_ids),
        )
    return changed


# --- Materials --------------------------------------------------------------------------------


def material_add(
    *,
    actor,
    module_id: int,
    title: str,
    tlp: str,
    url: str = "",
    upload: UploadedFile | None = None,
    original_name: str = "",
    sha256: str = "",
    request=None,
) -> ModuleMaterial:
    """Add a link, or a PDF already checked by the form (briefings.forms.AttachmentForm's
    checks), at the end of the module's materials. A stored file whose row fails is removed."""
    if bool(url) == (upload is not None):
        raise TrainingError(_("Give either a PDF file or a link, not both and not neither."))
    with transaction.atomic():
        module = TrainingModule.objects.select_for_update().get(pk=module_id)
        last = module.materials.order_by("-position").values_list("position", flat=True).first()
        material = ModuleMaterial(
            module=module,
            title=title,
            tlp=tlp,
            kind=MaterialKind.LINK if url else MaterialKind.FILE,
            url=url,
            position=0 if last is None else last + 1,
            added_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        keeping = contextlib.nullcontext()
        if upload is not None:
            material.original_name = original_name
            material.size_bytes = upload.size
            material.sha256 = sha256
            keeping = stored_with_row(material.file, original_name, upload)
        with keeping:
            material.save()
            audit_record(
                actor=actor,
                action=AuditAction.TRAINING_MODULE_CHANGED,
                request=request,
                target=module,
                change="material added",
                material=material.pk,
                title=title,
                tlp=tlp,
                kind=material.kind,
                **({"file": original_name, "sha256": sha256} if upload is not None else {}),
            )
    return material


def material_remove(*, actor, module_id: int, material_id: int, request=None) -> ModuleMaterial:
    """Remove a material; its file goes once the removal is committed. Reads of it go too."""
    with transaction.atomic():
        module = TrainingModule.objects.select_for_update().get(pk=module_id)
        material = ModuleMaterial.objects.get(pk=material_id, module=module)
        stored = material.file.name
        material.delete()
        audit_record(
            actor=actor,
            action=AuditAction.TRAINING_MODULE_CHANGED,
            request=request,
            target=module,
            change="material removed",
            material=material_id,
            title=material.title,
            tlp=material.tlp,
            kind=material.kind,
            **({"file": material.original_name, "sha256": material.sha256} if stored else {}),
        )
        delete_after_commit(material.file)
    return material


def material_open(
    *, actor, material: ModuleMaterial, person: Person | None, stamped: bool, request=None
) -> bool:
    """Record that a signed-in person opened a material (once), and audit every open of a
    restricted (AMBER, AMBER+STRICT, RED) one. Return whether this was their first read."""
    with transaction.atomic():
        first = False
        if person is not None:
            _read, first = MaterialRead.objects.get_or_create(material=material, person=person)
        if selectors.is_restricted(material.tlp):
            audit_record(
                actor=actor,
                action=AuditAction.TRAINING_MATERIAL_DOWNLOADED,
                request=request,
                city=person.city if person is not None else None,
                target=material,
                training_material=material.pk,
                module=material.module_id,
                tlp=material.tlp,
                kind=material.kind,
                stamped=stamped,
                **({"file": material.original_name} if material.kind == MaterialKind.FILE else {}),
            )
    return first


# --- Self-paced completion --------------------------------------------------------------------


def module_complete(
    *, actor, person: Person, module_id: int, request=None
) -> tuple[Completion, bool]:
    """Record a self-paced completion dated today in the person's city's zone.

    Refused (TrainingError) when the module has no materials, when some are unread, or when
    a prerequisite is not completed. A second call the same day changes nothing and returns
    the day's completion with False.
    """
    with transaction.atomic():
        # One person completing twice at once (a double click) queues here rather than
        # racing to the unique constraint.
        person = (
            Person.objects.select_related("city").select_for_update(of=("self",)).get(pk=person.pk)
        )
        module = TrainingModule.objects.get(pk=module_id)
        today = selectors.person_today(person)
        existing = Completion.objects.filter(
            person=person, module=module, completed_on=today
        ).first()
        if existing is not None:
            return existing, False
        problems = []
        if not module.materials.exists():
            problems.append(
                _(
                    "This module has no materials to read, so it cannot be completed at your "
                    "own pace: attend a session instead."
                )
            )
        unread = list(
            selectors.unread_materials(person.pk, module.pk)
            .order_by("position", "pk")
            .values_list("title", flat=True)
        )
        if unread:
            problems.append(
                _("Open every material first. Still unread: %(titles)s.")
                % {"titles": ", ".join(f"“{title}”" for title in unread)}
            )
        missing = list(
            module.prerequisites.exclude(completions__person=person)
            .order_by("title")
            .values_list("title", flat=True)
        )
        if missing:
            problems.append(
                _("Complete its prerequisites first: %(titles)s.")
                % {"titles": ", ".join(f"“{title}”" for title in missing)}
            )
        if problems:
            raise TrainingError(*problems)
        completion = Completion.objects.create(
            person=person, module=module, method=CompletionMethod.SELF_PACED, completed_on=today
        )
        audit_record(
            actor=actor,
            action=AuditAction.TRAINING_COMPLETED,
            request=request,
            city=person.city,
            target=completion,
            module=module.pk,
            person=person.pk,
            method=CompletionMethod.SELF_PACED,
            completed_on=today.isoformat(),
        )
    return completion, True
