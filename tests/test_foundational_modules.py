"""A new deployment loads the toolkit's foundational modules with one command, once."""

import pytest
from django.core.management import call_command

from trainings.models import TrainingModule

pytestmark = pytest.mark.django_db


def test_the_foundational_modules_load_once_with_their_prerequisites(capsys):
    call_command("load_foundational_modules")
    call_command("load_foundational_modules")
    modules = TrainingModule.objects.filter(is_foundational=True)
    assert modules.count() == 6
    assert "6 foundational modules" in capsys.readouterr().out
    referral = modules.get(slug="referral-pathways")
    assert list(referral.prerequisites.values_list("slug", flat=True)) == [
        "needs-and-vulnerabilities"
    ]
    assert all(module.objective_list for module in modules)
