"""Briefing URLs: requests (a city asks for a landscape briefing; network staff triage it)."""

from django.urls import path

from briefings import request_views

urlpatterns: list = [
    path("requests/", request_views.briefing_request_list, name="briefing_request_list"),
    path(
        "requests/new/<slug:city_slug>/",
        request_views.briefing_request_create,
        name="briefing_request_create",
    ),
    path(
        "requests/<int:request_id>/",
        request_views.briefing_request_detail,
        name="briefing_request_detail",
    ),
    path(
        "requests/<int:request_id>/triage/",
        request_views.briefing_request_triage,
        name="briefing_request_triage",
    ),
]
