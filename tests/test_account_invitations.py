"""Account invitations: people join by a signed, expiring, single-use link; no open sign-up."""

import re
import threading
import time
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from stakeholders.invitation_services import (
    InvitationRefused,
    RefusalReason,
    account_invitation_accept,
)
from stakeholders.invitation_tokens import SALT, make_invitation_token
from stakeholders.models import AccountInvitation, User
from tests import factories

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "violet-harbour-lantern-42"
LINK = re.compile(r"http://testserver(/invitations/accept/[^/\s\"<]+/)")


@pytest.fixture
def invitee(group):
    # Mixed case: the account's address is stored lower-cased, the message goes as written.
    return factories.member(group, full_name="Amina Rahman", email="Amina.Rahman@Example.org")


@pytest.fixture
def invite(client, django_capture_on_commit_callbacks):
    """POST one of the inviter's actions as `user`, running the after-commit mail."""

    def post(user, person, action="send"):
        client.force_login(user)
        url = reverse(f"person_invitation_{action}", kwargs={"person_id": person.pk})
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, follow=True)
        client.logout()
        return response

    return post


def link_of(message) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def accept(client, link, password=GOOD_PASSWORD, again=None):
    return client.post(link, {"password1": password, "password2": again or password})


def nothing_changed_since(invitation: AccountInvitation, users: int, events: int) -> bool:
    fresh = AccountInvitation.objects.get(pk=invitation.pk)
    return (
        fresh.accepted_at == invitation.accepted_at
        and fresh.revoked_at == invitation.revoked_at
        and fresh.nonce == invitation.nonce
        and User.objects.count() == users
        and AuditEvent.objects.count() == events
    )


# --- Sending ----------------------------------------------------------------------------------


def test_coordinator_invites_a_person_of_their_city_with_one_message_to_their_address(
    invite, coordinator_user, invitee, mailoutbox, settings
):
    response = invite(coordinator_user, invitee)

    assert response.redirect_chain[-1][0] == reverse(
        "person_invitation", kwargs={"person_id": invitee.pk}
    )
    assert "Invitation sent to Amina Rahman." in response.content.decode()
    [message] = mailoutbox
    assert message.to == ["Amina.Rahman@Example.org"]
    assert message.cc == [] and message.bcc == []
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.subject == (
        "[Prevention portal] You are invited to join Albuquerque's working group"
    )
    assert "The city coordinator invites you to join Albuquerque's working group" in message.body
    assert coordinator_user.email not in message.body
    assert re.search(r"expires on .* M[SD]T\.", message.body)  # in the city's own zone
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert link_of(message) in html
    invitation = AccountInvitation.objects.get(person=invitee)
    assert invitation.is_open and invitation.sent_count == 1
    assert invitation.invited_by == coordinator_user
    sent = AuditEvent.objects.get(action=AuditAction.INVITATION_SENT)
    assert sent.actor == coordinator_user
    assert sent.city == invitee.city
    assert sent.target_id == str(invitee.pk)
    assert sent.detail["invitation"] == invitation.pk


def test_invitation_travels_over_smtp_as_plain_text_with_an_html_alternative(
    invite, client, coordinator_user, invitee, smtp_server
):
    invite(coordinator_user, invitee)

    [received] = smtp_server.messages
    assert received.rcpt_tos == ("Amina.Rahman@Example.org",)
    assert received.message["To"] == "Amina.Rahman@Example.org"
    assert received.message["Cc"] is None
    assert received.subject.startswith("[Prevention portal] You are invited to join")
    assert received.message.get_content_type() == "multipart/alternative"
    html = received.message.get_body(preferencelist=("html",)).get_content()
    link = LINK.search(received.text).group(1)
    assert f'href="http://testserver{link}"' in html
    assert client.get(link).status_code == 200


def test_message_leaves_only_after_the_invitation_is_committed(
    client, coordinator_user, invitee, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(coordinator_user)
    url = reverse("person_invitation_send", kwargs={"person_id": invitee.pk})
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(url)
        assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mailoutbox) == 1


def test_staff_can_invite_a_person_of_any_city(invite, staff_user, other_city, mailoutbox):
    someone = factories.person(other_city)

    invite(staff_user, someone)

    [message] = mailoutbox
    assert message.to == [someone.email]
    assert "Strong Cities Network staff invites you" in message.body
    assert "Stamford's working group" in message.subject


def test_coordinator_of_another_city_gets_404_and_nothing_is_sent(
    client, other_coordinator, invitee, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(other_coordinator)
    page = reverse("person_invitation", kwargs={"person_id": invitee.pk})
    send = reverse("person_invitation_send", kwargs={"person_id": invitee.pk})

    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(page).status_code == 404
        assert client.post(send).status_code == 404

    assert mailoutbox == []
    assert not AccountInvitation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_member_gets_403_for_a_fellow_member_and_404_for_anyone_else(
    client, member, invitee, city, mailoutbox, django_capture_on_commit_callbacks
):
    """Members see the people they sit with (the roster shows them) but manage no one."""
    stranger = factories.person(city)  # same city, in none of the member's groups
    client.force_login(member)

    with django_capture_on_commit_callbacks(execute=True):
        for person, status in ((invitee, 403), (stranger, 404)):
            kwargs = {"person_id": person.pk}
            assert client.get(reverse("person_invitation", kwargs=kwargs)).status_code == status
            for action in ("send", "resend", "revoke"):
                url = reverse(f"person_invitation_{action}", kwargs=kwargs)
                assert client.post(url).status_code == status

    assert mailoutbox == []
    assert not AccountInvitation.objects.exists()


def test_unknown_person_is_404(client, staff_user):
    client.force_login(staff_user)
    url = reverse("person_invitation", kwargs={"person_id": 999_999})
    assert client.get(url).status_code == 404


def test_person_without_an_email_address_cannot_be_invited(
    invite, coordinator_user, group, mailoutbox
):
    no_mail = factories.member(group, full_name="Sam Ortiz", email="")

    response = invite(coordinator_user, no_mail)

    assert "Sam Ortiz has no email address" in response.content.decode()
    assert mailoutbox == []
    assert not AccountInvitation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_sending_again_while_one_is_open_asks_for_a_resend_instead(
    invite, coordinator_user, invitee, mailoutbox
):
    invite(coordinator_user, invitee)

    response = invite(coordinator_user, invitee)

    assert "already has an open invitation" in response.content.decode()
    assert len(mailoutbox) == 1
    assert AccountInvitation.objects.filter(person=invitee).count() == 1


def test_person_with_an_account_is_not_invited(invite, coordinator_user, group, mailoutbox):
    linked = factories.user(person=factories.member(group, full_name="Lee Park"))

    response = invite(coordinator_user, linked.person)

    assert "Lee Park already has an account." in response.content.decode()
    assert mailoutbox == []


def test_inviter_learns_nothing_about_accounts_outside_their_scope(
    invite, coordinator_user, group, mailoutbox
):
    """An address that already has an (unlinked) account is invited exactly like any other."""
    factories.network_staff()  # an unrelated account
    with_account = factories.member(group, full_name="Dana Lee", email="dana@example.org")
    factories.user("dana@example.org")
    without_account = factories.member(group, full_name="Dana Lee", email="dana2@example.org")

    pages = [invite(coordinator_user, person) for person in (with_account, without_account)]

    seen = [
        (page.status_code, [str(m) for m in page.context["messages"]], len(page.redirect_chain))
        for page in pages
    ]
    assert seen[0] == seen[1] == (200, ["Invitation sent to Dana Lee."], 1)
    assert [m.subject for m in mailoutbox] == [mailoutbox[0].subject] * 2
    assert [m.to for m in mailoutbox] == [["dana@example.org"], ["dana2@example.org"]]


def test_invitation_page_shows_the_status_and_the_actions_it_allows(
    client, invite, coordinator_user, invitee
):
    client.force_login(coordinator_user)
    url = reverse("person_invitation", kwargs={"person_id": invitee.pk})
    body = client.get(url).content.decode()
    assert "Not invited yet" in body
    assert reverse("person_invitation_send", kwargs={"person_id": invitee.pk}) in body
    assert reverse("person_invitation_revoke", kwargs={"person_id": invitee.pk}) not in body

    invite(coordinator_user, invitee)
    client.force_login(coordinator_user)
    body = client.get(url).content.decode()
    assert "Waiting for an answer" in body
    assert reverse("person_invitation_resend", kwargs={"person_id": invitee.pk}) in body
    assert reverse("person_invitation_revoke", kwargs={"person_id": invitee.pk}) in body
    assert reverse("person_invitation_send", kwargs={"person_id": invitee.pk}) not in body


def test_changes_need_a_csrf_token(coordinator_user, invitee, mailoutbox):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator_user)
    url = reverse("person_invitation_send", kwargs={"person_id": invitee.pk})

    assert client.post(url).status_code == 403
    assert not AccountInvitation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_message_that_cannot_be_sent_is_reported_to_the_inviter(
    client, coordinator_user, invitee, settings
):
    # A real commit: the message is sent before the view answers, as in production.
    settings.EMAIL_BACKEND = "tests.test_account_invitations.BrokenMailBackend"
    client.force_login(coordinator_user)

    response = client.post(
        reverse("person_invitation_send", kwargs={"person_id": invitee.pk}), follow=True
    )

    assert "the message could not be sent" in response.content.decode()
    assert AccountInvitation.objects.get(person=invitee).is_open


class BrokenMailBackend:
    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages):
        raise OSError("connection refused")


# --- Accepting -------------------------------------------------------------------------------


@pytest.fixture
def link(invite, coordinator_user, invitee, mailoutbox):
    invite(coordinator_user, invitee)
    return link_of(mailoutbox[-1])


def test_opening_the_link_shows_the_form_and_changes_nothing(client, link, invitee):
    invitation = AccountInvitation.objects.get(person=invitee)
    users, events = User.objects.count(), AuditEvent.objects.count()

    response = client.get(link)

    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_password1"' in body
    assert '<label for="id_password2"' in body
    assert 'autocomplete="new-password"' in body
    assert "amina.rahman@example.org" in body
    assert "no-store" in response["Cache-Control"]
    assert nothing_changed_since(invitation, users, events)


def test_weak_password_gives_a_field_error_and_no_account(client, link, invitee):
    invitation = AccountInvitation.objects.get(person=invitee)
    users, events = User.objects.count(), AuditEvent.objects.count()

    response = accept(client, link, password="password")

    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="id_password1_helptext id_password1_error"' in body
    assert nothing_changed_since(invitation, users, events)
    assert SESSION_KEY not in client.session


def test_two_different_passwords_give_a_field_error(client, link, invitee):
    response = accept(client, link, again=GOOD_PASSWORD + "x")

    assert response.context["form"].errors["password2"]
    assert not User.objects.filter(person=invitee).exists()


def test_accepting_makes_an_account_linked_to_the_person_and_signs_in(client, link, invitee):
    response = accept(client, link)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    account = User.objects.get(email="amina.rahman@example.org")
    assert account.person == invitee
    assert account.check_password(GOOD_PASSWORD)
    address = EmailAddress.objects.get(user=account)
    assert (address.email, address.verified, address.primary) == (account.email, True, True)
    assert client.session[SESSION_KEY] == str(account.pk)
    invitation = AccountInvitation.objects.get(person=invitee)
    assert invitation.accepted_at is not None
    accepted = AuditEvent.objects.get(action=AuditAction.INVITATION_ACCEPTED)
    assert accepted.actor == account
    assert accepted.detail == {"invitation": invitation.pk, "account": "created"}
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "Welcome. Your account is ready." in home.content.decode()


def test_the_same_link_again_is_refused_and_changes_nothing(client, link, invitee):
    accept(client, link)
    invitation = AccountInvitation.objects.get(person=invitee)
    users, events = User.objects.count(), AuditEvent.objects.count()
    stranger = Client()

    shown = stranger.get(link)
    posted = accept(stranger, link, password="another-long-password-9")

    assert shown.status_code == posted.status_code == 410
    assert "already been accepted" in shown.content.decode()
    assert nothing_changed_since(invitation, users, events)
    assert User.objects.get(person=invitee).check_password(GOOD_PASSWORD)


def _tampered(link: str) -> list[str]:
    token = link.split("/")[-2]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    return [
        flipped,
        token[:-5],
        "not-a-token",
        "e30:1abcde:xyz",  # an empty JSON object with a made-up signature
        signing.dumps({"i": 1, "n": "x"}, salt="another.salt"),
        signing.dumps([1, "x"], salt=SALT),  # signed by us, wrong shape
        signing.dumps({"i": "1", "n": "x"}, salt=SALT),
        signing.dumps({"i": 999_999, "n": "x"}, salt=SALT),  # unknown invitation
    ]


def test_forged_or_altered_links_are_refused_with_the_same_page(client, link, invitee):
    invitation = AccountInvitation.objects.get(person=invitee)
    users, events = User.objects.count(), AuditEvent.objects.count()

    for token in _tampered(link):
        url = reverse("account_invitation_accept", kwargs={"token": token})
        for response in (client.get(url), accept(client, url)):
            assert response.status_code == 400, token
            assert "This link is not a valid invitation." in response.content.decode()

    assert nothing_changed_since(invitation, users, events)


def test_expired_invitation_is_refused(client, link, invitee):
    AccountInvitation.objects.filter(person=invitee).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    invitation = AccountInvitation.objects.get(person=invitee)
    users, events = User.objects.count(), AuditEvent.objects.count()

    for response in (client.get(link), accept(client, link)):
        assert response.status_code == 410
        assert "The invitation has expired." in response.content.decode()
    assert nothing_changed_since(invitation, users, events)


def test_link_signed_longer_ago_than_an_invitation_lives_is_refused(
    client, invitee, monkeypatch, settings
):
    settings.ACCOUNT_INVITATION_DAYS = 7
    invitation = AccountInvitation.objects.create(person=invitee, email=invitee.email)
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now - 8 * 86_400)
    token = make_invitation_token(invitation)
    monkeypatch.undo()

    response = client.get(reverse("account_invitation_accept", kwargs={"token": token}))

    assert response.status_code == 410
    assert "The invitation has expired." in response.content.decode()


def test_after_a_resend_the_old_link_is_refused_and_the_new_one_works(
    client, invite, coordinator_user, invitee, link, mailoutbox
):
    invite(coordinator_user, invitee, "resend")
    assert len(mailoutbox) == 2
    new_link = link_of(mailoutbox[-1])
    assert new_link != link
    assert mailoutbox[-1].to == [invitee.email]
    assert "only this link works now" in mailoutbox[-1].body

    old = client.get(link)
    assert old.status_code == 410
    assert "A newer invitation was sent" in old.content.decode()
    assert accept(client, link).status_code == 410
    assert not User.objects.filter(person=invitee).exists()

    assert accept(client, new_link).status_code == 302
    assert User.objects.get(person=invitee)
    invitation = AccountInvitation.objects.get(person=invitee)
    assert invitation.sent_count == 2
    resent = AuditEvent.objects.get(action=AuditAction.INVITATION_RESENT)
    assert resent.actor == coordinator_user
    assert resent.detail["sent_count"] == 2


def test_revoked_invitation_is_refused(client, invite, coordinator_user, invitee, link):
    response = invite(coordinator_user, invitee, "revoke")
    assert "is revoked" in response.content.decode()
    invitation = AccountInvitation.objects.get(person=invitee)
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_REVOKED).count() == 1
    users, events = User.objects.count(), AuditEvent.objects.count()

    for response in (client.get(link), accept(client, link)):
        assert response.status_code == 410
        assert "withdrawn" in response.content.decode()
    assert nothing_changed_since(invitation, users, events)


def test_person_can_be_invited_again_after_a_revocation(
    invite, coordinator_user, invitee, link, mailoutbox
):
    invite(coordinator_user, invitee, "revoke")
    invite(coordinator_user, invitee, "send")

    assert len(mailoutbox) == 2
    assert AccountInvitation.objects.filter(person=invitee).count() == 2


def test_link_is_refused_once_the_persons_address_has_changed(client, link, invitee):
    invitee.email = "amina@elsewhere.example"
    invitee.save()

    assert client.get(link).status_code == 410
    assert accept(client, link).status_code == 410
    assert not User.objects.filter(person=invitee).exists()


def test_accepting_while_signed_in_as_someone_else_is_refused(
    client, link, invitee, coordinator_user
):
    invitation = AccountInvitation.objects.get(person=invitee)
    users, events = User.objects.count(), AuditEvent.objects.count()
    client.force_login(coordinator_user)

    for response in (client.get(link), accept(client, link)):
        assert response.status_code == 400
        assert "You are signed in with another account" in response.content.decode()
    assert nothing_changed_since(invitation, users, events)
    assert client.session[SESSION_KEY] == str(coordinator_user.pk)


def test_signed_in_visitor_can_sign_out_and_come_back_to_the_invitation(
    client, link, coordinator_user
):
    client.force_login(coordinator_user)
    refused = client.get(link).content.decode()
    assert f'name="next" value="{link}"' in refused

    response = client.post(reverse("account_logout"), {"next": link})

    assert response.status_code == 302
    assert response["Location"] == link
    assert client.get(link).status_code == 200


def test_owner_of_the_address_signed_in_links_their_account_and_stays_signed_in(
    client, link, invitee
):
    existing = factories.user("amina.rahman@example.org")
    client.force_login(existing)

    response = client.post(link)

    assert response["Location"] == reverse("home")
    existing.refresh_from_db()
    assert existing.person == invitee
    assert client.session[SESSION_KEY] == str(existing.pk)


def test_existing_account_with_the_address_is_linked_not_duplicated(client, link, invitee):
    """E.g. network staff who are also a person of a city: one account, linked, and its
    password (and any second factor) untouched, so the link does not sign anyone in."""
    existing = factories.user("amina.rahman@example.org", is_network_staff=True)

    page = client.get(link)
    assert page.status_code == 200
    assert "already has an account" in page.content.decode()
    assert "password1" not in page.content.decode()

    response = client.post(link)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert User.objects.filter(email__iexact=invitee.email).count() == 1
    existing.refresh_from_db()
    assert existing.person == invitee
    assert existing.check_password(factories.TEST_PASSWORD)
    assert SESSION_KEY not in client.session
    assert AccountInvitation.objects.get(person=invitee).accepted_at is not None
    accepted = AuditEvent.objects.get(action=AuditAction.INVITATION_ACCEPTED)
    assert accepted.detail["account"] == "linked"


def test_existing_account_of_another_person_is_not_taken_over(client, link, invitee, group):
    other_person = factories.member(group)
    factories.user("amina.rahman@example.org", person=other_person)

    assert client.get(link).status_code == 400
    assert client.post(link).status_code == 400
    assert not User.objects.filter(person=invitee).exists()


def _request():
    request = RequestFactory().post("/invitations/accept/x/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    return request


@pytest.mark.django_db(transaction=True)
def test_two_tabs_accepting_at_once_create_exactly_one_account(city):
    person = factories.person(city, email="twotabs@example.org")
    invitation = AccountInvitation.objects.create(person=person, email=person.email)
    token = make_invitation_token(invitation)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def tab():
        try:
            start.wait(timeout=10)
            outcomes.append(
                account_invitation_accept(token=token, password=GOOD_PASSWORD, request=_request())
            )
        except InvitationRefused as refusal:
            outcomes.append(refusal.reason)
        finally:
            connection.close()

    tabs = [threading.Thread(target=tab) for _ in range(2)]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join(timeout=30)

    assert len(outcomes) == 2
    assert RefusalReason.USED in outcomes
    assert User.objects.filter(email="twotabs@example.org").count() == 1
    assert EmailAddress.objects.filter(email="twotabs@example.org").count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_ACCEPTED).count() == 1
