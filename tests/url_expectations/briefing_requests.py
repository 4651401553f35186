"""Permission rows for briefing requests (briefings/request_urls.py).

Coordinators of the request's city and network staff see a request; only staff triage it
(403 to the city's coordinators). Members never see requests (404), but see their city,
so asking for one is refused to them (403). Other cities' coordinators: 404.
"""

from datetime import timedelta

from django.utils import timezone

from briefings.models import BriefingRequest

LOGIN = "login"

GET = {
    "briefing_request_list": (LOGIN, 404, 200, 200, 200),
    "briefing_request_create": (LOGIN, 403, 200, 404, 200),
    "briefing_request_detail": (LOGIN, 404, 200, 404, 200),
    "briefing_request_triage": (LOGIN, 405, 405, 405, 405),
}
POST = {
    "briefing_request_list": (LOGIN, 405, 405, 405, 405),
    # 200: an empty form comes back with its errors; nothing is sent.
    "briefing_request_create": (LOGIN, 403, 200, 404, 200),
    "briefing_request_detail": (LOGIN, 405, 405, 405, 405),
    # 302: back to the request with a message (no step chosen: nothing changes).
    "briefing_request_triage": (LOGIN, 404, 403, 404, 302),
}


def kwargs(base) -> dict:
    asked = BriefingRequest.objects.create(
        city=base["city"],
        requested_by=base["users"]["coordinator"],
        topic="Online activity before the school year",
        local_context="Flyers near two schools; parents are worried.",
        needed_by=timezone.localdate() + timedelta(days=30),
    )
    return {
        "briefing_request_create": {"city_slug": base["city"].slug},
        "briefing_request_detail": {"request_id": asked.pk},
        "briefing_request_triage": {"request_id": asked.pk},
    }
