"""Composing and sending the ledger's messages: one person per message, over one connection.

Sending a row is guarded by a conditional UPDATE that raises its `attempts` only if it still
holds the value the task expects. A task delivered twice (the broker re-delivers after a
crash, or a sweep re-enqueued a chunk) therefore hands each row to SMTP at most once per
known outcome: a row handed over by a worker that then died keeps its raised count, is
never picked up again, and is reported by the stuck check.
"""

import contextlib
import logging
import smtplib
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEText
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from stakeholders.templatetags.portal import in_zone
from workinggroups.calendar import invitation_ics
from workinggroups.models import (
    ConveningMessage,
    ConveningStatus,
    Invitation,
    InvitationResponse,
    MessageKind,
    MessageStatus,
)
from workinggroups.outbound import MISSED_AFTER
from workinggroups.rsvp_tokens import rsvp_url

logger = logging.getLogger(__name__)

SUBJECTS = {
    MessageKind.INVITATION: "Invitation: %(title)s, %(when)s",
    MessageKind.REMINDER: "Reminder: %(title)s, %(when)s",
    MessageKind.UPDATE: "Changed: %(title)s, %(when)s",
    MessageKind.CANCELLATION: "Cancelled: %(title)s, %(when)s",
    MessageKind.PROMOTION: "You have a seat: %(title)s, %(when)s",
}


class TransientSendError(Exception):
    """SMTP said "later": the task retries. `handed` maps row id -> attempts already known
    to have failed, so the retry may hand those rows over again."""

    def __init__(self, cause: Exception, handed: dict[str, int]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.handed = handed


def is_transient(error: Exception) -> bool:
    """4xx replies, dropped or refused connections: worth another try. 5xx: not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, OSError)  # refused, reset, timed out


def skip_reason(message: ConveningMessage, invitation: Invitation | None, *, now: datetime):
    """Why this row must not be sent now, as (status, reason); None to send it."""
    person, convening = message.person, message.convening
    if message.kind == MessageKind.REMINDER and message.due_at < now - MISSED_AFTER:
        return MessageStatus.MISSED, "more than an hour late"
    if not person.email:
        return MessageStatus.SKIPPED, "no email address"
    if not person.consent_to_contact:
        return MessageStatus.SKIPPED, "no consent to be contacted"
    if invitation is None:
        return MessageStatus.SKIPPED, "no longer invited"
    if convening.status == ConveningStatus.CANCELLED and message.kind != MessageKind.CANCELLATION:
        return MessageStatus.SKIPPED, "the convening was cancelled"
    if message.kind == MessageKind.REMINDER:
        if not person.reminders_enabled:
            return MessageStatus.SKIPPED, "reminders turned off"
        if invitation.response == InvitationResponse.NO:
            return MessageStatus.SKIPPED, "declined"
        # A waiting yes has no seat yet; they hear from us when one frees up (PROMOTION).
        if invitation.waitlisted_at is not None:
            return MessageStatus.SKIPPED, "on the waitlist"
    return None


def compose(message: ConveningMessage, invitation: Invitation) -> EmailMultiAlternatives:
    """The message for one person: plain text, HTML alternative and the .ics attachment."""
    convening, person = message.convening, message.person
    zone_name = convening.group.city.time_zone
    when = in_zone(convening.starts_at, zone_name)
    cancelled = message.kind == MessageKind.CANCELLATION
    context = {
        "kind": message.kind,
        "person": person,
        "convening": convening,
        "city": convening.group.city,
        "when": when,
        "ends": in_zone(convening.ends_at, zone_name),
        "waitlisted": invitation.waitlisted_at is not None,
        "answer": invitation.get_response_display(),
        "answered": invitation.response != InvitationResponse.PENDING,
        "links": None
        if cancelled
        else {answer: rsvp_url(invitation, answer) for answer in ("yes", "maybe", "no")},
        "page": rsvp_url(invitation),
    }
    subject = _(SUBJECTS[message.kind]) % {"title": convening.title, "when": when}
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("workinggroups/mail/convening.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],  # one person per message: no shared To or Cc
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(
        render_to_string("workinggroups/mail/convening.html", context), "text/html"
    )
    method = "CANCEL" if cancelled else "REQUEST"
    # Django's MIME text keeps it readable (8bit or quoted-printable, not base64).
    ics = invitation_ics(invitation=invitation, method=method).decode()
    part = SafeMIMEText(ics, "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="convening.ics")
    email.attach(part)
    return email


def _load(message_ids: list[int]) -> tuple[list[ConveningMessage], dict]:
    """The chunk's rows still SENDING and their invitations: two queries for any chunk size."""
    rows = list(
        ConveningMessage.objects.filter(pk__in=message_ids, status=MessageStatus.SENDING)
        .select_related("person", "convening__group__city")
        .order_by("pk")
    )
    invitations = Invitation.objects.filter(
        convening_id__in={row.convening_id for row in rows},
        person_id__in={row.person_id for row in rows},
    ).select_related("person", "convening__group__city")
    return rows, {(i.convening_id, i.person_id): i for i in invitations}


def _finish(row: ConveningMessage, status: str, reason: str = "", **extra) -> None:
    if reason:  # a row sent after a 451 keeps that error: it explains the delay
        extra["last_error"] = reason[:500]
    ConveningMessage.objects.filter(pk=row.pk, status=MessageStatus.SENDING).update(
        status=status, **extra
    )


def messages_send(
    *, message_ids: list[int], handed: dict[str, int] | None = None, now: datetime | None = None
) -> int:
    """Send the chunk's rows over one SMTP connection, marking each right after its send.

    Raise TransientSendError on a temporary failure (rows sent so far stay SENT); mark a
    row FAILED on a permanent one and go on with the next. Return how many were sent.
    """
    handed = dict(handed or {})
    now = now or timezone.now()
    rows, invitations = _load(message_ids)
    sent = 0
    connection = get_connection()
    try:
        for row in rows:
            invitation = invitations.get((row.convening_id, row.person_id))
            skip = skip_reason(row, invitation, now=now)
            if skip is not None:
                _finish(row, *skip)
                continue
            email = compose(row, invitation)
            expected = handed.get(str(row.pk), 0)
            if not ConveningMessage.objects.filter(
                pk=row.pk, status=MessageStatus.SENDING, attempts=expected
            ).update(attempts=F("attempts") + 1):
                continue  # handed over before by a task that did not report back
            try:
                connection.open()  # once: later calls find it open and reuse it
                connection.send_messages([email])
            except Exception as error:
                if is_transient(error):
                    handed[str(row.pk)] = expected + 1
                    ConveningMessage.objects.filter(pk=row.pk).update(last_error=str(error)[:500])
                    raise TransientSendError(error, handed) from error
                logger.warning("Convening message %s refused: %s", row.pk, error)
                _finish(row, MessageStatus.FAILED, f"refused: {error}")
                continue
            _finish(row, MessageStatus.SENT, sent_at=timezone.now())
            sent += 1
    finally:
        # The server may have gone away first; then there is nothing left to close.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return sent


def messages_fail(*, message_ids: list[int], reason: str) -> int:
    """Give up on the chunk's rows still SENDING (the task ran out of retries)."""
    return ConveningMessage.objects.filter(pk__in=message_ids, status=MessageStatus.SENDING).update(
        status=MessageStatus.FAILED, last_error=reason[:500]
    )
