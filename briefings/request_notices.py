"""Telling the requester of each step of a briefing request (the RequestEvent ledger).

Every step wrote an event row in its own transaction; this module claims the rows not yet
notified, mails the people to tell, and marks each row (ARCHITECTURE.md, "Outbound mail is
data first"). Claim, send, mark:

- The claim locks the rows (skipping rows another run holds), raises their attempts and
  stamps them "in flight" with the claim time, in one short transaction. A concurrent run
  no longer sees them; the send happens outside any transaction.
- A sent row gets notified_at; a failed one keeps the error and is tried again by the next
  run, up to MAX_ATTEMPTS tries in all.
- A row still in flight STUCK_AFTER after its claim (its worker was killed mid-send) is
  reported and given up, never re-sent: the SMTP server may already have taken it. The
  request page still shows the step to the requester.

Who is told: the requester; the city's coordinators when the requester's account is gone
(or inactive) or the requester is not one of them (staff asking on a city's behalf).
"""

import contextlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from briefings.models import BriefingRequest, RequestEvent, RequestStatus
from stakeholders.models import CityUserObjectPermission, User
from stakeholders.templatetags.portal import in_zone

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
CLAIM_BATCH = 100
STUCK_AFTER = timedelta(minutes=15)
IN_FLIGHT = "in flight since "
# Fixed width, UTC: stamps compare as text in the same order as in time.
STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
STUCK_REASON = "stuck mid-send; not re-sent to avoid a duplicate"
NOBODY_REASON = "nobody to tell: no active requester or coordinator"

SUBJECTS = {
    RequestStatus.REQUESTED: "Briefing request received: %(topic)s",
    RequestStatus.ACCEPTED: "Briefing request accepted: %(topic)s",
    RequestStatus.SCHEDULED: "Briefing request scheduled: %(topic)s",
    RequestStatus.DELIVERED: "Briefing request delivered: %(topic)s",
    RequestStatus.DECLINED: "Briefing request declined: %(topic)s",
}


def _stamp(moment: datetime) -> str:
    return IN_FLIGHT + moment.astimezone(UTC).strftime(STAMP_FORMAT)


def _pending():
    """Rows still to tell (the partial index's condition), not held by a sender now."""
    return RequestEvent.objects.filter(
        notified_at__isnull=True, notify_attempts__lt=MAX_ATTEMPTS
    ).exclude(notify_error__startswith=IN_FLIGHT)


def events_claim(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> list[int]:
    """Claim up to `limit` un-notified events, oldest first: two queries, one transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            _pending()
            .select_for_update(skip_locked=True)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            RequestEvent.objects.filter(pk__in=ids).update(
                notify_attempts=F("notify_attempts") + 1, notify_error=_stamp(now)
            )
    return ids


def events_report_stuck(*, now: datetime | None = None) -> list[int]:
    """Give up rows whose sender died mid-send (claimed over STUCK_AFTER ago), and log them."""
    now = now or timezone.now()
    stuck = RequestEvent.objects.filter(
        notified_at__isnull=True,
        notify_error__startswith=IN_FLIGHT,
        notify_error__lt=_stamp(now - STUCK_AFTER),
    )
    ids = list(stuck.values_list("pk", flat=True))
    if ids:
        RequestEvent.objects.filter(pk__in=ids, notify_error__startswith=IN_FLIGHT).update(
            notify_error=STUCK_REASON, notify_attempts=MAX_ATTEMPTS
        )
        logger.warning("Briefing request notices stuck mid-send, not re-sent: %s", ids)
    return ids


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str


def city_coordinators(city_id: int):
    """Active accounts holding the coordinator role on the city."""
    holders = CityUserObjectPermission.objects.filter(
        content_object_id=city_id, permission__codename="coordinate_city"
    ).values("user_id")
    return User.objects.filter(pk__in=holders, is_active=True).order_by("email")


def notice_recipients(briefing_request: BriefingRequest) -> list[Recipient]:
    """Who hears of a step: the requester, and the coordinators when the requester is gone
    or is not one of them. Each address once."""
    requester = briefing_request.requested_by
    coordinators = list(city_coordinators(briefing_request.city_id))
    people: list[User] = []
    if requester is not None and requester.is_active and requester.email:
        people.append(requester)
    if not people or requester.pk not in {user.pk for user in coordinators}:
        people.extend(coordinators)
    seen, out = set(), []
    for user in people:
        key = user.email.lower()
        if key not in seen:
            seen.add(key)
            out.append(Recipient(email=user.email, name=user.get_full_name()))
    return out


def request_url(briefing_request: BriefingRequest) -> str:
    path = reverse("briefing_request_detail", kwargs={"request_id": briefing_request.pk})
    return f"{settings.PORTAL_BASE_URL}{path}"


def compose(event: RequestEvent, recipient: Recipient) -> EmailMultiAlternatives:
    """One message to one person: the new status, the note or reason, the request's link."""
    briefing_request = event.request
    city = briefing_request.city
    convening = briefing_request.convening if event.status == RequestStatus.SCHEDULED else None
    context = {
        "event": event,
        "status": event.status,
        "status_label": event.get_status_display(),
        "briefing_request": briefing_request,
        "city": city,
        "recipient": recipient,
        "convening": convening,
        "when": in_zone(convening.starts_at, city.time_zone) if convening else "",
        "briefing": briefing_request.briefing if event.status == RequestStatus.DELIVERED else None,
        "link": request_url(briefing_request),
    }
    subject = _(SUBJECTS[event.status]) % {"topic": briefing_request.topic}
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("briefings/mail/request_event.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],  # one person per message: coordinators do not see each other
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(
        render_to_string("briefings/mail/request_event.html", context), "text/html"
    )
    return email


def _mark(event_id: int, **values) -> None:
    # Only a row this run still holds: a stuck report may have given it up meanwhile.
    RequestEvent.objects.filter(pk=event_id, notify_error__startswith=IN_FLIGHT).update(**values)


def events_send(*, event_ids: list[int]) -> int:
    """Send the claimed events' notices over one SMTP connection; return how many were sent.

    A failure is recorded on its row (tried again by a later run while attempts remain) and
    the next row goes on over a fresh connection.
    """
    events = list(
        RequestEvent.objects.filter(
            pk__in=event_ids, notified_at__isnull=True, notify_error__startswith=IN_FLIGHT
        )
        .select_related(
            "request__city", "request__requested_by", "request__convening", "request__briefing"
        )
        .order_by("created_at", "pk")
    )
    sent = 0
    connection = get_connection()
    try:
        for event in events:
            recipients = notice_recipients(event.request)
            if not recipients:
                _mark(event.pk, notify_error=NOBODY_REASON, notify_attempts=MAX_ATTEMPTS)
                continue
            messages = [compose(event, recipient) for recipient in recipients]
            # All of an event's messages stand or fall together: after a failure part-way
            # (rare: several addresses only when the requester is not a coordinator), the
            # retry may repeat a notice to the first ones rather than lose one.
            try:
                connection.open()  # once: later calls find it open and reuse it
                connection.send_messages(messages)
            except Exception as error:  # SMTP and socket errors alike: record, go on
                logger.warning("Briefing request notice %s not sent: %s", event.pk, error)
                _mark(event.pk, notify_error=f"{type(error).__name__}: {error}"[:500])
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    connection.close()
                connection = get_connection()
                continue
            _mark(event.pk, notified_at=timezone.now(), notify_error="")
            sent += 1
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return sent


def events_notify(*, now: datetime | None = None) -> int:
    """One run of the notice task: report stuck rows, claim a batch, send it."""
    now = now or timezone.now()
    events_report_stuck(now=now)
    ids = events_claim(now=now)
    return events_send(event_ids=ids) if ids else 0
