"""Training URLs: coverage (which modules each city's working groups have completed, by leg)."""

from django.urls import path

from trainings import coverage_views

urlpatterns = [
    path("coverage/", coverage_views.training_coverage, name="training_coverage"),
    path(
        "cities/<slug:slug>/coverage/",
        coverage_views.city_training_coverage,
        name="city_training_coverage",
    ),
]
