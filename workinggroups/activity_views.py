"""A city's activity feed: what happened recently, for its coordinators and network staff
(a member of the city: 403; another city's coordinator: 404). See workinggroups.activity."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from briefings.downloads import private
from stakeholders.permissions import access_city_by_slug
from workinggroups.activity import FEED_LENGTH
from workinggroups.activity import city_activity as activity_of


@require_GET
def city_activity(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    items = activity_of(city, limit=FEED_LENGTH)
    context = {"city": city, "items": items, "limit": FEED_LENGTH}
    return private(render(request, "workinggroups/progress/activity.html", context))
