"""Fetch a briefing and check the viewer may see it, in one call (404 outside scope).

- Authors (network staff and briefing authors) see and manage every briefing.
- A recipient (a delivery row for their person) reads a published briefing; a person the
  sweep skipped as no longer in the audience does not.
- A published TLP:CLEAR briefing marked "show to every signed-in user" is readable by all.
- Coordinators see read rates for their own cities' recipients, never the body unless they
  are recipients themselves.
Everyone else, and everyone for drafts, is told it does not exist.
"""

from django.http import Http404

from briefings.models import Delivery, LandscapeBriefing
from stakeholders.roles import Viewer, viewer_for

NOT_IN_AUDIENCE = "no longer in the audience"


def can_author(viewer: Viewer) -> bool:
    user = viewer.user
    return bool(user.is_authenticated and (user.is_network_staff or user.is_briefing_author))


def require_author(request) -> Viewer:
    """Pages for briefing authors only; to anyone else they do not exist (404)."""
    viewer = viewer_for(request)
    if not can_author(viewer):
        raise Http404
    return viewer


def access_briefing_to_manage(request, briefing_id: int) -> tuple[LandscapeBriefing, Viewer]:
    viewer = require_author(request)
    briefing = LandscapeBriefing.objects.select_related("author").filter(pk=briefing_id).first()
    if briefing is None:
        raise Http404
    return briefing, viewer


def reader_delivery(viewer: Viewer, briefing: LandscapeBriefing) -> Delivery | None:
    """The viewer's own delivery row for this briefing, if they are a recipient."""
    person_id = viewer.user.person_id if viewer.user.is_authenticated else None
    if not person_id:
        return None
    return (
        Delivery.objects.filter(briefing=briefing, person_id=person_id)
        .exclude(status=Delivery.Status.SKIPPED, last_error=NOT_IN_AUDIENCE)
        .first()
    )


def access_briefing_to_read(
    request, briefing_id: int
) -> tuple[LandscapeBriefing, Viewer, Delivery | None]:
    """Fetch a briefing the viewer may read, with their delivery row (None for authors and
    for readers of an open CLEAR briefing). Withdrawn briefings stay visible to their
    recipients as a notice (the view shows the reason, not the body)."""
    viewer = viewer_for(request)
    briefing = LandscapeBriefing.objects.select_related("author").filter(pk=briefing_id).first()
    if briefing is None:
        raise Http404
    if can_author(viewer):
        return briefing, viewer, reader_delivery(viewer, briefing)
    if briefing.status not in (
        LandscapeBriefing.Status.PUBLISHED,
        LandscapeBriefing.Status.WITHDRAWN,
    ):
        raise Http404
    delivery = reader_delivery(viewer, briefing)
    if delivery is not None:
        return briefing, viewer, delivery
    if briefing.shown_to_all_signed_in and briefing.status == LandscapeBriefing.Status.PUBLISHED:
        return briefing, viewer, None
    raise Http404


def read_rate_city_ids(viewer: Viewer) -> set[int] | None:
    """The cities whose read rates the viewer may see: None means every city (staff)."""
    if viewer.is_network_staff or can_author(viewer):
        return None
    return set(viewer.coordinated_city_ids)
