"""Writes for milestones the records cannot prove (RECORDABLE): record one with its date and
evidence, change it, withdraw it; and serving the evidence PDFs of milestones and framework
versions. Each change is one transaction with one audit entry."""

import contextlib

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from briefings.downloads import pdf_attachment
from briefings.uploads import delete_after_commit, stored_with_row
from stakeholders.institution_selectors import city_today
from stakeholders.models import City
from workinggroups.milestones import RECORDABLE
from workinggroups.models import Milestone, MilestoneRecord


class ProgressError(Exception):
    """A change refused for a reason the person can act on; `messages` say it in words."""

    def __init__(self, *messages: str) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)


# --- Stored PDFs (milestone evidence, framework documents) -------------------------------------


def forget_file_after_commit(field: FieldFile) -> None:
    """Remove the file `field` names now once the transaction commits, even if the field is
    then given a new file (delete_after_commit reads the name when it runs, too late here)."""
    storage, stored = field.storage, field.name
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))


def replacing_file(field: FieldFile, *, upload: UploadedFile | None, name: str, remove: bool):
    """The context in which the row is saved: the new upload written first (removed again if
    the save fails), the file it replaces or that is removed deleted once the change commits."""
    if upload is None and not remove:
        return contextlib.nullcontext()
    forget_file_after_commit(field)
    if upload is None:
        field.name = ""
        return contextlib.nullcontext()
    return stored_with_row(field, name, upload)


def document_response(field: FieldFile, *, original_name: str, fallback: str) -> FileResponse:
    """The stored PDF as a private download under its original name. Raises OSError when the
    file is missing."""
    with field.open("rb") as file:
        content = file.read()
    return pdf_attachment(content, original_name=original_name, fallback=fallback)


# --- Recording a milestone ---------------------------------------------------------------------


def _check_recordable(milestone: str) -> None:
    if milestone not in RECORDABLE:
        raise ProgressError(
            _("This milestone is read from the records; it cannot be recorded by hand.")
        )


def milestone_record(
    *,
    actor,
    city: City,
    milestone: str,
    reached_on,
    evidence_url: str = "",
    note: str = "",
    upload: UploadedFile | None = None,
    original_name: str = "",
    remove_document: bool = False,
    request=None,
) -> tuple[MilestoneRecord, bool]:
    """Record (or correct) that the city reached a recordable milestone; return the record and
    whether it is new. The date may not be in the future (the city's today); the evidence is a
    PDF, a link or both, and at least one."""
    _check_recordable(milestone)
    if reached_on > city_today(city):
        raise ProgressError(_("The date is in the future: record a milestone once it is reached."))
    with transaction.atomic():
        # Two people recording the same milestone at once queue here, not at the constraint.
        City.objects.select_for_update().filter(pk=city.pk).first()
        record = MilestoneRecord.objects.filter(city=city, milestone=milestone).first()
        created = record is None
        if created:
            record = MilestoneRecord(city=city, milestone=milestone)
        keeps_document = bool(record.evidence_document) and not remove_document
        if not evidence_url and upload is None and not keeps_document:
            raise ProgressError(_("Give the evidence: a PDF, a link, or both."))
        before = {
            "reached_on": record.reached_on,
            "evidence_url": record.evidence_url,
            "note": record.note,
        }
        record.reached_on = reached_on
        record.evidence_url = evidence_url
        record.note = note
        changed = [name for name, value in before.items() if getattr(record, name) != value]
        if upload is not None:
            changed.append("evidence_document")
            record.evidence_name = original_name
        elif remove_document and record.evidence_document:
            changed.append("evidence_document")
            record.evidence_name = ""
        if not created and not changed:
            return record, False
        record.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
        record.recorded_at = timezone.now()
        with replacing_file(
            record.evidence_document,
            upload=upload,
            name=original_name,
            remove=remove_document and bool(record.evidence_document),
        ):
            record.save()
            audit_record(
                actor=actor,
                action=AuditAction.MILESTONE_RECORDED,
                request=request,
                city=city,
                target=record,
                milestone=milestone,
                change="created" if created else "changed",
                fields=changed if not created else [],
                reached_on=reached_on.isoformat(),
                evidence_link=bool(evidence_url),
                evidence_document=bool(record.evidence_document),
                **({"file": original_name} if upload is not None else {}),
            )
    return record, created


def milestone_withdraw(
    *, actor, city: City, milestone: str, request=None
) -> MilestoneRecord | None:
    """Withdraw a recorded milestone (its evidence file goes once the change commits); None
    when there was nothing to withdraw."""
    _check_recordable(milestone)
    with transaction.atomic():
        City.objects.select_for_update().filter(pk=city.pk).first()
        record = MilestoneRecord.objects.filter(city=city, milestone=milestone).first()
        if record is None:
            return None
        pk = record.pk
        record.delete()
        audit_record(
            actor=actor,
            action=AuditAction.MILESTONE_WITHDRAWN,
            request=request,
            city=city,
            milestone=milestone,
            record=pk,
            reached_on=record.reached_on.isoformat(),
            label=str(Milestone(milestone).label),
            **({"file": record.evidence_name} if record.evidence_document else {}),
        )
        delete_after_commit(record.evidence_document)
    return record


def document_downloaded(*, actor, city: City, target, kind: str, file: str, request=None) -> None:
    """Audit a download of a milestone's evidence or a framework document."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.PROGRESS_DOCUMENT_DOWNLOADED,
            request=request,
            city=city,
            target=target,
            kind=kind,
            file=file,
        )
