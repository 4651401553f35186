"""The city's calendar of local moments (DOMAIN.md lesson 4) and the convening form's choice
of a moment to plan around."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from briefings.services import briefing_publish
from stakeholders.institution_selectors import (
    RECENT_DAYS,
    city_moment_calendar,
    city_today,
    moments_for_convening_choice,
)
from stakeholders.models import LocalMoment
from stakeholders.roles import Viewer
from tests import factories
from tests.querycount import page_queries
from workinggroups.convening_forms import ConveningDetailsWithMoment, ConveningForm
from workinggroups.convening_services import convening_schedule, convening_update
from workinggroups.models import Convening

pytestmark = pytest.mark.django_db

TODAY = date(2025, 8, 1)


def _moment(city, title="Students return", kind="students_return", starts_on=TODAY, **extra):
    return LocalMoment.objects.create(
        city=city, title=title, kind=kind, starts_on=starts_on, **extra
    )


def _in(days: int, city) -> date:
    return city_today(city) + timedelta(days=days)


def _titles(months):
    return [[entry.moment.title for entry in month.entries] for month in months]


# --- The calendar ----------------------------------------------------------------------------


def test_upcoming_moments_come_first_by_month_and_past_ones_latest_first(
    city, other_city, staff_user
):
    _moment(city, "Election", "election", date(2025, 11, 4))
    _moment(city, "School year", "school_year", date(2025, 8, 13))
    _moment(city, "Students return", "students_return", date(2025, 8, 18))
    _moment(city, "Festival", "commemoration", date(2025, 7, 25), ends_on=date(2025, 8, 3))
    _moment(city, "Spring echo", "global_crisis_echo", date(2025, 3, 2))
    _moment(city, "Primary", "election", date(2025, 6, 3))
    _moment(other_city, "Other city's", "election", date(2025, 8, 20))

    calendar = city_moment_calendar(city, Viewer(staff_user), today=TODAY)

    # The festival is still on (it ends on 3 August): it is upcoming, under its start month.
    assert [m.month for m in calendar.upcoming] == [
        date(2025, 7, 1),
        date(2025, 8, 1),
        date(2025, 11, 1),
    ]
    assert _titles(calendar.upcoming) == [
        ["Festival"],
        ["School year", "Students return"],
        ["Election"],
    ]
    assert _titles(calendar.past) == [["Primary"], ["Spring echo"]]
    assert calendar.past_count == 2
    festival = calendar.upcoming[0].entries[0]
    assert festival.is_ongoing and not festival.is_past


def test_moments_within_30_days_are_highlighted_with_plain_advice(city, staff_user):
    _moment(city, "Students return", "students_return", TODAY + timedelta(days=30))
    _moment(city, "Election", "election", TODAY + timedelta(days=31))
    _moment(city, "School year", "school_year", TODAY)

    calendar = city_moment_calendar(city, Viewer(staff_user), today=TODAY)

    soon = {entry.moment.title: entry for entry in calendar.soon}
    assert set(soon) == {"Students return", "School year"}
    assert soon["Students return"].advice.startswith("Students return on Sun 31 Aug 2025:")
    assert "consider a convening or a landscape briefing before" in soon["Students return"].advice
    assert soon["School year"].advice.startswith("The school year starts on Fri 1 Aug 2025")


def test_the_advice_says_when_a_convening_is_tied_already(city, group, staff_user):
    moment = _moment(city, "Election", "election", TODAY + timedelta(days=5))
    factories.convening(group, local_moment=moment)
    entry = city_moment_calendar(city, Viewer(staff_user), today=TODAY).soon[0]
    assert entry.advice.endswith("1 convening is tied to it already.")


def test_the_page_shows_dates_advice_and_tied_convenings(client, member, city, group):
    moment = _moment(city, "Students return", "students_return", _in(10, city), notes="UNM and CNM")
    convening = factories.convening(group, title="Before term", local_moment=moment)
    client.force_login(member)
    response = client.get(reverse("city_moments", args=[city.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Students return on {_in(10, city):%a} " in page
    assert "In 10 days" in page
    assert "UNM and CNM" in page
    assert "1 convening tied to it" in page
    # The member sits in the convening's group, so the title is a link.
    assert reverse("convening_detail", args=[convening.pk]) in page
    # Read only for members.
    assert reverse("city_moment_create", args=[city.slug]) not in page
    assert reverse("city_moment_edit", args=[city.slug, moment.pk]) not in page


def test_a_member_outside_the_convenings_group_sees_its_title_without_a_link(client, member, city):
    other_group = factories.group(city)
    moment = _moment(city, starts_on=_in(40, city))
    convening = factories.convening(other_group, title="Elsewhere", local_moment=moment)
    client.force_login(member)
    page = client.get(reverse("city_moments", args=[city.slug])).content.decode()
    assert "Elsewhere" in page
    assert reverse("convening_detail", args=[convening.pk]) not in page


def test_past_moments_are_collapsed(client, member, city):
    _moment(city, "Last year's election", "election", _in(-400, city))
    client.force_login(member)
    page = client.get(reverse("city_moments", args=[city.slug])).content.decode()
    assert "<details" in page and "Show 1 past moment" in page
    assert "No upcoming local moment" in page


def test_briefing_titles_show_only_to_those_who_may_read_them(client, city, group, member):
    moment = _moment(city, starts_on=_in(60, city))
    staff = factories.network_staff()
    for_member = factories.briefing(staff, title="Campus landscape", groups=[group])
    for_others = factories.briefing(
        staff, title="Police partners only", people=[factories.person(city)]
    )
    open_to_all = factories.briefing(
        staff, tlp="CLEAR", title="Open briefing", people=[factories.person(city)]
    )
    open_to_all.shown_to_all_signed_in = True
    open_to_all.save()
    draft = factories.briefing(staff, title="Draft in progress", groups=[group])
    for briefing in (for_member, for_others, open_to_all, draft):
        briefing.local_moments.add(moment)
    for briefing in (for_member, for_others, open_to_all):
        briefing_publish(actor=staff, briefing_id=briefing.pk)

    url = reverse("city_moments", args=[city.slug])
    client.force_login(member)
    page = client.get(url).content.decode()
    assert "Campus landscape" in page and "Open briefing" in page
    assert reverse("briefing_read", args=[for_member.pk]) in page
    assert "Police partners only" not in page and "Draft in progress" not in page
    assert "1 landscape briefing shared with another audience" in page

    client.force_login(factories.coordinator(city))  # no person record: no deliveries
    page = client.get(url).content.decode()
    assert "Open briefing" in page and "Campus landscape" not in page
    assert "2 landscape briefings shared with other audiences" in page

    client.force_login(staff)  # authors see every tied briefing, drafts with their status
    page = client.get(url).content.decode()
    for title in ("Campus landscape", "Police partners only", "Open briefing", "Draft in progress"):
        assert title in page
    assert "shared with another audience" not in page


def test_the_calendar_takes_the_same_queries_with_1_or_20_moments(client, city, group, member):
    staff = factories.network_staff()

    def add(n):
        for i in range(n):
            moment = _moment(city, f"Moment {i}", starts_on=_in(i * 7 - 30, city))
            factories.convening(group, local_moment=moment)
            briefing = factories.briefing(staff, groups=[group])
            briefing.local_moments.add(moment)
            briefing_publish(actor=staff, briefing_id=briefing.pk)

    url = reverse("city_moments", args=[city.slug])
    viewers = {"member": member, "staff": staff, "coordinator": factories.coordinator(city)}

    def counts():
        found = {}
        for role, user in viewers.items():
            client.force_login(user)
            found[role] = page_queries(client, url)
        return found

    add(1)
    one = counts()
    add(19)
    assert counts() == one


# --- Adding, changing, removing --------------------------------------------------------------


def _form(**overrides):
    return {
        "title": "Municipal election",
        "kind": "election",
        "starts_on": "2025-11-04",
        "ends_on": "",
        "notes": "Early voting from 7 October.",
        **overrides,
    }


def test_coordinator_adds_a_moment(client, coordinator_user, city):
    client.force_login(coordinator_user)
    response = client.post(reverse("city_moment_create", args=[city.slug]), _form())
    assert response.status_code == 302
    moment = LocalMoment.objects.get()
    assert (moment.city, moment.kind, moment.starts_on, moment.ends_on) == (
        city,
        "election",
        date(2025, 11, 4),
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": "2025-11-03"}, "The moment must end on or after the day it starts."),
        ({"kind": "riot"}, "Select a valid choice."),
        ({"starts_on": "1999-11-04"}, "Give a date between 2000 and 2100."),
        ({"starts_on": "next week"}, "Enter a valid date."),
        ({"title": ""}, "This field is required."),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(
    client, coordinator_user, city, overrides, message
):
    client.force_login(coordinator_user)
    response = client.post(reverse("city_moment_create", args=[city.slug]), _form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LocalMoment.objects.exists()


def test_bad_input_on_edit_leaves_the_moment_as_it_was(client, coordinator_user, city):
    moment = _moment(city, starts_on=date(2025, 8, 18))
    client.force_login(coordinator_user)
    url = reverse("city_moment_edit", args=[city.slug, moment.pk])
    response = client.post(url, _form(starts_on="2025-08-20", ends_on="2025-08-19"))
    assert response.status_code == 200
    moment.refresh_from_db()
    assert moment.starts_on == date(2025, 8, 18) and moment.kind == "students_return"

    client.post(url, _form(starts_on="2025-08-20", ends_on="2025-08-29"))
    moment.refresh_from_db()
    assert (moment.kind, moment.starts_on, moment.ends_on) == (
        "election",
        date(2025, 8, 20),
        date(2025, 8, 29),
    )


def test_removing_needs_the_confirmation_and_keeps_the_convening(
    client, coordinator_user, city, group
):
    moment = _moment(city)
    convening = factories.convening(group, local_moment=moment)
    client.force_login(coordinator_user)
    url = reverse("city_moment_delete", args=[city.slug, moment.pk])
    client.post(url)
    assert LocalMoment.objects.filter(pk=moment.pk).exists()
    response = client.post(url, {"confirm": "delete"}, follow=True)
    assert "1 convening keeps its date" in response.content.decode()
    assert not LocalMoment.objects.filter(pk=moment.pk).exists()
    convening.refresh_from_db()
    assert convening.local_moment is None


def test_members_may_not_add_change_or_remove(client, member, city):
    moment = _moment(city)
    client.force_login(member)
    for url, data in [
        (reverse("city_moment_create", args=[city.slug]), _form()),
        (reverse("city_moment_edit", args=[city.slug, moment.pk]), _form()),
        (reverse("city_moment_delete", args=[city.slug, moment.pk]), {"confirm": "delete"}),
    ]:
        assert client.post(url, data).status_code == 403
    assert list(LocalMoment.objects.values_list("title", flat=True)) == ["Students return"]


def test_another_citys_moment_is_not_found_through_this_city(
    client, coordinator_user, city, other_city
):
    theirs = _moment(other_city)
    client.force_login(coordinator_user)
    for name in ("city_moment_edit", "city_moment_delete"):
        response = client.post(reverse(name, args=[city.slug, theirs.pk]), {"confirm": "delete"})
        assert response.status_code == 404
    assert LocalMoment.objects.filter(pk=theirs.pk).exists()


# --- The convening form's choice -------------------------------------------------------------


def _convening_post(moment_id=""):
    day = date.today() + timedelta(days=20)
    return {
        "kind": "working_session",
        "title": "Before term",
        "date": day.isoformat(),
        "start_time": "18:00",
        "end_time": "19:30",
        "place": "City Hall",
        "local_moment": str(moment_id),
    }


def test_the_choice_offers_the_citys_upcoming_and_recent_moments_only(city, other_city):
    upcoming = _moment(city, "Upcoming", starts_on=_in(20, city))
    recent = _moment(city, "Recent", starts_on=_in(-RECENT_DAYS + 1, city))
    still_on = _moment(city, "Long", starts_on=_in(-200, city), ends_on=_in(-5, city))
    _moment(city, "Old", starts_on=_in(-RECENT_DAYS - 1, city))
    _moment(other_city, "Theirs", starts_on=_in(20, other_city))

    form = ConveningForm(zone=city.zone, city=city)
    offered = list(form.fields["local_moment"].queryset)
    assert offered == [still_on, recent, upcoming]
    assert list(form.fields)[:3] == ["kind", "title", "local_moment"]


def test_another_citys_moment_is_refused(city, other_city):
    theirs = _moment(other_city, starts_on=_in(20, other_city))
    form = ConveningForm(_convening_post(theirs.pk), zone=city.zone, city=city)
    assert not form.is_valid()
    assert form.errors["local_moment"] == ["Choose one of this city's local moments."]


def test_the_chosen_moment_is_saved_with_the_convening_and_kept_on_edit(
    city, group, coordinator_user
):
    moment = _moment(city, starts_on=_in(30, city))
    form = ConveningForm(_convening_post(moment.pk), zone=city.zone, city=city)
    assert form.is_valid(), form.errors
    details = form.details()
    assert isinstance(details, ConveningDetailsWithMoment)
    convening = convening_schedule(actor=coordinator_user, group=group, details=details)
    assert Convening.objects.get(pk=convening.pk).local_moment == moment

    # An old moment already tied stays a valid choice when the convening is edited.
    LocalMoment.objects.filter(pk=moment.pk).update(starts_on=_in(-400, city))
    initial = ConveningForm.initial_from(convening, city.zone)
    assert initial["local_moment"] == moment.pk
    form = ConveningForm(_convening_post(moment.pk), zone=city.zone, city=city, initial=initial)
    assert form.is_valid(), form.errors

    # A form built without the city has no such field and leaves the tie alone.
    form = ConveningForm(_convening_post(), zone=city.zone)
    assert "local_moment" not in form.fields
    assert form.is_valid(), form.errors
    convening_update(actor=coordinator_user, convening_id=convening.pk, details=form.details())
    assert Convening.objects.get(pk=convening.pk).local_moment == moment

    # Choosing "None" unties it.
    form = ConveningForm(_convening_post(""), zone=city.zone, city=city)
    assert form.is_valid(), form.errors
    convening_update(actor=coordinator_user, convening_id=convening.pk, details=form.details())
    assert Convening.objects.get(pk=convening.pk).local_moment is None


def test_moments_for_the_choice_can_be_read_on_a_given_day(city):
    kept = _moment(city, starts_on=date(2025, 6, 1))
    assert list(moments_for_convening_choice(city, today=date(2025, 8, 1))) == [kept]
    assert list(moments_for_convening_choice(city, today=date(2025, 12, 1))) == []
    assert list(moments_for_convening_choice(city, also=[kept.pk], today=date(2026, 1, 1))) == [
        kept
    ]
