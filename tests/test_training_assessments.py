"""What people learned: self-assessments before and after a training session.

Planning the two requests when people are invited, the ledger that mails them (skips
recorded), the signed link (GET shows, POST records once), and the results by leg with small
groups held back. One test goes through a real Celery worker and a real SMTP server.
"""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from stakeholders.models import Leg
from stakeholders.services import person_erase
from tests import factories
from tests.harness.waiting import wait_until
from tests.querycount import page_queries
from trainings import assessment_mail, assessment_outbound, results_selectors, session_services
from trainings.assessment_tokens import make_assessment_token, read_assessment_token
from trainings.models import AssessmentRequest, TrainingModule, TrainingSession
from workinggroups.convening_services import (
    ConveningDetails,
    convening_cancel,
    convening_update,
    invitations_send,
)
from workinggroups.models import Convening
from workinggroups.rsvp_tokens import make_rsvp_token

pytestmark = pytest.mark.django_db

BEFORE, AFTER = "before", "after"


def module(title: str, objectives: str) -> TrainingModule:
    return TrainingModule.objects.create(
        slug=title.lower().replace(" ", "-"),
        title=title,
        summary=f"About {title}.",
        objectives=objectives,
        duration_minutes=60,
    )


@pytest.fixture
def modules(db):
    # Module order is by title: "Social..." comes before "Stakeholder...".
    return [
        module("Stakeholder identification", "Name the four legs\nMap who is missing"),
        module("Social cohesion and safety", "Define social cohesion"),
    ]


def schedule(group, modules, *, actor, days_from_now: float = 7) -> TrainingSession:
    starts = timezone.now() + timedelta(days=days_from_now)
    return session_services.training_session_schedule(
        actor=actor,
        group=group,
        details=ConveningDetails(
            kind="training",
            title="Foundations of prevention",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            place="Public library",
        ),
        modules=modules,
        trainer=None,
        trainer_name="Prevention Practitioners Network",
    )


def people(group, n: int = 2, **extra):
    return [factories.member(group, **consenting(), **extra) for _ in range(n)]


def consenting() -> dict:
    return {"consent_to_contact": True, "consent_recorded_at": timezone.now()}


def answered(session, person, phase, confidence, *, leg=None, comments=""):
    """An answered request written directly (results tests need many, quickly)."""
    return AssessmentRequest.objects.create(
        session=session,
        person=person,
        leg=leg or person.leg,
        phase=phase,
        due_at=timezone.now(),
        closes_at=timezone.now() + timedelta(days=1),
        status="sent",
        sent_at=timezone.now(),
        answered_at=timezone.now(),
        confidence=confidence,
        comments=comments,
    )


# --- Planning -------------------------------------------------------------------------------


def test_inviting_to_a_training_plans_a_before_and_an_after_request(
    group, modules, coordinator_user
):
    session = schedule(group, modules, actor=coordinator_user)
    convening = session.convening
    invited = people(group, 2)
    invitations_send(
        actor=coordinator_user, convening_id=convening.pk, person_ids=[p.pk for p in invited]
    )

    rows = AssessmentRequest.objects.filter(session=session).order_by("person_id", "-phase")
    assert [(r.person_id, r.phase) for r in rows] == [
        (invited[0].pk, BEFORE),
        (invited[0].pk, AFTER),
        (invited[1].pk, BEFORE),
        (invited[1].pk, AFTER),
    ]
    before, after = rows[0], rows[1]
    assert before.due_at <= timezone.now()
    assert before.closes_at == convening.starts_at
    assert after.due_at == convening.ends_at
    assert after.closes_at == convening.ends_at + timedelta(days=14)
    assert before.leg == invited[0].leg
    assert {r.status for r in rows} == {"pending"}


def test_inviting_again_plans_nothing_new(group, modules, coordinator_user):
    session = schedule(group, modules, actor=coordinator_user)
    someone = people(group, 1)[0]
    for _ in range(2):
        invitations_send(
            actor=coordinator_user, convening_id=session.convening_id, person_ids=[someone.pk]
        )
    first = list(AssessmentRequest.objects.order_by("pk").values_list("pk", "due_at"))
    assessment_outbound.assessments_plan_invitations(
        convening=session.convening, person_ids=[someone.pk]
    )
    assert list(AssessmentRequest.objects.order_by("pk").values_list("pk", "due_at")) == first
    assert len(first) == 2


def test_a_convening_that_is_not_a_training_plans_no_assessment(group, coordinator_user):
    convening = factories.convening(group)
    someone = people(group, 1)[0]
    invitations_send(actor=coordinator_user, convening_id=convening.pk, person_ids=[someone.pk])
    assert not AssessmentRequest.objects.exists()


def test_a_moved_session_moves_its_requests_and_a_cancelled_one_skips_them(
    group, modules, coordinator_user
):
    session = schedule(group, modules, actor=coordinator_user)
    someone = people(group, 1)[0]
    invitations_send(
        actor=coordinator_user, convening_id=session.convening_id, person_ids=[someone.pk]
    )
    convening = session.convening
    later = convening.starts_at + timedelta(days=2)
    convening_update(
        actor=coordinator_user,
        convening_id=convening.pk,
        details=ConveningDetails(
            kind="training",
            title=convening.title,
            starts_at=later,
            ends_at=later + timedelta(hours=3),
            place=convening.place,
        ),
    )
    before = AssessmentRequest.objects.get(phase=BEFORE)
    after = AssessmentRequest.objects.get(phase=AFTER)
    assert before.closes_at == later
    assert after.due_at == later + timedelta(hours=3)
    assert after.closes_at == later + timedelta(hours=3, days=14)

    convening_cancel(actor=coordinator_user, convening_id=convening.pk)
    assert set(AssessmentRequest.objects.values_list("status", "last_error")) == {
        ("skipped", assessment_outbound.CANCELLED)
    }


# --- Sending (in process, over real SMTP) ----------------------------------------------------


@pytest.fixture
def sweep_and_send(django_capture_on_commit_callbacks):
    """One beat in this process: the sweep hands its chunks over on commit, then each chunk
    is sent as the send task would."""

    def run(now=None) -> None:
        chunks: list[list[int]] = []
        with django_capture_on_commit_callbacks(execute=True):
            assessment_outbound.assessments_sweep(enqueue=chunks.append, now=now)
        for chunk in chunks:
            assessment_mail.assessments_send(request_ids=chunk)

    return run


def test_before_requests_go_out_with_a_personal_link_and_skips_are_recorded(
    sweep_and_send, group, modules, coordinator_user, smtp_server
):
    session = schedule(group, modules, actor=coordinator_user)
    willing, declines, no_email, no_consent, erased = people(group, 5)
    no_email.email = ""
    no_email.save()
    no_consent.consent_to_contact = False
    no_consent.save()
    everyone = [willing, declines, no_email, no_consent, erased]
    invitations_send(
        actor=coordinator_user,
        convening_id=session.convening_id,
        person_ids=[p.pk for p in everyone],
    )
    session.convening.invitations.filter(person=declines).update(
        response="no", responded_at=timezone.now()
    )
    person_erase(actor=coordinator_user, person=erased)

    sweep_and_send()

    messages = smtp_server.messages
    assert [m.rcpt_tos for m in messages] == [(willing.email,)]
    mail = messages[0]
    assert mail.subject.startswith("Before the training: Foundations of prevention")
    link = re.search(r"http\S+/trainings/assess/\S+/", mail.text).group(0)
    token = link.rstrip("/").rsplit("/", 1)[1]
    row = AssessmentRequest.objects.get(pk=read_assessment_token(token))
    assert (row.person, row.phase, row.status) == (willing, BEFORE, "sent")
    reasons = dict(
        AssessmentRequest.objects.filter(phase=BEFORE)
        .exclude(person=willing)
        .values_list("person_id", "last_error")
    )
    assert reasons == {
        declines.pk: assessment_mail.DECLINED,
        no_email.pk: assessment_mail.NO_EMAIL,
        no_consent.pk: assessment_mail.NO_CONSENT,
        None: assessment_mail.ERASED,
    }
    # AFTER requests wait for the end of the session (and its attendance) whoever they are for.
    assert AssessmentRequest.objects.filter(phase=AFTER, status="pending").count() == 5


def test_after_requests_wait_for_attendance_and_go_only_to_those_who_came(
    sweep_and_send, group, modules, coordinator_user, smtp_server
):
    session = schedule(group, modules, actor=coordinator_user)
    came, stayed_away = people(group, 2)
    invitations_send(
        actor=coordinator_user,
        convening_id=session.convening_id,
        person_ids=[came.pk, stayed_away.pk],
    )
    sweep_and_send()  # the BEFORE requests
    smtp_server.clear()
    # The session took place: move it into the past, as time would.
    convening = session.convening
    Convening.objects.filter(pk=convening.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    AssessmentRequest.objects.filter(phase=AFTER).update(due_at=timezone.now() - timedelta(hours=1))

    sweep_and_send()  # no attendance yet: held, not sent, not skipped
    assert smtp_server.messages == []
    held = AssessmentRequest.objects.filter(phase=AFTER)
    assert {r.status for r in held} == {"pending"}
    assert all(r.due_at > timezone.now() for r in held)

    factories.attend(convening, came)
    sweep_and_send(now=timezone.now() + timedelta(hours=2))

    assert [m.rcpt_tos for m in smtp_server.messages] == [(came.email,)]
    assert smtp_server.messages[0].subject.startswith("After the training")
    skipped = AssessmentRequest.objects.get(phase=AFTER, person=stayed_away)
    assert (skipped.status, skipped.last_error) == ("skipped", assessment_outbound.DID_NOT_ATTEND)


def test_an_after_request_waiting_past_its_close_is_skipped(group, modules, coordinator_user):
    session = schedule(group, modules, actor=coordinator_user)
    someone = people(group, 1)[0]
    invitations_send(
        actor=coordinator_user, convening_id=session.convening_id, person_ids=[someone.pk]
    )
    AssessmentRequest.objects.filter(phase=AFTER).update(
        due_at=timezone.now() - timedelta(days=15), closes_at=timezone.now() - timedelta(days=1)
    )
    assessment_outbound.assessments_hold_for_attendance(now=timezone.now())
    row = AssessmentRequest.objects.get(phase=AFTER)
    assert (row.status, row.last_error) == ("skipped", assessment_outbound.CLOSED)


def test_the_sweep_and_a_chunk_take_a_constant_number_of_queries(
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
    group,
    modules,
    coordinator_user,
    smtp_server,
):
    session = schedule(group, modules, actor=coordinator_user)
    invitations_send(
        actor=coordinator_user,
        convening_id=session.convening_id,
        person_ids=[p.pk for p in people(group, 12)],
    )
    chunks: list[list[int]] = []
    with django_capture_on_commit_callbacks(execute=True):
        assessment_outbound.assessments_sweep(enqueue=chunks.append)
    # load (rows, modules, invitations, attendance), guard, mark sent: no query per row.
    with django_assert_max_num_queries(8):
        assert assessment_mail.assessments_send(request_ids=chunks[0]) == 12


# --- The signed link -------------------------------------------------------------------------


@pytest.fixture
def invited(group, modules, coordinator_user):
    session = schedule(group, modules, actor=coordinator_user)
    person = people(group, 1)[0]
    invitations_send(
        actor=coordinator_user, convening_id=session.convening_id, person_ids=[person.pk]
    )
    return AssessmentRequest.objects.get(person=person, phase=BEFORE)


def url_of(assessment) -> str:
    return reverse("training_assessment", kwargs={"token": make_assessment_token(assessment)})


GOOD = {"objective_0": "2", "objective_1": "3", "objective_2": "1", "comments": "New to this."}


def test_get_shows_one_radio_group_per_objective_in_module_order(client, invited):
    page = client.get(url_of(invited))
    body = page.content.decode()
    assert page.status_code == 200
    # "Social cohesion and safety" sorts before "Stakeholder identification".
    order = [body.index(text) for text in ("Define social cohesion", "Name the four legs")]
    assert order == sorted(order)
    assert body.count("<fieldset") == 3
    assert body.count("<legend") == 3
    assert body.count('type="radio"') == 15
    invited.refresh_from_db()
    assert invited.answered_at is None  # a GET never answers


def test_post_records_the_answers_once(client, invited):
    response = client.post(url_of(invited), GOOD)
    assert response.status_code == 302
    invited.refresh_from_db()
    assert invited.confidence == {"0": 2, "1": 3, "2": 1}
    assert invited.comments == "New to this."
    first_answered_at = invited.answered_at
    assert first_answered_at is not None

    again = client.post(url_of(invited), {**GOOD, "objective_0": "5", "comments": "Changed"})
    assert again.status_code == 409
    assert "already recorded" in again.content.decode()
    invited.refresh_from_db()
    assert invited.confidence == {"0": 2, "1": 3, "2": 1}
    assert invited.answered_at == first_answered_at

    shown = client.get(url_of(invited))
    assert shown.status_code == 200
    assert "Your answers were recorded" in shown.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"objective_0": "2", "objective_1": "3"},  # one missing
        {**GOOD, "objective_2": "6"},  # out of range
        {**GOOD, "objective_2": "0"},
        {**GOOD, "objective_2": "three"},
        {},
    ],
)
def test_missing_or_out_of_range_answers_show_errors_and_save_nothing(client, invited, data):
    response = client.post(url_of(invited), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "nothing was saved" in body
    invited.refresh_from_db()
    assert invited.answered_at is None
    assert invited.confidence == {}


def test_answers_after_the_close_are_refused(client, invited):
    AssessmentRequest.objects.filter(pk=invited.pk).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    for response in (client.get(url_of(invited)), client.post(url_of(invited), GOOD)):
        assert response.status_code == 410
        assert "closed" in response.content.decode()
    invited.refresh_from_db()
    assert invited.answered_at is None


def test_a_cancelled_session_refuses_answers(client, invited, coordinator_user):
    convening_cancel(actor=coordinator_user, convening_id=invited.session.convening_id)
    response = client.post(url_of(invited), GOOD)
    assert response.status_code == 410
    assert "cancelled" in response.content.decode()


@pytest.mark.parametrize(
    "make",
    [
        lambda a: make_assessment_token(a)[:-2] + "xx",  # altered signature
        lambda a: signing.dumps({"a": a.pk + 1000}, salt="portal.training-assessment")[:-1] + "A",
        lambda a: signing.dumps({"a": a.pk}, salt="another.purpose"),
        lambda a: signing.dumps({"a": "1"}, salt="portal.training-assessment"),
        lambda a: signing.dumps({"a": a.pk + 1000}, salt="portal.training-assessment"),
        lambda a: "not-a-token",
    ],
)
def test_a_forged_or_altered_link_gets_a_400_page_and_changes_nothing(client, invited, make):
    url = reverse("training_assessment", kwargs={"token": make(invited)})
    for response in (client.get(url), client.post(url, GOOD)):
        assert response.status_code == 400
        assert "not a valid self-assessment link" in response.content.decode()
    invited.refresh_from_db()
    assert invited.answered_at is None


def test_an_rsvp_token_does_not_open_a_self_assessment(client, invited):
    invitation = invited.session.convening.invitations.get(person=invited.person)
    url = reverse("training_assessment", kwargs={"token": make_rsvp_token(invitation)})
    assert client.get(url).status_code == 400


def test_signed_in_as_someone_else_the_link_is_refused(client, invited, coordinator_user, group):
    client.force_login(coordinator_user)
    response = client.post(url_of(invited), GOOD)
    assert response.status_code == 400
    assert "for someone else" in response.content.decode()
    invited.refresh_from_db()
    assert invited.answered_at is None
    # Signed in as the person it is for, it works.
    own = factories.user(person=invited.person)
    client.force_login(own)
    assert client.post(url_of(invited), GOOD).status_code == 302


def test_the_service_refuses_a_second_answer(invited):
    confidence = {"0": 1, "1": 2, "2": 3}
    session_services.assessment_answer(
        actor=None, assessment_id=invited.pk, confidence=confidence, comments=""
    )
    with pytest.raises(session_services.AssessmentRefused) as refused:
        session_services.assessment_answer(
            actor=None, assessment_id=invited.pk, confidence=confidence, comments="again"
        )
    assert refused.value.reason == session_services.ANSWERED


# --- Results ---------------------------------------------------------------------------------


@pytest.fixture
def results_session(group, modules, coordinator_user):
    """Three community members and one law-enforcement officer answered before and after."""
    session = schedule(group, modules, actor=coordinator_user)
    community = [factories.member(group, Leg.COMMUNITY) for _ in range(3)]
    officer = factories.member(group, Leg.LAW_ENFORCEMENT)
    for value, person in zip((1, 2, 3), community, strict=True):
        answered(session, person, BEFORE, {"0": value, "1": 2, "2": 2})
        answered(session, person, AFTER, {"0": value + 2, "1": 3, "2": 2}, comments="Eye-opening")
    answered(session, officer, BEFORE, {"0": 5, "1": 5, "2": 5}, comments="Officer's words")
    return session


def test_results_give_means_before_and_after_and_the_change_by_leg(results_session):
    found = results_selectors.assessment_results(
        TrainingSession.objects.filter(pk=results_session.pk)
    )
    titles = [m.module.title for m in found.modules]
    assert titles == ["Social cohesion and safety", "Stakeholder identification"]
    cohesion = found.modules[0].objectives[0]
    assert cohesion.text == "Define social cohesion"
    rows = {row.leg: row for row in cohesion.rows}
    community = rows[Leg.COMMUNITY]
    assert (community.before.count, community.before.mean) == (3, 2.0)
    assert (community.after.count, community.after.mean) == (3, 4.0)
    assert community.change == 2.0
    # One officer: the count shows, the mean does not.
    officer = rows[Leg.LAW_ENFORCEMENT]
    assert (officer.before.count, officer.before.mean, officer.before.held_back) == (1, None, True)
    # All legs: 4 answers before, but the officer alone could be worked out by subtraction.
    assert rows[""].before.count == 4
    assert rows[""].before.mean is None
    assert rows[""].after.mean == 4.0
    answered_by_leg = {row.leg: (row.before.count, row.after.count) for row in found.answered}
    assert answered_by_leg[Leg.COMMUNITY] == (3, 3)
    assert answered_by_leg[Leg.LAW_ENFORCEMENT] == (1, 0)
    assert answered_by_leg[""] == (4, 3)


def test_the_results_page_never_shows_a_persons_answers(client, results_session, coordinator_user):
    client.force_login(coordinator_user)
    url = reverse("training_session_results", kwargs={"session_id": results_session.pk})
    body = client.get(url).content.decode()
    assert "Officer&#x27;s words" not in body and "Officer's words" not in body
    assert "Eye-opening" not in body
    assert "1 answer: too few to show a mean" in body
    assert "4 answers: mean not shown, as it would give away a leg held back" in body
    assert "so that no one" in body and "answer can be inferred" in body
    assert "+2.0" in body
    answers_url = reverse("training_session_answers", kwargs={"session_id": results_session.pk})
    assert client.get(answers_url).status_code == 403


def test_staff_see_individual_answers(client, results_session, staff_user):
    client.force_login(staff_user)
    url = reverse("training_session_answers", kwargs={"session_id": results_session.pk})
    body = client.get(url).content.decode()
    assert "Officer&#x27;s words" in body
    assert "Eye-opening" in body


def test_module_results_count_only_the_coordinators_cities(
    client, group, modules, coordinator_user, other_city, other_coordinator, results_session
):
    elsewhere = schedule(
        factories.group_with_all_legs(other_city, per_leg=1), modules, actor=other_coordinator
    )
    for person in [factories.member(elsewhere.convening.group) for _ in range(3)]:
        answered(elsewhere, person, BEFORE, {"0": 5, "1": 5, "2": 5})
    cohesion = TrainingModule.objects.get(slug="social-cohesion-and-safety")
    url = reverse("training_module_results", kwargs={"slug": cohesion.slug})

    client.force_login(coordinator_user)
    own = client.get(url).context["results"]
    assert {row.leg: row.before.count for row in own.answered}[""] == 4

    client.force_login(other_coordinator)
    theirs = client.get(url).context["results"]
    assert {row.leg: row.before.count for row in theirs.answered}[""] == 3

    # A module's results show only its own objectives.
    assert [m.module for m in own.modules] == [cohesion]


def _answers_for_sessions(group, modules, coordinator_user, n_sessions: int, n_people: int):
    for _ in range(n_sessions):
        session = schedule(group, modules, actor=coordinator_user)
        for person in [factories.member(group) for _ in range(n_people)]:
            answered(session, person, BEFORE, {"0": 2, "1": 3, "2": 4}, comments="x")
            answered(session, person, AFTER, {"0": 4, "1": 4, "2": 5})


@pytest.mark.parametrize(
    "page",
    [
        "training_session_results",
        "city_training_results",
        "training_module_results",
        "training_session_answers",
    ],
)
def test_results_pages_take_the_same_queries_with_one_answer_and_many(
    client, group, modules, coordinator_user, staff_user, page
):
    client.force_login(staff_user)
    _answers_for_sessions(group, modules, coordinator_user, 1, 1)
    first = TrainingSession.objects.get()

    def url():
        return reverse(
            page,
            kwargs={
                "training_session_results": {"session_id": first.pk},
                "training_session_answers": {"session_id": first.pk},
                "city_training_results": {"slug": group.city.slug},
                "training_module_results": {"slug": modules[0].slug},
            }[page],
        )

    few = page_queries(client, url())
    _answers_for_sessions(group, modules, coordinator_user, 3, 6)
    for person in [factories.member(group) for _ in range(6)]:
        answered(first, person, BEFORE, {"0": 1, "1": 1, "2": 1})
    assert page_queries(client, url()) == few


# --- Through a real worker and a real SMTP server --------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_mails_the_before_request_and_its_link_records_the_answers(
    celery_worker, smtp_server, client, city
):
    group = factories.group_with_all_legs(city, per_leg=1)
    coordinator = factories.coordinator(city)
    chosen = [module("Social cohesion and safety", "Define social cohesion\nName strengths")]
    session = schedule(group, chosen, actor=coordinator)
    person = factories.member(group, **consenting())

    # Inviting commits, then asks for a sweep: the worker claims and sends.
    invitations_send(actor=coordinator, convening_id=session.convening_id, person_ids=[person.pk])

    # The convening's own invitation goes out too (its ledger's kick); ours is the other one.
    arrived = smtp_server.wait_for(2)
    mail = next(m for m in arrived if m.subject.startswith("Before the training"))
    assert mail.rcpt_tos == (person.email,)
    wait_until(
        lambda: AssessmentRequest.objects.filter(phase=BEFORE, status="sent").exists(),
        timeout=20,
        describe=lambda: f"not marked sent. Worker:\n{celery_worker.log_tail()}",
    )
    path = re.search(r"https?://[^/\s]+(/trainings/assess/\S+/)", mail.text).group(1)
    assert client.get(path).status_code == 200
    response = client.post(path, {"objective_0": "4", "objective_1": "5"})
    assert response.status_code == 302
    row = AssessmentRequest.objects.get(phase=BEFORE)
    assert row.confidence == {"0": 4, "1": 5}
    # The AFTER request waits for its time: no other self-assessment went out.
    assert [m.subject for m in smtp_server.messages].count(mail.subject) == 1
    assert AssessmentRequest.objects.get(phase=AFTER).status == "pending"
