"""Briefing URLs, kept by area: authoring, reading and receipts, requests."""

from briefings.authoring_urls import urlpatterns as authoring
from briefings.reading_urls import urlpatterns as reading
from briefings.request_urls import urlpatterns as requests

urlpatterns = [*authoring, *reading, *requests]
