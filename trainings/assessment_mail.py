"""Composing and sending self-assessment requests: one person per message, over one
connection per chunk (outbox.send_rows: the attempts guard, sent rows marked together).

What is checked before a row is sent, from what is loaded once per chunk (a few queries per
chunk, none per row): the person was not erased, has an address that has not bounced and
consents to be contacted; the session is not cancelled; the answers are still open; for
BEFORE, the person did not decline; for AFTER, attendance lists them.
"""

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

import outbox
from outbox import TransientSendError
from outbox.sending import Skip
from stakeholders.templatetags.portal import in_zone
from trainings.assessment_outbound import CANCELLED, CLOSED, DID_NOT_ATTEND, LEDGER
from trainings.assessment_tokens import assessment_url
from trainings.models import (
    AssessmentMailStatus,
    AssessmentPhase,
    AssessmentRequest,
    TrainingModule,
)
from workinggroups.models import Attendance, ConveningStatus, Invitation, InvitationResponse

__all__ = ["TransientSendError", "assessments_fail", "assessments_send", "compose", "skip_reason"]

ERASED = "the person was erased"
NO_EMAIL = "no email address"
BOUNCED = "address bounced"
NO_CONSENT = "no consent to be contacted"
NOT_INVITED = "no longer invited"
DECLINED = "declined the invitation"
ANSWERED = "already answered"

SUBJECTS = {
    AssessmentPhase.BEFORE: "Before the training: %(title)s, %(when)s",
    AssessmentPhase.AFTER: "After the training: %(title)s",
}


def skip_reason(
    row: AssessmentRequest,
    *,
    invitation: Invitation | None,
    attended: bool,
    now: datetime,
) -> Skip:
    """Why this row must not be sent, as (status, reason); None to send it."""
    skipped = AssessmentMailStatus.SKIPPED
    person, convening = row.person, row.session.convening
    if person is None:
        return skipped, ERASED
    if not person.email:
        return skipped, NO_EMAIL
    if person.email_bounced_at is not None:
        return skipped, BOUNCED
    if not person.consent_to_contact:
        return skipped, NO_CONSENT
    if convening.status == ConveningStatus.CANCELLED:
        return skipped, CANCELLED
    if row.answered_at is not None:
        return skipped, ANSWERED
    if row.closes_at <= now:
        return skipped, CLOSED
    if row.phase == AssessmentPhase.AFTER:
        return None if attended else (skipped, DID_NOT_ATTEND)
    if invitation is None:
        return skipped, NOT_INVITED
    if invitation.response == InvitationResponse.NO:
        return skipped, DECLINED
    return None


def compose(row: AssessmentRequest) -> EmailMultiAlternatives:
    """The request for one person: plain text and an HTML alternative, with the signed link."""
    convening = row.session.convening
    city = convening.group.city
    when = in_zone(convening.starts_at, city.time_zone)
    context = {
        "phase": row.phase,
        "person": row.person,
        "convening": convening,
        "city": city,
        "modules": row.session.modules.all(),  # prefetched for the chunk
        "when": when,
        "closes": in_zone(row.closes_at, city.time_zone),
        "link": assessment_url(row),
    }
    subject = _(SUBJECTS[row.phase]) % {"title": convening.title, "when": when}
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("trainings/mail/assessment.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.person.email],  # one person per message: no shared To or Cc
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(
        render_to_string("trainings/mail/assessment.html", context), "text/html"
    )
    return email


def _load(request_ids: list[int]) -> tuple[list[AssessmentRequest], dict, set]:
    """The chunk's rows still sending, the invitations and the attendance they need: four
    queries for any chunk size."""
    rows = list(
        AssessmentRequest.objects.filter(pk__in=request_ids, status=AssessmentMailStatus.SENDING)
        .select_related("person", "session__convening__group__city")
        .prefetch_related(
            Prefetch("session__modules", queryset=TrainingModule.objects.order_by("title", "pk"))
        )
        .order_by("pk")
    )
    convening_ids = {row.session.convening_id for row in rows}
    person_ids = {row.person_id for row in rows if row.person_id}
    invitations = {
        (i.convening_id, i.person_id): i
        for i in Invitation.objects.filter(convening_id__in=convening_ids, person_id__in=person_ids)
    }
    attended = set(
        Attendance.objects.filter(
            convening_id__in=convening_ids, person_id__in=person_ids
        ).values_list("convening_id", "person_id")
    )
    return rows, invitations, attended


def assessments_send(
    *, request_ids: list[int], handed: dict[str, int] | None = None, now: datetime | None = None
) -> int:
    """Send the chunk's claimed rows over one SMTP connection; return how many were sent.

    Raise TransientSendError on a temporary failure (rows sent so far are marked sent); a
    row refused for good is marked failed and the next one goes on.
    """
    now = now or timezone.now()
    rows, invitations, attended = _load(request_ids)

    def skip(row: AssessmentRequest) -> Skip:
        key = (row.session.convening_id, row.person_id)
        return skip_reason(row, invitation=invitations.get(key), attended=key in attended, now=now)

    return outbox.send_rows(LEDGER, rows=rows, handed=handed, skip=skip, compose=compose)


def assessments_fail(*, request_ids: list[int], reason: str) -> int:
    """Give up on the chunk's rows still sending (the task ran out of retries, or broke)."""
    return outbox.fail(LEDGER, request_ids, reason)
