"""Briefing request pages: ask (coordinators and staff), the list and triage queue, one
request with its timeline, and the staff's triage steps."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from briefings import request_services as services
from briefings.models import BriefingRequest, RequestStatus
from briefings.permissions import can_author, reader_delivery
from briefings.request_forms import TRIAGE_FORMS, BriefingRequestForm, RequestFilterForm
from briefings.request_notices import MAX_ATTEMPTS
from briefings.request_selectors import (
    ALL,
    OPEN,
    briefing_suggestion_for,
    request_with_timeline,
    requests_for_list,
)
from stakeholders.models import City
from stakeholders.permissions import access_city_by_slug
from stakeholders.roles import Viewer, viewer_for

REQUESTS_PER_PAGE = 25


def access_briefing_request(
    request, request_id: int, *, triage: bool = False
) -> tuple[BriefingRequest, Viewer]:
    """Fetch a request with its timeline: coordinators of its city and network staff see it,
    everyone else is told it does not exist (404); only staff triage (403 to coordinators)."""
    viewer = viewer_for(request)
    if not (viewer.is_network_staff or viewer.is_coordinator):
        raise Http404  # members never see requests: no query needed to say so
    briefing_request = request_with_timeline(request_id)
    if briefing_request is None or not viewer.can_coordinate(briefing_request.city_id):
        raise Http404
    if triage and not viewer.is_network_staff:
        raise PermissionDenied
    return briefing_request, viewer


@require_http_methods(["GET", "POST"])
def briefing_request_create(request, city_slug: str):
    city = access_city_by_slug(request, city_slug, manage=True)
    form = BriefingRequestForm(
        request.POST if request.method == "POST" else None,
        city=city,
        today=services.local_today(city),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.request_create(
                actor=request.user,
                city=city,
                topic=data["topic"],
                local_context=data["local_context"],
                needed_by=data["needed_by"],
                audience_groups=list(data["audience_groups"]),
                audience_note=data["audience_note"],
                request=request,
            )
        except services.BriefingRequestError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Your request is sent to network staff. You will hear by email at each step."),
            )
            return redirect("briefing_request_detail", request_id=created.pk)
    return render(request, "briefings/requests/form.html", {"form": form, "city": city})


@require_GET
def briefing_request_list(request):
    """Coordinators: their cities' requests. Network staff: the triage queue of every city.

    Oldest-needed first, open before closed; the same number of queries for any page.
    """
    viewer = viewer_for(request)
    if not (viewer.is_network_staff or viewer.is_coordinator):
        raise Http404
    staff = viewer.is_network_staff
    city_ids = None if staff else viewer.coordinated_city_ids
    cities = City.objects.order_by("name") if staff else None
    # Staff start from the queue of open requests; coordinators from all their requests.
    default_status = OPEN if staff else ALL
    form = RequestFilterForm(request.GET or None, cities=cities, initial={"status": default_status})
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or default_status
    city = filters.get("city")
    page = Paginator(
        requests_for_list(city_ids=city_ids, status=status, city_id=city.pk if city else None),
        REQUESTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    suggestions = []
    own_cities = []
    if not staff:
        own_cities = list(City.objects.filter(pk__in=city_ids).order_by("name"))
        suggestions = [s for s in map(briefing_suggestion_for, own_cities) if s is not None]
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "status": status,
        "is_staff": staff,
        "own_cities": own_cities,
        "suggestions": suggestions,
    }
    return render(request, "briefings/requests/list.html", context)


def _triage_forms(briefing_request: BriefingRequest, bound=None) -> dict:
    """The steps staff may take from the request's state, each with its form."""
    forms = {}
    for action, form_class in TRIAGE_FORMS.items():
        target = _TARGETS[action]
        if briefing_request.status not in services.ALLOWED_FROM[target]:
            continue
        kwargs = {}
        if action == "schedule":
            # Start from the first group the city asked for (prefetched: no query).
            asked_for = [group.pk for group in briefing_request.audience_groups.all()][:1]
            kwargs = {
                "city": briefing_request.city,
                "initial": {"group": next(iter(asked_for), None)},
            }
        if bound is not None and bound.prefix == action:
            forms[action] = bound
        else:
            forms[action] = form_class(prefix=action, **kwargs)
    return forms


_TARGETS = {
    "accept": RequestStatus.ACCEPTED,
    "schedule": RequestStatus.SCHEDULED,
    "deliver": RequestStatus.DELIVERED,
    "decline": RequestStatus.DECLINED,
}


def _briefing_readable(viewer: Viewer, briefing) -> bool:
    """Whether to link the delivered briefing: only for those its reading page lets in."""
    if briefing is None:
        return False
    if can_author(viewer):
        return True
    if briefing.status != briefing.Status.PUBLISHED:
        return False
    return briefing.shown_to_all_signed_in or reader_delivery(viewer, briefing) is not None


def _detail_page(request, briefing_request, viewer, *, bound=None, status=200):
    context = {
        "briefing_readable": _briefing_readable(viewer, briefing_request.briefing),
        "briefing_request": briefing_request,
        "city": briefing_request.city,
        "events": list(briefing_request.events.all()),
        "is_staff": viewer.is_network_staff,
        "triage": _triage_forms(briefing_request, bound) if viewer.is_network_staff else {},
        "max_attempts": MAX_ATTEMPTS,
    }
    return render(request, "briefings/requests/detail.html", context, status=status)


@require_GET
def briefing_request_detail(request, request_id: int):
    briefing_request, viewer = access_briefing_request(request, request_id)
    return _detail_page(request, briefing_request, viewer)


@require_POST
def briefing_request_triage(request, request_id: int):
    """Network staff take one step: accept, schedule, deliver or decline.

    Bad input changes nothing: the page comes back with the form and its messages.
    """
    briefing_request, viewer = access_briefing_request(request, request_id, triage=True)
    action = request.POST.get("action", "")
    if action not in TRIAGE_FORMS:
        messages.error(request, _("Choose what to do with the request."))
        return redirect("briefing_request_detail", request_id=briefing_request.pk)
    kwargs = {"city": briefing_request.city} if action == "schedule" else {}
    form = TRIAGE_FORMS[action](request.POST, prefix=action, **kwargs)
    if form.is_valid():
        try:
            _take_step(request, action, briefing_request.pk, form.cleaned_data)
        except services.BriefingRequestError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _STEP_DONE[action])
            return redirect("briefing_request_detail", request_id=briefing_request.pk)
    if action not in _triage_forms(briefing_request):
        # A step the state no longer allows (another tab moved it on): say so on the page.
        for message in form.non_field_errors():
            messages.error(request, message)
        return redirect("briefing_request_detail", request_id=briefing_request.pk)
    return _detail_page(request, briefing_request, viewer, bound=form)


_STEP_DONE = {
    "accept": gettext_lazy("Accepted. The city is told by email."),
    "schedule": gettext_lazy(
        "Scheduled as a convening. The city is told by email; invite the group from the "
        "convening's page."
    ),
    "deliver": gettext_lazy("Marked delivered. The city is told by email."),
    "decline": gettext_lazy(
        "Declined. The city is told by email, with the reason. A convening already "
        "scheduled for it stays on the calendar until you cancel it."
    ),
}


def _take_step(request, action: str, request_id: int, data: dict) -> None:
    common = {"actor": request.user, "request_id": request_id, "request": request}
    if action == "accept":
        services.request_accept(**common, note=data["note"])
    elif action == "schedule":
        services.request_schedule(
            **common,
            group_id=data["group"].pk if data["group"] else None,
            starts_at=data["starts_at"],
            minutes=data["minutes"] or services.DEFAULT_BRIEFING_MINUTES,
            place=data["place"],
            online_url=data["online_url"],
            title=data["title"],
            note=data["note"],
        )
    elif action == "deliver":
        services.request_deliver(
            **common,
            briefing_id=data["briefing"].pk if data["briefing"] else None,
            note=data["note"],
        )
    else:
        services.request_decline(**common, reason=data["reason"])
