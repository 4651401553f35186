"""Claiming, sweeping and the stuck report for any outbound ledger (see outbox/__init__.py).

Decisions, written down once for every ledger:
- The claim locks due rows with SELECT ... FOR UPDATE SKIP LOCKED and marks them sending in
  the same transaction: two sweeps running at once (two beats, a beat and a publish's kick)
  never claim a row twice, and neither waits for the other.
- A sweep hands chunks of ids to the send tasks only after its claim commits, so a worker
  never looks for rows it cannot see yet. A chunk the broker refuses goes back to pending:
  no sender has it, and the next beat tries again.
- A row sending for longer than the ledger's `stuck_after` was left by a worker that died.
  Never handed to SMTP (attempts 0): it carries no doubt and goes back to pending. Handed
  over (attempts > 0): the server may already have taken it, so it is marked failed with
  the ledger's `stuck_reason` and logged as an error, never re-sent. A person can resend by
  hand; a duplicate cannot be taken back. The price: a message whose worker died before the
  server accepted it is not delivered, but it is reported, not lost silently.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

logger = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=15)
CLAIM_BATCH = 500
SEND_CHUNK = 50
STUCK_REASON = "stuck mid-send; not re-sent to avoid a duplicate"


# The status a chunk's statements look for, as a one-row subquery rather than a literal, so
# that PostgreSQL finds the chunk by primary key and checks the status on those rows only.
# With a literal it proves that a partial index on sending rows (the stuck check's) applies
# and ANDs it with the primary key; statistics taken before the claim call that index small,
# but during a distribution it holds every claimed row and the dead versions autovacuum has
# not removed yet, and reading it all cost 3-5 ms per statement (three per chunk) at 50,000
# recipients, growing with the audience. By primary key: a tenth of a millisecond.
SENDING_SQL = "SELECT %s"


@dataclass(frozen=True)
class Ledger:
    """What the generic functions need to know about one ledger model.

    `pending` is the status of a row waiting for its due time in `due_field`; the claim
    moves it to `sending` and stamps `claimed_field`; a send marks it `sent` and stamps
    `sent_field`; a refusal, a give-up or the stuck report marks it `failed` with a reason in
    `error_field`. `attempts_field` counts hand-overs to SMTP (the at-most-once guard).
    """

    model: type[models.Model]
    noun: str  # for the logs: "convening message", "briefing delivery"
    pending: str
    sending: str
    sent: str
    failed: str
    due_field: str
    error_field: str = "last_error"
    claimed_field: str = "claimed_at"
    sent_field: str = "sent_at"
    attempts_field: str = "attempts"
    stuck_after: timedelta = STUCK_AFTER
    stuck_reason: str = STUCK_REASON

    @property
    def rows(self) -> models.QuerySet:
        return self.model._default_manager.all()

    def reason(self, text: str) -> str:
        """The text cut to what the error column holds."""
        length = self.model._meta.get_field(self.error_field).max_length or 500
        return str(text)[:length]

    def column(self, field: str) -> str:
        return self.model._meta.get_field(field).column

    def still_sending(self, ids: list[int]) -> models.QuerySet:
        """The rows among `ids` still sending, found by primary key alone (see SENDING_SQL)."""
        # A constant statement; the status travels as a parameter.
        sending = RawSQL(SENDING_SQL, [self.sending])  # noqa: S611
        return self.rows.filter(pk__in=ids, status=sending)


def claim_due(ledger: Ledger, *, now: datetime, limit: int = CLAIM_BATCH) -> list[int]:
    """Claim up to `limit` due rows: lock them (skipping rows another sweep holds), mark sending.

    Two queries whatever the batch size. Must run inside a transaction, so the lock lasts
    until the sending mark commits; a concurrent sweep skips the locked rows and, once this
    one commits, no longer sees them as pending.
    """
    ids = list(
        ledger.rows.select_for_update(skip_locked=True)
        .filter(**{"status": ledger.pending, f"{ledger.due_field}__lte": now})
        .order_by(ledger.due_field)
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        ledger.rows.filter(pk__in=ids).update(status=ledger.sending, **{ledger.claimed_field: now})
    return ids


def release(ledger: Ledger, ids: list[int]) -> int:
    """Put claimed rows no sender ever touched (attempts still 0) back to pending."""
    return (
        ledger.still_sending(ids)
        .filter(**{ledger.attempts_field: 0})
        .update(status=ledger.pending, **{ledger.claimed_field: None})
    )


def sweep(
    ledger: Ledger,
    *,
    enqueue: Callable[[list[int]], object],
    now: datetime,
    batch_size: int = CLAIM_BATCH,
    chunk_size: int = SEND_CHUNK,
) -> int:
    """Claim every due row, batch by batch, and hand each chunk of ids to `enqueue` on commit.

    Memory stays bounded by one batch of ids; queries are constant per batch. A chunk whose
    enqueue fails (broker down) goes back to pending for the next beat: no sender has it.
    Return how many rows were claimed.
    """

    def hand_over(chunk: list[int]) -> None:
        try:
            enqueue(chunk)
        except Exception:  # kombu raises several kinds; the rows must not stay claimed
            logger.warning("Could not enqueue %d %s row(s)", len(chunk), ledger.noun, exc_info=True)
            release(ledger, chunk)

    claimed = 0
    while True:
        with transaction.atomic():
            ids = claim_due(ledger, now=now, limit=batch_size)
            for start in range(0, len(ids), chunk_size):
                chunk = ids[start : start + chunk_size]
                transaction.on_commit(lambda chunk=chunk: hand_over(chunk))
        claimed += len(ids)
        if len(ids) < batch_size:
            return claimed


def report_stuck(
    ledger: Ledger, *, now: datetime | None = None, batch_size: int = CLAIM_BATCH
) -> list[int]:
    """Deal with rows sending for longer than the ledger's `stuck_after`; return those failed.

    A row never handed to SMTP (attempts 0: its task was lost) goes back to pending. A row
    that was handed over may have been delivered: it is marked failed and logged as an
    error, never re-sent; the people in charge see the reason and can follow up by hand.
    """
    now = now or timezone.now()
    cutoff = now - ledger.stuck_after
    failed: list[int] = []
    while True:
        with transaction.atomic():
            stuck = list(
                ledger.rows.select_for_update(skip_locked=True)
                .filter(status=ledger.sending, **{f"{ledger.claimed_field}__lt": cutoff})
                .values_list("pk", ledger.attempts_field)[:batch_size]
            )
            release(ledger, [pk for pk, attempts in stuck if attempts == 0])
            handed = [pk for pk, attempts in stuck if attempts > 0]
            ledger.rows.filter(pk__in=handed).update(
                status=ledger.failed, **{ledger.error_field: ledger.reason(ledger.stuck_reason)}
            )
        failed += handed
        if len(stuck) < batch_size:
            break
    if failed:
        logger.error(
            "%d %s row(s) stuck mid-send were marked failed, not re-sent: ids %s",
            len(failed),
            ledger.noun,
            failed,
        )
    return failed


def fail(ledger: Ledger, ids: list[int], reason: str) -> int:
    """Give up on these rows still sending (their task ran out of retries, or broke)."""
    return ledger.still_sending(ids).update(
        status=ledger.failed, **{ledger.error_field: ledger.reason(reason)}
    )
