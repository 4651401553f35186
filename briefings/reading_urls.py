"""Briefing URLs: reading, read receipts, stamped downloads, distribution progress, read
rates. Mounted at /briefings/."""

from django.urls import path

from briefings import reading_views as views

urlpatterns = [
    path("", views.briefing_inbox, name="briefing_inbox"),
    path("read-rates/", views.briefing_read_rates, name="briefing_read_rates"),
    path("<int:briefing_id>/", views.briefing_read, name="briefing_read"),
    path(
        "<int:briefing_id>/acknowledge/",
        views.briefing_acknowledge,
        name="briefing_acknowledge",
    ),
    path(
        "<int:briefing_id>/attachments/<int:attachment_id>/",
        views.briefing_attachment,
        name="briefing_attachment",
    ),
    path(
        "<int:briefing_id>/distribution/",
        views.briefing_distribution,
        name="briefing_distribution",
    ),
    path(
        "<int:briefing_id>/distribution/status/",
        views.briefing_distribution_status,
        name="briefing_distribution_status",
    ),
    path(
        "<int:briefing_id>/distribution/retry/",
        views.briefing_retry_failed,
        name="briefing_retry_failed",
    ),
]
