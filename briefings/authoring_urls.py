"""Briefing URLs: authoring (for briefing authors and network staff) and the TLP guide."""

from django.urls import path

from briefings import authoring_views as views

urlpatterns = [
    path("manage/", views.briefing_list, name="briefing_list"),
    path("new/", views.briefing_create, name="briefing_create"),
    path("tlp/", views.tlp_guide, name="tlp_guide"),
    path("terminology/", views.briefing_terminology, name="briefing_terminology"),
    path("<int:briefing_id>/edit/", views.briefing_edit, name="briefing_edit"),
    path("<int:briefing_id>/attachments/", views.briefing_attachments, name="briefing_attachments"),
    path(
        "<int:briefing_id>/attachments/<int:attachment_id>/remove/",
        views.briefing_attachment_remove,
        name="briefing_attachment_remove",
    ),
    path("<int:briefing_id>/preview/", views.briefing_preview, name="briefing_preview"),
    path("<int:briefing_id>/publish/", views.briefing_publish, name="briefing_publish"),
    path("<int:briefing_id>/schedule/", views.briefing_schedule, name="briefing_schedule"),
    path("<int:briefing_id>/unschedule/", views.briefing_unschedule, name="briefing_unschedule"),
    path("<int:briefing_id>/withdraw/", views.briefing_withdraw, name="briefing_withdraw"),
]
