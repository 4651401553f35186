"""Permission rows for training sessions, self-assessments and results (trainings/session_urls.py).

A session follows its convening's rules: members of the group see it (403 to change it),
coordinators of the city and staff manage it, other cities' coordinators get a 404. Results
are for the city's coordinators and staff; individual answers for staff only. The module's
results are for staff and coordinators (each sees their own cities' sessions). The
self-assessment link is public and personal: signed in as anyone else it is refused (400).
"""

from datetime import timedelta

from django.utils import timezone

from tests import factories
from trainings.assessment_tokens import make_assessment_token
from trainings.models import AssessmentRequest, TrainingModule, TrainingSession

LOGIN = "login"

GET = {
    "training_session_create": (LOGIN, 403, 200, 404, 200),
    "training_session": (LOGIN, 200, 200, 404, 200),
    "training_session_edit": (LOGIN, 403, 200, 404, 200),
    "training_session_results": (LOGIN, 403, 200, 404, 200),
    "training_session_answers": (LOGIN, 403, 403, 404, 200),
    "training_module_results": (LOGIN, 403, 200, 200, 200),
    "city_training_results": (LOGIN, 403, 200, 404, 200),
    "training_assessment": (200, 200, 400, 400, 400),
}
POST = {
    # 200: an empty form comes back with its errors; nothing is saved.
    "training_session_create": (LOGIN, 403, 200, 404, 200),
    "training_session": (LOGIN, 405, 405, 405, 405),
    "training_session_edit": (LOGIN, 403, 200, 404, 200),
    "training_session_results": (LOGIN, 405, 405, 405, 405),
    "training_session_answers": (LOGIN, 405, 405, 405, 405),
    "training_module_results": (LOGIN, 405, 405, 405, 405),
    "city_training_results": (LOGIN, 405, 405, 405, 405),
    # 200: an empty form comes back with its errors (nothing recorded); others: 400.
    "training_assessment": (200, 200, 400, 400, 400),
}


def kwargs(base) -> dict:
    module = TrainingModule.objects.create(
        slug="url-matrix-session-module",
        title="Stakeholder identification (URL matrix)",
        summary="Finding the local actors across the four legs.",
        objectives="Name the four legs\nMap who is missing",
        duration_minutes=60,
    )
    convening = factories.convening(base["group"], kind="training", title="Foundations")
    session = TrainingSession.objects.create(convening=convening, trainer_name="A partner")
    session.modules.set([module])
    person = base["member"].person
    factories.invite(convening, person)
    assessment = AssessmentRequest.objects.create(
        session=session,
        person=person,
        leg=person.leg,
        phase="before",
        due_at=timezone.now(),
        closes_at=convening.starts_at,
    )
    assert assessment.closes_at > timezone.now() + timedelta(days=1)
    return {
        "training_session_create": {"group_id": base["group"].pk},
        "training_session": {"session_id": session.pk},
        "training_session_edit": {"session_id": session.pk},
        "training_session_results": {"session_id": session.pk},
        "training_session_answers": {"session_id": session.pk},
        "training_module_results": {"slug": module.slug},
        "city_training_results": {"slug": base["city"].slug},
        "training_assessment": {"token": make_assessment_token(assessment)},
    }
