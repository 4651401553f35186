"""Working-group URLs: four-leg balance, seat gaps, civic load, existing initiatives."""

from django.urls import path

from workinggroups import balance_views, initiative_views

urlpatterns = [
    path("<int:group_id>/balance/", balance_views.group_balance, name="group_balance"),
    path("<int:group_id>/seats/", balance_views.group_seat_gaps, name="group_seat_gaps"),
    path(
        "<int:group_id>/initiatives/",
        initiative_views.group_initiatives,
        name="group_initiatives",
    ),
    path("cities/<slug:slug>/balance/", balance_views.city_balance, name="city_balance"),
    path(
        "cities/<slug:slug>/initiatives/",
        initiative_views.city_initiatives,
        name="city_initiatives",
    ),
    path(
        "initiatives/<int:initiative_id>/",
        initiative_views.initiative_detail,
        name="initiative_detail",
    ),
    path(
        "initiatives/<int:initiative_id>/people/",
        initiative_views.initiative_people,
        name="initiative_people",
    ),
]
