"""Progress across the pilots (issue #8): the dashboard, each city's milestones, framework
and activity, and the funder's aggregate reports. Mounted at /progress/."""

from django.urls import path

from workinggroups import (
    activity_views,
    dashboard_views,
    framework_views,
    milestone_views,
    report_views,
)

urlpatterns = [
    # The cross-pilot dashboard: fifty cities a page, and every city on one page.
    path("", dashboard_views.dashboard, name="progress_dashboard"),
    path("all/", dashboard_views.dashboard_all, name="progress_dashboard_all"),
    # One city's progress: the milestone path, figures and charts, framework, activity.
    path("cities/<slug:slug>/", milestone_views.city_progress, name="city_progress"),
    path(
        "cities/<slug:slug>/milestones/<str:milestone>/",
        milestone_views.milestone_record,
        name="milestone_record",
    ),
    path(
        "cities/<slug:slug>/milestones/<str:milestone>/withdraw/",
        milestone_views.milestone_withdraw,
        name="milestone_withdraw",
    ),
    path(
        "cities/<slug:slug>/milestones/<str:milestone>/evidence/",
        milestone_views.milestone_evidence,
        name="milestone_evidence",
    ),
    path("cities/<slug:slug>/framework/", framework_views.framework, name="city_framework"),
    path(
        "cities/<slug:slug>/framework/new/",
        framework_views.framework_new,
        name="city_framework_new",
    ),
    path(
        "cities/<slug:slug>/framework/<int:pk>/",
        framework_views.framework_edit,
        name="city_framework_edit",
    ),
    path(
        "cities/<slug:slug>/framework/<int:pk>/document/",
        framework_views.framework_document,
        name="city_framework_document",
    ),
    path("cities/<slug:slug>/activity/", activity_views.city_activity, name="city_activity"),
    # Reports for the funder: aggregate counts only, built by Celery.
    path("reports/", report_views.reports, name="progress_reports"),
    path("reports/<int:pk>/", report_views.report_detail, name="progress_report"),
    path(
        "reports/<int:pk>/<str:kind>/",
        report_views.report_download,
        name="progress_report_download",
    ),
]
