"""Training URLs: sessions, the self-assessment link, and what people learned."""

from django.urls import path

from trainings import assessment_views, session_views

urlpatterns = [
    path(
        "sessions/new/<int:group_id>/",
        session_views.training_session_create,
        name="training_session_create",
    ),
    path("sessions/<int:session_id>/", session_views.training_session, name="training_session"),
    path(
        "sessions/<int:session_id>/edit/",
        session_views.training_session_edit,
        name="training_session_edit",
    ),
    path(
        "sessions/<int:session_id>/results/",
        session_views.training_session_results,
        name="training_session_results",
    ),
    path(
        "sessions/<int:session_id>/answers/",
        session_views.training_session_answers,
        name="training_session_answers",
    ),
    path(
        "modules/<slug:slug>/results/",
        session_views.training_module_results,
        name="training_module_results",
    ),
    path(
        "cities/<slug:slug>/results/",
        session_views.city_training_results,
        name="city_training_results",
    ),
    path("assess/<str:token>/", assessment_views.training_assessment, name="training_assessment"),
]
