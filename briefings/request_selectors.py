"""Reads for briefing requests: the list (coordinators' and staff's triage queue), one
request with its timeline, and the suggestion at the start of a city's training."""

from dataclasses import dataclass

from django.db.models import Case, Exists, IntegerField, Prefetch, Q, QuerySet, Value, When

from briefings.models import BriefingRequest, LandscapeBriefing, RequestEvent, RequestStatus
from stakeholders.models import City
from workinggroups.models import Convening, ConveningKind, ConveningStatus, WorkingGroup

OPEN = "open"
ALL = "all"
OPEN_STATUSES = (RequestStatus.REQUESTED, RequestStatus.ACCEPTED, RequestStatus.SCHEDULED)


def requests_for_list(
    *, city_ids: set[int] | None, status: str = OPEN, city_id: int | None = None
) -> QuerySet[BriefingRequest]:
    """Requests the viewer may see (city_ids None: every city), oldest-needed first.

    `status` is one of the statuses, OPEN (not yet delivered or declined) or ALL. Open
    requests come before closed ones when both are listed. Related rows are fetched in
    a fixed number of queries, whatever the page's length.
    """
    requests = BriefingRequest.objects.all()
    if city_ids is not None:
        requests = requests.filter(city_id__in=city_ids)
    if city_id is not None:
        requests = requests.filter(city_id=city_id)
    if status == OPEN:
        requests = requests.filter(status__in=OPEN_STATUSES)
    elif status in RequestStatus.values:
        requests = requests.filter(status=status)
    return (
        requests.select_related("city", "requested_by", "convening")
        .prefetch_related(
            Prefetch("audience_groups", queryset=WorkingGroup.objects.order_by("name"))
        )
        .annotate(
            closed=Case(
                When(status__in=OPEN_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("closed", "needed_by", "created_at", "pk")
    )


def request_with_timeline(request_id: int) -> BriefingRequest | None:
    """One request with its city, people, convening, briefing, groups and events."""
    return (
        BriefingRequest.objects.select_related(
            "city", "requested_by", "convening__group", "briefing"
        )
        .prefetch_related(
            Prefetch("audience_groups", queryset=WorkingGroup.objects.order_by("name")),
            Prefetch(
                "events",
                queryset=RequestEvent.objects.select_related("actor").order_by("created_at", "pk"),
            ),
        )
        .filter(pk=request_id)
        .first()
    )


@dataclass(frozen=True)
class BriefingSuggestion:
    """A landscape briefing the city should ask for now (DOMAIN.md lesson 7)."""

    city: City
    training: Convening  # the city's first training, scheduled or held

    @property
    def training_started(self) -> bool:
        return self.training.status == ConveningStatus.HELD


def briefing_suggestion_for(city: City) -> BriefingSuggestion | None:
    """Suggest a landscape briefing once the city's training phase starts.

    Lesson 7: briefings on the digital landscape come "at the start of training, then on
    request". So: a training convening scheduled or held, and neither a request from the
    city nor a published briefing addressed to the city or one of its groups.
    """
    # One query: the first training, with the two reasons not to suggest as EXISTS columns
    # (the city page shows this to every coordinator).
    reached = LandscapeBriefing.objects.filter(
        Q(audience_cities=city) | Q(audience_groups__city=city),
        status=LandscapeBriefing.Status.PUBLISHED,
    )
    training = (
        Convening.objects.filter(
            group__city=city,
            kind=ConveningKind.TRAINING,
            status__in=(ConveningStatus.SCHEDULED, ConveningStatus.HELD),
        )
        .annotate(
            asked=Exists(BriefingRequest.objects.filter(city=city)),
            reached=Exists(reached),
        )
        .order_by("starts_at")
        .first()
    )
    if training is None or training.asked or training.reached:
        return None
    return BriefingSuggestion(city=city, training=training)
