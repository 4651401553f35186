"""Writes for landscape briefings: scheduling, publishing, withdrawing, and the ledger rows.

Publishing writes one delivery row per recipient in the same transaction as the status
change (INSERT ... SELECT, so memory does not grow with the audience), then asks the
distribution sweep to run after commit. The rows are the promise; Celery only keeps it.
"""

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from briefings.audience import audience_errors, audience_of, audience_people
from briefings.models import Delivery, DeliveryStatus, LandscapeBriefing

logger = logging.getLogger(__name__)

Status = LandscapeBriefing.Status
WITHDRAWN_REASON = "the briefing was withdrawn"


class BriefingError(Exception):
    """A change the briefing's state or marking does not allow; the message says why."""

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


def _locked(briefing_id: int) -> LandscapeBriefing:
    return LandscapeBriefing.objects.select_for_update().get(pk=briefing_id)


def _check_audience(briefing: LandscapeBriefing) -> None:
    errors = audience_errors(audience_of(briefing))
    if errors:
        raise BriefingError(errors)


def deliveries_write(*, briefing: LandscapeBriefing, now: datetime) -> int:
    """Queue one delivery per person the audience reaches; return how many were new.

    One INSERT ... SELECT ... ON CONFLICT DO NOTHING: the database builds the rows, so a
    50,000-person audience costs no Python memory, and a second call adds nothing.
    """
    people = audience_people(audience_of(briefing)).values("id", "city_id", "leg")
    select_sql, params = people.query.sql_with_params()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    # The table name and the SELECT are Django's own; values travel as parameters.
    # "WHERE 1 = 1" lets SQLite (make run) tell the SELECT's end from the ON CONFLICT clause.
    sql = (
        f"INSERT INTO {table} (briefing_id, person_id, city_id, leg, status, queued_at, "  # noqa: S608
        "attempts, last_error) "
        f"SELECT %s, audience.id, audience.city_id, audience.leg, %s, %s, 0, '' "
        f"FROM ({select_sql}) AS audience WHERE 1 = 1 "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [briefing.pk, DeliveryStatus.QUEUED, now, *params])
        return cursor.rowcount


def _distribute_soon() -> None:
    """After commit, ask for a sweep now instead of at the next beat (best effort: with the
    broker down the rows stay queued and the next beat sends them)."""

    def kick() -> None:
        from briefings.tasks import sweep_briefing_deliveries

        try:
            sweep_briefing_deliveries.delay()
        except Exception:  # kombu raises several kinds; none may fail a committed publish
            logger.warning("Could not ask for a briefing sweep now; the next beat will")

    transaction.on_commit(kick)


def _publish_locked(briefing: LandscapeBriefing, *, now: datetime) -> int:
    _check_audience(briefing)
    briefing.status = Status.PUBLISHED
    briefing.published_at = now
    briefing.save(update_fields=["status", "published_at", "updated_at"])
    queued = deliveries_write(briefing=briefing, now=now)
    _distribute_soon()
    return queued


def briefing_publish(*, actor, briefing_id: int, request=None, now: datetime | None = None) -> int:
    """Publish a draft or scheduled briefing now; return how many deliveries were queued.

    Publishing twice (a double click, two tabs) is harmless: the second call finds the
    briefing already published under the row lock and queues nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        briefing = _locked(briefing_id)
        if briefing.status == Status.PUBLISHED:
            return 0
        if briefing.status == Status.WITHDRAWN:
            raise BriefingError(_("A withdrawn briefing cannot be published again."))
        queued = _publish_locked(briefing, now=now)
        audit_record(
            actor=actor,
            action=AuditAction.BRIEFING_PUBLISHED,
            request=request,
            target=briefing,
            tlp=briefing.tlp,
            recipients=queued,
        )
    return queued


def briefing_schedule(
    *, actor, briefing_id: int, publish_at: datetime, request=None, now: datetime | None = None
) -> LandscapeBriefing:
    """Schedule a draft to publish at `publish_at` (in the future); the beat publishes it."""
    now = now or timezone.now()
    with transaction.atomic():
        briefing = _locked(briefing_id)
        if briefing.status not in (Status.DRAFT, Status.SCHEDULED):
            raise BriefingError(_("Only a draft or a scheduled briefing can be scheduled."))
        if publish_at <= now:
            raise BriefingError(_("Choose a time in the future, or publish it now."))
        _check_audience(briefing)
        briefing.status = Status.SCHEDULED
        briefing.publish_at = publish_at
        briefing.save(update_fields=["status", "publish_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.BRIEFING_SCHEDULED,
            request=request,
            target=briefing,
            publish_at=publish_at.isoformat(),
        )
    return briefing


def briefing_unschedule(*, actor, briefing_id: int, request=None) -> LandscapeBriefing:
    """Take a scheduled briefing back to draft (nothing was sent)."""
    with transaction.atomic():
        briefing = _locked(briefing_id)
        if briefing.status != Status.SCHEDULED:
            raise BriefingError(_("Only a scheduled briefing can go back to draft."))
        briefing.status = Status.DRAFT
        briefing.publish_at = None
        briefing.save(update_fields=["status", "publish_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.BRIEFING_CHANGED,
            request=request,
            target=briefing,
            change="back to draft",
        )
    return briefing


def briefing_withdraw(
    *, actor, briefing_id: int, reason: str, request=None, now: datetime | None = None
) -> int:
    """Withdraw a briefing: readers lose access and deliveries not yet sent are skipped.

    Return how many queued deliveries were stopped. A send already handed to SMTP cannot
    be called back; the send loop re-reads the status within a fraction of a second
    (briefings.distribution.STATUS_RECHECK_SECONDS), so the rest stop.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise BriefingError(_("Say why the briefing is withdrawn; recipients will see it."))
    with transaction.atomic():
        briefing = _locked(briefing_id)
        if briefing.status == Status.WITHDRAWN:
            return 0
        briefing.status = Status.WITHDRAWN
        briefing.withdrawn_at = now
        briefing.withdrawal_reason = reason[:300]
        briefing.save(update_fields=["status", "withdrawn_at", "withdrawal_reason", "updated_at"])
        stopped = Delivery.objects.filter(briefing=briefing, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SKIPPED, last_error=WITHDRAWN_REASON
        )
        audit_record(
            actor=actor,
            action=AuditAction.BRIEFING_WITHDRAWN,
            request=request,
            target=briefing,
            reason=briefing.withdrawal_reason,
            stopped=stopped,
        )
    return stopped


def deliveries_retry_failed(*, actor, briefing_id: int, request=None) -> int:
    """Queue the briefing's failed deliveries again; return how many.

    A failed row may have been stuck mid-send (its mail possibly delivered); retrying it is
    the author's informed choice, which the audit log records.
    """
    with transaction.atomic():
        briefing = _locked(briefing_id)
        if briefing.status != Status.PUBLISHED:
            raise BriefingError(_("Only a published briefing's deliveries can be retried."))
        retried = Delivery.objects.filter(briefing=briefing, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.QUEUED,
            attempts=0,
            claimed_at=None,
            queued_at=timezone.now(),
        )
        if retried:
            audit_record(
                actor=actor,
                action=AuditAction.BRIEFING_RETRIED,
                request=request,
                target=briefing,
                retried=retried,
            )
            _distribute_soon()
    return retried


def briefings_publish_due(*, now: datetime | None = None) -> int:
    """Publish every scheduled briefing whose time has come; return how many.

    Each briefing is claimed under a row lock that skips rows another beat holds, and
    re-checked as still scheduled, so two beats cannot publish (or queue) it twice. One
    whose audience the marking no longer allows goes back to draft, recorded, not sent.
    """
    now = now or timezone.now()
    published = 0
    while True:
        with transaction.atomic():
            briefing = (
                LandscapeBriefing.objects.select_for_update(skip_locked=True)
                .filter(status=Status.SCHEDULED, publish_at__lte=now)
                .order_by("publish_at")
                .first()
            )
            if briefing is None:
                return published
            try:
                with transaction.atomic():
                    queued = _publish_locked(briefing, now=now)
            except BriefingError as error:
                LandscapeBriefing.objects.filter(pk=briefing.pk).update(
                    status=Status.DRAFT, publish_at=None
                )
                audit_record(
                    actor=None,
                    action=AuditAction.BRIEFING_CHANGED,
                    target=briefing,
                    change="not published: back to draft",
                    reason=str(error),
                )
                continue
            audit_record(
                actor=None,
                action=AuditAction.BRIEFING_PUBLISHED,
                target=briefing,
                tlp=briefing.tlp,
                recipients=queued,
                scheduled=True,
            )
            published += 1


def delivery_mark_read(*, briefing: LandscapeBriefing, person_id: int | None) -> bool:
    """Record that the recipient opened the briefing signed in (first time only)."""
    if not person_id:
        return False
    return bool(
        Delivery.objects.filter(
            briefing=briefing, person_id=person_id, read_at__isnull=True
        ).update(read_at=timezone.now())
    )


def delivery_acknowledge(*, briefing: LandscapeBriefing, person_id: int) -> bool:
    """Record the recipient's explicit acknowledgement (which also counts as read)."""
    now = timezone.now()
    updated = Delivery.objects.filter(
        briefing=briefing, person_id=person_id, acknowledged_at__isnull=True
    ).update(acknowledged_at=now)
    Delivery.objects.filter(briefing=briefing, person_id=person_id, read_at__isnull=True).update(
        read_at=now
    )
    return bool(updated)
