"""Reads for the reading side of landscape briefings: the inbox, the author's distribution
progress and the coordinators' read rates. Each returns what its page draws in a fixed
number of queries, whatever the number of rows."""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models import Value as V

from briefings.models import Delivery, DeliveryStatus, LandscapeBriefing
from briefings.permissions import NOT_IN_AUDIENCE
from stakeholders.models import City, Leg

INBOX_PER_PAGE = 20
DELIVERIES_PER_PAGE = 50
READ_RATE_BRIEFINGS_PER_PAGE = 20

Status = LandscapeBriefing.Status
# "problems" is not a status: the rows an author may have to act on, failures first.
PROBLEMS = "problems"
PROBLEM_STATUSES = (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)


def _own_deliveries(person_id: int) -> QuerySet[Delivery]:
    # A person the sweep skipped as no longer in the audience is not a recipient any more
    # (the same rule as briefings.permissions.reader_delivery).
    return Delivery.objects.filter(person_id=person_id).exclude(
        status=DeliveryStatus.SKIPPED, last_error=NOT_IN_AUDIENCE
    )


def inbox_page(*, person_id: int | None, number: int | str | None) -> Page:
    """One page of the briefings the person may read, newest first.

    Each briefing carries `is_recipient`, `my_read_at` and `my_acknowledged_at` (None
    when the person is not a recipient, as for an open TLP:CLEAR briefing). Withdrawn
    briefings stay listed for their recipients, who see the notice of withdrawal.
    """
    open_to_all = Q(shown_to_all_signed_in=True, status=Status.PUBLISHED)
    briefings = LandscapeBriefing.objects.all()
    if person_id:
        own = _own_deliveries(person_id).filter(briefing=OuterRef("pk"))
        briefings = briefings.annotate(
            is_recipient=Exists(own),
            my_read_at=Subquery(own.values("read_at")[:1]),
            my_acknowledged_at=Subquery(own.values("acknowledged_at")[:1]),
        ).filter(
            Q(is_recipient=True, status__in=(Status.PUBLISHED, Status.WITHDRAWN)) | open_to_all
        )
    else:
        briefings = briefings.annotate(
            is_recipient=V(False, output_field=BooleanField()),
            my_read_at=V(None, output_field=DateTimeField()),
            my_acknowledged_at=V(None, output_field=DateTimeField()),
        ).filter(open_to_all)
    briefings = briefings.only(
        "title", "summary", "tlp", "status", "published_at", "withdrawn_at", "review_by"
    ).order_by("-published_at", "-pk")
    return Paginator(briefings, INBOX_PER_PAGE).get_page(number)


@dataclass
class Progress:
    """How far a briefing's distribution has come, from one grouped query."""

    counts: dict[str, int] = field(default_factory=dict)
    read: int = 0
    acknowledged: int = 0

    def __post_init__(self) -> None:
        for status in DeliveryStatus.values:
            self.counts.setdefault(status, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        return self.total - self.counts[DeliveryStatus.QUEUED] - self.counts[DeliveryStatus.SENDING]

    @property
    def active(self) -> bool:
        """Rows are still waiting or being sent: the page keeps polling."""
        return bool(self.counts[DeliveryStatus.QUEUED] or self.counts[DeliveryStatus.SENDING])

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 0

    @property
    def signature(self) -> str:
        """The numbers in one short string: the page sends back what it shows, and an
        unchanged poll answers 204 so screen readers are not told the same thing again."""
        numbers = [self.counts[status] for status in DeliveryStatus.values]
        return "-".join(str(n) for n in [*numbers, self.read, self.acknowledged])

    @property
    def rows(self) -> list[dict]:
        return [
            {"status": status, "label": label, "count": self.counts[status]}
            for status, label in DeliveryStatus.choices
        ]

    def __getitem__(self, status: str) -> int:
        # Lets templates write progress.failed without a lookup filter.
        return self.counts[status]


def distribution_progress(briefing_id: int) -> Progress:
    """Count the briefing's deliveries by status, with read and acknowledged, in one query
    grouped by status (it walks the (briefing, status) index)."""
    rows = (
        Delivery.objects.filter(briefing_id=briefing_id)
        .values("status")
        .annotate(
            n=Count("pk"),
            read=Count("pk", filter=Q(read_at__isnull=False)),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        )
        .order_by()
    )
    progress = Progress()
    for row in rows:
        progress.counts[row["status"]] = row["n"]
        progress.read += row["read"]
        progress.acknowledged += row["acknowledged"]
    return progress


def distribution_page(
    *, briefing_id: int, status: str, number: int | str | None
) -> tuple[Page, str]:
    """One page of the briefing's deliveries, filtered by a status or by "problems"
    (failed first, then skipped); return the page and the filter actually applied."""
    deliveries = Delivery.objects.filter(briefing_id=briefing_id).select_related("person", "city")
    if status == PROBLEMS:
        deliveries = deliveries.filter(status__in=PROBLEM_STATUSES).annotate(
            problem_order=Case(
                When(status=DeliveryStatus.FAILED, then=V(0)),
                default=V(1),
                output_field=IntegerField(),
            )
        )
        ordering = ["problem_order", "city__name", "leg", "person__full_name", "pk"]
    elif status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
        ordering = ["city__name", "leg", "person__full_name", "pk"]
    else:
        status = ""
        ordering = ["city__name", "leg", "person__full_name", "pk"]
    page = Paginator(deliveries.order_by(*ordering), DELIVERIES_PER_PAGE).get_page(number)
    return page, status


# --- Read rates ---------------------------------------------------------------------------


@dataclass
class LegRate:
    leg: str
    label: str
    recipients: int = 0
    delivered: int = 0
    read: int = 0
    acknowledged: int = 0

    @property
    def rate(self) -> int | None:
        """Percent of those it reached who opened it; None when it reached nobody."""
        return round(100 * self.read / self.delivered) if self.delivered else None


@dataclass
class CityRates:
    city_id: int
    city_name: str
    legs: dict[str, LegRate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for leg in Leg:
            self.legs.setdefault(leg.value, LegRate(leg=leg.value, label=leg.label))

    @property
    def leg_rows(self) -> list[LegRate]:
        return [self.legs[leg.value] for leg in Leg]

    @property
    def total(self) -> LegRate:
        total = LegRate(leg="", label="")
        for row in self.legs.values():
            total.recipients += row.recipients
            total.delivered += row.delivered
            total.read += row.read
            total.acknowledged += row.acknowledged
        return total


@dataclass
class BriefingRates:
    briefing_id: int
    title: str
    tlp: str
    published_at: datetime | None
    cities: list[CityRates] = field(default_factory=list)

    @property
    def tlp_label(self) -> str:
        return f"TLP:{self.tlp}"


def read_rate_page(
    *, city_ids: set[int] | None, number: int | str | None
) -> tuple[Page, list[BriefingRates]]:
    """Read rates per briefing, city and leg for the published briefings reaching the given
    cities (None: every city); counts only, never who did or did not read.

    "Recipients" are the rows not skipped (a skipped row was never going to be sent).

    "Delivered" counts the mails sent plus anyone who opened the briefing signed in (they
    had it, one way or another), so a rate never passes 100 %. Three queries: the page's
    count, the page of briefings, and one grouped query over Delivery by (briefing, city,
    leg) for that page.
    """
    scoped = Delivery.objects.all()
    if city_ids is not None:
        scoped = scoped.filter(city_id__in=city_ids)
    briefings = (
        LandscapeBriefing.objects.filter(status=Status.PUBLISHED)
        .filter(Exists(scoped.filter(briefing=OuterRef("pk"))))
        .only("title", "tlp", "published_at")
        .order_by("-published_at", "-pk")
    )
    page = Paginator(briefings, READ_RATE_BRIEFINGS_PER_PAGE).get_page(number)
    by_id = {
        briefing.pk: BriefingRates(
            briefing_id=briefing.pk,
            title=briefing.title,
            tlp=briefing.tlp,
            published_at=briefing.published_at,
        )
        for briefing in page.object_list
    }
    if not by_id:
        return page, []
    reached = Q(status=DeliveryStatus.SENT) | Q(read_at__isnull=False)
    rows = (
        scoped.filter(briefing_id__in=list(by_id))
        .values("briefing_id", "city_id", "city__name", "leg")
        .annotate(
            recipients=Count("pk", filter=~Q(status=DeliveryStatus.SKIPPED)),
            delivered=Count("pk", filter=reached),
            read=Count("pk", filter=Q(read_at__isnull=False)),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        )
        .order_by("briefing_id", "city__name", "city_id", "leg")
    )
    cities: dict[tuple[int, int], CityRates] = {}
    for row in rows:
        key = (row["briefing_id"], row["city_id"])
        city = cities.get(key)
        if city is None:
            city = cities[key] = CityRates(city_id=row["city_id"], city_name=row["city__name"])
            by_id[row["briefing_id"]].cities.append(city)
        leg = city.legs.get(row["leg"])
        if leg is None:  # a leg outside the four is refused by a constraint; be safe anyway
            continue
        leg.recipients = row["recipients"]
        leg.delivered = row["delivered"]
        leg.read = row["read"]
        leg.acknowledged = row["acknowledged"]
    return page, [by_id[briefing.pk] for briefing in page.object_list]


def read_rate_cities(city_ids: set[int] | None) -> QuerySet[City]:
    """The cities the viewer may filter read rates by."""
    cities = City.objects.only("name").order_by("name")
    return cities if city_ids is None else cities.filter(pk__in=city_ids)
