"""Landscape briefings, their audiences and the record of their delivery; the briefing that
publishes while `make run` is watched; and the cities' briefing requests."""

import random
from datetime import UTC, datetime, time, timedelta

from briefings.audience import briefing_audience_people
from briefings.models import (
    AudienceLeg,
    BriefingRequest,
    Delivery,
    LandscapeBriefing,
    RequestEvent,
    RequestStatus,
)
from stakeholders.demo import cities, texts
from stakeholders.demo.cities import SEED
from stakeholders.demo.people import Cast
from stakeholders.demo.rows import upsert
from stakeholders.models import Person, Sector, User
from workinggroups.models import Convening


def landscape_briefings(casts: dict[str, Cast], staff: User, now: datetime) -> None:
    """Write the briefings, their audiences and the delivery ledger of the published ones."""
    today = now.astimezone(UTC).date()
    for spec in texts.BRIEFINGS:
        published_at = None
        if spec.days_ago is not None:
            published_at = datetime.combine(
                today - timedelta(days=spec.days_ago), time(15, 0), tzinfo=UTC
            )
        briefing = upsert(
            LandscapeBriefing,
            title=spec.title,
            values={
                "summary": spec.summary,
                "body_markdown": spec.body,
                "tlp": spec.tlp,
                "status": (
                    LandscapeBriefing.Status.PUBLISHED
                    if published_at
                    else LandscapeBriefing.Status.DRAFT
                ),
                "author": staff,
                "publish_at": None,
                "published_at": published_at,
                "review_by": published_at.date() + timedelta(days=180) if published_at else None,
            },
        )
        _audience(briefing, spec, casts)
        if published_at:
            _deliveries(briefing, published_at)
    live_briefing(casts, staff, now)
    briefing_requests(casts, staff)


def _audience(briefing: LandscapeBriefing, spec: texts.BriefingPlan, casts: dict) -> None:
    briefing.audience_cities.set([casts[slug].city for slug in spec.cities])
    briefing.audience_groups.set([casts[slug].group for slug in spec.groups_of])
    briefing.audience_sectors.set(Sector.objects.filter(slug__in=spec.sectors))
    briefing.audience_organisations.set(
        [
            organisation
            for cast in casts.values()
            for key, organisation in cast.organisations.items()
            if key in spec.organisations
        ]
    )
    briefing.audience_people.set([getattr(casts[slug], who) for slug, who in spec.named])
    for leg in spec.legs:
        AudienceLeg.objects.get_or_create(briefing=briefing, leg=leg)
    AudienceLeg.objects.filter(briefing=briefing).exclude(leg__in=spec.legs).delete()


def _recipients(briefing: LandscapeBriefing) -> list[Person]:
    """Everyone the audience reaches (briefings.audience), in a stable order."""
    return list(briefing_audience_people(briefing).order_by("email", "pk"))


def _deliveries(briefing: LandscapeBriefing, published_at: datetime) -> None:
    """Record the briefing as sent to its audience, some of it read."""
    recipients = _recipients(briefing)
    rng = random.Random(f"{SEED}:briefing:{briefing.title}")
    sent_at = published_at + timedelta(minutes=2)
    for person in recipients:
        read, hours = rng.random() < 0.65, rng.randint(2, 72)
        upsert(
            Delivery,
            briefing=briefing,
            person=person,
            values={
                "city_id": person.city_id,
                "leg": person.leg,
                "status": Delivery.Status.SENT,
                "queued_at": published_at,
                "claimed_at": published_at + timedelta(minutes=1),
                "sent_at": sent_at,
                "read_at": sent_at + timedelta(hours=hours) if read else None,
                "attempts": 1,
                "last_error": "",
            },
        )
    Delivery.objects.filter(briefing=briefing).exclude(person__in=recipients).delete()


# --- The briefing published while the demo runs (`make run`) ----------------------------------

# The beat publishes it this long after the seed, so the worker that `make run` starts shows
# a TLP:AMBER distribution to all five groups within five minutes.
LIVE_LEAD = timedelta(minutes=3)


def live_briefing(casts: dict[str, Cast], staff: User, now: datetime) -> LandscapeBriefing:
    """Schedule the live briefing three minutes from now, unless it is already on its way.

    Still scheduled: left as it is (publish_at included), so a second seed a moment later
    changes nothing. Published or withdrawn: its deliveries are history, left alone. New or
    back in draft: scheduled afresh.
    """
    spec = texts.LIVE_BRIEFING
    existing = LandscapeBriefing.objects.filter(title=spec.title).first()
    if existing is not None and existing.status in (
        LandscapeBriefing.Status.PUBLISHED,
        LandscapeBriefing.Status.WITHDRAWN,
    ):
        return existing
    if existing is not None and existing.status == LandscapeBriefing.Status.SCHEDULED:
        publish_at = existing.publish_at
    else:
        publish_at = (now + LIVE_LEAD).replace(microsecond=0)
    briefing = upsert(
        LandscapeBriefing,
        title=spec.title,
        values={
            "summary": spec.summary,
            "body_markdown": spec.body,
            "tlp": spec.tlp,
            "status": LandscapeBriefing.Status.SCHEDULED,
            "author": staff,
            "publish_at": publish_at,
            "published_at": None,
            "review_by": (now + timedelta(days=90)).astimezone(UTC).date(),
        },
    )
    _audience(briefing, spec, casts)
    return briefing


# --- Briefing requests --------------------------------------------------------------------------


def briefing_requests(casts: dict[str, Cast], staff: User) -> None:
    """One request per state, with the steps it went through, each already told by email."""
    for plan in texts.BRIEFING_REQUESTS:
        cast = casts[plan.city]
        coordinator = User.objects.get(email=cities.account_email("coordinator", plan.city))
        moments = [
            cast.at(cast.today - timedelta(days=step.days_ago), time(10, 0)) for step in plan.steps
        ]
        final = plan.steps[-1]
        convening = None
        if plan.scheduled_as:
            title = texts.CONVENINGS[plan.scheduled_as].title.format(city=cast.plan.name)
            convening = Convening.objects.get(group=cast.group, title=title)
        briefing = None
        if plan.delivered_briefing:
            briefing = LandscapeBriefing.objects.get(title=plan.delivered_briefing)
        briefing_request = upsert(
            BriefingRequest,
            city=cast.city,
            topic=plan.topic,
            values={
                "requested_by": coordinator,
                "local_context": plan.local_context,
                "needed_by": cast.today + timedelta(days=plan.needed_in_days),
                "audience_note": plan.audience_note,
                "status": final.status,
                "decline_reason": final.note if final.status == RequestStatus.DECLINED else "",
                "convening": convening,
                "briefing": briefing,
                "created_at": moments[0],
            },
        )
        briefing_request.audience_groups.set([cast.group])
        for step, moment in zip(plan.steps, moments, strict=True):
            upsert(
                RequestEvent,
                request=briefing_request,
                status=step.status,
                values={
                    "actor": coordinator if step.status == RequestStatus.REQUESTED else staff,
                    "note": step.note,
                    "created_at": moment,
                    "notified_at": moment + timedelta(minutes=1),
                    "notify_attempts": 1,
                    "notify_error": "",
                },
            )
        RequestEvent.objects.filter(request=briefing_request).exclude(
            status__in=[step.status for step in plan.steps]
        ).delete()
