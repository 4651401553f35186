"""Writes for the stakeholder directory: people, organisations and confirmed imports.

Each service runs in one transaction and leaves one audit record (field names, never
values: the log must not become a second copy of the directory).
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.directory_import import ACTION_CREATE, ACTION_UPDATE
from stakeholders.models import (
    City,
    DirectoryImport,
    FocusArea,
    ImportStatus,
    Organisation,
    Person,
    PreventionLevel,
    Sector,
    User,
)

EMAIL_TAKEN = _(
    "Another person in the directories already has this address (perhaps in another city). "
    "An address belongs to one person: check the address, or edit that person instead."
)


class DirectoryImportConflict(Exception):
    """The directory changed between the preview and the confirmation; nothing was saved."""


def _set_levels(person: Person, levels) -> None:
    person.works_primary = PreventionLevel.PRIMARY in levels
    person.works_secondary = PreventionLevel.SECONDARY in levels
    person.works_tertiary = PreventionLevel.TERTIARY in levels


def person_save(*, actor: User, city: City, form, request=None) -> Person | None:
    """Create or update the person of a validated PersonForm; return None (with the error
    on the form) when the address was taken meanwhile.

    The form has set the consent date already (the model's constraint is checked when the
    form validates); this saves, sets the initiatives and records which fields changed.
    """
    creating = form.instance.pk is None
    changed = sorted(form.changed_data)
    if not creating and not changed:
        return form.instance
    try:
        with transaction.atomic():
            person = form.save(commit=False)
            person.city = city
            _set_levels(person, form.cleaned_data["prevention_levels"])
            if "email" in changed and (form.initial.get("email") or "").casefold() != (
                person.email.casefold()
            ):
                # A corrected address is worth trying again (see Person.email_bounced_at).
                person.email_bounced_at = None
                person.email_bounce_reason = ""
            person.save()
            form.save_m2m()
            person.initiatives.set(form.cleaned_data["initiatives"])
            audit_record(
                actor=actor,
                action=AuditAction.PERSON_CHANGED,
                request=request,
                city=city,
                target=person,
                fields=changed,
                **({"created": True} if creating else {}),
            )
    except IntegrityError:
        form.add_error("email", EMAIL_TAKEN)
        if creating:
            form.instance.pk = None
        return None
    return person


def organisation_create(*, actor: User, city: City, form) -> Organisation | None:
    """Add an organisation to the city's directory; None (with the error on the form) if
    the name was taken meanwhile."""
    try:
        with transaction.atomic():
            organisation = form.save(commit=False)
            organisation.city = city
            organisation.save()
    except IntegrityError:
        form.add_error("name", _("The city already has an organisation of this name."))
        return None
    return organisation


def directory_import_create(*, actor: User, city: City, file_name: str, plan) -> DirectoryImport:
    """Keep a checked file's plan until it is confirmed or cancelled (no person is saved)."""
    return DirectoryImport.objects.create(
        city=city,
        created_by=actor,
        file_name=file_name[:200],
        rows=plan.rows,
        errors=plan.errors,
    )


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    skipped: int


def directory_import_confirm(
    *, actor: User, city: City, import_id: int, request=None
) -> ImportOutcome | None:
    """Save the planned rows of a previewed import in one transaction.

    Returns None when the import was already confirmed or cancelled (a second click, a
    second tab). Rows are re-matched by address, since the directory may have changed
    since the preview; raises DirectoryImportConflict (nothing saved) when it changed
    under this very transaction.
    """
    with transaction.atomic():
        batch = DirectoryImport.objects.select_for_update().filter(pk=import_id, city=city).first()
        if batch is None or batch.status != ImportStatus.PREVIEW:
            return None
        planned = [row for row in batch.rows if row["action"] in (ACTION_CREATE, ACTION_UPDATE)]
        try:
            with transaction.atomic():
                outcome = _apply(city, planned)
        except IntegrityError:
            raise DirectoryImportConflict from None
        batch.status = ImportStatus.CONFIRMED
        batch.confirmed_at = timezone.now()
        batch.save(update_fields=["status", "confirmed_at"])
        audit_record(
            actor=actor,
            action=AuditAction.PERSON_CHANGED,
            request=request,
            city=city,
            target=batch,
            **{"import": batch.pk},
            created=outcome.created,
            updated=outcome.updated,
        )
    return outcome


def directory_import_cancel(*, actor: User, city: City, import_id: int) -> bool:
    """Drop a previewed import: its rows (personal data) are erased; only the record of
    the upload stays."""
    with transaction.atomic():
        batch = DirectoryImport.objects.select_for_update().filter(pk=import_id, city=city).first()
        if batch is None or batch.status != ImportStatus.PREVIEW:
            return False
        batch.status = ImportStatus.CANCELLED
        batch.rows = []
        batch.errors = []
        batch.save(update_fields=["status", "rows", "errors"])
    return True


UPDATED_FIELDS = [
    "full_name",
    "role_title",
    "leg",
    "sector",
    "organisation",
    "phone",
    "works_primary",
    "works_secondary",
    "works_tertiary",
    "consent_to_contact",
    "consent_recorded_at",
    "updated_at",
]


def _apply(city: City, planned: list[dict]) -> ImportOutcome:
    emails = {row["values"]["email"].casefold() for row in planned if row["values"]["email"]}
    owners = {
        key: (pk, city_id)
        for pk, city_id, key in Person.objects.annotate(key=Lower("email"))
        .filter(key__in=emails)
        .values_list("pk", "city_id", "key")
    }
    match_ids = {pk for pk, city_id in owners.values() if city_id == city.pk}
    existing = {
        person.pk: person
        for person in Person.objects.select_for_update().filter(pk__in=match_ids, city=city)
    }
    sector_ids = set(Sector.objects.values_list("pk", flat=True))
    focus_ids = set(FocusArea.objects.values_list("pk", flat=True))
    organisations = _organisations(city, planned)
    now = timezone.now()

    creates: list[tuple[Person, dict]] = []
    updates: list[tuple[Person, dict]] = []
    skipped = 0
    for row in planned:
        values = row["values"]
        if values["sector_id"] not in sector_ids:
            skipped += 1
            continue
        owner = owners.get(values["email"].casefold()) if values["email"] else None
        if owner is not None and owner[1] != city.pk:
            skipped += 1  # the address went to another city after the preview
            continue
        # Matched by address again: the person planned for an update may have been erased,
        # and one planned as new may have been added by hand since the preview.
        person = existing.get(owner[0]) if owner else None
        if person is None:
            person = Person(city=city, email=values["email"], created_at=now)
            creates.append((person, values))
        else:
            updates.append((person, values))
        _fill(person, values, organisations, now)

    made = Person.objects.bulk_create([person for person, _values in creates], batch_size=500)
    Person.objects.bulk_update(
        [person for person, _values in updates], UPDATED_FIELDS, batch_size=500
    )
    through = Person.focus_areas.through
    replaced = [person.pk for person, values in updates if "focus_area_ids" in values]
    through.objects.filter(person_id__in=replaced).delete()
    through.objects.bulk_create(
        [
            through(person_id=person.pk, focusarea_id=area_id)
            for person, values in creates + updates
            for area_id in values.get("focus_area_ids", [])
            if area_id in focus_ids
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    return ImportOutcome(created=len(made), updated=len(updates), skipped=skipped)


def _fill(person: Person, values: dict, organisations: dict, now) -> None:
    person.full_name = values["full_name"]
    person.leg = values["leg"]
    person.sector_id = values["sector_id"]
    for name in ("role_title", "phone"):
        if name in values:
            setattr(person, name, values[name])
    if "organisation" in values:
        key = " ".join(values["organisation"].split()).casefold()
        person.organisation_id = organisations.get(key) if key else None
    if "levels" in values:
        _set_levels(person, values["levels"])
    if "consent" in values:
        if values["consent"] and not person.consent_to_contact:
            person.consent_recorded_at = now
        elif not values["consent"]:
            person.consent_recorded_at = None
        person.consent_to_contact = values["consent"]
    # bulk_update skips auto_now fields unless they are set by hand.
    person.updated_at = now


def _organisations(city: City, planned: list[dict]) -> dict[str, int]:
    """The city's organisations by folded name, creating those the file names anew."""
    wanted: dict[str, str] = {}
    for row in planned:
        name = row["values"].get("organisation", "")
        if name:
            wanted.setdefault(" ".join(name.split()).casefold(), name)
    if not wanted:
        return {}

    def known() -> dict[str, int]:
        return {
            " ".join(name.split()).casefold(): pk
            for pk, name in Organisation.objects.filter(city=city).values_list("pk", "name")
        }

    found = known()
    missing = [
        Organisation(city=city, name=name) for key, name in wanted.items() if key not in found
    ]
    if missing:
        # Another coordinator may add the same name meanwhile: keep theirs.
        Organisation.objects.bulk_create(missing, ignore_conflicts=True)
        found = known()
    return found
