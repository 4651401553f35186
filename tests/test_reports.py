"""Reports for the funder (issue #8, part 4): periods, figures, the small-cell rule, no
personal data in the CSV or the PDF, who may ask and download (audited), the claim that
builds a report once, and one build end to end through a real Celery worker."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditAction, AuditEvent
from briefings.models import Delivery, DeliveryStatus
from stakeholders.models import Leg, Programme
from tests import factories
from tests.harness.celery_worker import make_worker, serving, worker_queue
from tests.harness.waiting import wait_until
from trainings.models import AssessmentRequest, Completion, TrainingModule, TrainingSession
from workinggroups import report_figures, report_periods, report_services
from workinggroups.models import (
    Attendance,
    Convening,
    Milestone,
    MilestoneRecord,
    ProgressReport,
    ReportStatus,
)
from workinggroups.report_figures import HELD, LESS_THAN, Scope, protect

pytestmark = pytest.mark.django_db

START, END = date(2024, 1, 1), date(2024, 3, 31)
ORGANISATION = "Harbor Interfaith Council"


def at(year, month, day, hour=18) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def held(group, starts_at, **extra) -> Convening:
    return Convening.objects.create(
        group=group,
        kind=extra.pop("kind", Convening.Kind.WORKING_SESSION),
        title=extra.pop("title", "Working session"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        place="City Hall",
        status=extra.pop("status", Convening.Status.HELD),
        **extra,
    )


# --- Periods -------------------------------------------------------------------------------------
def test_quarters_run_three_months_from_the_programmes_start_and_stop_at_its_end():
    programme = Programme(name="P", starts_on=date(2023, 10, 1), ends_on=date(2025, 9, 30))
    quarters = report_periods.grant_quarters(programme)
    assert len(quarters) == 8
    assert (quarters[0].start, quarters[0].end) == (date(2023, 10, 1), date(2023, 12, 31))
    assert (quarters[1].start, quarters[1].end) == (date(2024, 1, 1), date(2024, 3, 31))
    assert quarters[-1].end == date(2025, 9, 30)
    assert quarters[0].label.startswith("Q1 of the grant")

    short = Programme(name="S", starts_on=date(2024, 1, 15), ends_on=date(2024, 5, 1))
    assert [(q.start, q.end) for q in report_periods.grant_quarters(short)] == [
        (date(2024, 1, 15), date(2024, 4, 14)),
        (date(2024, 4, 15), date(2024, 5, 1)),
    ]


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (date(2024, 3, 1), date(2024, 2, 1), "ends before it starts"),
        (date(2027, 1, 1), date(2027, 3, 31), "starts after today"),
        (date(2020, 1, 1), date(2020, 3, 31), "before the programme started"),
        (date(2024, 1, 1), date(2040, 1, 1), "longer than ten years"),
    ],
)
def test_a_bad_period_is_refused_with_a_reason(start, end, words):
    errors = report_periods.period_errors(
        start, end, earliest=date(2023, 10, 1), today=date(2026, 11, 25)
    )
    assert any(words in error for error in errors), errors


def test_a_period_inside_the_programme_is_accepted_even_if_nothing_happened():
    assert not report_periods.period_errors(
        START, END, earliest=date(2023, 10, 1), today=date(2026, 11, 25)
    )


# --- Small cells ---------------------------------------------------------------------------------
def test_a_single_small_cell_is_held_back_with_the_smallest_other_cell():
    cells = protect({"a": 1, "b": 5, "c": 7, "d": 9}, ["a", "b", "c", "d"])
    assert {k: c.shown for k, c in cells.items()} == {"a": LESS_THAN, "b": HELD, "c": "7", "d": "9"}
    assert cells["a"].note == report_figures.NOTE_SMALL
    assert cells["b"].note == report_figures.NOTE_PROTECT


def test_a_zero_is_held_back_first_and_then_reads_less_than_three():
    cells = protect({"a": 2, "b": 0, "c": 4, "d": 4}, ["a", "b", "c", "d"])
    assert {k: c.shown for k, c in cells.items()} == {
        "a": LESS_THAN,
        "b": LESS_THAN,
        "c": "4",
        "d": "4",
    }


def test_no_small_cell_holds_nothing_back():
    cells = protect({"a": 0, "b": 3, "c": 12}, ["a", "b", "c"])
    assert [c.shown for c in cells.values()] == ["0", "3", "12"]


# --- Known data ----------------------------------------------------------------------------------
@pytest.fixture
def known(city, other_city):
    """One city's quarter (2024 Q1) with records inside, outside and on the edges."""
    group = factories.group(city)
    organisation = factories.organisation(city, ORGANISATION)
    people = {
        leg: [
            factories.member(
                group,
                leg,
                full_name=f"Quillon Vantreight {leg} {n}",
                email=f"quillon.{leg}.{n}@private.example.org",
                phone="+1 505 555 0199",
                organisation=organisation if leg == Leg.COMMUNITY else None,
            )
            for n in range(3)
        ]
        for leg in Leg.values
    }
    community, staff, mayor, police = (
        people[Leg.COMMUNITY],
        people[Leg.CITY_STAFF],
        people[Leg.MAYOR_COUNCIL],
        people[Leg.LAW_ENFORCEMENT],
    )
    january = held(group, at(2024, 1, 15))
    # 21:00 on 31 March in Albuquerque (MDT): in the period, although 1 April in UTC.
    march = held(group, at(2024, 4, 1, 3))
    # 22:00 on 31 December in Albuquerque (MST): outside, although 1 January in UTC.
    new_year = held(group, at(2024, 1, 1, 5))
    held(group, at(2024, 2, 2), status=Convening.Status.CANCELLED, cancelled_at=at(2024, 2, 1))
    held(group, at(2024, 2, 3), status=Convening.Status.SCHEDULED)
    for person in community + staff + mayor + police[:1]:
        factories.attend(january, person)
    Attendance.objects.create(convening=january, person=None, leg=Leg.LAW_ENFORCEMENT)
    for person in (community[0], community[1], police[0]):
        factories.attend(march, person)
    for person in community + staff + mayor + police:
        factories.attend(new_year, person)

    alpha = TrainingModule.objects.create(
        slug="alpha",
        title="Alpha module",
        summary="A",
        objectives="One\nTwo",
        duration_minutes=60,
    )
    beta = TrainingModule.objects.create(
        slug="beta", title="Beta module", summary="B", objectives="Three", duration_minutes=60
    )
    training = held(group, at(2024, 2, 20), kind=Convening.Kind.TRAINING, title="Training")
    session = TrainingSession.objects.create(convening=training, trainer_name="Partner")
    session.modules.set([beta, alpha])
    for person in community:
        for phase, answers in (
            ("before", {"0": 2, "1": 2, "2": 1}),
            ("after", {"0": 4, "1": 4, "2": 3}),
        ):
            AssessmentRequest.objects.create(
                session=session,
                person=person,
                leg=person.leg,
                phase=phase,
                due_at=training.starts_at,
                closes_at=training.ends_at + timedelta(days=7),
                answered_at=training.ends_at,
                confidence=answers,
                comments=f"Private words of {person.full_name}",
            )
    for person, module, day in (
        (community[0], alpha, date(2024, 2, 1)),
        (community[0], beta, date(2024, 2, 2)),
        (staff[0], alpha, date(2024, 3, 31)),
        (police[0], alpha, date(2024, 4, 1)),
    ):
        Completion.objects.create(
            person=person, module=module, method="self_paced", completed_on=day
        )

    briefing = factories.briefing(groups=[group])
    sent = at(2024, 2, 5)
    for person, read in (
        (community[0], True),
        (community[1], True),
        (community[2], False),
        (police[0], True),
    ):
        Delivery.objects.create(
            briefing=briefing,
            person=person,
            city=city,
            leg=person.leg,
            status=DeliveryStatus.SENT,
            sent_at=sent,
            read_at=sent + timedelta(hours=3) if read else None,
        )
    Delivery.objects.create(
        briefing=briefing,
        person=staff[0],
        city=city,
        leg=Leg.CITY_STAFF,
        status=DeliveryStatus.FAILED,
        last_error="Bounced",
    )
    MilestoneRecord.objects.create(
        city=city,
        milestone=Milestone.NEEDS_ASSESSMENT,
        reached_on=date(2024, 2, 10),
        evidence_url="https://example.org/assessment",
    )
    # Another city's convening in the period: in the total, never in the city's figures.
    other_group = factories.group(other_city)
    elsewhere = held(other_group, at(2024, 2, 14))
    for leg in Leg.values:
        factories.attend(
            elsewhere, factories.member(other_group, leg, full_name=f"Elsewhere {leg}")
        )
    return {"group": group, "people": people, "alpha": alpha, "beta": beta}


def figures_of(city_ids, start=START, end=END):
    return report_figures.batch_figures(city_ids, start, end)


def test_the_figures_count_what_happened_in_the_period_in_the_citys_own_time(known, city):
    figures = figures_of([city.pk])[city.pk]

    assert figures.convenings_held == 3
    assert figures.convenings_by_month == {"2024-01": 1, "2024-02": 1, "2024-03": 1}
    assert figures.attendances_by_leg == {
        Leg.COMMUNITY: 5,
        Leg.CITY_STAFF: 3,
        Leg.MAYOR_COUNCIL: 3,
        Leg.LAW_ENFORCEMENT: 3,
    }
    assert figures.participants_by_leg == {
        Leg.COMMUNITY: 3,
        Leg.CITY_STAFF: 3,
        Leg.MAYOR_COUNCIL: 3,
        Leg.LAW_ENFORCEMENT: 1,
    }
    assert figures.participants == 10
    assert figures.trained_by_leg == {Leg.COMMUNITY: 1, Leg.CITY_STAFF: 1}
    assert (figures.training_sessions, figures.modules_delivered) == (1, 2)
    alpha, beta = known["alpha"].pk, known["beta"].pk
    # [answered before, n, sum, answered after, n, sum]
    assert figures.knowledge[alpha] == [3, 6, 12, 3, 6, 24]
    assert figures.knowledge[beta] == [3, 3, 3, 3, 3, 9]
    assert figures.briefings_delivered == 1
    assert figures.deliveries_by_leg == {Leg.COMMUNITY: 3, Leg.LAW_ENFORCEMENT: 1}
    assert figures.reads_by_leg == {Leg.COMMUNITY: 2, Leg.LAW_ENFORCEMENT: 1}
    # Needs milestone_paths (workinggroups/milestones.py): a recorded milestone in the period
    # counts; the first convening (31 December, local) does not.
    assert figures.milestones[Milestone.NEEDS_ASSESSMENT] == 1
    assert figures.milestones[Milestone.FIRST_CONVENING] == 0


def test_a_period_with_nothing_in_it_gives_zeros(known, city):
    figures = figures_of([city.pk], date(2025, 1, 1), date(2025, 3, 31))[city.pk]
    assert figures.convenings_held == 0 and figures.participants == 0
    assert not figures.knowledge and not figures.milestones


def build(report: ProgressReport) -> str:
    return report_services.report_build(report_id=report.pk)


def request_report(actor, city=None, start=START, end=END) -> ProgressReport:
    with TestCase.captureOnCommitCallbacks(execute=False):
        return report_services.report_request(
            actor=actor, city=city, period_start=start, period_end=end
        )


def csv_rows(report: ProgressReport) -> list[dict]:
    report.refresh_from_db()
    with report.csv_file.open("rb") as handle:
        return list(csv.DictReader(io.StringIO(handle.read().decode("utf-8-sig"))))


def pdf_text(report: ProgressReport) -> str:
    report.refresh_from_db()
    with report.pdf_file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def value(rows, city, figure, category="total"):
    found = [
        r for r in rows if r["city"] == city and r["figure"] == figure and r["category"] == category
    ]
    assert len(found) == 1, (city, figure, category, found)
    return found[0]["value"], found[0]["note"]


def test_the_csv_holds_each_city_and_the_total_with_small_cells_held_back(
    known, city, other_city, staff_user
):
    report = request_report(staff_user)
    assert build(report) == "done"

    rows = csv_rows(report)
    assert {r["period_start"] for r in rows} == {"2024-01-01"}
    assert value(rows, city.name, "convenings_held") == ("3", "")
    assert value(rows, city.name, "participants", Leg.COMMUNITY) == ("3", "")
    # One police officer: held back, and one more leg with them so the total cannot tell.
    assert value(rows, city.name, "participants", Leg.LAW_ENFORCEMENT) == (
        "",
        report_figures.NOTE_SMALL,
    )
    assert value(rows, city.name, "participants", Leg.MAYOR_COUNCIL) == (
        "",
        report_figures.NOTE_PROTECT,
    )
    assert value(rows, city.name, "participants") == ("10", "")
    assert value(rows, city.name, "confidence_change", "alpha") == ("2.0", "")
    assert value(rows, city.name, "confidence_before", "beta") == ("1.0", "")
    assert value(rows, city.name, "briefing_reads") == ("3", "")
    assert value(rows, city.name, "milestones_reached", Milestone.NEEDS_ASSESSMENT) == ("1", "")
    assert value(rows, other_city.name, "participants") == ("4", "")
    assert value(rows, "All cities", "convenings_held") == ("4", "")
    assert value(rows, "All cities", "participants") == ("14", "")
    assert value(rows, "All cities", "briefings_delivered") == ("1", "")
    report.refresh_from_db()
    assert (report.status, report.progress_done, report.progress_total) == ("done", 2, 2)


def test_no_name_address_phone_organisation_or_comment_reaches_the_csv_or_the_pdf(
    known, city, staff_user
):
    report = request_report(staff_user, city)
    assert build(report) == "done"
    report.refresh_from_db()
    with report.csv_file.open("rb") as handle:
        text_csv = handle.read().decode("utf-8-sig")
    text_pdf = pdf_text(report)
    people = [p for leg in known["people"].values() for p in leg]
    for text in (text_csv, text_pdf):
        for person in people:
            assert person.full_name not in text
            assert person.email not in text
        assert "Quillon" not in text and "Vantreight" not in text
        assert "555 0199" not in text and "private.example.org" not in text
        assert ORGANISATION not in text and "Private words" not in text
    # The figures are there, in words and numbers.
    assert "Progress report for the funder" in text_pdf
    assert "Albuquerque" in text_pdf
    assert "Convenings held in the period: 3." in text_pdf
    assert "Participants" in text_pdf and "Law enforcement" in text_pdf
    assert LESS_THAN in text_pdf
    assert "Alpha module" in text_pdf


def test_an_empty_report_is_valid_with_zeros(city, staff_user):
    report = request_report(staff_user, city, date(2025, 1, 1), date(2025, 3, 31))
    assert build(report) == "done"
    rows = csv_rows(report)
    assert value(rows, city.name, "convenings_held") == ("0", "")
    assert value(rows, city.name, "participants") == ("0", "")
    assert "Convenings held in the period: 0." in pdf_text(report)


def test_the_pdf_for_many_cities_lists_each_city(staff_user, city):
    cities = [city] + [factories.city(f"Pilotville {n}") for n in range(45)]
    report = request_report(staff_user)
    assert build(report) == "done"
    text = pdf_text(report)
    assert "Each city" in text
    assert all(c.name in text for c in cities)


# --- Building once, and again after a stall -----------------------------------------------------
def test_a_report_is_built_once_when_its_task_runs_twice(city, staff_user, settings):
    report = request_report(staff_user, city)
    assert build(report) == "done"
    assert build(report) == "skipped"
    stored = list(Path(settings.MEDIA_ROOT, "reports").iterdir())
    assert len(stored) == 2  # one CSV, one PDF


def test_a_stalled_build_is_queued_again_once_then_failed(city, staff_user):
    report = request_report(staff_user, city)
    ProgressReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        sweep = report_services.reports_requeue_stuck()
    assert sweep.requeued == [report.pk] and len(callbacks) == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED and report.error == report_services.RESTARTED

    ProgressReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    sweep = report_services.reports_requeue_stuck()
    report.refresh_from_db()
    assert sweep.failed == [report.pk]
    assert report.status == ReportStatus.FAILED and "stopped twice" in report.error


def test_a_build_whose_claim_was_taken_stops_and_leaves_no_files(city, staff_user, settings):
    report = request_report(staff_user, city)
    original = report_figures.write_report

    def requeued_midway(scope, *args, on_batch, **kwargs):
        # The beat decides the build is stuck and queues it again while it runs.
        ProgressReport.objects.filter(pk=report.pk).update(
            status=ReportStatus.QUEUED, started_at=None
        )
        return original(scope, *args, on_batch=on_batch, **kwargs)

    report_figures.write_report = requeued_midway
    try:
        assert build(report) == "lost"
    finally:
        report_figures.write_report = original
    assert not Path(settings.MEDIA_ROOT, "reports").exists() or not any(
        Path(settings.MEDIA_ROOT, "reports").iterdir()
    )
    assert build(report) == "done"


def test_a_failing_build_says_why(city, staff_user, monkeypatch):
    report = request_report(staff_user, city)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("workinggroups.report_pdf.write_pdf", broken)
    assert build(report) == "failed"
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "could not be written (No space left on device)" in report.error


# --- Queries ----------------------------------------------------------------------------------
def _one_city_with_data(name: str):
    place = factories.city(name)
    group = factories.group_with_all_legs(place, per_leg=1)
    meeting = held(group, at(2024, 2, 1))
    for membership in group.memberships.select_related("person"):
        factories.attend(meeting, membership.person)
    return place


def test_a_batch_reads_in_the_same_number_of_queries_for_one_city_and_for_many(db):
    first = _one_city_with_data("Onesville")
    with CaptureQueriesContext(connection) as one:
        figures_of([first.pk])
    more = [first] + [_one_city_with_data(f"Manyville {n}") for n in range(6)]
    with CaptureQueriesContext(connection) as many:
        result = figures_of([c.pk for c in more])
    assert len(many) == len(one)
    assert all(result[c.pk].convenings_held == 1 for c in more)


def test_batches_cut_the_cities_by_name_without_losing_any(db):
    made = {factories.city(f"Batchton {n:02d}").pk for n in range(7)}
    batches = list(report_figures.city_batches(Scope(None, START, END), size=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert {c.pk for b in batches for c in b} == made


# --- Pages: who may ask, see and download ------------------------------------------------------
def test_members_and_outsiders_find_no_reports(client, member):
    client.force_login(member)
    assert client.get(reverse("progress_reports")).status_code == 404


def test_a_coordinator_may_ask_only_for_their_city_and_not_for_all(
    client, coordinator_user, city, other_city
):
    client.force_login(coordinator_user)
    page = client.get(reverse("progress_reports"))
    assert page.status_code == 200
    scopes = dict(page.context["form"].fields["scope"].choices)
    assert list(scopes) == [str(city.pk)]
    for scope in ("all", str(other_city.pk)):
        response = client.post(
            reverse("progress_reports"),
            {"scope": scope, "period": "custom", "start": "2024-01-01", "end": "2024-03-31"},
        )
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"period": "custom", "start": "2024-03-01", "end": "2024-02-01"}, "ends before it starts"),
        (
            {"period": "custom", "start": "1990-01-01", "end": "1990-03-31"},
            "before the programme started",
        ),
        ({"period": "custom", "start": "2024-03-01", "end": ""}, "Give the last day"),
        ({"period": "custom", "start": "yesterday", "end": "2024-03-01"}, "Enter a valid date"),
        ({"period": "2099-01-01_2099-03-31"}, "Select a valid choice"),
        (
            {"period": "custom", "start": "2024-01-01", "end": "2024-03-31", "scope": "999999"},
            "Select a valid choice",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_creates_nothing(client, staff_user, city, data, words):
    client.force_login(staff_user)
    response = client.post(reverse("progress_reports"), {"scope": str(city.pk), **data})
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not ProgressReport.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.REPORT_REQUESTED).exists()


def test_staff_ask_for_a_quarter_of_all_cities_and_it_is_audited(
    client, staff_user, city, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    page = client.get(reverse("progress_reports"))
    assert "all" in dict(page.context["form"].fields["scope"].choices)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("progress_reports"), {"scope": "all", "period": "2024-01-01_2024-03-31"}
        )
    report = ProgressReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("progress_report", kwargs={"pk": report.pk})
    assert (report.city, report.period_start, report.period_end) == (None, START, END)
    assert report.status == ReportStatus.QUEUED and len(callbacks) == 1
    event = AuditEvent.objects.get(action=AuditAction.REPORT_REQUESTED)
    assert event.actor == staff_user and event.target_id == str(report.pk)
    assert event.detail == {
        "scope": "all",
        "period_start": "2024-01-01",
        "period_end": "2024-03-31",
    }


def test_the_report_page_polls_while_building_and_answers_204_when_nothing_changed(
    client, coordinator_user, city
):
    report = request_report(coordinator_user, city)
    client.force_login(coordinator_user)
    url = reverse("progress_report", kwargs={"pk": report.pk})
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "0 of 1 city done" in page
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    unchanged = client.get(url + "?seen=queued-0-1", headers={"HX-Request": "true"})
    assert unchanged.status_code == 204
    build(report)
    done = client.get(url + "?seen=queued-0-1", headers={"HX-Request": "true"}).content.decode()
    assert "every 2s" not in done and "Download the CSV" in done


def test_only_the_requester_and_staff_download_and_each_download_is_audited(
    client, city, coordinator_user, staff_user, known
):
    report = request_report(coordinator_user, city)
    build(report)
    second_coordinator = factories.coordinator(city)
    csv_url = reverse("progress_report_download", kwargs={"pk": report.pk, "kind": "csv"})
    pdf_url = reverse("progress_report_download", kwargs={"pk": report.pk, "kind": "pdf"})

    client.force_login(second_coordinator)
    assert client.get(csv_url).status_code == 404
    assert client.get(reverse("progress_report", kwargs={"pk": report.pk})).status_code == 404

    client.force_login(coordinator_user)
    response = client.get(csv_url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = len(body.splitlines()) - 1
    event = AuditEvent.objects.get(action=AuditAction.REPORT_DOWNLOADED)
    assert event.detail == {"kind": "csv", "rows": rows, "cities": 1}
    assert event.actor == coordinator_user and event.city == city

    client.force_login(staff_user)
    pdf = client.get(pdf_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert (
        client.get(
            reverse("progress_report_download", kwargs={"pk": report.pk, "kind": "xlsx"})
        ).status_code
        == 404
    )
    assert AuditEvent.objects.filter(action=AuditAction.REPORT_DOWNLOADED).count() == 2


def test_a_coordinator_who_no_longer_coordinates_the_city_loses_the_report(
    client, city, coordinator_user
):
    from stakeholders.roles import revoke_coordinator

    report = request_report(coordinator_user, city)
    revoke_coordinator(city=city, user=coordinator_user)
    factories.coordinator(factories.city("Elsewhere"))  # they are no one's coordinator now
    client.force_login(coordinator_user)
    assert client.get(reverse("progress_report", kwargs={"pk": report.pk})).status_code == 404


def test_a_report_not_built_yet_has_nothing_to_download(client, city, coordinator_user):
    report = request_report(coordinator_user, city)
    client.force_login(coordinator_user)
    url = reverse("progress_report_download", kwargs={"pk": report.pk, "kind": "csv"})
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.REPORT_DOWNLOADED).exists()


def test_the_list_reads_the_same_number_of_queries_for_one_report_and_many(
    client, staff_user, city, other_city
):
    client.force_login(staff_user)
    request_report(staff_user, city)
    url = reverse("progress_reports")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(20):
        request_report(factories.network_staff(), other_city if n % 2 else None)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(many) == len(one)
    assert page.content.decode().count("All cities") >= 10


def test_a_coordinator_sees_only_the_reports_they_asked_for(
    client, city, coordinator_user, staff_user
):
    mine = request_report(coordinator_user, city)
    request_report(staff_user, city)
    client.force_login(coordinator_user)
    page = client.get(reverse("progress_reports"))
    assert [r.pk for r in page.context["page"].object_list] == [mine.pk]


# --- Through a real worker -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def report_worker(django_db_setup, tmp_path_factory):
    """A worker that keeps its media in a folder the test can read."""
    var_dir = tmp_path_factory.mktemp("report-worker")
    worker = make_worker(queue=worker_queue("reports"), extra_env={"VAR_DIR": str(var_dir)})
    with serving(worker):
        yield worker, var_dir / "media"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_builds_the_requested_report_and_it_downloads(
    report_worker, client, city, settings
):
    worker, media = report_worker
    settings.MEDIA_ROOT = media
    staff = factories.network_staff()
    group = factories.group_with_all_legs(city, per_leg=3)
    meeting = held(group, at(2024, 2, 1))
    for membership in group.memberships.select_related("person"):
        factories.attend(meeting, membership.person)
    client.force_login(staff)
    response = client.post(
        reverse("progress_reports"), {"scope": str(city.pk), "period": "2024-01-01_2024-03-31"}
    )
    report = ProgressReport.objects.get()
    assert response.status_code == 302

    def finished():
        report.refresh_from_db()
        return report.status in (ReportStatus.DONE, ReportStatus.FAILED)

    wait_until(finished, timeout=90, describe=worker.log_tail)
    assert report.status == ReportStatus.DONE, report.error
    assert (report.progress_done, report.progress_total) == (1, 1)
    body = b"".join(
        client.get(
            reverse("progress_report_download", kwargs={"pk": report.pk, "kind": "csv"})
        ).streaming_content
    ).decode("utf-8-sig")
    assert f"{city.name},New Mexico,participants," in body
    pdf = client.get(reverse("progress_report_download", kwargs={"pk": report.pk, "kind": "pdf"}))
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_the_worker_registers_the_report_tasks():
    """workinggroups/tasks.py imports the report tasks, so `celery -A config worker` (which
    autodiscovers each app's tasks module) knows them."""
    import workinggroups.tasks as tasks

    assert hasattr(tasks, "build_progress_report")
    assert hasattr(tasks, "requeue_stuck_progress_reports")
