"""Training sessions: a convening of kind "training" plus its modules and trainer, and the
completions its attendance gives.

A session is scheduled through the convenings' own service (workinggroups.convening_services),
so invitations, RSVPs, reminders and attendance are the convenings' machinery; this module
adds what a training needs on top. Completion follows attendance: whoever attendance says
came has completed each module the session covers, on the convening's local date.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.models import User
from trainings.models import (
    AssessmentRequest,
    Completion,
    CompletionMethod,
    TrainingModule,
    TrainingSession,
)
from workinggroups.convening_services import ConveningDetails, convening_schedule
from workinggroups.models import Attendance, Convening, ConveningKind, WorkingGroup


class TrainingSessionError(Exception):
    """The session cannot be saved as asked; the message says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Objective:
    """One learning objective of a session, at its position in the session's assessment."""

    position: int
    module: TrainingModule
    index: int  # within its module
    text: str


def session_modules(session: TrainingSession) -> list[TrainingModule]:
    """The session's modules in module order (the order assessments number objectives in)."""
    return list(session.modules.order_by("title", "pk"))


def objectives_of(modules: list[TrainingModule]) -> list[Objective]:
    """Number the modules' objectives across the session: the keys of an assessment's answers."""
    found, position = [], 0
    for module in modules:
        for index, text in enumerate(module.objective_list):
            found.append(Objective(position=position, module=module, index=index, text=text))
            position += 1
    return found


def session_objectives(session: TrainingSession) -> list[Objective]:
    return objectives_of(session_modules(session))


def _check(modules: list[TrainingModule], trainer: User | None, trainer_name: str) -> None:
    if not modules:
        raise TrainingSessionError(_("Choose at least one module the session covers."))
    if trainer is None and not trainer_name.strip():
        raise TrainingSessionError(
            _("Name the trainer: a member of the network staff, or the partner who delivers it.")
        )
    if trainer is not None and not trainer.is_network_staff:
        raise TrainingSessionError(_("The trainer chosen from the portal must be network staff."))


def training_session_schedule(
    *,
    actor,
    group: WorkingGroup,
    details: ConveningDetails,
    modules: list[TrainingModule],
    trainer: User | None,
    trainer_name: str = "",
) -> TrainingSession:
    """Schedule a training: a convening of kind "training" and the session that says what it
    covers and who delivers it, in one transaction."""
    _check(modules, trainer, trainer_name)
    details.kind = ConveningKind.TRAINING
    with transaction.atomic():
        convening = convening_schedule(actor=actor, group=group, details=details)
        session = TrainingSession.objects.create(
            convening=convening, trainer=trainer, trainer_name=trainer_name.strip()
        )
        session.modules.set(modules)
    return session


def training_session_update(
    *,
    actor,
    session_id: int,
    modules: list[TrainingModule],
    trainer: User | None,
    trainer_name: str = "",
) -> TrainingSession:
    """Change what a session covers and who delivers it.

    The modules are fixed once anyone has answered a self-assessment: answers are stored by
    objective position across the modules, so another set of modules would pin them to the
    wrong objectives. Completions already given by attendance follow the new modules.
    """
    _check(modules, trainer, trainer_name)
    with transaction.atomic():
        session = (
            TrainingSession.objects.select_for_update(of=("self",))
            .select_related("convening__group__city")
            .get(pk=session_id)
        )
        before = {m.pk for m in session.modules.all()}
        after = {m.pk for m in modules}
        if before != after and session.assessments.filter(answered_at__isnull=False).exists():
            raise TrainingSessionError(
                _(
                    "People have already answered this session's self-assessment, so its "
                    "modules can no longer change: their answers belong to these objectives."
                )
            )
        session.trainer = trainer
        session.trainer_name = trainer_name.strip()
        session.save(update_fields=["trainer", "trainer_name"])
        if before != after:
            session.modules.set(modules)
            completions_sync(session=session)
        audit_record(
            actor=actor,
            action=AuditAction.CONVENING_CHANGED,
            city=session.convening.group.city,
            target=session.convening,
            training_modules=sorted(after),
            trainer_id=trainer.pk if trainer else None,
            trainer_name=session.trainer_name,
        )
    return session


def completions_sync(*, session: TrainingSession, actor=None) -> tuple[int, int]:
    """Make the session's attended completions match its attendance and modules.

    Each person attendance lists gets one completion per module covered, dated the
    convening's day in the city's zone; attended completions of this session for people (or
    modules) no longer listed are removed. Idempotent. A person who already completed a
    module that day another way keeps that completion (one a day per module). Return
    (added, removed).
    """
    convening = session.convening
    on = convening.starts_at.astimezone(convening.group.city.zone).date()
    present = set(
        Attendance.objects.filter(convening=convening, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    module_ids = set(session.modules.values_list("pk", flat=True))
    attended = Completion.objects.filter(session=session, method=CompletionMethod.ATTENDED)
    # Someone no longer listed, a module no longer covered, or another day (the convening
    # moved): those go; the rest are (re)made below.
    removed, _by_model = attended.filter(
        ~Q(person_id__in=present) | ~Q(module_id__in=module_ids) | ~Q(completed_on=on)
    ).delete()
    rows = [
        Completion(
            person_id=person_id,
            module_id=module_id,
            session=session,
            method=CompletionMethod.ATTENDED,
            completed_on=on,
        )
        for person_id in sorted(present)
        for module_id in sorted(module_ids)
    ]
    existing = set(attended.values_list("person_id", "module_id"))
    rows = [row for row in rows if (row.person_id, row.module_id) not in existing]
    added = len(Completion.objects.bulk_create(rows, ignore_conflicts=True))
    if actor is not None and (added or removed):
        audit_record(
            actor=actor,
            action=AuditAction.TRAINING_COMPLETED,
            city=convening.group.city,
            target=convening,
            attended_completions_added=added,
            attended_completions_removed=removed,
        )
    return added, removed


def completions_follow_attendance(*, convening: Convening, actor=None) -> None:
    """After attendance is saved for a training: completions, and the AFTER self-assessments
    (only those who came are asked what they learned)."""
    from trainings.assessment_outbound import assessments_follow_attendance

    if convening.kind != ConveningKind.TRAINING:
        return
    session = (
        TrainingSession.objects.select_related("convening__group__city")
        .filter(convening_id=convening.pk)
        .first()
    )
    if session is None:
        return
    completions_sync(session=session, actor=actor)
    assessments_follow_attendance(session=session)


def assessment_counts(session: TrainingSession) -> dict:
    """How the session's self-assessments stand, by phase (one query), for the managers."""
    counts = {}
    rows = (
        AssessmentRequest.objects.filter(session=session)
        .values("phase")
        .annotate(
            planned=Count("pk"),
            sent=Count("pk", filter=Q(status=AssessmentRequest.MailStatus.SENT)),
            waiting=Count(
                "pk",
                filter=Q(
                    status__in=[
                        AssessmentRequest.MailStatus.PENDING,
                        AssessmentRequest.MailStatus.SENDING,
                    ]
                ),
            ),
            skipped=Count("pk", filter=Q(status=AssessmentRequest.MailStatus.SKIPPED)),
            failed=Count("pk", filter=Q(status=AssessmentRequest.MailStatus.FAILED)),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
        )
    )
    for row in rows:
        counts[row.pop("phase")] = row
    empty = dict.fromkeys(("planned", "sent", "waiting", "skipped", "failed", "answered"), 0)
    return {phase: counts.get(phase, empty) for phase in AssessmentRequest.Phase.values}


# --- Self-assessment answers ------------------------------------------------------------------


class AssessmentRefused(Exception):
    """The answers cannot be recorded; `reason` is one of REFUSALS."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


ANSWERED, CLOSED, CANCELLED, GONE = "answered", "closed", "cancelled", "invalid"


def assessment_refusal(assessment: AssessmentRequest, *, now) -> str | None:
    """Why this self-assessment cannot be answered now; None when it can."""
    if assessment.person_id is None:
        return GONE
    if assessment.session.convening.status == Convening.Status.CANCELLED:
        return CANCELLED
    if assessment.answered_at is not None:
        return ANSWERED
    if assessment.closes_at <= now:
        return CLOSED
    return None


def assessment_answer(
    *, actor, assessment_id: int, confidence: dict[str, int], comments: str
) -> AssessmentRequest:
    """Record a person's self-assessment, once.

    The row is locked, so two submissions at once record one and refuse the other
    (AssessmentRefused "answered"); answers after closes_at or for a cancelled session are
    refused too. `confidence` must hold a value from 1 to 5 for every objective of the
    session (the form checks it; checked again here, as the row is the record).
    """
    from django.utils import timezone

    with transaction.atomic():
        assessment = (
            AssessmentRequest.objects.select_for_update(of=("self",))
            .select_related("session__convening")
            .get(pk=assessment_id)
        )
        refusal = assessment_refusal(assessment, now=timezone.now())
        if refusal is not None:
            raise AssessmentRefused(refusal)
        expected = {str(o.position) for o in session_objectives(assessment.session)}
        if set(confidence) != expected or not all(
            isinstance(v, int) and 1 <= v <= 5 for v in confidence.values()
        ):
            raise ValueError("confidence must rate every objective from 1 to 5")
        assessment.confidence = dict(confidence)
        assessment.comments = comments
        assessment.answered_at = timezone.now()
        assessment.save(update_fields=["confidence", "comments", "answered_at"])
    return assessment
