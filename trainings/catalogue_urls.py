"""Training URLs: the module catalogue, materials, self-paced completion, training records."""

from django.urls import path

from trainings import catalogue_views as views

urlpatterns = [
    path("", views.training_modules, name="training_modules"),
    # Before modules/<slug>/, which "new" would otherwise match (and "new" is no module's slug).
    path("modules/new/", views.training_module_create, name="training_module_create"),
    path("modules/<slug:slug>/", views.training_module, name="training_module"),
    path("modules/<slug:slug>/edit/", views.training_module_edit, name="training_module_edit"),
    path(
        "modules/<slug:slug>/complete/",
        views.training_module_complete,
        name="training_module_complete",
    ),
    path(
        "modules/<slug:slug>/materials/add/",
        views.training_material_add,
        name="training_material_add",
    ),
    path(
        "modules/<slug:slug>/materials/<int:material_id>/remove/",
        views.training_material_remove,
        name="training_material_remove",
    ),
    path("materials/<int:material_id>/", views.training_material, name="training_material"),
    path("people/<int:person_id>/", views.training_record_view, name="training_record"),
    path("mine/", views.my_training, name="my_training"),
]
