"""Milestones per city: each derived milestone read from its records (and its date), the
recorded ones with their evidence, bad input refused with nothing changed, the audit trail,
and milestone_paths' queries not growing with the number of cities. Permissions are in
tests/url_expectations/progress_city.py."""

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from briefings.models import Delivery, DeliveryStatus
from stakeholders.institution_selectors import fiscal_year_of
from stakeholders.models import BudgetLine, Leg, Person
from tests import factories
from tests.querycount import page_queries
from trainings.models import TrainingModule, TrainingSession
from workinggroups import milestones
from workinggroups.milestones import (
    DERIVED,
    RECORDABLE,
    milestone_path,
    milestone_paths,
    quarter_end,
    quarter_index,
    quarterly_streak,
)
from workinggroups.models import (
    Convening,
    ConveningStatus,
    FrameworkVersion,
    GroupKind,
    Membership,
    Milestone,
    MilestoneRecord,
)

pytestmark = pytest.mark.django_db

# The test city's own date (factories.city is in Denver): the pages judge "not in the future"
# by it, and it is a day behind UTC's every evening.
TODAY = timezone.localdate(timezone=zoneinfo.ZoneInfo("America/Denver"))


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_upload(name: str = "minutes.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def by_key(path) -> dict:
    return {status.milestone: status for status in path}


def held(group, *, days_ago: int, **extra) -> Convening:
    convening = factories.convening(group, days_from_now=-days_ago, **extra)
    Convening.objects.filter(pk=convening.pk).update(status=ConveningStatus.HELD)
    convening.refresh_from_db()
    return convening


def foundational_session(group, *, days_ago: int, foundational: bool = True) -> TrainingSession:
    module = TrainingModule.objects.create(
        slug=f"module-{days_ago}-{foundational}",
        title=f"Module {days_ago} {foundational}",
        summary="What it covers.",
        objectives="One\nTwo",
        duration_minutes=60,
        is_foundational=foundational,
    )
    convening = held(group, days_ago=days_ago, kind=Convening.Kind.TRAINING)
    session = TrainingSession.objects.create(convening=convening)
    session.modules.set([module])
    return session


# --- Derived milestones ----------------------------------------------------------------------


def test_a_new_city_has_fourteen_milestones_in_path_order_none_reached(city):
    path = milestone_path(city)
    assert [status.milestone for status in path] == Milestone.values
    assert not any(status.reached for status in path)
    assert all(status.source == "" for status in path)
    assert {s.milestone for s in path if s.derived} == DERIVED
    assert all(status.href.startswith("/") for status in path)


def test_directory_is_compiled_on_the_day_the_fourth_leg_got_its_first_person(city):
    days = {Leg.MAYOR_COUNCIL: 30, Leg.CITY_STAFF: 20, Leg.COMMUNITY: 40}
    for leg, ago in days.items():
        person = factories.person(city, leg)
        Person.objects.filter(pk=person.pk).update(created_at=timezone.now() - timedelta(days=ago))
    assert not by_key(milestone_path(city))[Milestone.DIRECTORY_COMPILED].reached
    late = factories.person(city, Leg.LAW_ENFORCEMENT)
    Person.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(days=5))
    status = by_key(milestone_path(city))[Milestone.DIRECTORY_COMPILED]
    expected = (timezone.now() - timedelta(days=5)).astimezone(city.zone).date()
    assert status.reached_on == expected
    assert "Law enforcement: 1" in status.source
    assert status.href == reverse("city_directory", kwargs={"slug": city.slug})


def test_group_is_formed_when_one_group_has_current_members_of_all_four_legs(city):
    split_a, split_b = factories.group(city), factories.group(city)
    for leg in (Leg.MAYOR_COUNCIL, Leg.CITY_STAFF):
        factories.member(split_a, leg)
    for leg in (Leg.COMMUNITY, Leg.LAW_ENFORCEMENT):
        factories.member(split_b, leg)
    assert not by_key(milestone_path(city))[Milestone.GROUP_FORMED].reached

    whole = factories.group(city, name="Whole group")
    starts = {Leg.MAYOR_COUNCIL: 50, Leg.CITY_STAFF: 40, Leg.COMMUNITY: 60, Leg.LAW_ENFORCEMENT: 10}
    for leg, ago in starts.items():
        person = factories.member(whole, leg)
        Membership.objects.filter(person=person).update(started_on=TODAY - timedelta(days=ago))
    status = by_key(milestone_path(city))[Milestone.GROUP_FORMED]
    assert status.reached_on == TODAY - timedelta(days=10)
    assert "Whole group" in status.source

    # The only law-enforcement member leaves: the group no longer has four legs.
    Membership.objects.filter(group=whole, person__leg=Leg.LAW_ENFORCEMENT).update(ended_on=TODAY)
    assert not by_key(milestone_path(city))[Milestone.GROUP_FORMED].reached


def test_first_convening_is_the_first_held_one_and_links_to_it(group):
    factories.convening(group, days_from_now=-90)  # scheduled, never marked held
    first = held(group, days_ago=60, title="Launch")
    held(group, days_ago=30)
    status = by_key(milestone_path(group.city))[Milestone.FIRST_CONVENING]
    assert status.reached_on == first.starts_at.astimezone(group.city.zone).date()
    assert "Launch" in status.source
    assert status.href == reverse("convening_detail", kwargs={"convening_id": first.pk})


def test_foundational_training_counts_only_sessions_of_a_foundational_module(group):
    foundational_session(group, days_ago=80, foundational=False)
    assert not by_key(milestone_path(group.city))[Milestone.FOUNDATIONAL_TRAINING].reached
    session = foundational_session(group, days_ago=40)
    status = by_key(milestone_path(group.city))[Milestone.FOUNDATIONAL_TRAINING]
    assert status.reached_on == session.convening.starts_at.astimezone(group.city.zone).date()
    assert status.href == reverse("training_session", kwargs={"session_id": session.pk})


def test_first_briefing_is_the_first_sent_delivery_to_the_city(group, other_city):
    person = group.memberships.first().person
    briefing = factories.briefing()
    sent = timezone.now() - timedelta(days=12)
    Delivery.objects.create(
        briefing=briefing, person=person, city=group.city, leg=person.leg,
        status=DeliveryStatus.QUEUED,
    )  # fmt: skip
    assert not by_key(milestone_path(group.city))[Milestone.FIRST_BRIEFING].reached
    Delivery.objects.filter(briefing=briefing).update(status=DeliveryStatus.SENT, sent_at=sent)
    status = by_key(milestone_path(group.city))[Milestone.FIRST_BRIEFING]
    assert status.reached_on == sent.astimezone(group.city.zone).date()
    assert not by_key(milestone_path(other_city))[Milestone.FIRST_BRIEFING].reached


def test_framework_milestones_come_from_its_versions(city):
    FrameworkVersion.objects.create(
        city=city, number=1, title="Framework", drafted_on=date(2024, 9, 1),
        reviewed_on=date(2024, 11, 1), adopted_on=date(2025, 1, 15),
        adoption_instrument="executive_order", status="superseded",
    )  # fmt: skip
    FrameworkVersion.objects.create(
        city=city, number=2, title="Framework", drafted_on=date(2025, 3, 1),
        adopted_on=date(2025, 5, 1), adoption_instrument="council_resolution", status="adopted",
    )  # fmt: skip
    path = by_key(milestone_path(city))
    assert path[Milestone.FRAMEWORK_DRAFTED].reached_on == date(2024, 9, 1)
    assert path[Milestone.FRAMEWORK_REVIEWED].reached_on == date(2024, 11, 1)
    adopted = path[Milestone.FRAMEWORK_ADOPTED]
    assert adopted.reached_on == date(2025, 1, 15)
    assert "executive order" in adopted.source.lower()
    assert adopted.href == reverse("city_framework", kwargs={"slug": city.slug})


def test_a_draft_only_framework_is_drafted_not_reviewed(city):
    FrameworkVersion.objects.create(city=city, number=1, title="Draft", drafted_on=TODAY)
    path = by_key(milestone_path(city))
    assert path[Milestone.FRAMEWORK_DRAFTED].reached_on == TODAY
    assert not path[Milestone.FRAMEWORK_REVIEWED].reached
    assert not path[Milestone.FRAMEWORK_ADOPTED].reached


def test_budget_line_is_reached_at_the_start_of_its_fiscal_year(city):
    year = fiscal_year_of(TODAY)
    BudgetLine.objects.create(city=city, amount=1000, fiscal_year=year - 1, source="General")
    BudgetLine.objects.create(city=city, amount=1000, fiscal_year=year, source="Grant")
    status = by_key(milestone_path(city))[Milestone.BUDGET_LINE]
    assert status.reached_on == milestones.fiscal_year_start(year - 1)
    assert "2 budget lines" in status.source
    assert status.href == reverse("city_institution", kwargs={"slug": city.slug})


def test_a_budget_line_for_a_fiscal_year_not_started_is_secured_today(city):
    BudgetLine.objects.create(
        city=city, amount=1000, fiscal_year=fiscal_year_of(timezone.localdate()) + 2, source="Next"
    )
    # "Today" as the milestone path counts it: the server's date.
    today = timezone.localdate()
    assert by_key(milestone_path(city))[Milestone.BUDGET_LINE].reached_on == today


# --- City Prevention Team meeting at least quarterly --------------------------------------------


def test_quarterly_streak_needs_the_last_four_completed_quarters():
    today = date(2025, 8, 10)  # in Q3 2025; the last completed is Q2 2025
    q2 = quarter_index(date(2025, 4, 1))
    assert quarterly_streak({q2, q2 - 1, q2 - 2}, today) == (3, None)
    assert quarterly_streak({q2, q2 - 1, q2 - 2, q2 - 3}, today) == (4, q2)
    # Six in a row: it became complete in the fourth of them.
    six = {q2 - n for n in range(6)}
    assert quarterly_streak(six, today) == (6, q2 - 2)
    # The current quarter does not count yet, and a gap in the last four breaks it.
    assert quarterly_streak({q2 + 1, q2 - 1, q2 - 2, q2 - 3, q2 - 4}, today) == (0, None)
    assert quarter_end(q2) == date(2025, 6, 30)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, tzinfo=UTC)


def test_team_quarterly_counts_held_convenings_of_a_city_prevention_team(city):
    team = factories.group(city, kind=GroupKind.CITY_PREVENTION_TEAM, name="Prevention Team")
    llg = factories.group(city)
    last = quarter_index(TODAY) - 1
    for n in range(4):
        starts = _at(milestones.quarter_start(last - n) + timedelta(days=20))
        Convening.objects.create(
            group=llg, kind="working_session", title=f"LLG {n}", starts_at=starts,
            ends_at=starts + timedelta(hours=1), place="Hall", status="held",
        )  # fmt: skip
    assert not by_key(milestone_path(city))[Milestone.TEAM_QUARTERLY].reached
    for n in range(4):
        starts = _at(milestones.quarter_start(last - n) + timedelta(days=20))
        Convening.objects.create(
            group=team, kind="working_session", title=f"Team {n}", starts_at=starts,
            ends_at=starts + timedelta(hours=1), place="Hall", status="held",
        )  # fmt: skip
    status = by_key(milestone_path(city))[Milestone.TEAM_QUARTERLY]
    assert status.reached_on == quarter_end(last)
    assert "4 quarters" in status.source


# --- Recorded milestones --------------------------------------------------------------------


def record_url(city, key=Milestone.NEEDS_ASSESSMENT) -> str:
    return reverse("milestone_record", kwargs={"slug": city.slug, "milestone": key})


def test_a_coordinator_records_a_milestone_with_a_link(client, city, coordinator_user):
    client.force_login(coordinator_user)
    response = client.post(
        record_url(city),
        {"reached_on": (TODAY - timedelta(days=3)).isoformat(), "evidence_url": "example.org/x"},
    )
    assert response.status_code == 302
    record = MilestoneRecord.objects.get(city=city)
    assert record.milestone == Milestone.NEEDS_ASSESSMENT
    assert record.evidence_url == "https://example.org/x"
    assert record.recorded_by == coordinator_user
    status = by_key(milestone_path(city))[Milestone.NEEDS_ASSESSMENT]
    assert status.reached_on == TODAY - timedelta(days=3)
    assert status.record_id == record.pk
    assert status.source == "Recorded with a link as evidence"
    event = AuditEvent.objects.get(action=AuditAction.MILESTONE_RECORDED)
    assert event.city == city
    assert event.detail["milestone"] == "needs_assessment"


def test_a_milestone_recorded_with_a_pdf_downloads_privately_and_audited(client, city, staff_user):
    client.force_login(staff_user)
    response = client.post(
        record_url(city, Milestone.POST_INCIDENT_PROTOCOL),
        {"reached_on": TODAY.isoformat(), "file": pdf_upload("protocol.pdf")},
    )
    assert response.status_code == 302
    record = MilestoneRecord.objects.get(city=city)
    assert record.evidence_name == "protocol.pdf"
    url = reverse(
        "milestone_evidence",
        kwargs={"slug": city.slug, "milestone": Milestone.POST_INCIDENT_PROTOCOL},
    )
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "no-store"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert 'filename="protocol.pdf"' in download["Content-Disposition"]
    event = AuditEvent.objects.get(action=AuditAction.PROGRESS_DOCUMENT_DOWNLOADED)
    assert event.detail == {"kind": "milestone_evidence", "file": "protocol.pdf"}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"reached_on": (TODAY + timedelta(days=2)).isoformat(), "evidence_url": "https://e.org"},
         "in the future"),
        ({"reached_on": TODAY.isoformat()}, "Give the evidence"),
        ({"reached_on": "yesterday", "evidence_url": "https://e.org"}, "Enter a valid date"),
        ({"reached_on": TODAY.isoformat(), "evidence_url": "not a link"}, "Enter a valid URL"),
    ],
)  # fmt: skip
def test_bad_milestone_input_changes_nothing(client, city, coordinator_user, data, message):
    client.force_login(coordinator_user)
    response = client.post(record_url(city), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not MilestoneRecord.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.MILESTONE_RECORDED).exists()


def test_a_file_that_is_not_a_pdf_is_refused(client, city, coordinator_user):
    client.force_login(coordinator_user)
    fake = SimpleUploadedFile("minutes.pdf", b"just text", content_type="application/pdf")
    response = client.post(record_url(city), {"reached_on": TODAY.isoformat(), "file": fake})
    assert response.status_code == 200
    assert "not a PDF" in response.content.decode()
    assert not MilestoneRecord.objects.exists()


def test_an_oversized_pdf_is_refused_with_413(client, city, coordinator_user, settings):
    settings.BRIEFING_ATTACHMENT_MAX_BYTES = 100
    client.force_login(coordinator_user)
    response = client.post(
        record_url(city), {"reached_on": TODAY.isoformat(), "file": pdf_upload()}
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert not MilestoneRecord.objects.exists()


def test_unknown_milestone_is_404_and_a_derived_one_cannot_be_recorded(
    client, city, coordinator_user
):
    client.force_login(coordinator_user)
    assert client.get(record_url(city, "world_peace")).status_code == 404
    response = client.post(
        record_url(city, Milestone.FIRST_CONVENING),
        {"reached_on": TODAY.isoformat(), "evidence_url": "https://e.org"},
        follow=True,
    )
    assert "cannot be recorded by hand" in response.content.decode()
    assert not MilestoneRecord.objects.exists()


def test_recording_again_corrects_the_record_and_a_new_pdf_replaces_the_old(
    client, city, coordinator_user
):
    client.force_login(coordinator_user)
    client.post(record_url(city), {"reached_on": TODAY.isoformat(), "file": pdf_upload("a.pdf")})
    first = MilestoneRecord.objects.get().evidence_document.name
    with_commit = client.post(
        record_url(city),
        {"reached_on": (TODAY - timedelta(days=1)).isoformat(), "file": pdf_upload("b.pdf")},
    )
    assert with_commit.status_code == 302
    record = MilestoneRecord.objects.get()
    assert record.evidence_name == "b.pdf"
    assert record.reached_on == TODAY - timedelta(days=1)
    assert record.evidence_document.name != first
    assert AuditEvent.objects.filter(action=AuditAction.MILESTONE_RECORDED).count() == 2


def test_withdrawing_needs_confirmation_then_deletes_and_audits(client, city, coordinator_user):
    client.force_login(coordinator_user)
    client.post(
        record_url(city), {"reached_on": TODAY.isoformat(), "evidence_url": "https://e.org"}
    )
    url = reverse(
        "milestone_withdraw", kwargs={"slug": city.slug, "milestone": Milestone.NEEDS_ASSESSMENT}
    )
    response = client.post(url, follow=True)
    assert "tick the box" in response.content.decode()
    assert MilestoneRecord.objects.exists()
    response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    assert not MilestoneRecord.objects.exists()
    event = AuditEvent.objects.get(action=AuditAction.MILESTONE_WITHDRAWN)
    assert event.detail["milestone"] == "needs_assessment"
    assert not by_key(milestone_path(city))[Milestone.NEEDS_ASSESSMENT].reached


def test_another_citys_coordinator_cannot_record_here(client, city, other_coordinator):
    client.force_login(other_coordinator)
    response = client.post(
        record_url(city), {"reached_on": TODAY.isoformat(), "evidence_url": "https://e.org"}
    )
    assert response.status_code == 404
    assert not MilestoneRecord.objects.exists()


# --- The city's progress page ----------------------------------------------------------------


def test_progress_page_shows_the_path_in_words(client, city, group, coordinator_user):
    held(group, days_ago=10, title="Launch event")
    client.force_login(coordinator_user)
    page = client.get(reverse("city_progress", kwargs={"slug": city.slug})).content.decode()
    assert "First held convening: “Launch event”" in page
    # The group has members of all four legs: directory, group and first convening.
    assert page.count("Not reached yet") == 11
    assert page.count(">Reached<") == 3
    assert record_url(city, Milestone.LEAD_DESIGNATED) in page
    assert record_url(city, Milestone.FIRST_CONVENING) not in page


def test_progress_page_queries_do_not_grow_with_records(client, city, group, coordinator_user):
    client.force_login(coordinator_user)
    url = reverse("city_progress", kwargs={"slug": city.slug})
    held(group, days_ago=9)
    few = page_queries(client, url)
    for n in range(6):
        held(group, days_ago=10 + n)
        factories.member(group, Leg.COMMUNITY)
    for key in sorted(RECORDABLE):
        MilestoneRecord.objects.create(
            city=city, milestone=key, reached_on=TODAY, evidence_url="https://e.org"
        )
    for n in range(3):
        FrameworkVersion.objects.create(city=city, number=n + 1, title="F", drafted_on=TODAY)
    assert page_queries(client, url) == few


# --- Queries for many cities ------------------------------------------------------------------


def _busy_city(n: int):
    city = factories.city(f"Busy {n}")
    group = factories.group_with_all_legs(city, per_leg=1)
    held(group, days_ago=20)
    foundational_session(group, days_ago=15 + n)
    person = group.memberships.first().person
    Delivery.objects.create(
        briefing=factories.briefing(), person=person, city=city, leg=person.leg,
        status=DeliveryStatus.SENT, sent_at=timezone.now(),
    )  # fmt: skip
    BudgetLine.objects.create(city=city, amount=10, fiscal_year=2025, source="General")
    FrameworkVersion.objects.create(city=city, number=1, title="F", drafted_on=TODAY)
    MilestoneRecord.objects.create(
        city=city, milestone=Milestone.LEAD_DESIGNATED, reached_on=TODAY, evidence_url="https://e"
    )
    return city


def test_milestone_paths_makes_the_same_queries_for_one_city_and_for_many(
    django_assert_num_queries,
):
    cities = [_busy_city(n) for n in range(5)]
    with CaptureQueriesContext(connection) as one:
        milestone_paths([cities[0].pk])
    with django_assert_num_queries(len(one)):
        paths = milestone_paths([city.pk for city in cities])
    assert len(paths) == 5
    for city in cities:
        path = by_key(paths[city.pk])
        for key in (
            Milestone.DIRECTORY_COMPILED,
            Milestone.GROUP_FORMED,
            Milestone.FIRST_CONVENING,
            Milestone.FOUNDATIONAL_TRAINING,
            Milestone.FIRST_BRIEFING,
            Milestone.BUDGET_LINE,
            Milestone.FRAMEWORK_DRAFTED,
            Milestone.LEAD_DESIGNATED,
        ):
            assert path[key].reached, (city, key)
    assert milestone_paths([]) == {}


# --- The demo -------------------------------------------------------------------------------


def test_the_demo_cities_walk_the_path(monkeypatch):
    """stakeholders/demo/progress.py, called after each city's institution (as seed_demo will
    once it is wired in), gives every city its lead and some cities a draft framework; a
    second run changes nothing."""
    from stakeholders import demo
    from stakeholders.demo import progress
    from stakeholders.models import City

    original = demo.institution.institution

    def with_progress(cast):
        original(cast)
        progress.progress_of(cast)

    monkeypatch.setattr(demo.institution, "institution", with_progress)
    demo.seed(password="a-long-demo-password-1")
    cities = {city.slug: city for city in City.objects.all()}
    paths = milestone_paths([city.pk for city in cities.values()])
    for slug, city in cities.items():
        path = by_key(paths[city.pk])
        assert path[Milestone.LEAD_DESIGNATED].reached, slug
        assert path[Milestone.FIRST_CONVENING].reached, slug
        assert all(s.reached_on <= TODAY for s in path.values() if s.reached), slug
    chattanooga = by_key(paths[cities["chattanooga"].pk])
    assert chattanooga[Milestone.FRAMEWORK_DRAFTED].reached
    assert not chattanooga[Milestone.FRAMEWORK_ADOPTED].reached
    assert not by_key(paths[cities["overland-park"].pk])[Milestone.BUDGET_LINE].reached
    before = list(MilestoneRecord.objects.order_by("pk").values())
    demo.seed(password="a-long-demo-password-1")
    assert list(MilestoneRecord.objects.order_by("pk").values()) == before


def test_the_city_progress_page_shows_figures_and_no_template_comments(client, group, staff_user):
    factories.attend(
        factories.convening(group, days_from_now=-3, status="held"),
        group.memberships.first().person,
    )
    client.force_login(staff_user)
    body = client.get(reverse("city_progress", kwargs={"slug": group.city.slug})).content.decode()
    assert body.count('id="progress-figures-heading"') == 1
    assert "{#" not in body and "#}" not in body and "{%" not in body
    assert "1 convening held" in body  # refreshed on the spot: the summary did not exist
