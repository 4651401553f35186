from django.urls import path

from workinggroups import views

urlpatterns = [
    path("<int:group_id>/", views.group_detail, name="group_detail"),
]

from workinggroups import convening_views  # noqa: E402  (appended with the convenings)

urlpatterns += [
    path(
        "<int:group_id>/convenings/new/", convening_views.convening_create, name="convening_create"
    ),
    path("<int:group_id>/series/new/", convening_views.series_create, name="series_create"),
    path(
        "<int:group_id>/convenings/words/",
        convening_views.convening_terminology,
        name="convening_terminology",
    ),
    path("series/<int:series_id>/", convening_views.series_edit, name="series_edit"),
    path(
        "convenings/<int:convening_id>/", convening_views.convening_detail, name="convening_detail"
    ),
    path(
        "convenings/<int:convening_id>/edit/", convening_views.convening_edit, name="convening_edit"
    ),
    path(
        "convenings/<int:convening_id>/cancel/",
        convening_views.convening_cancel,
        name="convening_cancel",
    ),
    path(
        "convenings/<int:convening_id>/invite/",
        convening_views.convening_invite,
        name="convening_invite",
    ),
    path(
        "convenings/<int:convening_id>/answer/",
        convening_views.convening_answer,
        name="convening_answer",
    ),
]

from workinggroups import attendance_views  # noqa: E402  (appended with attendance)

urlpatterns += [
    path(
        "convenings/<int:convening_id>/attendance/",
        attendance_views.convening_attendance,
        name="convening_attendance",
    ),
    path(
        "convenings/<int:convening_id>/actions/",
        attendance_views.action_item_create,
        name="action_item_create",
    ),
    path(
        "convenings/<int:convening_id>/actions/<int:item_id>/done/",
        attendance_views.action_item_done,
        name="action_item_done",
    ),
]

from workinggroups.balance_urls import urlpatterns as balance_urls  # noqa: E402

urlpatterns += balance_urls
