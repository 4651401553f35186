"""A person's training record: modules completed (how, when, at which session), refresher
due dates said in words, modules not yet done; who may see it; constant query count."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.querycount import page_queries
from trainings.catalogue_selectors import add_months, refresher_for
from trainings.models import Completion, TrainingModule, TrainingSession
from workinggroups.models import Convening

pytestmark = pytest.mark.django_db


def _module(title: str, **extra) -> TrainingModule:
    return TrainingModule.objects.create(
        slug=extra.pop("slug", title.lower().replace(" ", "-")),
        title=title,
        summary=f"About {title.lower()}.",
        objectives="Name the first thing",
        duration_minutes=extra.pop("duration_minutes", 60),
        **extra,
    )


def _attended(group, person, module, *, days_ago=10, title="Cohesion training") -> Completion:
    convening = factories.convening(
        group, days_from_now=-days_ago, kind=Convening.Kind.TRAINING, title=title
    )
    session = TrainingSession.objects.create(convening=convening)
    session.modules.add(module)
    return Completion.objects.create(
        person=person,
        module=module,
        session=session,
        method="attended",
        completed_on=timezone.localdate() - timedelta(days=days_ago),
    )


def _record_url(person) -> str:
    return reverse("training_record", kwargs={"person_id": person.pk})


# --- Dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 11, 15), 2, date(2025, 1, 15)),
        (date(2024, 3, 10), 24, date(2026, 3, 10)),
    ],
)
def test_a_refresher_falls_due_the_same_day_months_later_or_the_months_last_day(start, months, due):
    assert add_months(start, months) == due


def test_refresher_states_are_overdue_due_soon_or_later():
    module = TrainingModule(refresher_months=12)
    today = date(2025, 6, 1)

    assert refresher_for(module, date(2024, 5, 1), today).state == "overdue"
    assert refresher_for(module, date(2024, 6, 20), today).state == "due"
    assert refresher_for(module, date(2025, 1, 1), today).state == "later"
    assert refresher_for(TrainingModule(refresher_months=None), date(2020, 1, 1), today) is None


# --- The record -------------------------------------------------------------------------------


def test_my_training_shows_how_and_when_each_module_was_done_and_what_is_left(
    client, member, group
):
    landscape = _module("The landscape of hate and extremism", refresher_months=12)
    cohesion = _module("Social cohesion and safety", refresher_months=12)
    seats = _module("Stakeholder identification", is_foundational=True)
    _module("Post-incident response")
    _attended(group, member.person, landscape, days_ago=400, title="Landscape training")
    Completion.objects.create(
        person=member.person,
        module=cohesion,
        method="self_paced",
        completed_on=timezone.localdate() - timedelta(days=330),
    )
    Completion.objects.create(person=member.person, module=seats, method="self_paced")
    client.force_login(member)

    response = client.get(reverse("my_training"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "My training record" in html
    assert "Completed: 3 modules" in html
    assert "Attended: Landscape training" in html
    assert "At their own pace" in html
    assert "Refresher overdue since" in html
    assert "Refresher due soon: by" in html
    assert "No refresher needed" in html
    assert "Not yet done: 1 module" in html and "Post-incident response" in html
    assert "Refreshers to plan" in html
    assert response["Cache-Control"] == "no-store"


def test_a_record_with_nothing_done_lists_every_module(client, member):
    _module("Social cohesion and safety")
    client.force_login(member)

    html = client.get(reverse("my_training")).content.decode()

    assert "No module completed yet." in html
    assert "Not yet done: 1 module" in html


def test_a_refresher_date_follows_the_latest_completion(client, member):
    module = _module("Social cohesion and safety", refresher_months=12)
    Completion.objects.create(
        person=member.person,
        module=module,
        method="self_paced",
        completed_on=timezone.localdate() - timedelta(days=500),
    )
    Completion.objects.create(person=member.person, module=module, method="self_paced")
    client.force_login(member)

    html = client.get(reverse("my_training")).content.decode()

    assert "Refresher overdue" not in html
    assert "Completed: 1 module" in html


# --- Who may see it ---------------------------------------------------------------------------


def test_the_person_their_citys_coordinator_and_staff_see_a_record(
    client, member, coordinator_user, staff_user
):
    for account in (member, coordinator_user, staff_user):
        client.force_login(account)
        assert client.get(_record_url(member.person)).status_code == 200


def test_a_record_does_not_exist_for_other_cities_coordinators_and_fellow_members(
    client, member, group, other_coordinator
):
    fellow = factories.member_user(group)
    for account in (other_coordinator, fellow):
        client.force_login(account)
        assert client.get(_record_url(member.person)).status_code == 404


def test_an_unknown_person_is_not_found(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("training_record", kwargs={"person_id": 999999})).status_code == 404


def test_an_account_without_a_person_record_has_no_training_record_of_its_own(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("my_training")).status_code == 404


# --- Query counts -----------------------------------------------------------------------------


def test_the_record_pages_queries_do_not_grow_with_completions(client, member, group, staff_user):
    first = _module("Module 0", refresher_months=12)
    _attended(group, member.person, first)
    mine, theirs = reverse("my_training"), _record_url(member.person)
    client.force_login(member)
    one_mine = page_queries(client, mine)
    client.force_login(staff_user)
    one_theirs = page_queries(client, theirs)
    for n in range(1, 25):
        module = _module(f"Module {n}", refresher_months=6 if n % 2 else None)
        if n % 3:
            _attended(group, member.person, module, days_ago=n, title=f"Session {n}")
        else:
            Completion.objects.create(person=member.person, module=module, method="self_paced")

    client.force_login(member)
    assert page_queries(client, mine) == one_mine
    client.force_login(staff_user)
    assert page_queries(client, theirs) == one_theirs
