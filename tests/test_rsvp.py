"""Answering an invitation: the public RSVP link and the member's home page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stakeholders.invitation_tokens import make_invitation_token
from stakeholders.models import AccountInvitation
from tests import factories
from workinggroups.models import Invitation
from workinggroups.rsvp_tokens import make_rsvp_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(group, member):
    return factories.invite(
        factories.convening(group, title="Launch of the framework"), member.person
    )


def _url(invitation, answer=None):
    url = reverse("rsvp", args=[make_rsvp_token(invitation)])
    return f"{url}?answer={answer}" if answer else url


def test_opening_the_link_only_shows_the_convening_with_the_answer_preselected(client, invitation):
    response = client.get(_url(invitation, "yes"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Launch of the framework" in body
    assert "MST" in body or "MDT" in body
    assert 'value="yes" required id="id_answer_0" checked' in body
    invitation.refresh_from_db()
    assert invitation.response == "pending" and invitation.responded_at is None


def test_posting_records_the_answer_and_it_may_change_until_the_start(client, invitation):
    response = client.post(_url(invitation), {"answer": "yes"}, follow=True)
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.response == "yes" and invitation.responded_at is not None
    assert "your answer" in response.content.decode().lower()
    client.post(_url(invitation), {"answer": "maybe"})
    invitation.refresh_from_db()
    assert invitation.response == "maybe"


def test_an_empty_or_unknown_answer_changes_nothing(client, invitation):
    for data in ({}, {"answer": "perhaps"}):
        response = client.post(_url(invitation), data)
        assert response.status_code == 200
        assert response.context["form"].errors
    invitation.refresh_from_db()
    assert invitation.response == "pending"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "not-a-token",
        lambda token: token.replace(":", "", 1),
    ],
)
def test_forged_or_tampered_links_are_refused_and_change_nothing(client, invitation, mangle):
    url = reverse("rsvp", args=[mangle(make_rsvp_token(invitation))])
    assert client.get(url).status_code == 400
    assert client.post(url, {"answer": "yes"}).status_code == 400
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_a_token_made_for_something_else_is_refused(client, invitation, group):
    other = factories.member(group)
    account = AccountInvitation.objects.create(person=other, email=other.email)
    url = reverse("rsvp", args=[make_invitation_token(account)])
    assert client.post(url, {"answer": "yes"}).status_code == 400


def test_a_link_for_a_deleted_invitation_is_refused(client, invitation):
    url = _url(invitation)
    invitation.delete()
    assert client.get(url).status_code == 400


def test_a_link_opened_while_signed_in_as_someone_else_is_refused(client, invitation, group):
    client.force_login(factories.member_user(group))
    assert client.post(_url(invitation), {"answer": "yes"}).status_code == 400
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_a_cancelled_convening_refuses_answers(client, invitation):
    convening = invitation.convening
    convening.status, convening.cancelled_at = "cancelled", timezone.now()
    convening.save()
    assert client.get(_url(invitation)).status_code == 410
    assert client.post(_url(invitation), {"answer": "yes"}).status_code == 410
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_after_the_start_the_link_shows_the_convening_but_takes_no_answer(client, invitation):
    convening = invitation.convening
    convening.starts_at = timezone.now() - timedelta(minutes=10)
    convening.save()
    response = client.get(_url(invitation))
    assert response.status_code == 200
    assert "until the start" in response.content.decode()
    assert client.post(_url(invitation), {"answer": "no"}).status_code == 410
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_the_link_expires_when_the_convening_ends(client, invitation):
    convening = invitation.convening
    convening.starts_at = timezone.now() - timedelta(hours=3)
    convening.ends_at = timezone.now() - timedelta(hours=1)
    convening.save()
    assert client.get(_url(invitation)).status_code == 410
    assert client.post(_url(invitation), {"answer": "yes"}).status_code == 410


def test_member_answers_from_their_home_page(client, member, invitation):
    client.force_login(member)
    home = client.get(reverse("home")).content.decode()
    assert reverse("convening_answer", args=[invitation.convening_id]) in home
    response = client.post(
        reverse("convening_answer", args=[invitation.convening_id]), {"answer": "no"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    invitation.refresh_from_db()
    assert invitation.response == "no"


def test_a_member_cannot_answer_for_a_convening_they_are_not_invited_to(
    client, member, invitation, group
):
    fellow = factories.member_user(group)
    client.force_login(fellow)
    url = reverse("convening_answer", args=[invitation.convening_id])
    assert client.post(url, {"answer": "yes"}).status_code == 404
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_member_answer_after_the_start_is_refused_with_a_message(client, member, invitation):
    convening = invitation.convening
    convening.starts_at = timezone.now() - timedelta(minutes=5)
    convening.save()
    client.force_login(member)
    response = client.post(
        reverse("convening_answer", args=[convening.pk]), {"answer": "yes"}, follow=True
    )
    assert "until the start" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def _post_queries(client, invitation, answer) -> int:
    url = _url(invitation)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, {"answer": answer})
    assert response.status_code == 302
    return len(captured)


def _full_convening(group, invited: int):
    convening = factories.convening(group, capacity=2)
    people = [factories.person(group.city) for _ in range(invited)]
    invitations = [factories.invite(convening, p) for p in people]
    for seated in invitations[:2]:
        seated.response, seated.responded_at = "yes", timezone.now()
        seated.save()
    waiting = invitations[2]
    waiting.response, waiting.responded_at, waiting.waitlisted_at = (
        "yes",
        timezone.now(),
        timezone.now(),
    )
    waiting.save()
    return invitations


def test_rsvp_post_costs_the_same_queries_with_5_or_50_invitations(client, group):
    small = _full_convening(group, 5)
    large = _full_convening(group, 50)
    # A yes past capacity (waitlisted), then a seated no (promotes the first waiting).
    counts_small = (_post_queries(client, small[3], "yes"), _post_queries(client, small[0], "no"))
    counts_large = (_post_queries(client, large[3], "yes"), _post_queries(client, large[0], "no"))
    assert counts_small == counts_large
    assert Invitation.objects.get(pk=large[2].pk).promoted_at is not None


def test_rsvp_post_stays_within_issue_9s_query_budget(client, group):
    # An answer that neither takes nor frees a seat is one UPDATE (no transaction, no lock).
    # A yes to a convening with a capacity goes the locked way: the UPDATE that did not take
    # it, then a savepoint here (a transaction in production), the convening locked, the
    # invitation read, the seats counted, the invitation written. A seat freed while others
    # wait costs more (promote, plan the promotion's mail): rare, and constant
    # (test_rsvp_post_costs_the_same_queries_with_5_or_50_invitations).
    plain = factories.invite(factories.convening(group), factories.person(group.city))
    full = _full_convening(group, 5)
    counts = [
        _post_queries(client, plain, "yes"),
        _post_queries(client, plain, "no"),
        _post_queries(client, full[3], "yes"),
    ]
    assert counts == [1, 1, 7]


def _answer_queries(client, invitation, answer) -> int:
    url = reverse("convening_answer", args=[invitation.convening_id])
    client.cookies.pop("messages", None)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, {"answer": answer})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    invitation.refresh_from_db()
    assert invitation.response == answer
    return len(captured)


def test_signed_in_answer_is_three_queries_with_few_or_many_invitations(client, group, settings):
    """Issue #9's rsvp: the session, the account (whose coordinator flag the two-factor
    check reads), then one UPDATE."""
    settings.MFA_REQUIRED_FOR_MANAGERS = True  # as in production: the roles are checked
    user = factories.member_user(group)
    few = factories.invite(factories.convening(group), user.person)
    many = factories.invite(factories.convening(group), user.person)
    for _ in range(40):
        factories.invite(many.convening, factories.person(group.city), response="yes")
    client.force_login(user)
    client.get(reverse("home"))  # the session's first visit (the idle timeout writes it)
    counts = [
        _answer_queries(client, invitation, answer)
        for invitation in (few, many)
        for answer in ("yes", "no", "maybe")
    ]
    assert counts == [3] * 6


def test_signed_in_answer_shows_the_answer_and_may_go_back_to_the_convening(client, member, group):
    invitation = factories.invite(factories.convening(group), member.person)
    client.force_login(member)
    url = reverse("convening_answer", args=[invitation.convening_id])
    response = client.post(url, {"answer": "maybe", "back": "detail"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "convening_detail", args=[invitation.convening_id]
    )
    body = response.content.decode()
    assert "your answer to" in body.lower() and "Maybe" in body
    invitation.refresh_from_db()
    assert invitation.response == "maybe" and invitation.responded_at is not None


def test_signed_in_bad_answer_or_same_answer_changes_nothing(client, member, invitation):
    client.force_login(member)
    url = reverse("convening_answer", args=[invitation.convening_id])
    response = client.post(url, {"answer": "perhaps"}, follow=True)
    assert "Choose yes, no or maybe" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.response == "pending"
    client.post(url, {"answer": "yes"})
    invitation.refresh_from_db()
    answered_at = invitation.responded_at
    response = client.post(url, {"answer": "yes"}, follow=True)
    assert "your answer" in response.content.decode().lower()
    invitation.refresh_from_db()
    assert invitation.response == "yes" and invitation.responded_at == answered_at


def test_a_person_invited_outside_their_city_cannot_answer_signed_in(client, group, other_city):
    # Their own city is another: the convening is outside their scope (404), as its page is.
    outsider = factories.user(person=factories.person(other_city))
    invitation = factories.invite(factories.convening(group), outsider.person)
    client.force_login(outsider)
    url = reverse("convening_answer", args=[invitation.convening_id])
    assert client.post(url, {"answer": "yes"}).status_code == 404
    assert client.post(url, {"answer": "perhaps"}).status_code == 404
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_a_coordinator_invited_to_their_city_answers_signed_in(client, group, other_city):
    # A coordinator's own person record may sit in another city: their scope is the city
    # they coordinate, so the answer goes the long way and is taken.
    coordinator = factories.coordinator(group.city)
    coordinator.person = factories.person(other_city)
    coordinator.save()
    invitation = factories.invite(factories.convening(group), coordinator.person)
    client.force_login(coordinator)
    url = reverse("convening_answer", args=[invitation.convening_id])
    assert client.post(url, {"answer": "no"}).status_code == 302
    invitation.refresh_from_db()
    assert invitation.response == "no"


def test_signed_in_answers_keep_capacity_and_the_waitlist(client, group):
    convening = factories.convening(group, capacity=1)
    first, second = factories.member_user(group), factories.member_user(group)
    invitations = [factories.invite(convening, u.person) for u in (first, second)]
    url = reverse("convening_answer", args=[convening.pk])
    for user in (first, second):
        client.force_login(user)
        client.post(url, {"answer": "yes"})
    for invitation in invitations:
        invitation.refresh_from_db()
    assert invitations[0].has_seat and invitations[1].waitlisted_at is not None
    client.force_login(first)
    client.post(url, {"answer": "no"})
    invitations[1].refresh_from_db()
    assert invitations[1].has_seat and invitations[1].promoted_at is not None


def test_a_waiting_yes_who_declines_leaves_the_line_and_promotes_no_one(client, group):
    convening = factories.convening(group, capacity=1)
    seated, waiting = factories.member_user(group), factories.member_user(group)
    invitations = [factories.invite(convening, u.person) for u in (seated, waiting)]
    url = reverse("convening_answer", args=[convening.pk])
    for user in (seated, waiting):
        client.force_login(user)
        client.post(url, {"answer": "yes"})
    client.post(url, {"answer": "maybe"})  # still signed in as the waiting one
    for invitation in invitations:
        invitation.refresh_from_db()
    assert invitations[0].has_seat
    assert invitations[1].response == "maybe" and invitations[1].waitlisted_at is None
    assert invitations[1].promoted_at is None
