"""Distributing landscape briefings: the Delivery ledger on the generic outbox machinery.

Publishing writes one Delivery row per recipient in its own transaction (briefings.services)
and asks for a sweep after commit; the beat sweeps every minute as well. The sweep claims
queued rows and hands chunks of ids to send tasks (briefings.tasks); each task sends its
chunk over one SMTP connection (outbox.send_rows). Claim, send, mark: a row stuck mid-send
is reported, never re-sent (outbox/ledger.py and outbox/sending.py say why and at what price).

What is checked before a row is sent, per chunk (a few queries per chunk, none per row):
- the briefing is still published: re-read with the rows, and again before a send whenever
  STATUS_RECHECK_SECONDS have passed since the last read, so a withdrawal stops a chunk in
  flight within a fraction of a second: the rest are not sent. Re-reading by time, not by
  row, keeps the queries of a chunk the same whatever its size;
- the person was not erased, has an address, consents to be contacted, and their address
  has not bounced;
- the person is still in the audience (one query per chunk): someone who left the working
  group since publishing is skipped as "no longer in the audience", which also keeps the
  briefing from them (briefings.permissions).
A recipient the mail server refuses for good (5xx) is marked failed with the server's words,
and their address is marked bounced, so later briefings skip them until someone fixes it.
"""

import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

import outbox
from briefings.audience import audience_of, audience_people
from briefings.delivery_mail import BriefingMail, briefing_mail
from briefings.models import Delivery, DeliveryStatus, LandscapeBriefing
from briefings.permissions import NOT_IN_AUDIENCE
from briefings.services import WITHDRAWN_REASON
from outbox.sending import Skip
from stakeholders.models import Person

logger = logging.getLogger(__name__)

CLAIM_BATCH = outbox.CLAIM_BATCH
# Larger than a convening's chunk: a briefing goes to thousands at once, and each task pays
# for a connection and a few queries. It is also what a killed worker can leave in doubt.
SEND_CHUNK = 100
STUCK_AFTER = outbox.STUCK_AFTER
STUCK_REASON = outbox.STUCK_REASON
STATUS_RECHECK_SECONDS = 0.2

ERASED = "the person was erased"
NO_EMAIL = "no email address"
NO_CONSENT = "no consent to be contacted"
BOUNCED = "address bounced"
NOT_PUBLISHED = "the briefing is not published"

LEDGER = outbox.Ledger(
    model=Delivery,
    noun="briefing delivery",
    pending=DeliveryStatus.QUEUED,
    sending=DeliveryStatus.SENDING,
    sent=DeliveryStatus.SENT,
    failed=DeliveryStatus.FAILED,
    due_field="queued_at",
    stuck_after=STUCK_AFTER,
    stuck_reason=STUCK_REASON,
)

Status = LandscapeBriefing.Status


def deliveries_claim_due(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> list[int]:
    """Claim up to `limit` queued deliveries (two queries; inside a transaction)."""
    return outbox.claim_due(LEDGER, now=now or timezone.now(), limit=limit)


def deliveries_sweep(
    *,
    enqueue: Callable[[list[int]], object],
    now: datetime | None = None,
    batch_size: int = CLAIM_BATCH,
    chunk_size: int = SEND_CHUNK,
) -> int:
    """Claim every queued delivery and hand chunks of ids to `enqueue` after commit."""
    return outbox.sweep(
        LEDGER,
        enqueue=enqueue,
        now=now or timezone.now(),
        batch_size=batch_size,
        chunk_size=chunk_size,
    )


def deliveries_report_stuck(*, now: datetime | None = None) -> list[int]:
    """Rows a killed worker left mid-send: back to queued if never handed to SMTP, else
    failed with STUCK_REASON and logged, never re-sent. Return the ids marked failed."""
    return outbox.report_stuck(LEDGER, now=now)


def deliveries_fail(*, delivery_ids: list[int], reason: str) -> int:
    """Give up on the chunk's rows still sending (the task ran out of retries, or broke)."""
    return outbox.fail(LEDGER, delivery_ids, reason)


@dataclass(frozen=True, slots=True)
class Recipient:
    """What the send loop reads of a person: the address and whether it may be used."""

    email: str
    consent_to_contact: bool
    email_bounced_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChunkRow:
    """What the send loop reads of a delivery (same names as on Delivery and Person).

    Plain values rather than model instances: a distribution loads every row once, and
    building a Delivery, a Person and (through the join) a LandscapeBriefing with all their
    columns, the body included, for each recipient cost a few milliseconds per chunk.
    """

    pk: int
    briefing_id: int
    person_id: int | None
    person: Recipient | None  # None once the person was erased


def _chunk_rows(delivery_ids: list[int]) -> list[ChunkRow]:
    """The chunk's rows still sending, with their people's address and consent (one query)."""
    found = (
        LEDGER.still_sending(delivery_ids)
        .order_by("pk")
        .values_list(
            "pk",
            "briefing_id",
            "person_id",
            "person__email",
            "person__consent_to_contact",
            "person__email_bounced_at",
        )
    )
    return [
        ChunkRow(pk, briefing_id, person_id, None if person_id is None else Recipient(*person))
        for pk, briefing_id, person_id, *person in found
    ]


def _status_skip(status: str) -> Skip:
    if status == Status.PUBLISHED:
        return None
    if status == Status.WITHDRAWN:
        return DeliveryStatus.SKIPPED, WITHDRAWN_REASON
    return DeliveryStatus.SKIPPED, NOT_PUBLISHED


class _StatusWatch:
    """The chunk's briefings' statuses, re-read at most every STATUS_RECHECK_SECONDS."""

    def __init__(self, briefings: dict[int, LandscapeBriefing]) -> None:
        self.statuses = {pk: briefing.status for pk, briefing in briefings.items()}
        self.read_at = time.monotonic()

    def stop_reason(self, row: ChunkRow) -> Skip:
        if time.monotonic() - self.read_at >= STATUS_RECHECK_SECONDS:
            self.statuses.update(
                LandscapeBriefing.objects.filter(pk__in=list(self.statuses)).values_list(
                    "pk", "status"
                )
            )
            self.read_at = time.monotonic()
        return _status_skip(self.statuses[row.briefing_id])


def _still_in_audience(rows: list[ChunkRow], briefings: dict) -> set[tuple[int, int]]:
    """(briefing id, person id) of the chunk's people the audience still reaches: the
    audience recomputed, narrowed to the chunk's people (one query per briefing)."""
    reached: set[tuple[int, int]] = set()
    for briefing_id, briefing in briefings.items():
        if briefing.status != Status.PUBLISHED:
            continue
        person_ids = [r.person_id for r in rows if r.briefing_id == briefing_id and r.person_id]
        if not person_ids:
            continue
        people = audience_people(audience_of(briefing), among=person_ids)
        # Unordered: the ids are all it needs, not people sorted by name.
        reached.update((briefing_id, pk) for pk in people.order_by().values_list("pk", flat=True))
    return reached


def skip_reason(row: Delivery | ChunkRow, *, briefing_status: str, in_audience: bool) -> Skip:
    """Why this delivery must not be sent, as (status, reason); None to send it."""
    stop = _status_skip(briefing_status)
    if stop is not None:
        return stop
    person = row.person
    if person is None:
        return DeliveryStatus.SKIPPED, ERASED
    if not person.email:
        return DeliveryStatus.SKIPPED, NO_EMAIL
    if not person.consent_to_contact:
        return DeliveryStatus.SKIPPED, NO_CONSENT
    if person.email_bounced_at is not None:
        return DeliveryStatus.SKIPPED, BOUNCED
    if not in_audience:
        return DeliveryStatus.SKIPPED, NOT_IN_AUDIENCE
    return None


def _bounce(row: ChunkRow, error: Exception) -> None:
    """A recipient refused for good (5xx at RCPT): mark the address bounced."""
    if row.person_id is None or not isinstance(error, smtplib.SMTPRecipientsRefused):
        return
    words = "; ".join(
        f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
        for code, reply in error.recipients.values()
    )
    Person.objects.filter(pk=row.person_id, email_bounced_at__isnull=True).update(
        email_bounced_at=timezone.now(), email_bounce_reason=words[:300]
    )
    logger.warning("Briefing delivery %s: address refused, marked bounced: %s", row.pk, words)


def deliveries_send(*, delivery_ids: list[int], handed: dict[str, int] | None = None) -> int:
    """Send the chunk's deliveries still sending; return how many were sent.

    Queries per chunk, whatever its size: the rows with their people, their briefings, the
    audience (one per briefing in the chunk, plus reading its stored choice), the
    attachments of a CLEAR or GREEN briefing, the attempts guard, the marks. Raise
    outbox.TransientSendError when SMTP says "later" (the task retries).
    """
    rows = _chunk_rows(delivery_ids)
    if not rows:
        return 0
    # Each briefing once (a chunk usually holds one), not a copy joined to every row.
    briefings = LandscapeBriefing.objects.in_bulk({row.briefing_id for row in rows})
    reached = _still_in_audience(rows, briefings)
    mails: dict[int, BriefingMail] = {}

    def skip(row: ChunkRow) -> Skip:
        return skip_reason(
            row,
            briefing_status=briefings[row.briefing_id].status,
            in_audience=(row.briefing_id, row.person_id) in reached,
        )

    def compose(row: ChunkRow):
        if row.briefing_id not in mails:  # rendered once per briefing in the chunk
            mails[row.briefing_id] = briefing_mail(briefings[row.briefing_id])
        return mails[row.briefing_id].message(row.person.email)

    return outbox.send_rows(
        LEDGER,
        rows=rows,
        handed=handed,
        skip=skip,
        before_send=_StatusWatch(briefings).stop_reason,
        compose=compose,
        on_refused=_bounce,
    )
