"""Writes for a city's local prevention framework: a new version, and changes to a version
(its components, dates, document and status). One transaction and one audit entry each.

A version moves draft → in review → reviewed → adopted, one step at a time, and may step
back once (in review → draft, reviewed → in review) when the review asks for changes.
Adopting a version supersedes the one adopted before it; an adopted or superseded version
keeps its status for good (a new version is drafted instead). A new version may start at
any status but superseded, with the dates that status needs, so a city that adopted its
framework before it used the portal can record it at once.

Versions are numbered per city (1, 2, ...) under a lock on the city's row, so two versions
created at once never take the same number.
"""

from dataclasses import dataclass, fields
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.institution_selectors import city_today
from stakeholders.models import City, CityFormOfGovernment
from workinggroups.milestone_services import ProgressError, replacing_file
from workinggroups.models import (
    FRAMEWORK_COMPONENTS,
    AdoptionInstrument,
    FrameworkStatus,
    FrameworkVersion,
)

Status = FrameworkStatus

# Where a version may go from each status (staying is always allowed).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.DRAFT, Status.IN_REVIEW}),
    Status.IN_REVIEW: frozenset({Status.IN_REVIEW, Status.DRAFT, Status.REVIEWED}),
    Status.REVIEWED: frozenset({Status.REVIEWED, Status.IN_REVIEW, Status.ADOPTED}),
    Status.ADOPTED: frozenset({Status.ADOPTED}),
    Status.SUPERSEDED: frozenset({Status.SUPERSEDED}),
}
# A new version may start at any of these.
NEW_STATUSES = frozenset({Status.DRAFT, Status.IN_REVIEW, Status.REVIEWED, Status.ADOPTED})

# The instrument that usually adopts a city-wide policy under each form of government
# (DOMAIN.md: "a council or board resolution, an executive order, a city-manager directive").
# A strong mayor can act alone by executive order; where a manager runs the administration,
# a directive; elsewhere the council's resolution. The form suggests it; the city chooses.
SUGGESTED_INSTRUMENT = {
    CityFormOfGovernment.STRONG_MAYOR_COUNCIL: AdoptionInstrument.EXECUTIVE_ORDER,
    CityFormOfGovernment.MAYOR_COUNCIL: AdoptionInstrument.COUNCIL_RESOLUTION,
    CityFormOfGovernment.MAYOR_COUNCIL_MANAGER: AdoptionInstrument.CITY_MANAGER_DIRECTIVE,
    CityFormOfGovernment.COUNCIL_MANAGER: AdoptionInstrument.CITY_MANAGER_DIRECTIVE,
    CityFormOfGovernment.COMMISSION: AdoptionInstrument.COUNCIL_RESOLUTION,
}


def suggested_instrument(city: City) -> str:
    """The adoption instrument that fits the city's form of government. A legislature called
    a Board of Representatives (Stamford) adopts by board resolution."""
    if "board" in city.government_notes.lower():
        return AdoptionInstrument.BOARD_RESOLUTION
    return SUGGESTED_INSTRUMENT.get(city.form_of_government, AdoptionInstrument.COUNCIL_RESOLUTION)


@dataclass(frozen=True)
class FrameworkData:
    title: str
    status: str
    has_statement_of_need: bool
    has_objectives: bool
    has_needs_and_vulnerabilities: bool
    has_activities: bool
    has_referral_pathways: bool
    has_post_incident_response: bool
    has_monitoring: bool
    drafted_on: date
    reviewed_on: date | None
    adopted_on: date | None
    adoption_instrument: str
    instrument_reference: str
    notes: str


FIELDS = [f.name for f in fields(FrameworkData)]
COMPONENT_FIELDS = [name for name, _label in FRAMEWORK_COMPONENTS]


def check_framework(data: FrameworkData, *, today: date) -> list[str]:
    """What is wrong with these values for their status, in words (empty: nothing)."""
    problems = []
    status = data.status
    for name, day in (
        ("drafted", data.drafted_on),
        ("reviewed", data.reviewed_on),
        ("adopted", data.adopted_on),
    ):
        if day is not None and day > today:
            problems.append(
                {
                    "drafted": _("The drafting date is in the future."),
                    "reviewed": _("The review date is in the future."),
                    "adopted": _("The adoption date is in the future."),
                }[name]
            )
    if data.reviewed_on and data.reviewed_on < data.drafted_on:
        problems.append(_("The review date is before the drafting date."))
    if data.adopted_on and data.adopted_on < data.drafted_on:
        problems.append(_("The adoption date is before the drafting date."))
    if data.adopted_on and data.reviewed_on and data.adopted_on < data.reviewed_on:
        problems.append(_("The adoption date is before the review date."))
    if status == Status.REVIEWED and not data.reviewed_on:
        problems.append(_("A reviewed version needs the date of its review."))
    if status in (Status.ADOPTED, Status.SUPERSEDED):
        if not data.adopted_on:
            problems.append(_("An adopted version needs its adoption date."))
        if not data.adoption_instrument:
            problems.append(_("An adopted version needs the instrument that adopted it."))
    else:
        if data.adopted_on or data.adoption_instrument or data.instrument_reference:
            problems.append(
                _(
                    "Only an adopted version has an adoption date and instrument: clear them, "
                    "or set the status to adopted."
                )
            )
        if status in (Status.DRAFT, Status.IN_REVIEW) and data.reviewed_on:
            problems.append(
                _(
                    "Only a reviewed version has a review date: clear it, or set the status "
                    "to reviewed."
                )
            )
    if data.adoption_instrument and data.adoption_instrument not in AdoptionInstrument.values:
        problems.append(_("Choose an instrument from the list."))
    return problems


def _lock_city(city: City) -> None:
    City.objects.select_for_update().filter(pk=city.pk).first()


def _supersede_others(city: City, keep_pk: int) -> list[int]:
    others = list(
        FrameworkVersion.objects.filter(city=city, status=Status.ADOPTED)
        .exclude(pk=keep_pk)
        .values_list("pk", flat=True)
    )
    if others:
        FrameworkVersion.objects.filter(pk__in=others).update(
            status=Status.SUPERSEDED, updated_at=timezone.now()
        )
    return others


def framework_create(
    *,
    actor,
    city: City,
    data: FrameworkData,
    upload: UploadedFile | None = None,
    original_name: str = "",
    request=None,
) -> FrameworkVersion:
    """Add the next version of the city's framework."""
    if data.status not in NEW_STATUSES:
        raise ProgressError(_("A new version cannot start as superseded."))
    problems = check_framework(data, today=city_today(city))
    if problems:
        raise ProgressError(*problems)
    with transaction.atomic():
        _lock_city(city)
        last = FrameworkVersion.objects.filter(city=city).aggregate(last=Max("number"))["last"]
        version = FrameworkVersion(
            city=city,
            number=(last or 0) + 1,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **{name: getattr(data, name) for name in FIELDS},
        )
        if upload is not None:
            version.document_name = original_name
        with replacing_file(version.document, upload=upload, name=original_name, remove=False):
            version.save()
            superseded = (
                _supersede_others(city, version.pk) if data.status == Status.ADOPTED else []
            )
            audit_record(
                actor=actor,
                action=AuditAction.FRAMEWORK_CHANGED,
                request=request,
                city=city,
                target=version,
                change="created",
                number=version.number,
                status=version.status,
                components=[name for name in COMPONENT_FIELDS if getattr(data, name)],
                superseded=superseded,
                **({"file": original_name} if upload is not None else {}),
            )
    return version


def framework_update(
    *,
    actor,
    city: City,
    version_id: int,
    data: FrameworkData,
    upload: UploadedFile | None = None,
    original_name: str = "",
    remove_document: bool = False,
    request=None,
) -> list[str]:
    """Change a version of the city's framework; return the names of the fields that changed
    (empty: nothing did). A version of another city does not exist here (DoesNotExist)."""
    today = city_today(city)
    with transaction.atomic():
        _lock_city(city)
        version = FrameworkVersion.objects.get(pk=version_id, city=city)
        if data.status not in TRANSITIONS[version.status]:
            raise ProgressError(
                _("A version that is “%(before)s” cannot become “%(after)s”.")
                % {
                    "before": Status(version.status).label,
                    "after": Status(data.status).label,
                }
            )
        problems = check_framework(data, today=today)
        if problems:
            raise ProgressError(*problems)
        changed = [name for name in FIELDS if getattr(version, name) != getattr(data, name)]
        removing = remove_document and bool(version.document)
        if upload is not None or removing:
            changed.append("document")
        if not changed:
            return []
        before_status = version.status
        for name in FIELDS:
            setattr(version, name, getattr(data, name))
        version.updated_at = timezone.now()
        if upload is not None:
            version.document_name = original_name
        elif removing:
            version.document_name = ""
        with replacing_file(version.document, upload=upload, name=original_name, remove=removing):
            version.save()
            superseded = (
                _supersede_others(city, version.pk)
                if data.status == Status.ADOPTED and before_status != Status.ADOPTED
                else []
            )
            audit_record(
                actor=actor,
                action=AuditAction.FRAMEWORK_CHANGED,
                request=request,
                city=city,
                target=version,
                change="changed",
                number=version.number,
                fields=changed,
                status_before=before_status,
                status=version.status,
                superseded=superseded,
                **({"file": original_name} if upload is not None else {}),
            )
    return changed
