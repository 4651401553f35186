"""What happened recently in a city: convenings scheduled, held or cancelled (training sessions
among them), people joining its working groups, landscape briefings delivered, milestones
reached and framework versions.

Derived from the records at read time, never stored: each source is one query that takes
its newest rows (LIMIT), and the sources are merged in Python, newest first. The count of
queries is the same for a quiet city and a busy one.

New members appear as counts per day, group and leg ("3 new members of the Local Leadership
Group: community organisations 2, law enforcement 1"), not as names. The feed is for
coordinators and staff, who may see names on the roster, but a feed is read in passing, shown
on the progress page beside aggregate figures and easily copied into a report for the
funder, who may not receive participants' personal data; the roster is one click away for
those who need the names.

Landscape briefings are named only when marked TLP:CLEAR or TLP:GREEN (the whole community
may know them); an AMBER or RED briefing shows as "a TLP:AMBER landscape briefing", since a
coordinator outside its audience should not learn even its title from the feed.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stakeholders.models import City, Leg
from workinggroups.milestones import MilestoneStatus, milestone_path
from workinggroups.models import (
    Convening,
    ConveningKind,
    ConveningStatus,
    FrameworkVersion,
    Membership,
    Milestone,
    MilestoneRecord,
)

# Rows taken from each source; the merged feed shows at most FEED_LENGTH items.
PER_SOURCE = 30
FEED_LENGTH = 60

# The kinds of item, for the template's icons and words.
SCHEDULED = "scheduled"
HELD = "held"
TRAINING_HELD = "training_held"
CANCELLED = "cancelled"
MEMBERS = "members"
BRIEFING = "briefing"
MILESTONE = "milestone"
FRAMEWORK = "framework"

# Briefings whose titles the feed may show (the community may know them).
NAMED_TLP = frozenset({"CLEAR", "GREEN"})

# The framework's own milestones are told by its versions' items.
FRAMEWORK_MILESTONES = frozenset(
    {Milestone.FRAMEWORK_DRAFTED, Milestone.FRAMEWORK_REVIEWED, Milestone.FRAMEWORK_ADOPTED}
)


@dataclass(frozen=True)
class ActivityItem:
    kind: str
    at: datetime  # aware; for date-only items, the start of that day in the city's zone
    all_day: bool  # only the day is known (members joining, milestones, framework dates)
    text: str
    href: str = ""

    @property
    def day(self) -> date:
        return self.at.date()


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _convening_items(city: City, zone: ZoneInfo, now: datetime) -> list[ActivityItem]:
    base = Convening.objects.filter(group__city=city).values(
        "pk", "title", "kind", "status", "starts_at", "created_at", "cancelled_at", "group__name"
    )
    items = []
    for row in base.order_by("-created_at", "-pk")[:PER_SOURCE]:
        items.append(
            ActivityItem(
                SCHEDULED,
                row["created_at"].astimezone(zone),
                False,
                _("“%(title)s” (%(group)s) was scheduled") % _names(row),
                reverse("convening_detail", kwargs={"convening_id": row["pk"]}),
            )
        )
    held = base.filter(status=ConveningStatus.HELD, starts_at__lte=now)
    for row in held.order_by("-starts_at", "-pk")[:PER_SOURCE]:
        training = row["kind"] == ConveningKind.TRAINING
        text = (
            _("Training session “%(title)s” (%(group)s) was held")
            if training
            else _("“%(title)s” (%(group)s) was held")
        )
        items.append(
            ActivityItem(
                TRAINING_HELD if training else HELD,
                row["starts_at"].astimezone(zone),
                False,
                text % _names(row),
                reverse("convening_detail", kwargs={"convening_id": row["pk"]}),
            )
        )
    cancelled = base.filter(status=ConveningStatus.CANCELLED)
    for row in cancelled.order_by("-cancelled_at", "-pk")[:PER_SOURCE]:
        items.append(
            ActivityItem(
                CANCELLED,
                row["cancelled_at"].astimezone(zone),
                False,
                _("“%(title)s” (%(group)s) was cancelled") % _names(row),
                reverse("convening_detail", kwargs={"convening_id": row["pk"]}),
            )
        )
    return items


def _names(row: dict) -> dict:
    return {"title": row["title"], "group": row["group__name"]}


def _member_items(city: City, zone: ZoneInfo, today: date) -> list[ActivityItem]:
    rows = (
        Membership.objects.filter(group__city=city, started_on__lte=today)
        .values("started_on", "group_id", "group__name", "person__leg")
        .annotate(people=Count("pk"))
        .order_by("-started_on", "group__name", "group_id", "person__leg")[: PER_SOURCE * 4]
    )
    joined: dict[tuple[date, int, str], dict[str, int]] = defaultdict(dict)
    for row in rows:
        joined[(row["started_on"], row["group_id"], row["group__name"])][row["person__leg"]] = row[
            "people"
        ]
    items = []
    for (day, group_id, name), legs in joined.items():
        total = sum(legs.values())
        by_leg = ", ".join(f"{Leg(leg).label}: {legs[leg]}" for leg in Leg.values if leg in legs)
        text = ngettext(
            "%(n)s new member of %(group)s (%(legs)s)",
            "%(n)s new members of %(group)s (%(legs)s)",
            total,
        ) % {"n": total, "group": name, "legs": by_leg}
        href = reverse("group_detail", kwargs={"group_id": group_id})
        items.append(ActivityItem(MEMBERS, _start_of(day, zone), True, text, href))
    return items


def _briefing_items(city: City, zone: ZoneInfo) -> list[ActivityItem]:
    from briefings.models import Delivery, DeliveryStatus

    rows = (
        Delivery.objects.filter(city=city, status=DeliveryStatus.SENT)
        .values("briefing_id", "briefing__title", "briefing__tlp")
        .annotate(first=Min("sent_at"), people=Count("pk"))
        .order_by("-first", "-briefing_id")[:PER_SOURCE]
    )
    items = []
    for row in rows:
        tlp = f"TLP:{row['briefing__tlp']}"
        if row["briefing__tlp"] in NAMED_TLP:
            text = ngettext(
                "Landscape briefing “%(title)s” (%(tlp)s) delivered to %(n)s person",
                "Landscape briefing “%(title)s” (%(tlp)s) delivered to %(n)s people",
                row["people"],
            ) % {"title": row["briefing__title"], "tlp": tlp, "n": row["people"]}
        else:
            text = ngettext(
                "A %(tlp)s landscape briefing delivered to %(n)s person",
                "A %(tlp)s landscape briefing delivered to %(n)s people",
                row["people"],
            ) % {"tlp": tlp, "n": row["people"]}
        href = reverse("briefing_read", kwargs={"briefing_id": row["briefing_id"]})
        items.append(ActivityItem(BRIEFING, row["first"].astimezone(zone), False, text, href))
    return items


def _milestone_items(path: list[MilestoneStatus], zone: ZoneInfo) -> list[ActivityItem]:
    items = []
    for status in path:
        if not status.reached or status.milestone in FRAMEWORK_MILESTONES:
            continue
        how = _("recorded") if not status.derived else _("from the records")
        text = _("Milestone reached: %(label)s (%(how)s)") % {"label": status.label, "how": how}
        items.append(
            ActivityItem(MILESTONE, _start_of(status.reached_on, zone), True, text, status.href)
        )
    return items


def _framework_items(city: City, zone: ZoneInfo) -> list[ActivityItem]:
    versions = FrameworkVersion.objects.filter(city=city).order_by("-updated_at", "-number")[
        :PER_SOURCE
    ]
    items = []
    for version in versions:
        href = reverse("city_framework_edit", kwargs={"slug": city.slug, "pk": version.pk})
        events = [
            (version.drafted_on, _("Framework version %(number)s drafted")),
            (version.reviewed_on, _("Framework version %(number)s reviewed")),
        ]
        if version.adopted_on:
            events.append(
                (
                    version.adopted_on,
                    _("Framework version %(number)s adopted by %(instrument)s"),
                )
            )
        for day, text in events:
            if day is None:
                continue
            words = text % {
                "number": version.number,
                "instrument": version.get_adoption_instrument_display(),
            }
            items.append(ActivityItem(FRAMEWORK, _start_of(day, zone), True, words, href))
    return items


def city_activity(
    city: City, *, limit: int = FEED_LENGTH, path: list[MilestoneStatus] | None = None
) -> list[ActivityItem]:
    """The city's recent activity, newest first, at most `limit` items, in a constant number
    of queries (pass the milestone `path` when the page has it already)."""
    zone = city.zone
    now = timezone.now()
    today = now.astimezone(zone).date()
    if path is None:
        path = milestone_path(city)
    items = [
        *_convening_items(city, zone, now),
        *_member_items(city, zone, today),
        *_briefing_items(city, zone),
        *_milestone_items(path, zone),
        *_framework_items(city, zone),
    ]
    items.sort(key=lambda item: (item.at, not item.all_day), reverse=True)
    return items[:limit]


def last_activity_at(city_ids: Iterable[int]) -> dict[int, datetime]:
    """The time of each city's latest activity (a convening scheduled or held, a member
    joining, a briefing delivered, a milestone recorded, a framework version changed), in
    five grouped queries whatever the number of cities. Cities with none are left out."""
    ids = sorted(set(city_ids))
    if not ids:
        return {}
    from briefings.models import Delivery, DeliveryStatus

    now = timezone.now()
    latest: dict[int, datetime] = {}

    def keep(city_id: int, moment: datetime | None) -> None:
        if moment is not None and (city_id not in latest or moment > latest[city_id]):
            latest[city_id] = moment

    for row in (
        Convening.objects.filter(group__city_id__in=ids)
        .values("group__city_id")
        .annotate(
            created=Max("created_at"),
            held=Max("starts_at", filter=Q(status=ConveningStatus.HELD, starts_at__lte=now)),
            cancelled=Max("cancelled_at"),
        )
        .order_by()
    ):
        for name in ("created", "held", "cancelled"):
            keep(row["group__city_id"], row[name])
    for row in (
        Membership.objects.filter(group__city_id__in=ids, started_on__lte=now.date())
        .values("group__city_id", "group__city__time_zone")
        .annotate(joined=Max("started_on"))
        .order_by()
    ):
        zone = ZoneInfo(row["group__city__time_zone"])
        keep(row["group__city_id"], _start_of(row["joined"], zone))
    for row in (
        Delivery.objects.filter(city_id__in=ids, status=DeliveryStatus.SENT)
        .values("city_id")
        .annotate(sent=Max("sent_at"))
        .order_by()
    ):
        keep(row["city_id"], row["sent"])
    for row in (
        MilestoneRecord.objects.filter(city_id__in=ids)
        .values("city_id")
        .annotate(recorded=Max("recorded_at"))
        .order_by()
    ):
        keep(row["city_id"], row["recorded"])
    for row in (
        FrameworkVersion.objects.filter(city_id__in=ids)
        .values("city_id")
        .annotate(changed=Max("updated_at"))
        .order_by()
    ):
        keep(row["city_id"], row["changed"])
    return latest
