"""Landscape briefings, their audiences and the record of their delivery."""

import random
from datetime import UTC, datetime, time, timedelta

from briefings.audience import briefing_audience_people
from briefings.models import AudienceLeg, Delivery, LandscapeBriefing
from stakeholders.demo import texts
from stakeholders.demo.cities import SEED
from stakeholders.demo.people import Cast
from stakeholders.demo.rows import upsert
from stakeholders.models import Person, Sector, User


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
