"""Celery tasks for trainings, registered with the worker from here (autodiscovery imports
each app's tasks module). The tasks live next to what they run."""

from trainings.assessment_tasks import (  # noqa: F401  (registers them)
    report_stuck_assessment_requests,
    send_assessment_requests,
    sweep_assessment_requests,
)
from trainings.coverage_tasks import (  # noqa: F401  (registers them)
    plan_coverage_nudges,
    report_stuck_coverage_nudges,
    send_coverage_nudges,
    sweep_coverage_nudges,
)
