"""What trainings do when a convening's life changes (workinggroups.signals).

The receivers run inside the convening service's transaction, so the self-assessment rows
and the completions they write commit or roll back with the change that caused them. Only
convenings of kind "training" with a TrainingSession are concerned; the rest return at once.
"""

# assessment_tasks is imported to register the tasks the kick sends (and that a worker runs).
from trainings import assessment_outbound, assessment_tasks  # noqa: F401
from trainings.models import TrainingSession
from trainings.session_services import completions_follow_attendance, completions_sync
from workinggroups import signals as convening_signals


def _on_invited(sender, *, convening, invitations, **kwargs) -> None:
    planned = assessment_outbound.assessments_plan_invitations(
        convening=convening, person_ids=[invitation.person_id for invitation in invitations]
    )
    if planned:
        assessment_outbound.sweep_soon()


def _on_moved(sender, *, convening, **kwargs) -> None:
    assessment_outbound.assessments_plan_move(convening=convening)
    session = TrainingSession.objects.filter(convening_id=convening.pk).first()
    if session is not None:
        completions_sync(session=session)  # attended completions carry the convening's date


def _on_cancelled(sender, *, convening, **kwargs) -> None:
    assessment_outbound.assessments_plan_cancellation(convening=convening)


def _on_attendance_recorded(sender, *, convening, actor=None, **kwargs) -> None:
    completions_follow_attendance(convening=convening, actor=actor)
    # AFTER requests held for attendance (or revived by it) can go at once.
    assessment_outbound.sweep_soon()


def connect() -> None:
    """Connect the receivers (called once from TrainingsConfig.ready)."""
    convening_signals.convening_invited.connect(_on_invited, dispatch_uid="trainings.invited")
    convening_signals.convening_moved.connect(_on_moved, dispatch_uid="trainings.moved")
    convening_signals.convening_cancelled.connect(_on_cancelled, dispatch_uid="trainings.cancelled")
    # Sent by workinggroups.attendance_services.attendance_record.
    convening_signals.attendance_recorded.connect(
        _on_attendance_recorded, dispatch_uid="trainings.attendance"
    )
