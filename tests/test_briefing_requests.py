"""Briefing requests (DOMAIN.md lesson 7): a coordinator asks, network staff triage, the
coordinator is told at each step, by email (once) and on the request's page."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from audit.models import AuditAction, AuditEvent
from briefings import request_notices
from briefings import request_services as services
from briefings.models import BriefingRequest, LandscapeBriefing, RequestEvent
from briefings.request_selectors import briefing_suggestion_for
from briefings.request_tasks import notify_request_events
from config.celery import app as celery_app
from tests import factories
from tests.harness.outbox import run_with_broker_down
from tests.harness.smtp import _free_port
from tests.harness.waiting import wait_until
from tests.querycount import page_queries
from workinggroups.models import Convening

Status = BriefingRequest.Status


def ask(actor, city, **extra) -> BriefingRequest:
    values = {
        "topic": "Online activity before the school year",
        "local_context": "Flyers near two schools; parents are worried.",
        "needed_by": services.local_today(city) + timedelta(days=30),
        "audience_groups": [group.pk for group in city.working_groups.all()],
        "audience_note": "",
        **extra,
    }
    return services.request_create(actor=actor, city=city, **values)


def statuses(briefing_request) -> list[str]:
    return list(
        briefing_request.events.order_by("created_at", "pk").values_list("status", flat=True)
    )


def in_two_weeks():
    return timezone.now() + timedelta(days=14)


def schedule(staff, briefing_request, group, **extra):
    values = {
        "group_id": group.pk,
        "starts_at": in_two_weeks(),
        "minutes": 90,
        "place": "",
        "online_url": "https://meet.example.org/briefing",
        **extra,
    }
    return services.request_schedule(actor=staff, request_id=briefing_request.pk, **values)


def published_briefing(group) -> LandscapeBriefing:
    return factories.briefing(
        groups=[group], status=LandscapeBriefing.Status.PUBLISHED, published_at=timezone.now()
    )


# --- The steps ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_goes_from_asked_to_accepted_scheduled_and_delivered(
    group, coordinator_user, staff_user
):
    city = group.city
    asked = ask(coordinator_user, city, audience_note="The whole group")

    assert asked.status == Status.REQUESTED
    assert asked.requested_by == coordinator_user
    assert list(asked.audience_groups.all()) == [group]
    services.request_accept(actor=staff_user, request_id=asked.pk, note="We are on it.")
    scheduled = schedule(staff_user, asked, group, title="")
    answer = published_briefing(group)
    delivered = services.request_deliver(
        actor=staff_user, request_id=asked.pk, briefing_id=answer.pk
    )

    assert delivered.status == Status.DELIVERED
    assert delivered.briefing == answer
    convening = scheduled.convening
    assert convening.kind == Convening.Kind.LANDSCAPE_BRIEFING
    assert convening.group == group
    assert convening.title == f"Landscape briefing: {asked.topic}"
    assert convening.ends_at - convening.starts_at == timedelta(minutes=90)
    assert statuses(asked) == ["requested", "accepted", "scheduled", "delivered"]
    assert asked.events.get(status="accepted").note == "We are on it."
    assert set(asked.events.values_list("actor", flat=True)) == {
        coordinator_user.pk,
        staff_user.pk,
    }
    audit = AuditEvent.objects.filter(target_type="briefings.briefingrequest", city=city)
    assert list(audit.order_by("pk").values_list("action", flat=True)) == [
        AuditAction.BRIEFING_REQUESTED,
        AuditAction.BRIEFING_REQUEST_CHANGED,
        AuditAction.BRIEFING_REQUEST_CHANGED,
        AuditAction.BRIEFING_REQUEST_CHANGED,
    ]
    # The convening went through the convening service, which keeps its own record.
    assert AuditEvent.objects.filter(
        action=AuditAction.CONVENING_SCHEDULED, target_id=str(convening.pk)
    ).exists()


@pytest.mark.django_db
def test_a_declined_request_keeps_its_reason(group, coordinator_user, staff_user):
    asked = ask(coordinator_user, group.city)

    declined = services.request_decline(
        actor=staff_user, request_id=asked.pk, reason="  Covered by next month's briefing. "
    )

    assert declined.status == Status.DECLINED
    assert declined.decline_reason == "Covered by next month's briefing."
    assert asked.events.get(status="declined").note == "Covered by next month's briefing."


@pytest.mark.django_db
def test_declining_without_a_reason_is_refused_and_changes_nothing(
    group, coordinator_user, staff_user
):
    asked = ask(coordinator_user, group.city)

    with pytest.raises(services.BriefingRequestError, match="Say why"):
        services.request_decline(actor=staff_user, request_id=asked.pk, reason="   ")

    asked.refresh_from_db()
    assert asked.status == Status.REQUESTED
    assert statuses(asked) == ["requested"]


@pytest.mark.django_db
def test_steps_the_state_does_not_allow_are_refused_with_a_clear_message(
    group, coordinator_user, staff_user
):
    asked = ask(coordinator_user, group.city)
    services.request_accept(actor=staff_user, request_id=asked.pk)
    with pytest.raises(services.BriefingRequestError, match="already accepted"):
        services.request_accept(actor=staff_user, request_id=asked.pk)
    services.request_deliver(actor=staff_user, request_id=asked.pk)

    with pytest.raises(services.BriefingRequestError) as declining:
        services.request_decline(actor=staff_user, request_id=asked.pk, reason="Too late")
    with pytest.raises(services.BriefingRequestError) as scheduling:
        schedule(staff_user, asked, group)

    assert declining.value.messages == ["This request is delivered: it cannot be declined."]
    assert scheduling.value.messages == [
        "This request is delivered: only a new or accepted request can be scheduled."
    ]
    asked.refresh_from_db()
    assert (asked.status, asked.convening, asked.decline_reason) == (Status.DELIVERED, None, "")
    assert statuses(asked) == ["requested", "accepted", "delivered"]


@pytest.mark.django_db
def test_a_declined_request_cannot_be_accepted_or_delivered(group, coordinator_user, staff_user):
    asked = ask(coordinator_user, group.city)
    services.request_decline(actor=staff_user, request_id=asked.pk, reason="Out of scope")

    with pytest.raises(services.BriefingRequestError, match="declined: only a new request"):
        services.request_accept(actor=staff_user, request_id=asked.pk)
    with pytest.raises(services.BriefingRequestError, match="cannot be marked delivered"):
        services.request_deliver(actor=staff_user, request_id=asked.pk)


@pytest.mark.django_db
def test_a_date_already_past_in_the_city_is_refused_and_today_is_fine(group, coordinator_user):
    today = services.local_today(group.city)

    with pytest.raises(services.BriefingRequestError, match="has passed"):
        ask(coordinator_user, group.city, needed_by=today - timedelta(days=1))

    assert ask(coordinator_user, group.city, needed_by=today).needed_by == today
    assert BriefingRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_working_group_of_another_city_is_refused(group, other_city, coordinator_user):
    elsewhere = factories.group(other_city, name="Stamford Local Leadership Group")

    with pytest.raises(services.BriefingRequestError) as refused:
        ask(coordinator_user, group.city, audience_groups=[group.pk, elsewhere.pk])

    assert "Stamford Local Leadership Group" in refused.value.messages[0]
    assert not BriefingRequest.objects.exists()
    assert not RequestEvent.objects.exists()


@pytest.mark.django_db
def test_a_request_needs_a_topic_a_context_and_an_audience(city, coordinator_user):
    with pytest.raises(services.BriefingRequestError) as refused:
        ask(coordinator_user, city, topic=" ", local_context="", audience_groups=[])

    assert len(refused.value.messages) == 3
    assert not BriefingRequest.objects.exists()


@pytest.mark.django_db
def test_scheduling_without_a_time_is_refused_and_changes_nothing(
    group, coordinator_user, staff_user
):
    asked = ask(coordinator_user, group.city)

    with pytest.raises(services.BriefingRequestError, match="date and time"):
        schedule(staff_user, asked, group, starts_at=None)
    with pytest.raises(services.BriefingRequestError, match="in the future"):
        schedule(staff_user, asked, group, starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(services.BriefingRequestError, match="place, an online link"):
        schedule(staff_user, asked, group, online_url="")

    asked.refresh_from_db()
    assert (asked.status, asked.convening) == (Status.REQUESTED, None)
    assert not Convening.objects.exists()
    assert statuses(asked) == ["requested"]


@pytest.mark.django_db
def test_a_convening_goes_to_a_group_of_the_requests_city_only(
    group, other_city, coordinator_user, staff_user
):
    asked = ask(coordinator_user, group.city)
    elsewhere = factories.group(other_city)

    with pytest.raises(services.BriefingRequestError, match="working groups"):
        schedule(staff_user, asked, elsewhere)

    assert not Convening.objects.exists()


@pytest.mark.django_db
def test_only_a_published_briefing_is_named_as_delivered(group, coordinator_user, staff_user):
    asked = ask(coordinator_user, group.city)
    draft = factories.briefing(groups=[group])

    with pytest.raises(services.BriefingRequestError, match="published"):
        services.request_deliver(actor=staff_user, request_id=asked.pk, briefing_id=draft.pk)

    asked.refresh_from_db()
    assert asked.status == Status.REQUESTED


@pytest.mark.django_db
def test_only_staff_triage_and_only_a_citys_coordinators_ask(
    group, coordinator_user, other_coordinator, staff_user
):
    asked = ask(coordinator_user, group.city)

    with pytest.raises(PermissionDenied):
        services.request_accept(actor=coordinator_user, request_id=asked.pk)
    with pytest.raises(PermissionDenied):
        ask(other_coordinator, group.city)
    on_behalf = ask(staff_user, group.city, topic="Asked by staff for the city")

    assert on_behalf.requested_by == staff_user


@pytest.mark.django_db
def test_each_step_asks_for_the_notice_after_commit(group, coordinator_user, monkeypatch):
    kicks = []
    monkeypatch.setattr(notify_request_events, "delay", lambda: kicks.append(1))

    with TestCase.captureOnCommitCallbacks(execute=True):
        ask(coordinator_user, group.city)

    assert kicks == [1]


@pytest.mark.django_db
def test_a_step_with_the_broker_down_still_commits(group, coordinator_user, monkeypatch, caplog):
    def broker_down():
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notify_request_events, "delay", broker_down)

    with TestCase.captureOnCommitCallbacks(execute=True):
        asked = ask(coordinator_user, group.city)

    assert BriefingRequest.objects.filter(pk=asked.pk).exists()
    assert RequestEvent.objects.get(request=asked).notified_at is None  # the beat sends it
    assert "next beat" in caplog.text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_step_commits_with_no_broker_listening_at_all(group, coordinator_user, staff_user):
    """A real dead broker (a port nobody listens on), in a process of its own."""
    asked = ask(coordinator_user, group.city)
    script = f"""
import django
django.setup()
from briefings.request_services import request_accept
from stakeholders.models import User
request_accept(actor=User.objects.get(pk={staff_user.pk}), request_id={asked.pk})
print("accepted")
"""
    result = run_with_broker_down(script)

    assert result.returncode == 0, result.stderr
    assert "accepted" in result.stdout
    asked.refresh_from_db()
    assert asked.status == Status.ACCEPTED
    accepted = asked.events.get(status="accepted")
    assert accepted.notified_at is None and accepted.notify_attempts == 0


# --- Notices ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_requester_is_told_of_each_step_once(
    group, coordinator_user, staff_user, smtp_server, settings
):
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    asked = ask(coordinator_user, group.city)
    services.request_accept(actor=staff_user, request_id=asked.pk, note="Expect it in May.")

    assert notify_request_events() == 2
    assert notify_request_events() == 0  # a second beat finds nothing to tell

    received = smtp_server.wait_for(2)
    assert len(smtp_server.messages) == 2
    assert [m.rcpt_tos for m in received] == [(coordinator_user.email,)] * 2
    assert [m.subject for m in received] == [
        f"Briefing request received: {asked.topic}",
        f"Briefing request accepted: {asked.topic}",
    ]
    accepted = received[1]
    assert "has a new status: Accepted" in accepted.text
    assert "Expect it in May." in accepted.text
    assert f"https://portal.example.org/briefings/requests/{asked.pk}/" in accepted.text
    html = accepted.message.get_body(preferencelist=("html",)).get_content()
    assert "<strong>Accepted</strong>" in html
    assert not RequestEvent.objects.filter(notified_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_notice_of_a_schedule_gives_the_time_in_the_citys_zone(
    group, coordinator_user, staff_user, smtp_server
):
    asked = ask(coordinator_user, group.city)
    starts = in_two_weeks().replace(hour=18, minute=0, second=0, microsecond=0)
    schedule(staff_user, asked, group, starts_at=starts, place="City Hall")
    request_notices.events_notify()

    scheduled = smtp_server.wait_for(2)[1]

    local = starts.astimezone(group.city.zone)
    assert scheduled.subject == f"Briefing request scheduled: {asked.topic}"
    assert f"{local:%H:%M} {local:%Z}" in scheduled.text
    assert "Where: City Hall" in scheduled.text


@pytest.mark.django_db
def test_the_decline_reason_is_in_the_notice(group, coordinator_user, staff_user, smtp_server):
    asked = ask(coordinator_user, group.city)
    services.request_decline(actor=staff_user, request_id=asked.pk, reason="Covered in May.")

    request_notices.events_notify()

    declined = smtp_server.wait_for(2)[1]
    assert "The reason: Covered in May." in declined.text


@pytest.mark.django_db
def test_when_the_requesters_account_is_gone_the_citys_coordinators_are_told(
    group, coordinator_user, staff_user, smtp_server
):
    second = factories.coordinator(group.city)
    asked = ask(coordinator_user, group.city)
    RequestEvent.objects.update(notified_at=timezone.now())  # the request's own notice went
    coordinator_user.delete()
    services.request_accept(actor=staff_user, request_id=asked.pk)

    request_notices.events_notify()

    [message] = smtp_server.wait_for(1)
    assert message.rcpt_tos == (second.email,)


@pytest.mark.django_db
def test_a_request_asked_by_staff_is_told_to_the_citys_coordinators_too(
    group, coordinator_user, staff_user, smtp_server
):
    ask(staff_user, group.city)

    request_notices.events_notify()

    received = smtp_server.wait_for(2)
    assert sorted(m.rcpt_tos[0] for m in received) == sorted(
        [staff_user.email, coordinator_user.email]
    )
    assert all(len(m.rcpt_tos) == 1 for m in received)  # one person per message


@pytest.mark.django_db
def test_a_failed_notice_is_recorded_tried_again_and_given_up_after_five(
    group, coordinator_user, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nothing listens
    settings.EMAIL_TIMEOUT = 5
    asked = ask(coordinator_user, group.city)
    event = asked.events.get()

    assert request_notices.events_notify() == 0
    event.refresh_from_db()
    assert event.notified_at is None
    assert event.notify_attempts == 1
    assert event.notify_error.startswith("ConnectionRefusedError")
    for _ in range(6):
        request_notices.events_notify()

    event.refresh_from_db()
    assert event.notify_attempts == request_notices.MAX_ATTEMPTS
    assert event.notified_at is None
    assert request_notices.IN_FLIGHT not in event.notify_error


@pytest.mark.django_db
def test_a_notice_stuck_mid_send_is_reported_not_sent_again(
    group, coordinator_user, smtp_server, caplog
):
    asked = ask(coordinator_user, group.city)
    claimed = request_notices.events_claim()  # a worker claims it, then is killed
    assert claimed == [asked.events.get().pk]

    assert request_notices.events_notify() == 0  # still in flight: not sent by another run
    later = timezone.now() + request_notices.STUCK_AFTER + timedelta(minutes=1)
    request_notices.events_notify(now=later)

    event = asked.events.get()
    assert event.notify_error == request_notices.STUCK_REASON
    assert event.notify_attempts == request_notices.MAX_ATTEMPTS
    assert event.notified_at is None
    assert smtp_server.messages == []
    assert "stuck mid-send" in caplog.text


@pytest.mark.django_db
def test_two_runs_claim_an_event_once(group, coordinator_user):
    ask(coordinator_user, group.city)

    first = request_notices.events_claim()
    second = request_notices.events_claim()

    assert len(first) == 1 and second == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_tells_the_requester_after_the_step_commits(
    group, coordinator_user, celery_worker, smtp_server
):
    # The step's on-commit kick reaches the worker through Redis; nothing else runs the task.
    asked = ask(coordinator_user, group.city)

    [message] = smtp_server.wait_for(1, timeout=30)

    assert message.rcpt_tos == (coordinator_user.email,)
    assert message.subject == f"Briefing request received: {asked.topic}"
    event = asked.events.get()
    wait_until(
        lambda: RequestEvent.objects.filter(pk=event.pk, notified_at__isnull=False).exists(),
        timeout=20,
        describe=lambda: celery_worker.log_tail(),
    )
    assert celery_app.conf.task_default_queue == celery_worker.queue


# --- Pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_coordinator_asks_through_the_form_and_sees_the_request(client, group, coordinator_user):
    client.force_login(coordinator_user)
    url = reverse("briefing_request_create", kwargs={"city_slug": group.city.slug})
    needed_by = services.local_today(group.city) + timedelta(days=20)

    response = client.post(
        url,
        {
            "topic": "Posts naming a local mosque",
            "local_context": "Since last week, neighbourhood groups online name it.",
            "needed_by": needed_by.isoformat(),
            "audience_groups": [group.pk],
            "audience_note": "Faith leaders first",
        },
    )

    asked = BriefingRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("briefing_request_detail", args=[asked.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Posts naming a local mosque" in page
    assert "Steps so far" in page
    assert "Requested" in page
    assert "Triage" not in page  # coordinators follow; staff triage


@pytest.mark.django_db
def test_the_form_shows_a_past_date_back_and_sends_nothing(client, group, coordinator_user):
    client.force_login(coordinator_user)
    url = reverse("briefing_request_create", kwargs={"city_slug": group.city.slug})

    response = client.post(
        url,
        {
            "topic": "Posts naming a local mosque",
            "local_context": "Since last week.",
            "needed_by": "2001-01-01",
            "audience_note": "The group",
        },
    )

    assert response.status_code == 200
    assert "has passed" in response.content.decode()
    assert not BriefingRequest.objects.exists()


@pytest.mark.django_db
def test_staff_triage_from_the_request_page(client, group, coordinator_user, staff_user):
    asked = ask(coordinator_user, group.city)
    client.force_login(staff_user)
    url = reverse("briefing_request_triage", args=[asked.pk])
    detail = client.get(reverse("briefing_request_detail", args=[asked.pk])).content.decode()
    assert 'name="action" value="accept"' in detail
    assert 'name="action" value="decline"' in detail

    accepted = client.post(url, {"action": "accept", "accept-note": "On it"})
    starts = (timezone.now() + timedelta(days=10)).astimezone(group.city.zone)
    scheduled = client.post(
        url,
        {
            "action": "schedule",
            "schedule-group": group.pk,
            "schedule-date": starts.date().isoformat(),
            "schedule-start_time": "18:00",
            "schedule-minutes": "60",
            "schedule-online_url": "https://meet.example.org/b",
        },
    )

    assert accepted.status_code == 302 and scheduled.status_code == 302
    asked.refresh_from_db()
    assert asked.status == Status.SCHEDULED
    local_start = asked.convening.starts_at.astimezone(group.city.zone)
    assert (local_start.date(), local_start.hour, local_start.minute) == (starts.date(), 18, 0)
    assert statuses(asked) == ["requested", "accepted", "scheduled"]


@pytest.mark.django_db
def test_bad_triage_input_shows_a_message_and_changes_nothing(
    client, group, coordinator_user, staff_user
):
    asked = ask(coordinator_user, group.city)
    client.force_login(staff_user)
    url = reverse("briefing_request_triage", args=[asked.pk])

    no_reason = client.post(url, {"action": "decline", "decline-reason": ""})
    no_time = client.post(
        url,
        {"action": "schedule", "schedule-group": group.pk, "schedule-online_url": "https://x.org"},
    )
    nothing = client.post(url, {})

    assert no_reason.status_code == 200
    assert "Say why the request is declined" in no_reason.content.decode()
    assert no_time.status_code == 200
    assert "Give the date and time the briefing starts." in no_time.content.decode()
    assert nothing.status_code == 302
    asked.refresh_from_db()
    assert asked.status == Status.REQUESTED
    assert statuses(asked) == ["requested"]
    assert not Convening.objects.exists()


@pytest.mark.django_db
def test_a_step_no_longer_allowed_is_said_on_the_page(client, group, coordinator_user, staff_user):
    asked = ask(coordinator_user, group.city)
    services.request_deliver(actor=staff_user, request_id=asked.pk)
    client.force_login(staff_user)

    response = client.post(
        reverse("briefing_request_triage", args=[asked.pk]),
        {"action": "decline", "decline-reason": "Another tab"},
        follow=True,
    )

    assert "This request is delivered: it cannot be declined." in response.content.decode()
    asked.refresh_from_db()
    assert asked.status == Status.DELIVERED


@pytest.mark.django_db
def test_the_list_shows_each_coordinator_their_own_cities_only(
    client, group, other_city, coordinator_user, other_coordinator
):
    ask(coordinator_user, group.city, topic="Ours")
    factories.group(other_city)
    ask(other_coordinator, other_city, topic="Theirs")
    client.force_login(coordinator_user)

    page = client.get(reverse("briefing_request_list")).content.decode()

    assert "Ours" in page and "Theirs" not in page


@pytest.mark.django_db
def test_the_triage_queue_puts_the_soonest_needed_first_and_filters_by_status(
    client, group, coordinator_user, staff_user
):
    today = services.local_today(group.city)
    later = ask(coordinator_user, group.city, topic="Needed later", needed_by=today + timedelta(60))
    ask(coordinator_user, group.city, topic="Needed soon", needed_by=today + timedelta(days=5))
    done = ask(coordinator_user, group.city, topic="Done already", needed_by=today)
    services.request_deliver(actor=staff_user, request_id=done.pk)
    client.force_login(staff_user)
    url = reverse("briefing_request_list")

    queue = client.get(url).content.decode()
    delivered = client.get(url, {"status": "delivered"}).content.decode()

    assert queue.index("Needed soon") < queue.index("Needed later")
    assert "Done already" not in queue  # the queue holds open requests by default
    assert "Done already" in delivered and later.topic not in delivered


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "coordinator"])
def test_the_list_query_count_does_not_grow_with_requests(
    client, group, coordinator_user, staff_user, role
):
    client.force_login(staff_user if role == "staff" else coordinator_user)
    url = reverse("briefing_request_list")
    first = ask(coordinator_user, group.city)
    schedule(staff_user, first, group)
    one = page_queries(client, url)
    extra_group = factories.group(group.city)
    for n in range(40):
        made = ask(coordinator_user, group.city, topic=f"Request {n}")
        made.audience_groups.add(extra_group)
        if n % 3 == 0:
            schedule(staff_user, made, group)

    assert page_queries(client, url) == one


@pytest.mark.django_db
def test_the_detail_page_query_count_does_not_grow_with_steps(
    client, group, coordinator_user, staff_user
):
    asked = ask(coordinator_user, group.city)
    client.force_login(coordinator_user)
    url = reverse("briefing_request_detail", args=[asked.pk])
    one = page_queries(client, url)
    services.request_accept(actor=staff_user, request_id=asked.pk)
    schedule(staff_user, asked, group)
    services.request_deliver(actor=staff_user, request_id=asked.pk)

    assert page_queries(client, url) == one


@pytest.mark.django_db
def test_a_member_of_the_city_cannot_see_requests(client, group, coordinator_user, member):
    asked = ask(coordinator_user, group.city)
    client.force_login(member)

    assert client.get(reverse("briefing_request_list")).status_code == 404
    assert client.get(reverse("briefing_request_detail", args=[asked.pk])).status_code == 404
    create = reverse("briefing_request_create", kwargs={"city_slug": group.city.slug})
    assert client.get(create).status_code == 403


# --- The suggestion at the start of training (lesson 7) ----------------------------------------


@pytest.mark.django_db
def test_a_briefing_is_suggested_once_training_is_scheduled(group, coordinator_user, staff_user):
    city = group.city
    assert briefing_suggestion_for(city) is None  # no training yet
    training = factories.convening(group, kind=Convening.Kind.TRAINING, title="First training")

    suggestion = briefing_suggestion_for(city)

    assert suggestion is not None
    assert suggestion.training == training and not suggestion.training_started
    ask(coordinator_user, city)
    assert briefing_suggestion_for(city) is None  # asked already


@pytest.mark.django_db
def test_no_suggestion_when_a_published_briefing_reaches_the_citys_groups(group):
    factories.convening(group, kind=Convening.Kind.TRAINING, days_from_now=-3, status="held")
    factories.briefing(groups=[group])  # a draft reaches nobody
    assert briefing_suggestion_for(group.city) is not None

    published_briefing(group)

    assert briefing_suggestion_for(group.city) is None


@pytest.mark.django_db
def test_a_cancelled_training_does_not_start_the_phase(group):
    factories.convening(
        group, kind=Convening.Kind.TRAINING, status="cancelled", cancelled_at=timezone.now()
    )

    assert briefing_suggestion_for(group.city) is None


@pytest.mark.django_db
def test_the_coordinator_sees_the_suggestion_with_a_link_to_ask(client, group, coordinator_user):
    factories.convening(group, kind=Convening.Kind.TRAINING, title="First training")
    client.force_login(coordinator_user)

    page = client.get(reverse("briefing_request_list")).content.decode()

    assert "The training phase starts with “First training”" in page
    assert reverse("briefing_request_create", kwargs={"city_slug": group.city.slug}) in page
