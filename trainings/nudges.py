"""Nudging a city's coordinators when a leg lags in training: the CoverageNudge ledger.

Planning (weekly, trainings.coverage_tasks.plan_coverage_nudges) writes one CoverageNudge
row per city, lagging leg and ISO week with bulk_create(ignore_conflicts=True): the unique
key (city, leg, week) makes "at most one nudge a week" a fact the database keeps, however
often the task runs. Sending is the generic outbound ledger (outbox/), on the pattern of
briefings.distribution: a sweep claims pending rows and hands chunks of ids to send tasks;
each task sends its chunk over one SMTP connection (outbox.send_rows). Claim, send, mark: a
row stuck mid-send is reported, never re-sent.

One row is one message, addressed to every coordinator of the city as separate envelope
recipients (Bcc: no coordinator sees another's address). Not one SMTP message per
coordinator: the ledger's at-most-once guard works per row, so several messages inside one
row's send would, after a temporary failure half-way, be re-sent to the coordinators already
served. One message with several recipients is accepted or refused as a whole.

What is checked before a row is sent, per chunk (a few queries per chunk, none per row):
- the city still has a coordinator with an active account (else skipped, with the reason);
- the leg still lags (coverage recomputed for the chunk's cities): a session held between
  planning and sending makes the nudge moot (skipped, with the reason).
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import outbox
from outbox.sending import Skip
from stakeholders.models import CityUserObjectPermission, Leg
from trainings import coverage_selectors
from trainings.models import AssessmentMailStatus, CoverageNudge

logger = logging.getLogger(__name__)

CLAIM_BATCH = outbox.CLAIM_BATCH
SEND_CHUNK = outbox.SEND_CHUNK
STUCK_AFTER = outbox.STUCK_AFTER
STUCK_REASON = outbox.STUCK_REASON

NO_COORDINATOR = "the city has no coordinator with an active account"
NO_LONGER_LAGS = "the leg no longer lags"

Status = AssessmentMailStatus

LEDGER = outbox.Ledger(
    model=CoverageNudge,
    noun="training nudge",
    pending=Status.PENDING,
    sending=Status.SENDING,
    sent=Status.SENT,
    failed=Status.FAILED,
    due_field="due_at",
    stuck_after=STUCK_AFTER,
    stuck_reason=STUCK_REASON,
)


def week_of(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def nudges_plan(*, today: date | None = None, now: datetime | None = None) -> int:
    """Write a pending nudge for each lagging leg of each city, once per ISO week.

    Rows already planned this week are left alone (the unique key, with ignore_conflicts),
    so running twice plans nothing more. Return how many lagging legs were found.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    week = week_of(today)
    found = 0
    batch: list[CoverageNudge] = []
    for city_id, coverage in coverage_selectors.cities_with_lagging_legs(today=today):
        for leg in coverage.lagging_legs:
            batch.append(
                CoverageNudge(
                    city_id=city_id,
                    leg=leg.leg,
                    week=week,
                    trained_share=leg.trained / leg.members,
                    due_at=now,
                )
            )
        if len(batch) >= CLAIM_BATCH:
            found += len(batch)
            CoverageNudge.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        found += len(batch)
        CoverageNudge.objects.bulk_create(batch, ignore_conflicts=True)
    return found


def nudges_sweep(
    *,
    enqueue: Callable[[list[int]], object],
    now: datetime | None = None,
    batch_size: int = CLAIM_BATCH,
    chunk_size: int = SEND_CHUNK,
) -> int:
    """Claim every pending nudge and hand chunks of ids to `enqueue` after commit."""
    return outbox.sweep(
        LEDGER,
        enqueue=enqueue,
        now=now or timezone.now(),
        batch_size=batch_size,
        chunk_size=chunk_size,
    )


def nudges_report_stuck(*, now: datetime | None = None) -> list[int]:
    """Rows a killed worker left mid-send: back to pending if never handed to SMTP, else
    failed with STUCK_REASON and logged, never re-sent. Return the ids marked failed."""
    return outbox.report_stuck(LEDGER, now=now)


def nudges_fail(*, nudge_ids: list[int], reason: str) -> int:
    """Give up on the chunk's rows still sending (the task ran out of retries, or broke)."""
    return outbox.fail(LEDGER, nudge_ids, reason)


def coordinator_addresses(city_ids: list[int]) -> dict[int, list[str]]:
    """Each city's coordinators' addresses (active accounts), in one query."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = (
        CityUserObjectPermission.objects.filter(
            content_object_id__in=city_ids,
            permission__codename="coordinate_city",
            user__is_active=True,
        )
        .order_by("user__email")
        .values_list("content_object_id", "user__email")
    )
    for city_id, address in rows:
        if address and address not in found[city_id]:
            found[city_id].append(address)
    return found


def coverage_path(slug: str) -> str:
    return reverse("city_training_coverage", kwargs={"slug": slug})


def nudge_message(
    row: CoverageNudge, coverage: coverage_selectors.CityCoverage, addresses: list[str]
) -> EmailMultiAlternatives:
    """The nudge about one leg of one city, to its coordinators (each a Bcc recipient)."""
    leg = coverage.leg(row.leg)
    context = {
        "city": row.city,
        "leg": leg,
        "legs": [other for other in coverage.legs if other.members],
        "why": coverage_selectors.lag_sentence(leg, coverage),
        "advice": coverage_selectors.leg_advice(leg.leg),
        "foundational_count": coverage.foundational_count,
        "url": f"{settings.PORTAL_BASE_URL}{coverage_path(row.city.slug)}",
    }
    subject = _("Training in %(city)s: %(leg)s lags behind") % {
        "city": row.city.name,
        "leg": str(Leg(row.leg).label),
    }
    # render_to_string marks its output safe HTML; the plain text is no HTML at all.
    text = render_to_string("trainings/mail/nudge.txt", context)[:]
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        bcc=addresses,
        headers={"To": "undisclosed-recipients:;", "Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(render_to_string("trainings/mail/nudge.html", context), "text/html")
    return email


def nudges_send(*, nudge_ids: list[int], handed: dict[str, int] | None = None) -> int:
    """Send the chunk's nudges still sending; return how many were sent.

    Queries per chunk, whatever its size: the rows with their cities, the coordinators'
    addresses, the coverage of the chunk's cities (four), the attempts guard, the marks.
    Raise outbox.TransientSendError when SMTP says "later" (the task retries).
    """
    rows = list(
        CoverageNudge.objects.filter(pk__in=nudge_ids, status=Status.SENDING)
        .select_related("city")
        .order_by("pk")
    )
    if not rows:
        return 0
    city_ids = sorted({row.city_id for row in rows})
    addresses = coordinator_addresses(city_ids)
    coverage = coverage_selectors.coverage_for_cities(city_ids, foundational_only=True)

    def skip(row: CoverageNudge) -> Skip:
        if not addresses.get(row.city_id):
            return Status.SKIPPED, NO_COORDINATOR
        if not coverage[row.city_id].leg(row.leg).lags:
            return Status.SKIPPED, NO_LONGER_LAGS
        return None

    def compose(row: CoverageNudge):
        return nudge_message(row, coverage[row.city_id], addresses[row.city_id])

    return outbox.send_rows(LEDGER, rows=rows, handed=handed, skip=skip, compose=compose)
