"""Migrations carry existing data forward, not only empty databases."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


@pytest.mark.django_db(transaction=True)
def test_convenings_cancelled_before_cancellation_times_get_one():
    executor = MigrationExecutor(connection)
    before = [("workinggroups", "0001_initial"), ("stakeholders", "0004_user_is_briefing_author")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    City = apps.get_model("stakeholders", "City")
    Programme = apps.get_model("stakeholders", "Programme")
    WorkingGroup = apps.get_model("workinggroups", "WorkingGroup")
    Convening = apps.get_model("workinggroups", "Convening")
    programme = Programme.objects.create(
        name="Migration pilot", starts_on="2023-10-01", ends_on="2025-09-30"
    )
    city = City.objects.create(
        programme=programme,
        name="Oldtown",
        state="Ohio",
        slug="oldtown",
        time_zone="America/New_York",
        form_of_government="mayor_council",
    )
    group = WorkingGroup.objects.create(city=city, name="LLG", kind="llg")
    starts = timezone.now() + timedelta(days=3)
    old = Convening.objects.create(
        group=group,
        kind="workshop",
        title="Called off",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status="cancelled",
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from workinggroups.models import Convening as CurrentConvening

    migrated = CurrentConvening.objects.get(pk=old.pk)
    assert migrated.cancelled_at is not None
