"""City URLs: institutionalisation (lead, staff time, budget lines, grants) and the
calendar of local moments."""

from django.urls import path

from stakeholders import institution_views, moment_views

urlpatterns = [
    path(
        "cities/<slug:slug>/institution/",
        institution_views.city_institution,
        name="city_institution",
    ),
    path(
        "cities/<slug:slug>/institution/edit/",
        institution_views.city_institution_edit,
        name="city_institution_edit",
    ),
    path(
        "cities/<slug:slug>/institution/budget-lines/add/",
        institution_views.city_budget_line_add,
        name="city_budget_line_add",
    ),
    path(
        "cities/<slug:slug>/institution/budget-lines/<int:line_id>/remove/",
        institution_views.city_budget_line_remove,
        name="city_budget_line_remove",
    ),
    path(
        "cities/<slug:slug>/institution/grants/add/",
        institution_views.city_grant_add,
        name="city_grant_add",
    ),
    path(
        "cities/<slug:slug>/institution/grants/<int:grant_id>/remove/",
        institution_views.city_grant_remove,
        name="city_grant_remove",
    ),
    path("cities/<slug:slug>/moments/", moment_views.city_moments, name="city_moments"),
    path(
        "cities/<slug:slug>/moments/new/",
        moment_views.city_moment_create,
        name="city_moment_create",
    ),
    path(
        "cities/<slug:slug>/moments/<int:moment_id>/edit/",
        moment_views.city_moment_edit,
        name="city_moment_edit",
    ),
    path(
        "cities/<slug:slug>/moments/<int:moment_id>/delete/",
        moment_views.city_moment_delete,
        name="city_moment_delete",
    ),
]
