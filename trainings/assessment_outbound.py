"""The self-assessment ledger: plan the two requests per person, claim the due ones, report
the stuck ones.

Every self-assessment mail is an AssessmentRequest row first (ARCHITECTURE.md, "Outbound
mail is data first"); the same row later holds the answer. Claiming, sweeping, the stuck
report and the send loop are the generic ledger in outbox/, as for convening messages and
briefing deliveries; composing and the per-row checks live in trainings.assessment_mail.

Decisions, written down once:
- Invited to a training, a person gets two rows: BEFORE, due at once and open until the
  session starts, and AFTER, due when it ends and open for AFTER_OPEN_FOR after that. Both
  are planned in the inviting transaction (the convening_invited signal), so they commit or
  roll back with the invitation.
- The AFTER request asks those who came what they learned: it waits for attendance. Rows
  due before attendance is taken are pushed back by POSTPONE at each sweep (not sent, not
  skipped); once attendance is saved, rows of people who did not come are skipped as
  DID_NOT_ATTEND, and revived if a later save lists them after all. A row still waiting
  when its answers close is skipped as CLOSED.
- A moved convening moves its rows' times; a cancelled one skips every row still waiting.
- Someone who declined may still have come: the AFTER request follows attendance, not the
  RSVP. The BEFORE request is not sent to someone who declined.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

import outbox
from stakeholders.models import Person
from trainings.models import (
    AssessmentMailStatus,
    AssessmentPhase,
    AssessmentRequest,
    TrainingSession,
)
from workinggroups.models import Attendance, Convening, ConveningKind

logger = logging.getLogger(__name__)

AFTER_OPEN_FOR = timedelta(days=14)
POSTPONE = timedelta(hours=1)
CLAIM_BATCH = outbox.CLAIM_BATCH
SEND_CHUNK = outbox.SEND_CHUNK

# Reasons recorded on skipped rows (they also drive reviving an AFTER row).
DID_NOT_ATTEND = "did not attend"
CANCELLED = "the convening was cancelled"
CLOSED = "the answers closed before it could be sent"

LEDGER = outbox.Ledger(
    model=AssessmentRequest,
    noun="self-assessment request",
    pending=AssessmentMailStatus.PENDING,
    sending=AssessmentMailStatus.SENDING,
    sent=AssessmentMailStatus.SENT,
    failed=AssessmentMailStatus.FAILED,
    due_field="due_at",
)


# --- Planning (signal receivers call these) --------------------------------------------------


def _session_of(convening: Convening) -> TrainingSession | None:
    if convening.kind != ConveningKind.TRAINING:
        return None
    return TrainingSession.objects.filter(convening_id=convening.pk).first()


def assessments_plan_invitations(
    *, convening: Convening, person_ids: list[int], now: datetime | None = None
) -> int:
    """Plan a BEFORE and an AFTER request for each person invited to a training session.

    Idempotent (unique session, person and phase): inviting again plans nothing new. A
    convening that is not a training session plans nothing. Return how many people were
    planned for (rows already there are left as they are).
    """
    session = _session_of(convening)
    if session is None or not person_ids:
        return 0
    now = now or timezone.now()
    legs = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "leg"))
    rows = []
    for person_id in sorted(legs):
        rows.append(
            AssessmentRequest(
                session=session,
                person_id=person_id,
                leg=legs[person_id],
                phase=AssessmentPhase.BEFORE,
                due_at=now,
                closes_at=convening.starts_at,
            )
        )
        rows.append(
            AssessmentRequest(
                session=session,
                person_id=person_id,
                leg=legs[person_id],
                phase=AssessmentPhase.AFTER,
                due_at=convening.ends_at,
                closes_at=convening.ends_at + AFTER_OPEN_FOR,
            )
        )
    AssessmentRequest.objects.bulk_create(rows, ignore_conflicts=True)
    return len(legs)


def assessments_plan_move(*, convening: Convening) -> None:
    """Follow a moved session: BEFORE closes at the new start, AFTER is due at the new end."""
    session = _session_of(convening)
    if session is None:
        return
    waiting = AssessmentRequest.objects.filter(session=session, answered_at__isnull=True)
    waiting.filter(phase=AssessmentPhase.BEFORE).update(closes_at=convening.starts_at)
    waiting.filter(phase=AssessmentPhase.AFTER).update(closes_at=convening.ends_at + AFTER_OPEN_FOR)
    waiting.filter(phase=AssessmentPhase.AFTER, status=AssessmentMailStatus.PENDING).update(
        due_at=convening.ends_at
    )


def assessments_plan_cancellation(*, convening: Convening) -> int:
    """Skip every request of a cancelled session still waiting to be sent."""
    session = _session_of(convening)
    if session is None:
        return 0
    return AssessmentRequest.objects.filter(
        session=session, status=AssessmentMailStatus.PENDING
    ).update(status=AssessmentMailStatus.SKIPPED, last_error=CANCELLED)


def assessments_follow_attendance(*, session: TrainingSession) -> None:
    """After attendance is saved: AFTER requests of people who did not come are skipped, and
    those skipped for that reason are revived for people a later save lists."""
    came = Attendance.objects.filter(
        convening_id=session.convening_id, person_id=OuterRef("person_id")
    )
    after = AssessmentRequest.objects.filter(session=session, phase=AssessmentPhase.AFTER)
    after.filter(status=AssessmentMailStatus.PENDING).filter(~Exists(came)).update(
        status=AssessmentMailStatus.SKIPPED, last_error=DID_NOT_ATTEND
    )
    after.filter(status=AssessmentMailStatus.SKIPPED, last_error=DID_NOT_ATTEND).filter(
        Exists(came)
    ).update(status=AssessmentMailStatus.PENDING, last_error="")


def sweep_soon() -> None:
    """After commit, ask for a sweep now rather than at the next beat (best effort: with the
    broker down the rows are committed and pending, and the next beat sends them)."""

    def kick() -> None:
        from trainings.assessment_tasks import sweep_assessment_requests

        try:
            sweep_assessment_requests.delay()
        except Exception:  # kombu raises several kinds; none may fail a committed change
            logger.warning("Could not ask for a sweep now; the next beat will", exc_info=True)

    transaction.on_commit(kick)


# --- Claiming (the beat's sweep): the generic ledger in outbox/ -------------------------------


def assessments_hold_for_attendance(*, now: datetime) -> int:
    """Push back due AFTER requests of sessions whose attendance is not taken yet, and skip
    those whose answers closed meanwhile. Two UPDATEs through the partial due index."""
    taken = Attendance.objects.filter(convening_id=OuterRef("session__convening_id"))
    waiting = AssessmentRequest.objects.filter(
        status=AssessmentMailStatus.PENDING, due_at__lte=now, phase=AssessmentPhase.AFTER
    ).filter(~Exists(taken))
    waiting.filter(closes_at__lte=now).update(
        status=AssessmentMailStatus.SKIPPED, last_error=CLOSED
    )
    return waiting.update(due_at=now + POSTPONE)


def assessments_sweep(
    *,
    enqueue: Callable[[list[int]], object],
    now: datetime | None = None,
    batch_size: int = CLAIM_BATCH,
    chunk_size: int = SEND_CHUNK,
) -> int:
    """Hold AFTER requests that wait for attendance, then claim every due row and hand
    chunks of ids to `enqueue` on commit (outbox.sweep). Return how many were claimed."""
    now = now or timezone.now()
    assessments_hold_for_attendance(now=now)
    return outbox.sweep(
        LEDGER, enqueue=enqueue, now=now, batch_size=batch_size, chunk_size=chunk_size
    )


def assessments_report_stuck(*, now: datetime | None = None) -> list[int]:
    """Rows sending for too long: never handed over -> pending; handed over -> failed with
    the reason, logged, never re-sent (outbox.report_stuck)."""
    return outbox.report_stuck(LEDGER, now=now)
