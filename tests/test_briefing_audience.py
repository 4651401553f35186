"""Who a briefing reaches, what TLP allows, and the publishing services that write the ledger."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from briefings.audience import Audience, audience_errors, audience_people
from briefings.models import TLP, Delivery, LandscapeBriefing
from briefings.services import (
    BriefingError,
    briefing_publish,
    briefing_schedule,
    briefing_unschedule,
    briefing_withdraw,
    briefings_publish_due,
    deliveries_retry_failed,
    delivery_acknowledge,
    delivery_mark_read,
)
from stakeholders.models import Leg
from tests import factories
from workinggroups.models import Membership

pytestmark = pytest.mark.django_db


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


# --- TLP rules ---------------------------------------------------------------------------------


def test_red_to_a_whole_city_is_refused_in_plain_words(city):
    errors = audience_errors(Audience(tlp=TLP.RED, cities=frozenset({city.pk})))
    assert any("named people only" in error for error in errors)
    assert any("Name at least one recipient" in error for error in errors)


def test_red_to_named_people_is_allowed(city):
    someone = factories.person(city)
    assert audience_errors(Audience(tlp=TLP.RED, people=frozenset({someone.pk}))) == []


def test_amber_strict_needs_organisations_and_refuses_groups(city, group):
    errors = audience_errors(Audience(tlp=TLP.AMBER_STRICT, groups=frozenset({group.pk})))
    assert any("stays within an organisation" in error for error in errors)
    assert any("Choose the organisations" in error for error in errors)


def test_amber_strict_refuses_named_people_outside_the_organisations(city):
    school = factories.organisation(city, "Eastside High")
    outsider = factories.person(city, full_name="Dana Outside")
    errors = audience_errors(
        Audience(
            tlp=TLP.AMBER_STRICT,
            organisations=frozenset({school.pk}),
            people=frozenset({outsider.pk}),
        )
    )
    assert errors == [
        "Not in the chosen organisations, so not allowed under TLP:AMBER+STRICT: Dana Outside."
    ]


def test_only_clear_may_be_shown_to_every_signed_in_user(group):
    for tlp in (TLP.GREEN, TLP.AMBER):
        errors = audience_errors(
            Audience(tlp=tlp, groups=frozenset({group.pk}), shown_to_all_signed_in=True)
        )
        assert any("Only a TLP:CLEAR" in error for error in errors)
    assert audience_errors(Audience(tlp=TLP.CLEAR, shown_to_all_signed_in=True)) == []


def test_an_empty_audience_is_refused():
    assert audience_errors(Audience(tlp=TLP.GREEN)) == [
        "Choose who receives it: cities, working groups, organisations or people."
    ]


def test_legs_alone_do_not_make_an_audience():
    errors = audience_errors(Audience(tlp=TLP.GREEN, legs=frozenset({Leg.LAW_ENFORCEMENT})))
    assert any("Legs and sectors narrow an audience" in error for error in errors)


# --- Who is reached ----------------------------------------------------------------------------


def test_a_city_reaches_its_working_groups_not_its_whole_directory(city, other_city):
    group = factories.group_with_all_legs(city, per_leg=1)
    not_at_the_table = factories.person(city)
    factories.group_with_all_legs(other_city, per_leg=1)
    reached = _ids(audience_people(Audience(tlp=TLP.GREEN, cities=frozenset({city.pk}))))
    assert reached == set(group.memberships.values_list("person_id", flat=True))
    assert not_at_the_table.pk not in reached


def test_former_members_are_not_reached(group):
    leaver = group.memberships.first()
    Membership.objects.filter(pk=leaver.pk).update(ended_on=timezone.localdate())
    reached = _ids(audience_people(Audience(tlp=TLP.GREEN, groups=frozenset({group.pk}))))
    assert leaver.person_id not in reached
    assert len(reached) == group.memberships.count() - 1


def test_legs_narrow_the_scope_and_named_people_are_always_added(city, group, other_city):
    guest = factories.person(other_city)
    audience = Audience(
        tlp=TLP.GREEN,
        groups=frozenset({group.pk}),
        legs=frozenset({Leg.LAW_ENFORCEMENT}),
        people=frozenset({guest.pk}),
    )
    officers = set(
        group.memberships.filter(person__leg=Leg.LAW_ENFORCEMENT).values_list(
            "person_id", flat=True
        )
    )
    assert _ids(audience_people(audience)) == officers | {guest.pk}


def test_someone_in_two_chosen_groups_is_reached_once(city):
    first, second = factories.group(city), factories.group(city)
    both = factories.member(first)
    Membership.objects.create(group=second, person=both)
    people = audience_people(Audience(tlp=TLP.GREEN, groups=frozenset({first.pk, second.pk})))
    assert list(people.values_list("pk", flat=True)) == [both.pk]


# --- Publishing writes the ledger --------------------------------------------------------------


def test_publishing_queues_one_delivery_per_recipient_with_city_and_leg(group, staff_user):
    briefing = factories.briefing(staff_user, tlp=TLP.AMBER, groups=[group])
    queued = briefing_publish(actor=staff_user, briefing_id=briefing.pk)
    members = group.memberships.select_related("person")
    assert queued == members.count()
    rows = {d.person_id: d for d in Delivery.objects.filter(briefing=briefing)}
    for membership in members:
        row = rows[membership.person_id]
        assert (row.status, row.city_id, row.leg) == (
            "queued",
            group.city_id,
            membership.person.leg,
        )
    briefing.refresh_from_db()
    assert briefing.status == "published" and briefing.published_at is not None
    event = AuditEvent.objects.get(action=AuditAction.BRIEFING_PUBLISHED)
    assert event.detail["recipients"] == queued


def test_publishing_twice_queues_nothing_more(group, staff_user):
    briefing = factories.briefing(staff_user, groups=[group])
    first = briefing_publish(actor=staff_user, briefing_id=briefing.pk)
    assert briefing_publish(actor=staff_user, briefing_id=briefing.pk) == 0
    assert Delivery.objects.filter(briefing=briefing).count() == first
    assert AuditEvent.objects.filter(action=AuditAction.BRIEFING_PUBLISHED).count() == 1


def test_publishing_writes_the_ledger_in_a_constant_number_of_queries(city, staff_user):
    def queries_for(per_leg: int) -> int:
        group = factories.group_with_all_legs(city, per_leg=per_leg)
        briefing = factories.briefing(staff_user, groups=[group])
        with CaptureQueriesContext(connection) as captured:
            briefing_publish(actor=staff_user, briefing_id=briefing.pk)
        return len(captured)

    assert queries_for(1) == queries_for(25)


def test_a_red_briefing_to_a_city_is_not_published(city, staff_user):
    briefing = factories.briefing(staff_user, tlp=TLP.RED, cities=[city])
    with pytest.raises(BriefingError) as refused:
        briefing_publish(actor=staff_user, briefing_id=briefing.pk)
    assert "named people only" in str(refused.value)
    briefing.refresh_from_db()
    assert briefing.status == "draft"
    assert not Delivery.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.BRIEFING_PUBLISHED).exists()


def test_a_withdrawn_briefing_cannot_be_published_again(group, staff_user):
    briefing = factories.briefing(staff_user, groups=[group])
    briefing_withdraw(actor=staff_user, briefing_id=briefing.pk, reason="Superseded")
    with pytest.raises(BriefingError):
        briefing_publish(actor=staff_user, briefing_id=briefing.pk)


# --- Scheduling ---------------------------------------------------------------------------------


def test_schedule_refuses_the_past_and_a_disallowed_audience(city, group, staff_user):
    now = timezone.now()
    briefing = factories.briefing(staff_user, groups=[group])
    with pytest.raises(BriefingError, match="in the future"):
        briefing_schedule(actor=staff_user, briefing_id=briefing.pk, publish_at=now)
    red = factories.briefing(staff_user, tlp=TLP.RED, cities=[city])
    with pytest.raises(BriefingError, match="named people only"):
        briefing_schedule(actor=staff_user, briefing_id=red.pk, publish_at=now + timedelta(hours=1))
    assert set(LandscapeBriefing.objects.values_list("status", flat=True)) == {"draft"}


def test_a_due_scheduled_briefing_is_published_once_with_its_ledger(group, staff_user):
    now = timezone.now()
    briefing = factories.briefing(staff_user, groups=[group])
    briefing_schedule(
        actor=staff_user, briefing_id=briefing.pk, publish_at=now + timedelta(minutes=3)
    )
    assert briefings_publish_due(now=now) == 0
    later = now + timedelta(minutes=4)
    assert briefings_publish_due(now=later) == 1
    assert briefings_publish_due(now=later) == 0
    assert Delivery.objects.filter(briefing=briefing).count() == group.memberships.count()


def test_unschedule_goes_back_to_draft(group, staff_user):
    briefing = factories.briefing(staff_user, groups=[group])
    briefing_schedule(
        actor=staff_user,
        briefing_id=briefing.pk,
        publish_at=timezone.now() + timedelta(hours=2),
    )
    briefing_unschedule(actor=staff_user, briefing_id=briefing.pk)
    briefing.refresh_from_db()
    assert (briefing.status, briefing.publish_at) == ("draft", None)


def test_a_scheduled_briefing_whose_audience_became_invalid_goes_back_to_draft(
    city, group, staff_user
):
    now = timezone.now()
    briefing = factories.briefing(staff_user, tlp=TLP.GREEN, groups=[group])
    briefing_schedule(
        actor=staff_user, briefing_id=briefing.pk, publish_at=now + timedelta(minutes=1)
    )
    # Someone remarks it RED behind the form's back (the admin): the beat must not send it.
    LandscapeBriefing.objects.filter(pk=briefing.pk).update(tlp=TLP.RED)
    assert briefings_publish_due(now=now + timedelta(minutes=2)) == 0
    briefing.refresh_from_db()
    assert briefing.status == "draft"
    assert not Delivery.objects.exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.BRIEFING_CHANGED, detail__change="not published: back to draft"
    ).exists()


# --- Withdrawing, retrying, receipts ------------------------------------------------------------


def test_withdrawing_stops_every_delivery_not_yet_sent(group, staff_user):
    briefing = factories.briefing(staff_user, groups=[group])
    briefing_publish(actor=staff_user, briefing_id=briefing.pk)
    sent = Delivery.objects.filter(briefing=briefing).first()
    Delivery.objects.filter(pk=sent.pk).update(status="sent", sent_at=timezone.now())
    with pytest.raises(BriefingError, match="Say why"):
        briefing_withdraw(actor=staff_user, briefing_id=briefing.pk, reason="  ")
    stopped = briefing_withdraw(actor=staff_user, briefing_id=briefing.pk, reason="Facts changed")
    assert stopped == group.memberships.count() - 1
    statuses = set(Delivery.objects.exclude(pk=sent.pk).values_list("status", "last_error"))
    assert statuses == {("skipped", "the briefing was withdrawn")}
    assert Delivery.objects.get(pk=sent.pk).status == "sent"


def test_retry_puts_failed_deliveries_back_in_the_queue_and_is_audited(group, staff_user):
    briefing = factories.briefing(staff_user, groups=[group])
    briefing_publish(actor=staff_user, briefing_id=briefing.pk)
    failed = list(Delivery.objects.filter(briefing=briefing)[:2])
    Delivery.objects.filter(pk__in=[d.pk for d in failed]).update(
        status="failed", attempts=3, last_error="refused"
    )
    assert deliveries_retry_failed(actor=staff_user, briefing_id=briefing.pk) == 2
    retried = Delivery.objects.filter(pk__in=[d.pk for d in failed])
    assert set(retried.values_list("status", "attempts")) == {("queued", 0)}
    assert AuditEvent.objects.get(action=AuditAction.BRIEFING_RETRIED).detail["retried"] == 2


def test_read_is_recorded_once_and_acknowledging_counts_as_read(group, staff_user):
    briefing = factories.briefing(staff_user, groups=[group])
    briefing_publish(actor=staff_user, briefing_id=briefing.pk)
    reader, acknowledger = (m.person_id for m in group.memberships.all()[:2])
    assert delivery_mark_read(briefing=briefing, person_id=reader) is True
    first_read = Delivery.objects.get(briefing=briefing, person_id=reader).read_at
    assert delivery_mark_read(briefing=briefing, person_id=reader) is False
    assert Delivery.objects.get(briefing=briefing, person_id=reader).read_at == first_read
    assert delivery_acknowledge(briefing=briefing, person_id=acknowledger) is True
    row = Delivery.objects.get(briefing=briefing, person_id=acknowledger)
    assert row.acknowledged_at is not None and row.read_at is not None
    assert delivery_mark_read(briefing=briefing, person_id=None) is False
