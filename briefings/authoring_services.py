"""Writes for authoring landscape briefings: create, change, attach and remove PDFs.

Publishing, scheduling and withdrawing live in briefings/services.py. Here the rules are:
a draft or scheduled briefing may change freely (its audience still checked against its
marking); a published or withdrawn one keeps its text, marking and audience, because
recipients already have it: only its review date and local moments may change.
"""

from dataclasses import dataclass
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from briefings.audience import Audience, audience_errors, audience_of
from briefings.models import AudienceLeg, BriefingAttachment, LandscapeBriefing
from briefings.services import BriefingError
from briefings.uploads import delete_after_commit, stored_with_row

Status = LandscapeBriefing.Status
CHANGEABLE = (Status.DRAFT, Status.SCHEDULED)


@dataclass(frozen=True)
class BriefingData:
    """What an author submits for a briefing: its words, marking, moments and audience."""

    title: str
    summary: str
    body_markdown: str
    review_by: date | None
    local_moment_ids: frozenset[int]
    audience: Audience

    @property
    def tlp(self) -> str:
        return self.audience.tlp


def _check_audience(data: BriefingData) -> None:
    errors = audience_errors(data.audience)
    if errors:
        raise BriefingError(errors)


def _write_audience(briefing: LandscapeBriefing, data: BriefingData) -> None:
    audience = data.audience
    briefing.audience_cities.set(audience.cities)
    briefing.audience_groups.set(audience.groups)
    briefing.audience_organisations.set(audience.organisations)
    briefing.audience_people.set(audience.people)
    briefing.audience_sectors.set(audience.sectors)
    briefing.audience_legs.exclude(leg__in=audience.legs).delete()
    kept = set(briefing.audience_legs.values_list("leg", flat=True))
    AudienceLeg.objects.bulk_create(
        [AudienceLeg(briefing=briefing, leg=leg) for leg in sorted(audience.legs - kept)]
    )


def _audience_detail(data: BriefingData) -> dict:
    audience = data.audience
    return {
        "tlp": audience.tlp,
        "cities": sorted(audience.cities),
        "groups": sorted(audience.groups),
        "organisations": sorted(audience.organisations),
        "people": len(audience.people),
        "legs": sorted(audience.legs),
        "sectors": sorted(audience.sectors),
        "shown_to_all_signed_in": audience.shown_to_all_signed_in,
    }


def briefing_create(*, actor, data: BriefingData, request=None) -> LandscapeBriefing:
    """Save a new draft briefing with its audience; refuse an audience its marking forbids."""
    _check_audience(data)
    with transaction.atomic():
        briefing = LandscapeBriefing.objects.create(
            title=data.title,
            summary=data.summary,
            body_markdown=data.body_markdown,
            tlp=data.tlp,
            review_by=data.review_by,
            shown_to_all_signed_in=data.audience.shown_to_all_signed_in,
            author=actor,
            status=Status.DRAFT,
        )
        briefing.local_moments.set(data.local_moment_ids)
        _write_audience(briefing, data)
        audit_record(
            actor=actor,
            action=AuditAction.BRIEFING_CREATED,
            request=request,
            target=briefing,
            **_audience_detail(data),
        )
    return briefing


def _content_changed(briefing: LandscapeBriefing, data: BriefingData) -> list[str]:
    changed = [
        name
        for name in ("title", "summary", "body_markdown")
        if getattr(briefing, name) != getattr(data, name)
    ]
    if audience_of(briefing) != data.audience:
        changed.append("audience")
    return changed


def briefing_update(
    *, actor, briefing_id: int, data: BriefingData, request=None
) -> LandscapeBriefing:
    """Change a briefing.

    A draft or scheduled one changes entirely (the audience checked against the marking);
    a published or withdrawn one only its review date and local moments: a change to its
    text, marking or audience is refused with a message saying what to do instead.
    """
    with transaction.atomic():
        briefing = LandscapeBriefing.objects.select_for_update().get(pk=briefing_id)
        if briefing.status in CHANGEABLE:
            _check_audience(data)
            changed = _content_changed(briefing, data)
            briefing.title = data.title
            briefing.summary = data.summary
            briefing.body_markdown = data.body_markdown
            briefing.tlp = data.tlp
            briefing.shown_to_all_signed_in = data.audience.shown_to_all_signed_in
            briefing.review_by = data.review_by
            briefing.save()
            _write_audience(briefing, data)
        else:
            changed = _content_changed(briefing, data)
            if changed:
                raise BriefingError(
                    _(
                        "A %(status)s briefing's text, marking and audience cannot change: "
                        "its recipients already have it. Withdraw it and write a corrected "
                        "briefing instead."
                    )
                    % {"status": briefing.get_status_display().lower()}
                )
            briefing.review_by = data.review_by
            briefing.save(update_fields=["review_by", "updated_at"])
        briefing.local_moments.set(data.local_moment_ids)
        audit_record(
            actor=actor,
            action=AuditAction.BRIEFING_CHANGED,
            request=request,
            target=briefing,
            change="edited",
            fields=changed,
            **_audience_detail(data),
        )
    return briefing


def _changeable_locked(briefing_id: int) -> LandscapeBriefing:
    briefing = LandscapeBriefing.objects.select_for_update().get(pk=briefing_id)
    if briefing.status not in CHANGEABLE:
        raise BriefingError(
            _(
                "Attachments can change only while the briefing is a draft or scheduled; "
                "recipients of a published briefing already have its files."
            )
        )
    return briefing


def attachment_add(
    *,
    actor,
    briefing_id: int,
    upload: UploadedFile,
    original_name: str,
    sha256: str,
    request=None,
) -> BriefingAttachment:
    """Attach a PDF already checked by AttachmentForm (type, size, bytes, readable).

    The file is written under a random name; if the transaction fails it is removed again.
    """
    with transaction.atomic():
        briefing = _changeable_locked(briefing_id)
        attachment = BriefingAttachment(
            briefing=briefing,
            original_name=original_name,
            size_bytes=upload.size,
            sha256=sha256,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        with stored_with_row(attachment.file, original_name, upload):
            attachment.save()
            audit_record(
                actor=actor,
                action=AuditAction.BRIEFING_CHANGED,
                request=request,
                target=briefing,
                change="attachment added",
                file=original_name,
                sha256=sha256,
                size_bytes=upload.size,
            )
    return attachment


def attachment_remove(
    *, actor, briefing_id: int, attachment_id: int, request=None
) -> BriefingAttachment:
    """Remove an attachment from a draft or scheduled briefing; its file goes after commit."""
    with transaction.atomic():
        briefing = _changeable_locked(briefing_id)
        attachment = BriefingAttachment.objects.get(pk=attachment_id, briefing=briefing)
        attachment.delete()
        audit_record(
            actor=actor,
            action=AuditAction.BRIEFING_CHANGED,
            request=request,
            target=briefing,
            change="attachment removed",
            file=attachment.original_name,
            sha256=attachment.sha256,
        )
        delete_after_commit(attachment.file)
    return attachment
