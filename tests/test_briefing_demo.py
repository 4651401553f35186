"""The demo shows a distribution live: `make run` seeds a TLP:AMBER briefing for all five
groups that the beat publishes within five minutes; and the triage queue has requests."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from briefings.audience import audience_errors, audience_of
from briefings.models import BriefingRequest, Delivery, LandscapeBriefing, RequestStatus
from briefings.services import briefings_publish_due
from stakeholders import demo
from stakeholders.demo import texts
from stakeholders.models import User
from workinggroups.models import Convening, Membership, WorkingGroup

pytestmark = pytest.mark.django_db

Status = LandscapeBriefing.Status


def seed(now=None):
    if now is None:
        call_command("seed_demo", stdout=StringIO())
    else:
        from django.conf import settings

        demo.seed(password=settings.DEMO_PASSWORD, now=now)


def live() -> LandscapeBriefing:
    return LandscapeBriefing.objects.get(title=texts.LIVE_BRIEFING.title)


@pytest.fixture
def seeded(db):
    before = timezone.now()
    seed()
    return before


def test_the_live_briefing_is_amber_for_all_five_groups_and_due_within_five_minutes(seeded):
    briefing = live()

    assert briefing.tlp == "AMBER"
    assert briefing.status == Status.SCHEDULED
    assert seeded < briefing.publish_at <= seeded + timedelta(minutes=5)
    groups = set(briefing.audience_groups.all())
    assert groups == set(WorkingGroup.objects.filter(kind=WorkingGroup.Kind.LOCAL_LEADERSHIP_GROUP))
    assert len(groups) == 5
    assert audience_errors(audience_of(briefing)) == []  # the publish will not refuse it
    assert not briefing.deliveries.exists()


def test_five_minutes_on_the_beat_publishes_it_with_one_delivery_per_member(seeded):
    briefing = live()

    published = briefings_publish_due(now=timezone.now() + timedelta(minutes=5))

    briefing.refresh_from_db()
    assert published == 1
    assert briefing.status == Status.PUBLISHED
    members = set(
        Membership.objects.filter(
            group__in=briefing.audience_groups.all(), ended_on__isnull=True
        ).values_list("person_id", flat=True)
    )
    deliveries = Delivery.objects.filter(briefing=briefing)
    assert set(deliveries.values_list("person_id", flat=True)) == members
    assert deliveries.count() == len(members) > 50
    assert set(deliveries.values_list("status", flat=True)) == {Delivery.Status.QUEUED}


def test_a_second_seed_before_it_publishes_does_not_move_it(seeded):
    publish_at = live().publish_at

    seed(now=timezone.now() + timedelta(minutes=2))

    briefing = live()
    assert briefing.status == Status.SCHEDULED
    assert briefing.publish_at == publish_at


def test_a_seed_after_it_published_leaves_it_and_its_deliveries_alone(seeded):
    briefings_publish_due(now=timezone.now() + timedelta(minutes=5))
    briefing = live()
    read = Delivery.objects.filter(briefing=briefing).order_by("pk").first()
    Delivery.objects.filter(pk=read.pk).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), read_at=timezone.now(), attempts=1
    )
    before = list(Delivery.objects.filter(briefing=briefing).order_by("pk").values())

    seed(now=timezone.now() + timedelta(days=1))

    after = live()
    assert (after.status, after.published_at) == (Status.PUBLISHED, briefing.published_at)
    assert list(Delivery.objects.filter(briefing=briefing).order_by("pk").values()) == before


def test_a_live_briefing_put_back_to_draft_is_scheduled_again(seeded):
    LandscapeBriefing.objects.filter(pk=live().pk).update(status=Status.DRAFT, publish_at=None)
    later = timezone.now() + timedelta(hours=1)

    seed(now=later)

    briefing = live()
    assert briefing.status == Status.SCHEDULED
    assert later < briefing.publish_at <= later + timedelta(minutes=5)


def test_the_demo_has_a_briefing_request_in_each_state_with_its_steps(seeded):
    requests = BriefingRequest.objects.select_related("convening", "briefing", "requested_by")

    assert sorted(r.status for r in requests) == sorted(RequestStatus.values)
    for briefing_request in requests:
        steps = list(briefing_request.events.order_by("created_at"))
        assert steps[0].status == RequestStatus.REQUESTED
        assert steps[-1].status == briefing_request.status
        assert steps[0].actor == briefing_request.requested_by
        assert briefing_request.requested_by.email.startswith("coordinator.")
        # Told long ago: `make run` has no stale notices to send.
        assert all(step.notified_at for step in steps)
        assert list(briefing_request.audience_groups.all()) == list(
            briefing_request.city.working_groups.all()
        )
    scheduled = requests.get(status=RequestStatus.SCHEDULED)
    assert scheduled.convening.kind == Convening.Kind.LANDSCAPE_BRIEFING
    assert scheduled.convening.group.city == scheduled.city
    assert requests.get(status=RequestStatus.DECLINED).decline_reason
    delivered = requests.get(status=RequestStatus.DELIVERED)
    assert delivered.briefing.status == Status.PUBLISHED


def test_the_staff_triage_queue_shows_the_open_demo_requests(seeded, client):
    client.force_login(User.objects.get(email="staff@example.org"))

    page = client.get(reverse("briefing_request_list")).content.decode()

    for briefing_request in BriefingRequest.objects.all():
        shown = escape(briefing_request.topic) in page
        assert shown == (briefing_request.status in {"requested", "accepted", "scheduled"})


def test_the_demos_new_words_follow_lesson_six(seeded):
    words = [texts.LIVE_BRIEFING.title, texts.LIVE_BRIEFING.summary, texts.LIVE_BRIEFING.body]
    for plan in texts.BRIEFING_REQUESTS:
        words += [plan.topic, plan.local_context, plan.audience_note]
        words += [step.note for step in plan.steps]
    for text in words:
        for word in ("threat", "terrorism", "targeted", "mapping"):
            assert word not in text.lower(), (word, text)
