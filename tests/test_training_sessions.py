"""Training sessions: scheduling one (a convening of kind training, plus modules and trainer),
its page, changing it, and the completions that attendance gives."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from tests import factories
from trainings import session_services
from trainings.models import AssessmentRequest, Completion, TrainingModule, TrainingSession
from workinggroups.attendance_services import attendance_record
from workinggroups.models import Convening

pytestmark = pytest.mark.django_db


def module(title: str = "Stakeholder identification", objectives: str = "Name the legs\nMap gaps"):
    slug = title.lower().replace(" ", "-")
    return TrainingModule.objects.create(
        slug=slug,
        title=title,
        summary=f"About {title}.",
        objectives=objectives,
        duration_minutes=60,
    )


def training(group, modules, *, days_from_now: float = 7, **extra) -> TrainingSession:
    convening = factories.convening(
        group, kind="training", days_from_now=days_from_now, title="Foundations", **extra
    )
    session = TrainingSession.objects.create(convening=convening, trainer_name="A partner")
    session.modules.set(modules)
    return session


def form_data(**over) -> dict:
    day = (timezone.now() + timedelta(days=10)).date().isoformat()
    data = {
        "title": "Foundations of prevention",
        "date": day,
        "start_time": "18:00",
        "end_time": "20:00",
        "place": "Public library, room B",
        "online_url": "",
        "agenda": "",
        "capacity": "",
        "reminders": "",
        "trainer_name": "",
    }
    data.update(over)
    return data


def test_a_coordinator_schedules_a_training_session_and_is_taken_to_the_invite_page(
    client, group, coordinator_user, staff_user
):
    first, second = module("Social cohesion and safety"), module("Stakeholder identification")
    client.force_login(coordinator_user)
    response = client.post(
        reverse("training_session_create", kwargs={"group_id": group.pk}),
        form_data(modules=[first.pk, second.pk], trainer=staff_user.pk),
    )
    session = TrainingSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "convening_invite", kwargs={"convening_id": session.convening_id}
    )
    assert session.convening.kind == Convening.Kind.TRAINING
    assert session.convening.group == group
    assert set(session.modules.all()) == {first, second}
    assert session.trainer == staff_user
    # 18:00 in Albuquerque (Mountain time) is stored in UTC.
    local = session.convening.starts_at.astimezone(group.city.zone)
    assert (local.hour, local.minute) == (18, 0)
    assert AuditEvent.objects.filter(action=AuditAction.CONVENING_SCHEDULED).count() == 1


def test_a_partner_can_be_the_trainer(client, group, coordinator_user):
    chosen = module()
    client.force_login(coordinator_user)
    client.post(
        reverse("training_session_create", kwargs={"group_id": group.pk}),
        form_data(modules=[chosen.pk], trainer_name="Prevention Practitioners Network"),
    )
    session = TrainingSession.objects.get()
    assert session.trainer is None
    assert session.trainer_name == "Prevention Practitioners Network"


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"trainer_name": "A partner"}, "Choose at least one module"),
        ({"modules": "MODULE"}, "Name the trainer"),
        ({"modules": "MODULE", "trainer": "999999"}, "Select a valid choice"),
    ],
)
def test_a_session_needs_a_module_and_a_trainer(client, group, coordinator_user, over, message):
    chosen = module()
    if over.get("modules") == "MODULE":
        over["modules"] = [chosen.pk]
    client.force_login(coordinator_user)
    response = client.post(
        reverse("training_session_create", kwargs={"group_id": group.pk}), form_data(**over)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TrainingSession.objects.exists()
    assert not Convening.objects.exists()


def test_a_member_of_the_network_who_is_not_staff_cannot_be_the_trainer(group, coordinator_user):
    with pytest.raises(session_services.TrainingSessionError):
        session_services.training_session_schedule(
            actor=coordinator_user,
            group=group,
            details=session_services.ConveningDetails(
                kind="training",
                title="Foundations",
                starts_at=timezone.now() + timedelta(days=3),
                ends_at=timezone.now() + timedelta(days=3, hours=2),
                place="City Hall",
            ),
            modules=[module()],
            trainer=coordinator_user,
        )
    assert not Convening.objects.exists()


def test_the_session_page_shows_modules_trainer_and_the_convening(client, group, member):
    first = module("Social cohesion and safety", "Define social cohesion\nIdentify strengths")
    session = training(group, [first])
    client.force_login(member)
    page = client.get(reverse("training_session", kwargs={"session_id": session.pk}))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Social cohesion and safety" in body
    assert "Identify strengths" in body
    assert "A partner" in body
    assert reverse("convening_detail", kwargs={"convening_id": session.convening_id}) in body
    # Members do not see the self-assessment bookkeeping or the results link.
    assert "Self-assessments" not in body
    assert reverse("training_session_results", kwargs={"session_id": session.pk}) not in body


def test_managers_see_how_the_self_assessments_stand(client, group, coordinator_user):
    session = training(group, [module()])
    person = factories.member(group)
    AssessmentRequest.objects.create(
        session=session,
        person=person,
        leg=person.leg,
        phase="before",
        due_at=timezone.now(),
        closes_at=session.convening.starts_at,
        status="sent",
        sent_at=timezone.now(),
        answered_at=timezone.now(),
        confidence={"0": 3, "1": 4},
    )
    client.force_login(coordinator_user)
    page = client.get(reverse("training_session", kwargs={"session_id": session.pk}))
    body = page.content.decode()
    assert "Self-assessments" in body
    assert reverse("training_session_results", kwargs={"session_id": session.pk}) in body
    # Individual answers are linked for network staff only.
    assert reverse("training_session_answers", kwargs={"session_id": session.pk}) not in body


def test_changing_modules_and_trainer(client, group, coordinator_user, staff_user):
    first, second = module("Social cohesion and safety"), module("Stakeholder identification")
    session = training(group, [first])
    client.force_login(coordinator_user)
    response = client.post(
        reverse("training_session_edit", kwargs={"session_id": session.pk}),
        {"modules": [second.pk], "trainer": staff_user.pk, "trainer_name": ""},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert list(session.modules.all()) == [second]
    assert session.trainer == staff_user
    assert session.trainer_name == ""


def test_modules_cannot_change_once_someone_answered(client, group, coordinator_user):
    first, second = module("Social cohesion and safety"), module("Stakeholder identification")
    session = training(group, [first])
    person = factories.member(group)
    AssessmentRequest.objects.create(
        session=session,
        person=person,
        leg=person.leg,
        phase="before",
        due_at=timezone.now(),
        closes_at=session.convening.starts_at,
        answered_at=timezone.now(),
        confidence={"0": 3, "1": 4},
    )
    client.force_login(coordinator_user)
    response = client.post(
        reverse("training_session_edit", kwargs={"session_id": session.pk}),
        {"modules": [second.pk], "trainer_name": "A partner"},
    )
    assert response.status_code == 200
    assert "can no longer change" in response.content.decode()
    assert list(session.modules.all()) == [first]


def _past_training(group, modules, *, starts_at: datetime) -> TrainingSession:
    convening = Convening.objects.create(
        group=group,
        kind="training",
        title="Foundations",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        place="City Hall",
    )
    session = TrainingSession.objects.create(convening=convening, trainer_name="A partner")
    session.modules.set(modules)
    return session


def test_attendance_marks_each_module_complete_on_the_local_date(group, coordinator_user):
    first, second = module("Social cohesion and safety"), module("Stakeholder identification")
    # 02:30 UTC is still the evening before in Albuquerque (UTC-6/-7).
    day = timezone.now().date() - timedelta(days=3)
    starts_at = datetime(day.year, day.month, day.day, 2, 30, tzinfo=UTC)
    session = _past_training(group, [first, second], starts_at=starts_at)
    came, stayed_away = factories.member(group), factories.member(group)
    factories.invite(session.convening, came)
    factories.invite(session.convening, stayed_away)

    attendance_record(
        actor=coordinator_user, convening_id=session.convening_id, person_ids=[came.pk], minutes=""
    )

    completions = Completion.objects.filter(person=came).order_by("module__title")
    assert [c.module for c in completions] == [first, second]
    assert {c.completed_on for c in completions} == {day - timedelta(days=1)}
    assert {c.method for c in completions} == {"attended"}
    assert {c.session_id for c in completions} == {session.pk}
    assert not Completion.objects.filter(person=stayed_away).exists()
    assert AuditEvent.objects.filter(action=AuditAction.TRAINING_COMPLETED).count() == 1


def test_saving_attendance_again_is_idempotent_and_removes_who_is_no_longer_listed(
    group, coordinator_user
):
    first = module()
    session = _past_training(group, [first], starts_at=timezone.now() - timedelta(days=1))
    one, two = factories.member(group), factories.member(group)
    convening_id = session.convening_id

    attendance_record(
        actor=coordinator_user, convening_id=convening_id, person_ids=[one.pk, two.pk], minutes=""
    )
    attendance_record(
        actor=coordinator_user, convening_id=convening_id, person_ids=[one.pk, two.pk], minutes=""
    )
    assert Completion.objects.filter(session=session).count() == 2

    attendance_record(
        actor=coordinator_user, convening_id=convening_id, person_ids=[one.pk], minutes=""
    )
    assert list(Completion.objects.filter(session=session).values_list("person_id", flat=True)) == [
        one.pk
    ]


def test_removing_someone_keeps_their_self_paced_completion(group):
    first = module()
    session = _past_training(group, [first], starts_at=timezone.now() - timedelta(days=1))
    person = factories.member(group)
    Completion.objects.create(
        person=person, module=first, method="self_paced", completed_on=timezone.localdate()
    )
    factories.attend(session.convening, person)
    session_services.completions_sync(session=session)
    session.convening.attendances.all().delete()
    _added, removed = session_services.completions_sync(session=session)
    assert removed == 1
    assert Completion.objects.filter(person=person, method="self_paced").count() == 1
    assert not Completion.objects.filter(person=person, method="attended").exists()


def test_completions_follow_a_change_of_modules(group, coordinator_user):
    first, second = module("Social cohesion and safety"), module("Stakeholder identification")
    session = _past_training(group, [first], starts_at=timezone.now() - timedelta(days=1))
    person = factories.member(group)
    factories.attend(session.convening, person)
    session_services.completions_sync(session=session)

    session_services.training_session_update(
        actor=coordinator_user,
        session_id=session.pk,
        modules=[second],
        trainer=None,
        trainer_name="A partner",
    )

    assert list(Completion.objects.filter(person=person).values_list("module", flat=True)) == [
        second.pk
    ]


def test_attendance_at_another_kind_of_convening_completes_nothing(group, coordinator_user):
    module()
    convening = factories.convening(group, days_from_now=-1)
    person = factories.member(group)
    attendance_record(
        actor=coordinator_user, convening_id=convening.pk, person_ids=[person.pk], minutes=""
    )
    assert not Completion.objects.exists()
