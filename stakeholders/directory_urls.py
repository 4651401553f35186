"""City URLs: the stakeholder directory (people, organisations, import, export)."""

from django.urls import path

from stakeholders import directory_views

urlpatterns: list = [
    path("cities/<slug:slug>/directory/", directory_views.city_directory, name="city_directory"),
    path(
        "cities/<slug:slug>/directory/people/new/",
        directory_views.directory_person_create,
        name="directory_person_create",
    ),
    path(
        "people/<int:person_id>/edit/",
        directory_views.directory_person_edit,
        name="directory_person_edit",
    ),
    path(
        "cities/<slug:slug>/directory/organisations/",
        directory_views.directory_organisations,
        name="directory_organisations",
    ),
    path(
        "cities/<slug:slug>/directory/import/",
        directory_views.directory_import,
        name="directory_import",
    ),
    path(
        "cities/<slug:slug>/directory/import/<int:import_id>/",
        directory_views.directory_import_preview,
        name="directory_import_preview",
    ),
    path(
        "cities/<slug:slug>/directory/import/<int:import_id>/confirm/",
        directory_views.directory_import_confirm,
        name="directory_import_confirm",
    ),
    path(
        "cities/<slug:slug>/directory/import/<int:import_id>/cancel/",
        directory_views.directory_import_cancel,
        name="directory_import_cancel",
    ),
    # One name for both formats: export.csv and export.xlsx (any other suffix is a 404).
    path(
        "cities/<slug:slug>/directory/export.<str:fmt>",
        directory_views.directory_export,
        name="directory_export",
    ),
]
