"""Composing and sending the ledger's messages: one person per message, over one connection.

The send loop is outbox.send_rows: a conditional UPDATE raises the chunk's `attempts` only
on rows that still hold the value the task expects. A task delivered twice (the broker
re-delivers after a crash, or a sweep re-enqueued a chunk) therefore hands each row to SMTP
at most once per known outcome: a row handed over by a worker that then died keeps its
raised count, is never picked up again, and is reported by the stuck check. (outbox/sending.py
says what guarding a whole chunk at once costs and buys.)
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

import outbox
from outbox import TransientSendError, is_transient
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
from workinggroups.outbound import LEDGER, MISSED_AFTER
from workinggroups.rsvp_tokens import rsvp_url

logger = logging.getLogger(__name__)

# Kept importable from here: the convening tasks and their tests know them by this module.
__all__ = [
    "TransientSendError",
    "compose",
    "is_transient",
    "messages_fail",
    "messages_send",
    "skip_reason",
]

SUBJECTS = {
    MessageKind.INVITATION: "Invitation: %(title)s, %(when)s",
    MessageKind.REMINDER: "Reminder: %(title)s, %(when)s",
    MessageKind.UPDATE: "Changed: %(title)s, %(when)s",
    MessageKind.CANCELLATION: "Cancelled: %(title)s, %(when)s",
    MessageKind.PROMOTION: "You have a seat: %(title)s, %(when)s",
}


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


def messages_send(
    *, message_ids: list[int], handed: dict[str, int] | None = None, now: datetime | None = None
) -> int:
    """Send the chunk's rows over one SMTP connection (outbox.send_rows: the attempts guard
    for the whole chunk, the sent rows marked together when it ends).

    Raise TransientSendError on a temporary failure (rows sent so far are marked SENT); mark
    a row FAILED on a permanent one and go on with the next. Return how many were sent.
    """
    now = now or timezone.now()
    rows, invitations = _load(message_ids)

    def invitation_of(row: ConveningMessage) -> Invitation | None:
        return invitations.get((row.convening_id, row.person_id))

    return outbox.send_rows(
        LEDGER,
        rows=rows,
        handed=handed,
        skip=lambda row: skip_reason(row, invitation_of(row), now=now),
        compose=lambda row: compose(row, invitation_of(row)),
    )


def messages_fail(*, message_ids: list[int], reason: str) -> int:
    """Give up on the chunk's rows still SENDING (the task ran out of retries)."""
    return outbox.fail(LEDGER, message_ids, reason)
