"""Query budgets of the list pages (issue 9, item 5).

Every list page answers with the same exact number of queries with one row as with about
twenty, so an N+1 regression fails here even though timings are never tested. Pages whose
budget is tested elsewhere are listed in `COVERED_ELSEWHERE`; the progress pages (/progress/)
have their own tests. The stakeholder directory has a fixed budget of five queries, the
session and the user included (`make bench`'s "roster" target).
"""

import pytest
from django.urls import reverse

from stakeholders.models import Leg
from tests import factories
from tests.querycount import page_queries
from workinggroups.models import ExistingInitiative, Membership

pytestmark = pytest.mark.django_db

# url name -> the test that holds its budget
COVERED_ELSEWHERE = {
    "home": "test_query_counts (staff and member)",
    "city_detail": "test_query_counts",
    "group_detail": "test_query_counts",
    "audit_log": "test_audit_log",
    "roles": "test_roles",
    "directory_organisations": "test_directory",
    "city_institution": "test_institutionalisation",
    "city_moments": "test_local_moments",
    "group_balance": "test_balance",
    "city_balance": "test_balance",
    "group_seat_gaps": "test_seat_gaps",
    "city_initiatives": "test_balance",
    "initiative_detail": "test_balance",
    "convening_attendance": "test_attendance",
    "briefing_list": "test_briefing_authoring",
    "briefing_inbox": "test_briefing_reading",
    "briefing_read": "test_briefing_reading",
    "briefing_read_rates": "test_briefing_progress",
    "briefing_distribution": "test_briefing_progress",
    "briefing_request_list": "test_briefing_requests",
    "briefing_request_detail": "test_briefing_requests",
    "training_modules": "test_training_catalogue",
    "training_record": "test_training_record",
    "my_training": "test_training_record",
    "training_coverage": "test_training_coverage",
    "city_training_coverage": "test_training_coverage",
    "training_session_results": "test_training_assessments",
    "training_session_answers": "test_training_assessments",
    "training_module_results": "test_training_assessments",
    "city_training_results": "test_training_assessments",
    "calendar_feed": "test_calendar",
}


def assert_same_queries(client, url, grow, django_assert_num_queries) -> int:
    """Count `url`'s queries, call `grow` (about twenty more rows), and assert the page
    makes exactly as many again; return the count."""
    small = page_queries(client, url)
    grow()
    client.get(url)  # the first request after new rows may settle a session key
    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.status_code == 200, url
    return small


# --- The stakeholder directory: five queries at any size -------------------------------------


def _directory_people(city, count, *, focus, initiative, group):
    organisation = factories.organisation(city)
    for n in range(count):
        person = factories.person(city, list(Leg)[n % 4], organisation=organisation)
        person.focus_areas.add(focus)
        initiative.people.add(person)
        Membership.objects.create(group=group, person=person)


DIRECTORY_QUERIES = {
    "": "no filter",
    "?leg=law_enforcement": "by leg, as make bench asks",
    "?leg=community&level=primary&q=person": "several filters",
    "?page=2": "the second page",
    "?page=99": "past the end: the last page",
    "?organisation=not-a-number&sector=999999": "values that are ignored",
}


@pytest.mark.parametrize("query", list(DIRECTORY_QUERIES))
@pytest.mark.parametrize("role", ["staff", "coordinator"])
def test_the_directory_takes_five_queries_with_one_person_or_sixty(
    client, city, staff_user, coordinator_user, django_assert_num_queries, role, query
):
    from stakeholders.models import FocusArea

    client.force_login({"staff": staff_user, "coordinator": coordinator_user}[role])
    focus = FocusArea.objects.create(slug="youth", name="Youth")
    initiative = ExistingInitiative.objects.create(city=city, name="Human Rights Commission")
    group = factories.group(city)
    _directory_people(city, 1, focus=focus, initiative=initiative, group=group)
    url = reverse("city_directory", kwargs={"slug": city.slug}) + query
    assert page_queries(client, url) == 5  # session, user, city and lists, page, audit entry

    def grow():
        _directory_people(city, 59, focus=focus, initiative=initiative, group=group)
        for n in range(4):
            factories.organisation(city, f"Extra organisation {n}")
            factories.group(city, name=f"Extra group {n}")

    assert assert_same_queries(client, url, grow, django_assert_num_queries) == 5


def test_the_directory_fragment_for_htmx_takes_five_queries(
    client, city, coordinator_user, django_assert_num_queries
):
    client.force_login(coordinator_user)
    factories.person(city, Leg.LAW_ENFORCEMENT)
    url = reverse("city_directory", kwargs={"slug": city.slug}) + "?leg=law_enforcement"
    client.get(url, HTTP_HX_REQUEST="true")
    with django_assert_num_queries(5):
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert "<html" not in response.content.decode()


def test_the_directory_import_pages_do_not_grow_with_imports_or_rows(
    client, city, coordinator_user, django_assert_num_queries
):
    client.force_login(coordinator_user)
    factories.sector_for(Leg.COMMUNITY)

    def upload(rows: int) -> str:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from stakeholders.models import Sector

        sector = Sector.objects.filter(usual_leg=Leg.COMMUNITY).first()
        lines = ["full_name,leg,sector,email"] + [
            f"Imported {rows}-{n},community,{sector.slug},imp{rows}-{n}@example.org"
            for n in range(rows)
        ]
        response = client.post(
            reverse("directory_import", kwargs={"slug": city.slug}),
            {"file": SimpleUploadedFile("people.csv", "\n".join(lines).encode(), "text/csv")},
        )
        assert response.status_code == 302, response.content.decode()[-2000:]
        return response["Location"]

    listing = reverse("directory_import", kwargs={"slug": city.slug})
    assert_same_queries(
        client, listing, lambda: [upload(1) for _ in range(12)], django_assert_num_queries
    )
    one = upload(1)
    twenty = upload(20)
    assert page_queries(client, one) == page_queries(client, twenty)


# --- Pages whose budget had no test -----------------------------------------------------------


def test_the_coordinator_home_does_not_grow_with_groups_or_convenings(
    client, city, coordinator_user, django_assert_num_queries
):
    group = factories.group_with_all_legs(city, per_leg=1)
    factories.convening(group)
    client.force_login(coordinator_user)

    def grow():
        for _ in range(6):
            more = factories.group_with_all_legs(city, per_leg=1)
            for days in (2, 9, 16):
                factories.convening(more, days_from_now=days)

    assert_same_queries(client, reverse("home"), grow, django_assert_num_queries)


@pytest.mark.parametrize("role", ["coordinator", "member"])
def test_a_convening_page_does_not_grow_with_invitations_or_attendance(
    client, group, coordinator_user, member, django_assert_num_queries, role
):
    convening = factories.convening(group, days_from_now=3)
    factories.invite(convening, member.person, "yes")
    client.force_login({"coordinator": coordinator_user, "member": member}[role])
    url = reverse("convening_detail", args=[convening.pk])

    def grow():
        for n in range(20):
            person = factories.member(group, list(Leg)[n % 4])
            factories.invite(convening, person, ["yes", "no", "maybe", "pending"][n % 4])
            factories.attend(convening, person)

    assert_same_queries(client, url, grow, django_assert_num_queries)


def test_the_invite_page_does_not_grow_with_members(
    client, city, coordinator_user, django_assert_num_queries
):
    group = factories.group_with_all_legs(city, per_leg=1)
    convening = factories.convening(group, days_from_now=5)
    factories.invite(convening, group.memberships.first().person)
    client.force_login(coordinator_user)
    url = reverse("convening_invite", args=[convening.pk])

    def grow():
        for n in range(20):
            factories.member(group, list(Leg)[n % 4])

    assert_same_queries(client, url, grow, django_assert_num_queries)


def test_the_group_initiatives_page_does_not_grow_with_initiatives(
    client, city, coordinator_user, django_assert_num_queries
):
    group = factories.group_with_all_legs(city, per_leg=1)
    ExistingInitiative.objects.create(city=city, name="Initiative 0").working_groups.add(group)
    client.force_login(coordinator_user)
    url = reverse("group_initiatives", args=[group.pk])

    def grow():
        for n in range(1, 21):
            initiative = ExistingInitiative.objects.create(city=city, name=f"Initiative {n}")
            if n % 2:
                initiative.working_groups.add(group)

    assert_same_queries(client, url, grow, django_assert_num_queries)


def _training_module(slug: str):
    from trainings.models import TrainingModule

    return TrainingModule.objects.create(
        slug=slug,
        title=slug.replace("-", " ").title(),
        summary="About it.",
        objectives="Name the legs\nMap gaps",
        duration_minutes=60,
    )


def _training_session(group, modules, *, days_from_now=7):
    from trainings.models import TrainingSession

    convening = factories.convening(group, kind="training", days_from_now=days_from_now)
    session = TrainingSession.objects.create(convening=convening, trainer_name="A partner")
    session.modules.set(modules)
    return session, convening


@pytest.mark.parametrize("role", ["member", "coordinator", "staff"])
def test_a_module_page_does_not_grow_with_materials_or_sessions(
    client, group, member, coordinator_user, staff_user, django_assert_num_queries, role
):
    from trainings.models import ModuleMaterial

    module = _training_module("stakeholder-identification")
    prerequisite = _training_module("social-cohesion")
    module.prerequisites.add(prerequisite)

    def link(n):
        ModuleMaterial.objects.create(
            module=module,
            title=f"Chapter {n}",
            kind="link",
            tlp=["CLEAR", "GREEN"][n % 2],
            url="https://example.org/toolkit",
            position=n,
        )

    link(0)
    _, convening = _training_session(group, [module])
    factories.invite(convening, member.person)
    client.force_login(
        {"member": member, "coordinator": coordinator_user, "staff": staff_user}[role]
    )
    url = reverse("training_module", kwargs={"slug": module.slug})

    def grow():
        for n in range(1, 21):
            link(n)
        for days in range(2, 12):
            _, more = _training_session(group, [module], days_from_now=days)
            factories.invite(more, member.person)

    assert_same_queries(client, url, grow, django_assert_num_queries)


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_a_training_session_page_does_not_grow_with_modules_or_invitations(
    client, group, member, coordinator_user, django_assert_num_queries, role
):
    modules = [_training_module("module-0")]
    session, convening = _training_session(group, modules)
    factories.invite(convening, member.person)
    client.force_login({"member": member, "coordinator": coordinator_user}[role])
    url = reverse("training_session", args=[session.pk])

    def grow():
        modules.extend(_training_module(f"module-{n}") for n in range(1, 8))
        session.modules.set(modules)
        for n in range(20):
            factories.invite(convening, factories.member(group, list(Leg)[n % 4]))

    assert_same_queries(client, url, grow, django_assert_num_queries)


def test_the_attachments_page_does_not_grow_with_attachments(
    client, group, staff_user, settings, tmp_path, django_assert_num_queries
):
    from django.core.files.base import ContentFile

    from briefings.models import BriefingAttachment

    settings.MEDIA_ROOT = tmp_path
    briefing = factories.briefing(staff_user, groups=[group])

    def attach(n):
        attachment = BriefingAttachment(
            briefing=briefing,
            original_name=f"notes-{n}.pdf",
            size_bytes=10,
            sha256="0" * 64,
            uploaded_by=staff_user,
        )
        attachment.file.save(f"notes-{n}.pdf", ContentFile(b"%PDF-1.4"), save=False)
        attachment.save()

    attach(0)
    client.force_login(staff_user)
    url = reverse("briefing_attachments", kwargs={"briefing_id": briefing.pk})
    assert_same_queries(
        client, url, lambda: [attach(n) for n in range(1, 21)], django_assert_num_queries
    )


def test_the_series_page_does_not_grow_with_its_convenings(client, group, coordinator_user):
    from datetime import timedelta

    from django.utils import timezone

    from workinggroups.convening_services import SeriesDetails, series_schedule

    def schedule(rrule: str):
        return series_schedule(
            actor=coordinator_user,
            group=group,
            details=SeriesDetails(
                kind="working_session",
                title="Working session",
                rrule=rrule,
                first_starts_at=timezone.now().replace(microsecond=0) + timedelta(days=1),
                duration_minutes=60,
                place="Library",
            ),
        )

    few = schedule("FREQ=YEARLY")  # one or two convenings
    many = schedule("FREQ=WEEKLY")  # a year ahead: two dozen convenings
    assert many.occurrences.count() >= 20
    client.force_login(coordinator_user)
    assert page_queries(client, reverse("series_edit", args=[few.pk])) == page_queries(
        client, reverse("series_edit", args=[many.pk])
    )


def test_my_data_does_not_grow_with_what_the_portal_holds(
    client, group, member, django_assert_num_queries
):
    person = member.person
    factories.invite(factories.convening(group, days_from_now=3), person)
    client.force_login(member)

    def grow():
        for days in range(1, 21):
            convening = factories.convening(group, days_from_now=-days)
            factories.invite(convening, person, "yes")
            factories.attend(convening, person)
        for n in range(5):
            Membership.objects.create(
                group=factories.group(group.city, name=f"G{n}"), person=person
            )

    assert_same_queries(client, reverse("my_data"), grow, django_assert_num_queries)


def test_every_list_page_has_a_budget_test():
    """A new list page (a GET page named like a list, or a dashboard) must get a budget
    here or elsewhere: this names the pages checked, so a missing one is seen in review."""
    tested_here = {
        "city_directory",
        "directory_import",
        "directory_import_preview",
        "convening_detail",
        "convening_invite",
        "group_initiatives",
        "training_module",
        "training_session",
        "briefing_attachments",
        "series_edit",
        "my_data",
    }
    from django.urls import URLPattern, URLResolver, get_resolver

    def names(resolver):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from names(pattern)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern.name

    known = set(names(get_resolver()))
    for name in tested_here | set(COVERED_ELSEWHERE):
        assert name in known, f"{name} is no longer a URL: update the budget lists"
    assert not tested_here & set(COVERED_ELSEWHERE)
