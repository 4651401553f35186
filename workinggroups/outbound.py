"""The outbound ledger for convenings: plan rows, claim the due ones, report the stuck ones.

Every message to a person is a ConveningMessage row first (ARCHITECTURE.md, "Outbound mail
is data first"). The signal receivers below write the rows inside the scheduling service's
own transaction, so a change and the mail it causes commit or roll back together. The beat
sweep claims due rows and hands their ids to short send tasks (workinggroups.tasks); the
sending itself lives in workinggroups.convening_mail. Claiming, sweeping, the stuck report
and the send loop are the generic ledger in outbox/, shared with briefing deliveries.

Decisions, written down once:
- Reminders are planned only for offsets still ahead at planning time. An invitation or a
  change notice goes out now and carries the time; a reminder for a moment already past
  would only repeat it a minute later.
- A reminder more than MISSED_AFTER late is marked MISSED, never sent: "in two hours" read
  three hours late misleads. Other kinds have no deadline (a change notice is still news).
- A row stuck in SENDING for longer than STUCK_AFTER (its worker was killed mid-send) is
  marked FAILED and logged, never re-sent: the SMTP server may already have taken it, and a
  coordinator can resend by hand, whereas a duplicate cannot be taken back. The price: a
  message whose worker died just before the server accepted it is not delivered. A row no
  sender ever touched (attempts 0) carries no such doubt and goes back to pending.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

import outbox
from workinggroups import signals
from workinggroups.models import (
    Convening,
    ConveningMessage,
    Invitation,
    InvitationResponse,
    MessageKind,
    MessageStatus,
)

logger = logging.getLogger(__name__)

MISSED_AFTER = timedelta(hours=1)
STUCK_AFTER = outbox.STUCK_AFTER
CLAIM_BATCH = outbox.CLAIM_BATCH
SEND_CHUNK = outbox.SEND_CHUNK
STUCK_REASON = outbox.STUCK_REASON

LEDGER = outbox.Ledger(
    model=ConveningMessage,
    noun="convening message",
    pending=MessageStatus.PENDING,
    sending=MessageStatus.SENDING,
    sent=MessageStatus.SENT,
    failed=MessageStatus.FAILED,
    due_field="due_at",
    stuck_after=STUCK_AFTER,
    stuck_reason=STUCK_REASON,
)


# --- Planning (signal receivers) ------------------------------------------------------------


def _row(convening: Convening, person_id: int, kind: str, due_at: datetime, **extra):
    return ConveningMessage(
        convening=convening,
        person_id=person_id,
        kind=kind,
        due_at=due_at,
        sequence=extra.pop("sequence", convening.sequence),
        **extra,
    )


def _reminder_rows(convening: Convening, person_ids: Iterable[int], *, now: datetime, skip=()):
    """Reminder rows for offsets still ahead; `skip` holds (person_id, offset) already planned."""
    rows = []
    for offset in sorted(set(convening.reminder_offsets)):
        due_at = convening.starts_at - timedelta(minutes=offset)
        if due_at <= now:
            continue
        rows.extend(
            _row(convening, person_id, MessageKind.REMINDER, due_at, offset_minutes=offset)
            for person_id in person_ids
            if (person_id, offset) not in skip
        )
    return rows


def messages_plan_invitations(
    *, convening: Convening, invitations: list[Invitation], now: datetime | None = None
) -> int:
    """Plan an invitation now and the reminders ahead for each invited person.

    Idempotent: inviting someone twice at the same revision plans nothing new.
    """
    now = now or timezone.now()
    person_ids = [invitation.person_id for invitation in invitations]
    rows = [_row(convening, pid, MessageKind.INVITATION, now) for pid in person_ids]
    rows += _reminder_rows(convening, person_ids, now=now)
    return len(ConveningMessage.objects.bulk_create(rows, ignore_conflicts=True))


def messages_plan_reminders(
    *, convening: Convening, person_ids: list[int], now: datetime | None = None
) -> int:
    """Plan only the reminders still ahead (the demo seed: its invitations went out long ago)."""
    rows = _reminder_rows(convening, person_ids, now=now or timezone.now())
    return len(ConveningMessage.objects.bulk_create(rows, ignore_conflicts=True))


def messages_plan_move(*, convening: Convening, now: datetime | None = None) -> None:
    """Recompute pending reminders from the new start and plan one change notice each.

    Offsets are stored, send times derived (Indico's model). A reminder the move pushed into
    the past is skipped: the change notice going out now says the same. Someone already
    reminded of the old time gets reminded again of the new one (a new revision's row).
    """
    now = now or timezone.now()
    pending = ConveningMessage.objects.filter(
        convening=convening, kind=MessageKind.REMINDER, status=MessageStatus.PENDING
    )
    # One UPDATE per distinct offset (usually two), portable to SQLite for `make run`.
    for offset in set(pending.values_list("offset_minutes", flat=True)):
        pending.filter(offset_minutes=offset).update(
            due_at=convening.starts_at - timedelta(minutes=offset)
        )
    pending.filter(due_at__lte=now).update(
        status=MessageStatus.SKIPPED, last_error="moved; the change notice went out instead"
    )
    person_ids = list(
        convening.invitations.exclude(response=InvitationResponse.NO).values_list(
            "person_id", flat=True
        )
    )
    still_pending = set(pending.values_list("person_id", "offset_minutes"))
    rows = [_row(convening, pid, MessageKind.UPDATE, now) for pid in person_ids]
    rows += _reminder_rows(convening, person_ids, now=now, skip=still_pending)
    ConveningMessage.objects.bulk_create(rows, ignore_conflicts=True)


def messages_plan_cancellation(*, convening: Convening, now: datetime | None = None) -> None:
    """Skip everything still waiting and plan one cancellation per person who did not decline.

    A not-yet-sent invitation is skipped too: its cancellation (with the same UID) follows.
    """
    now = now or timezone.now()
    ConveningMessage.objects.filter(convening=convening, status=MessageStatus.PENDING).exclude(
        kind=MessageKind.CANCELLATION
    ).update(status=MessageStatus.SKIPPED, last_error="the convening was cancelled")
    person_ids = convening.invitations.exclude(response=InvitationResponse.NO).values_list(
        "person_id", flat=True
    )
    rows = [_row(convening, pid, MessageKind.CANCELLATION, now) for pid in person_ids]
    ConveningMessage.objects.bulk_create(rows, ignore_conflicts=True)


def messages_plan_promotion(*, invitation: Invitation, now: datetime | None = None) -> None:
    """Tell a waiting yes that a seat freed up; their reminders (skipped while waiting) resume."""
    now = now or timezone.now()
    row = _row(invitation.convening, invitation.person_id, MessageKind.PROMOTION, now)
    ConveningMessage.objects.bulk_create([row], ignore_conflicts=True)


def _sweep_soon() -> None:
    """After commit, ask for a sweep now instead of at the next minute's beat.

    Best effort: with the broker down the publish fails fast (bounded timeouts and publish
    retries in settings) and costs a warning, not the request. The rows are committed and
    pending, so the next beat sends them anyway.
    """

    def kick() -> None:
        from workinggroups.tasks import sweep_convening_messages

        try:
            sweep_convening_messages.delay()
        except Exception:  # kombu raises several kinds; none may fail a committed change
            logger.warning("Could not ask for a sweep now; the next beat will", exc_info=True)

    transaction.on_commit(kick)


@receiver(signals.convening_invited, dispatch_uid="outbound.invited")
def _on_invited(sender, *, convening, invitations, **kwargs) -> None:
    messages_plan_invitations(convening=convening, invitations=list(invitations))
    _sweep_soon()


@receiver(signals.convening_moved, dispatch_uid="outbound.moved")
def _on_moved(sender, *, convening, previous_starts_at=None, **kwargs) -> None:
    messages_plan_move(convening=convening)
    _sweep_soon()


@receiver(signals.convening_cancelled, dispatch_uid="outbound.cancelled")
def _on_cancelled(sender, *, convening, **kwargs) -> None:
    messages_plan_cancellation(convening=convening)
    _sweep_soon()


@receiver(signals.seat_promoted, dispatch_uid="outbound.promoted")
def _on_promoted(sender, *, invitation, **kwargs) -> None:
    messages_plan_promotion(invitation=invitation)
    _sweep_soon()


# --- Claiming (the beat's sweep): the generic ledger in outbox/ -----------------------------


def messages_mark_missed(*, now: datetime, batch_size: int = CLAIM_BATCH) -> int:
    """Mark reminders more than MISSED_AFTER late as missed, a batch at a time in due order.

    The batches are read through the partial due index (ORDER BY due_at LIMIT). A plain
    UPDATE over the condition was planned as a scan of the whole ledger once it held
    millions of past rows: PostgreSQL cannot tell that hardly any of them are still
    pending, so it guessed half the ledger late (issue 9's bench, 4,000,000 rows).
    """
    late = ConveningMessage.objects.filter(
        status=MessageStatus.PENDING,
        due_at__lt=now - MISSED_AFTER,
        kind=MessageKind.REMINDER,
    )
    marked = 0
    while True:
        batch = late.order_by("due_at").values("pk")[:batch_size]
        count = ConveningMessage.objects.filter(pk__in=batch, status=MessageStatus.PENDING).update(
            status=MessageStatus.MISSED, last_error="more than an hour late"
        )
        marked += count
        if count < batch_size:
            return marked


def messages_claim_due(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> list[int]:
    """Claim up to `limit` due rows (outbox.claim_due): two queries, inside a transaction."""
    return outbox.claim_due(LEDGER, now=now or timezone.now(), limit=limit)


def _release(ids: list[int]) -> int:
    """Put claimed rows no sender ever touched (attempts still 0) back to pending."""
    return outbox.release(LEDGER, ids)


def messages_sweep(
    *,
    enqueue: Callable[[list[int]], object],
    now: datetime | None = None,
    batch_size: int = CLAIM_BATCH,
    chunk_size: int = SEND_CHUNK,
) -> int:
    """Mark late reminders missed, then claim every due row and hand chunks to `enqueue`.

    outbox.sweep: batches bounded in memory, chunks handed over on commit, a chunk whose
    enqueue fails (broker down) back to pending for the next beat.
    """
    now = now or timezone.now()
    messages_mark_missed(now=now)
    return outbox.sweep(
        LEDGER, enqueue=enqueue, now=now, batch_size=batch_size, chunk_size=chunk_size
    )


def messages_report_stuck(*, now: datetime | None = None) -> list[int]:
    """Deal with rows SENDING for longer than STUCK_AFTER; return the ids marked FAILED.

    A row never handed to SMTP (attempts 0: its task was lost) goes back to pending. A row
    that was handed over may have been delivered: it is marked FAILED and logged as an
    error, never re-sent; the coordinator sees the reason and can follow up by hand.
    """
    return outbox.report_stuck(LEDGER, now=now)
