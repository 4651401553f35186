"""Reading landscape briefings: who may open a briefing link, the inbox, read receipts
recorded by opening the page (no pixels) and explicit acknowledgements."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from briefings.models import TLP, BriefingAttachment, Delivery
from briefings.permissions import NOT_IN_AUDIENCE
from briefings.services import briefing_publish, briefing_withdraw
from stakeholders.models import LocalMoment
from tests import factories
from tests.querycount import page_queries

pytestmark = pytest.mark.django_db

BODY = "## What we see\n\nA rise in **coordinated harassment** ahead of the election."


def _published(author, *, when=None, **audience):
    audience.setdefault("body_markdown", BODY)
    briefing = factories.briefing(author, **audience)
    briefing_publish(actor=author, briefing_id=briefing.pk, now=when)
    briefing.refresh_from_db()
    return briefing


def _read_url(briefing) -> str:
    return reverse("briefing_read", kwargs={"briefing_id": briefing.pk})


def _delivery(briefing, user) -> Delivery:
    return Delivery.objects.get(briefing=briefing, person_id=user.person_id)


# --- Who may open a briefing link ----------------------------------------------------------


def test_a_briefing_link_opened_by_someone_outside_the_audience_is_not_found(
    client, group, staff_user
):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    outsider = factories.user()  # signed in, no person record, no role
    client.force_login(outsider)
    assert client.get(_read_url(briefing)).status_code == 404


def test_a_member_of_another_city_gets_not_found(client, group, other_city, staff_user):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    elsewhere = factories.member_user(factories.group(other_city))
    client.force_login(elsewhere)
    assert client.get(_read_url(briefing)).status_code == 404


def test_an_amber_briefing_is_readable_by_its_recipients_only(
    client, city, group, member, staff_user, coordinator_user
):
    briefing = _published(staff_user, tlp=TLP.AMBER, groups=[group])
    client.force_login(member)
    response = client.get(_read_url(briefing))
    assert response.status_code == 200
    html = response.content.decode()
    assert "TLP:AMBER" in html
    assert "<strong>coordinated harassment</strong>" in html
    # Same city, not in the group: not a recipient.
    neighbour = factories.user(person=factories.person(city))
    client.force_login(neighbour)
    assert client.get(_read_url(briefing)).status_code == 404
    # The city's coordinator manages the people but is not a recipient of the briefing.
    client.force_login(coordinator_user)
    assert client.get(_read_url(briefing)).status_code == 404


def test_a_clear_briefing_shown_to_all_is_readable_by_any_signed_in_user(
    client, city, other_city, staff_user
):
    named = factories.person(city)
    briefing = _published(staff_user, tlp=TLP.CLEAR, people=[named], shown_to_all_signed_in=True)
    stranger = factories.member_user(factories.group(other_city))
    client.force_login(stranger)
    response = client.get(_read_url(briefing))
    assert response.status_code == 200
    assert "coordinated harassment" in response.content.decode()
    # Not a recipient: nothing to record, and no acknowledge button.
    assert not Delivery.objects.filter(person=stranger.person).exists()
    assert reverse("briefing_acknowledge", args=[briefing.pk]) not in response.content.decode()
    inbox = client.get(reverse("briefing_inbox")).content.decode()
    assert briefing.title in inbox and "Open to every signed-in user" in inbox


def test_a_clear_briefing_not_shown_to_all_stays_with_its_recipients(
    client, city, other_city, staff_user
):
    briefing = _published(staff_user, tlp=TLP.CLEAR, people=[factories.person(city)])
    client.force_login(factories.member_user(factories.group(other_city)))
    assert client.get(_read_url(briefing)).status_code == 404


def test_a_draft_is_not_found_for_readers_but_open_to_authors(client, group, member, staff_user):
    draft = factories.briefing(staff_user, tlp=TLP.GREEN, groups=[group])
    client.force_login(member)
    assert client.get(_read_url(draft)).status_code == 404
    client.force_login(factories.briefing_author())
    response = client.get(_read_url(draft))
    assert response.status_code == 200
    assert "not published yet" in response.content.decode()


def test_someone_no_longer_in_the_audience_loses_the_briefing(client, group, member, staff_user):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    Delivery.objects.filter(briefing=briefing, person=member.person).update(
        status=Delivery.Status.SKIPPED, last_error=NOT_IN_AUDIENCE
    )
    client.force_login(member)
    assert client.get(_read_url(briefing)).status_code == 404
    assert briefing.title not in client.get(reverse("briefing_inbox")).content.decode()


def test_a_withdrawn_briefing_shows_the_notice_not_the_body(client, group, member, staff_user):
    briefing = _published(staff_user, tlp=TLP.AMBER, groups=[group])
    briefing_withdraw(
        actor=staff_user, briefing_id=briefing.pk, reason="Sources could not be confirmed."
    )
    client.force_login(member)
    response = client.get(_read_url(briefing))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This briefing was withdrawn" in html
    assert "Sources could not be confirmed." in html
    assert "coordinated harassment" not in html
    assert briefing.summary not in html
    # Opening the notice is not reading the briefing.
    assert _delivery(briefing, member).read_at is None
    # The author still sees what was withdrawn.
    client.force_login(staff_user)
    assert "coordinated harassment" in client.get(_read_url(briefing)).content.decode()


# --- Read receipts -------------------------------------------------------------------------


def test_opening_the_briefing_records_read_on_the_first_open_only(
    client, group, member, staff_user
):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    client.force_login(member)
    assert _delivery(briefing, member).read_at is None
    client.get(_read_url(briefing))
    first = _delivery(briefing, member).read_at
    assert first is not None
    client.get(_read_url(briefing))
    assert _delivery(briefing, member).read_at == first
    # Only the reader's own row changed.
    assert Delivery.objects.filter(briefing=briefing, read_at__isnull=False).count() == 1


def test_an_author_previewing_records_nobody_as_read(client, group, staff_user):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    client.force_login(staff_user)
    assert client.get(_read_url(briefing)).status_code == 200
    assert not Delivery.objects.filter(briefing=briefing, read_at__isnull=False).exists()


def test_a_recipient_acknowledges_explicitly(client, group, member, staff_user):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    client.force_login(member)
    url = reverse("briefing_acknowledge", args=[briefing.pk])
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == _read_url(briefing)
    row = _delivery(briefing, member)
    assert row.acknowledged_at is not None and row.read_at is not None
    assert "You acknowledged this briefing" in response.content.decode()
    # A second click changes nothing.
    client.post(url)
    assert _delivery(briefing, member).acknowledged_at == row.acknowledged_at


def test_acknowledging_needs_a_delivery_of_ones_own(client, city, other_city, staff_user):
    briefing = _published(
        staff_user, tlp=TLP.CLEAR, people=[factories.person(city)], shown_to_all_signed_in=True
    )
    client.force_login(factories.member_user(factories.group(other_city)))
    url = reverse("briefing_acknowledge", args=[briefing.pk])
    assert client.post(url).status_code == 403
    client.force_login(factories.user())
    assert client.post(_read_url(briefing)).status_code == 405


def test_a_withdrawn_briefing_cannot_be_acknowledged(client, group, member, staff_user):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    briefing_withdraw(actor=staff_user, briefing_id=briefing.pk, reason="Outdated.")
    client.force_login(member)
    client.post(reverse("briefing_acknowledge", args=[briefing.pk]))
    assert _delivery(briefing, member).acknowledged_at is None


# --- The page itself -----------------------------------------------------------------------


def test_the_page_is_neither_cached_nor_indexed_and_shows_the_marking(
    client, group, member, staff_user
):
    election = LocalMoment.objects.create(
        city=group.city, title="Municipal election", kind="election", starts_on="2026-11-03"
    )
    briefing = factories.briefing(
        staff_user, tlp=TLP.AMBER, groups=[group], review_by=timezone.localdate()
    )
    briefing.local_moments.add(election)
    briefing_publish(actor=staff_user, briefing_id=briefing.pk)
    client.force_login(member)
    response = client.get(_read_url(briefing))
    html = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex' in html
    assert "tlp-banner" in html and "TLP:AMBER" in html
    assert "Municipal election" in html
    assert "Review by" in html
    # Published time in the reader's city's zone, with its abbreviation.
    assert " MST" in html or " MDT" in html


def test_the_body_is_sanitised(client, group, member, staff_user):
    briefing = _published(
        staff_user,
        tlp=TLP.GREEN,
        groups=[group],
        body_markdown="Hello <script>alert(1)</script> [x](javascript:alert(2))",
    )
    client.force_login(member)
    html = client.get(_read_url(briefing)).content.decode()
    assert "<script>alert(1)" not in html
    assert "javascript:alert" not in html


# --- The inbox -----------------------------------------------------------------------------


def test_the_inbox_lists_own_and_open_briefings_newest_first_with_unread_marked(
    client, city, group, member, staff_user, other_city
):
    now = timezone.now()
    older = _published(staff_user, tlp=TLP.GREEN, groups=[group], when=now - timedelta(days=3))
    newer = _published(staff_user, tlp=TLP.AMBER, groups=[group], when=now - timedelta(days=1))
    open_clear = _published(
        staff_user,
        tlp=TLP.CLEAR,
        people=[factories.person(other_city)],
        shown_to_all_signed_in=True,
        when=now - timedelta(days=2),
    )
    not_mine = _published(
        staff_user, tlp=TLP.GREEN, groups=[factories.group_with_all_legs(other_city, 1)]
    )
    draft = factories.briefing(staff_user, groups=[group])
    client.force_login(member)
    client.get(_read_url(older))
    response = client.get(reverse("briefing_inbox"))
    html = response.content.decode()
    titles = [b.title for b in response.context["page"].object_list]
    assert titles == [newer.title, open_clear.title, older.title]
    assert not_mine.title not in html and draft.title not in html
    rows = {b.pk: b for b in response.context["page"].object_list}
    assert rows[newer.pk].is_recipient and rows[newer.pk].my_read_at is None
    assert rows[older.pk].my_read_at is not None
    assert html.count("Unread") == 1
    assert response["Cache-Control"] == "no-store"


def test_the_inbox_shows_withdrawn_briefings_as_withdrawn_without_summary(
    client, group, member, staff_user
):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group], summary="Secret summary")
    briefing_withdraw(actor=staff_user, briefing_id=briefing.pk, reason="Outdated.")
    client.force_login(member)
    html = client.get(reverse("briefing_inbox")).content.decode()
    assert briefing.title in html and "Withdrawn" in html
    assert "Secret summary" not in html


def test_authors_find_the_management_list_from_the_inbox(client, member):
    client.force_login(factories.briefing_author())
    html = client.get(reverse("briefing_inbox")).content.decode()
    assert reverse("briefing_list") in html
    client.force_login(member)
    assert reverse("briefing_list") not in client.get(reverse("briefing_inbox")).content.decode()


def test_the_inbox_query_count_does_not_grow_with_briefings(client, group, member, staff_user):
    client.force_login(member)
    _published(staff_user, tlp=TLP.GREEN, groups=[group])
    url = reverse("briefing_inbox")
    with_one = page_queries(client, url)
    for _ in range(24):
        _published(staff_user, tlp=TLP.GREEN, groups=[group])
    assert page_queries(client, url) == with_one
    assert len(client.get(url).context["page"].object_list) == 20
    assert client.get(url + "?page=2").status_code == 200


def test_the_read_page_query_count_does_not_grow_with_attachments_or_moments(
    client, group, member, staff_user
):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])

    def add_one(n):
        BriefingAttachment.objects.create(
            briefing=briefing,
            file=f"briefings/{briefing.pk}/{n}.pdf",
            original_name=f"annex-{n}.pdf",
            size_bytes=100,
            sha256="0" * 64,
        )
        briefing.local_moments.add(
            LocalMoment.objects.create(
                city=group.city, title=f"Moment {n}", kind="other", starts_on="2026-09-01"
            )
        )

    add_one(0)
    client.force_login(member)
    url = _read_url(briefing)
    small = page_queries(client, url)
    for n in range(1, 15):
        add_one(n)
    assert page_queries(client, url) == small
