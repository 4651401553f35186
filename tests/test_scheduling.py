"""Scheduling convenings and series in the city's local time, moving, cancelling, inviting."""

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from stakeholders.models import Leg
from tests import factories
from workinggroups import signals
from workinggroups.convening_services import SeriesDetails, series_schedule, series_update
from workinggroups.models import Convening, ConveningSeries, Invitation

pytestmark = pytest.mark.django_db

DENVER = zoneinfo.ZoneInfo("America/Denver")
YEAR = timezone.now().year + 1


def _second_sunday_of_march(year: int) -> date:
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def _first_sunday_of_november(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7)


@pytest.fixture
def sent():
    """The convening signals sent during the test, as (name, kwargs)."""
    received = []
    handlers = {}
    for name in ("convening_invited", "convening_moved", "convening_cancelled", "seat_promoted"):

        def handler(sender, _name=name, **kwargs):
            received.append((_name, kwargs))

        handlers[name] = handler
        getattr(signals, name).connect(handler, weak=False)
    yield received
    for name, handler in handlers.items():
        getattr(signals, name).disconnect(handler)


def _form(**overrides):
    data = {
        "kind": "working_session",
        "title": "Back-to-school convening",
        "date": f"{YEAR}-01-14",
        "start_time": "17:30",
        "end_time": "19:00",
        "place": "City Hall, Room 2",
        "online_url": "",
        "agenda": "Welcome; the year ahead",
        "capacity": "",
        "reminders": "",
    }
    data.update(overrides)
    return data


def test_coordinator_schedules_in_local_time_stored_in_utc_shown_with_abbreviation(
    client, coordinator_user, group
):
    client.force_login(coordinator_user)
    response = client.post(reverse("convening_create", args=[group.pk]), _form())
    convening = Convening.objects.get()
    assert response.status_code == 302
    assert convening.starts_at == datetime(YEAR, 1, 15, 0, 30, tzinfo=UTC)  # 17:30 MST
    assert convening.ends_at == datetime(YEAR, 1, 15, 2, 0, tzinfo=UTC)
    body = client.get(reverse("convening_detail", args=[convening.pk])).content.decode()
    assert "17:30 MST" in body


def test_summer_time_is_read_in_daylight_time(client, coordinator_user, group):
    client.force_login(coordinator_user)
    client.post(reverse("convening_create", args=[group.pk]), _form(date=f"{YEAR}-07-14"))
    convening = Convening.objects.get()
    assert convening.starts_at == datetime(YEAR, 7, 14, 23, 30, tzinfo=UTC)  # 17:30 MDT
    body = client.get(reverse("convening_detail", args=[convening.pk])).content.decode()
    assert "17:30 MDT" in body


def test_a_time_skipped_by_spring_forward_is_a_field_error_and_nothing_is_saved(
    client, coordinator_user, group
):
    client.force_login(coordinator_user)
    day = _second_sunday_of_march(YEAR).isoformat()
    response = client.post(
        reverse("convening_create", args=[group.pk]),
        _form(date=day, start_time="02:30", end_time="04:00"),
    )
    assert response.status_code == 200
    assert "does not exist" in response.context["form"].errors["start_time"][0]
    assert not Convening.objects.exists()


def test_an_ambiguous_fall_back_time_takes_the_first_and_says_so(client, coordinator_user, group):
    client.force_login(coordinator_user)
    day = _first_sunday_of_november(YEAR)
    response = client.post(
        reverse("convening_create", args=[group.pk]),
        _form(date=day.isoformat(), start_time="01:30", end_time="03:00"),
        follow=True,
    )
    convening = Convening.objects.get()
    assert convening.starts_at == datetime(day.year, day.month, day.day, 7, 30, tzinfo=UTC)
    assert "happens twice" in response.content.decode()
    assert "01:30 MDT" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"place": "", "online_url": ""}, "place"),
        ({"online_url": "not a link at all"}, "online_url"),
        ({"end_time": "17:00"}, "end_time"),
        ({"date": "31-31-2030"}, "date"),
        ({"date": "9999-12-31"}, "date"),
        ({"capacity": "0"}, "capacity"),
        ({"reminders": "60, soon"}, "reminders"),
        ({"reminders": "1"}, "reminders"),
        ({"kind": "threat_briefing"}, "kind"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_saved(
    client, coordinator_user, group, overrides, field
):
    client.force_login(coordinator_user)
    response = client.post(reverse("convening_create", args=[group.pk]), _form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Convening.objects.exists()


def test_online_only_link_gets_https_and_reminders_are_kept(client, coordinator_user, group):
    client.force_login(coordinator_user)
    client.post(
        reverse("convening_create", args=[group.pk]),
        _form(place="", online_url="meet.example.org/llg", reminders="60, 1440"),
    )
    convening = Convening.objects.get()
    assert convening.online_url == "https://meet.example.org/llg"
    assert convening.reminder_offsets_minutes == [1440, 60]


def test_moving_raises_the_sequence_and_sends_moved(client, coordinator_user, group, sent):
    convening = factories.convening(group)
    before = convening.starts_at
    client.force_login(coordinator_user)
    url = reverse("convening_edit", args=[convening.pk])
    client.post(url, _form(title=convening.title))
    convening.refresh_from_db()
    assert convening.sequence == 1
    assert [name for name, _ in sent] == ["convening_moved"]
    assert sent[0][1]["previous_starts_at"] == before
    # A change of agenda alone is not a move.
    client.post(url, _form(title=convening.title, agenda="New agenda"))
    convening.refresh_from_db()
    assert convening.sequence == 1
    assert len(sent) == 1


def test_cancelling_sets_status_and_time_and_sends_cancelled(client, coordinator_user, group, sent):
    convening = factories.convening(group)
    client.force_login(coordinator_user)
    url = reverse("convening_cancel", args=[convening.pk])
    client.post(url)  # without the confirmation nothing happens
    convening.refresh_from_db()
    assert convening.status == "scheduled"
    client.post(url, {"confirm": "cancel"})
    convening.refresh_from_db()
    assert convening.status == "cancelled" and convening.cancelled_at is not None
    assert [name for name, _ in sent] == ["convening_cancelled"]


def test_member_may_view_but_not_schedule_or_edit(client, member, group):
    convening = factories.convening(group)
    client.force_login(member)
    assert client.get(reverse("convening_detail", args=[convening.pk])).status_code == 200
    assert client.post(reverse("convening_edit", args=[convening.pk]), _form()).status_code == 403
    assert client.post(reverse("convening_create", args=[group.pk]), _form()).status_code == 403
    assert Convening.objects.count() == 1


# --- Series ----------------------------------------------------------------------------------


def _series_form(**overrides):
    data = _form(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", until="", excluded_dates="")
    data.pop("reminders")
    first = date(YEAR, 1, 1)  # the first Tuesday of next year, in winter time
    data["date"] = (first + timedelta(days=(1 - first.weekday()) % 7)).isoformat()
    data.update(overrides)
    return data


def test_series_keeps_local_wall_clock_time_across_daylight_saving(client, coordinator_user, group):
    client.force_login(coordinator_user)
    first = date.fromisoformat(_series_form()["date"])
    skipped = (first + timedelta(days=14)).isoformat()
    response = client.post(
        reverse("series_create", args=[group.pk]),
        _series_form(excluded_dates=skipped, until=f"{YEAR}-06-30"),
    )
    assert response.status_code == 302
    occurrences = list(Convening.objects.order_by("starts_at"))
    local = [c.starts_at.astimezone(DENVER) for c in occurrences]
    assert {(t.hour, t.minute) for t in local} == {(17, 30)}
    assert {t.strftime("%Z") for t in local} == {"MST", "MDT"}
    assert {t.weekday() for t in local} == {1}
    assert skipped not in {t.date().isoformat() for t in local}
    assert max(t.date() for t in local) <= date(YEAR, 6, 30)
    assert all(c.series_occurrence == c.starts_at for c in occurrences)


def _series_from_tomorrow(group, actor, *, title: str, rrule: str):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    return series_schedule(
        actor=actor,
        group=group,
        details=SeriesDetails(
            kind="working_session",
            title=title,
            rrule=rrule,
            first_starts_at=start,
            duration_minutes=60,
            place="Library",
        ),
    )


def test_series_generates_a_bounded_horizon(group, coordinator_user):
    series = _series_from_tomorrow(group, coordinator_user, title="Weekly", rrule="FREQ=WEEKLY")
    assert series.occurrences.count() == 24
    quarterly = _series_from_tomorrow(
        group, coordinator_user, title="Quarterly", rrule="FREQ=MONTHLY;INTERVAL=3"
    )
    assert quarterly.occurrences.count() in (4, 5)  # a year ahead


@pytest.mark.parametrize("rule", ["FREQ=HOURLY", "FREQ=WEEKLY;BYDAY=XX", "FREQ=WEEKLY;INTERVAL=0"])
def test_a_bad_rule_is_a_field_error(client, coordinator_user, group, rule):
    client.force_login(coordinator_user)
    response = client.post(reverse("series_create", args=[group.pk]), _series_form(rrule=rule))
    assert response.status_code == 200
    assert "rrule" in response.context["form"].errors
    assert not ConveningSeries.objects.exists()


def test_one_occurrence_moves_alone_and_editing_the_series_leaves_it_be(
    client, coordinator_user, group, sent
):
    client.force_login(coordinator_user)
    client.post(reverse("series_create", args=[group.pk]), _series_form(until=f"{YEAR}-03-31"))
    series = ConveningSeries.objects.get()
    first, second, *rest = series.occurrences.order_by("starts_at")
    factories.invite(first, group.memberships.first().person)
    # Move the second occurrence on its own.
    moved_form = _form(
        title="Moved session",
        date=second.starts_at.astimezone(DENVER).date().isoformat(),
        start_time="09:00",
        end_time="10:00",
    )
    client.post(reverse("convening_edit", args=[second.pk]), moved_form)
    second.refresh_from_db()
    assert second.is_series_exception and second.title == "Moved session"
    others = {c.pk: c.starts_at for c in rest}
    # The series moves to 18:00: the others follow, the exception stays.
    client.post(
        reverse("series_edit", args=[series.pk]),
        _series_form(until=f"{YEAR}-03-31", start_time="18:00", end_time="19:30"),
    )
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.starts_at.astimezone(DENVER).hour == 9
    assert first.starts_at.astimezone(DENVER).hour == 18 and first.sequence == 1
    assert Invitation.objects.filter(convening=first).exists()  # same row kept its invitation
    for convening in Convening.objects.filter(pk__in=others):
        assert convening.starts_at != others[convening.pk]
        assert convening.starts_at.astimezone(DENVER).hour == 18


def test_a_date_dropped_from_the_series_is_cancelled_when_invited_deleted_otherwise(
    coordinator_user, group, sent
):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    details = SeriesDetails(
        kind="working_session",
        title="Weekly",
        rrule="FREQ=WEEKLY",
        first_starts_at=start,
        duration_minutes=60,
        place="Library",
        until=(start + timedelta(days=22)).date(),
    )
    series = series_schedule(actor=coordinator_user, group=group, details=details)
    occurrences = list(series.occurrences.order_by("starts_at"))
    assert len(occurrences) == 4
    factories.invite(occurrences[1], group.memberships.first().person)
    details.excluded_dates = [
        occurrences[1].starts_at.astimezone(DENVER).date().isoformat(),
        occurrences[2].starts_at.astimezone(DENVER).date().isoformat(),
    ]
    series_update(actor=coordinator_user, series_id=series.pk, details=details)
    occurrences[1].refresh_from_db()
    assert occurrences[1].status == "cancelled"
    assert not Convening.objects.filter(pk=occurrences[2].pk).exists()
    assert ("convening_cancelled", {"convening": occurrences[1]}) in [
        (n, {"convening": k["convening"]}) for n, k in sent
    ]


# --- Inviting -------------------------------------------------------------------------------


def test_invite_the_whole_group_once_and_only_new_people_are_signalled(
    client, coordinator_user, group, sent
):
    convening = factories.convening(group)
    url = reverse("convening_invite", args=[convening.pk])
    client.force_login(coordinator_user)
    preview = client.post(url, {"everyone": "on"})
    assert preview.status_code == 200
    assert not Invitation.objects.exists()  # the first POST only previews
    client.post(url, {"everyone": "on", "confirm": "1"})
    members = group.memberships.filter(ended_on__isnull=True).count()
    assert Invitation.objects.filter(convening=convening).count() == members
    assert len(sent[0][1]["invitations"]) == members
    factories.member(group)
    client.post(url, {"everyone": "on", "confirm": "1"})
    assert Invitation.objects.filter(convening=convening).count() == members + 1
    assert [len(k["invitations"]) for n, k in sent if n == "convening_invited"] == [members, 1]


def test_invite_by_leg_warns_about_the_missing_leg_and_the_words_but_sends(
    client, coordinator_user, group
):
    convening = factories.convening(group, title="Threat briefing", agenda="Mapping of risks")
    url = reverse("convening_invite", args=[convening.pk])
    client.force_login(coordinator_user)
    legs = [Leg.MAYOR_COUNCIL, Leg.CITY_STAFF, Leg.COMMUNITY]
    body = client.post(url, {"legs": legs}).content.decode()
    assert "No one from law enforcement is invited" in body
    assert "landscape briefing" in body and "stakeholder identification" in body
    client.post(url, {"legs": legs, "confirm": "1"})
    invited_legs = set(
        Invitation.objects.filter(convening=convening).values_list("person__leg", flat=True)
    )
    assert invited_legs == set(legs)


def test_hand_picked_people_must_be_current_members(client, coordinator_user, group, city):
    convening = factories.convening(group)
    outsider = factories.person(city)
    chosen = group.memberships.first().person
    client.force_login(coordinator_user)
    response = client.post(
        reverse("convening_invite", args=[convening.pk]),
        {"people": [chosen.pk, outsider.pk], "confirm": "1"},
    )
    assert response.status_code == 200
    assert "people" in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_terminology_check_as_the_coordinator_types(client, coordinator_user, member, group):
    url = reverse("convening_terminology", args=[group.pk])
    client.force_login(coordinator_user)
    response = client.get(
        url, {"title": "Targeted violence and terrorism", "agenda": ""}, HTTP_HX_REQUEST="true"
    )
    assert "hate, extremism and polarisation" in response.content.decode()
    assert client.get(url, {"title": "Social cohesion"}).content.decode().strip() == ""
    client.force_login(member)
    assert client.get(url, {"title": "x"}).status_code == 403


def test_the_daily_task_tops_series_up_to_their_horizon(group, coordinator_user):
    from workinggroups.tasks import extend_convening_series

    series = _series_from_tomorrow(group, coordinator_user, title="Weekly", rrule="FREQ=WEEKLY")
    # As if the horizon had been reached weeks ago: the last occurrences don't exist yet.
    last = series.occurrences.order_by("-starts_at").values_list("pk", flat=True)[:3]
    series.occurrences.filter(pk__in=list(last)).delete()
    assert extend_convening_series() == 1
    assert series.occurrences.count() == 24


def test_scheduling_changes_are_audited(group, coordinator_user):
    from audit.models import AuditAction, AuditEvent
    from workinggroups.convening_services import (
        ConveningDetails,
        convening_cancel,
        convening_schedule,
    )

    start = timezone.now() + timedelta(days=3)
    convening = convening_schedule(
        actor=coordinator_user,
        group=group,
        details=ConveningDetails(
            kind="workshop",
            title="Workshop with the council",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            place="City Hall",
        ),
    )
    convening_cancel(actor=coordinator_user, convening_id=convening.pk)
    convening.refresh_from_db()
    assert convening.sequence == 1  # a CANCEL must outrank the invitation calendars hold
    actions = list(
        AuditEvent.objects.filter(target_id=str(convening.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        [AuditAction.CONVENING_SCHEDULED, AuditAction.CONVENING_CANCELLED]
    )


def test_the_form_names_the_city_whose_local_time_is_entered(client, coordinator_user, group):
    client.force_login(coordinator_user)
    body = client.get(reverse("convening_create", args=[group.pk])).content.decode()
    assert f"{group.city.name}'s local time ({group.city.time_zone})" in body
