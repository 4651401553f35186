"""Browser journey: an account invitation, from the inviter's click to the invitee's first
sign-in, and the two-factor enrolment their later coordinator role asks for.

Everything between the two browsers is real: network staff sign in with a password and an
authenticator code, the invitation travels over SMTP (aiosmtpd on loopback), the invitee
opens its link in a browser of their own, and enrols an authenticator from the secret that
allauth's activation page shows.
"""

import re
import time
from collections.abc import Iterator

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from playwright.sync_api import Browser, Page, expect

from audit.models import AuditAction, AuditEvent
from stakeholders.models import User
from tests import factories
from tests.harness.browser import TIMEOUT_MS, _save_screenshot

pytestmark = [
    pytest.mark.browser,
    # live_server is transactional; serialized_rollback brings back the sectors and
    # permissions that migrations seeded, which the flush after each such test removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

INVITEE_NAME = "Dana Whitfield"
INVITEE_EMAIL = "dana.whitfield@example.org"
INVITEE_PASSWORD = "quiet-harbour-lantern-58"
LEGS = ["Mayor and council", "City staff", "Community organisations", "Law enforcement"]
ACCEPT_LINK = re.compile(r"https?://[^\s\"'<>]+/invitations/accept/[^/\s\"'<>]+/")


@pytest.fixture(autouse=True)
def _journey_settings(settings):
    # allauth counts sign-ins per IP in the cache, the shared Redis in the suite: every run on
    # this machine signs in from 127.0.0.1, so counts would carry over between runs.
    settings.ACCOUNT_RATE_LIMITS = False
    # As in production (conftest switches it off for most tests).
    settings.MFA_REQUIRED_FOR_MANAGERS = True


@pytest.fixture
def invitee_page(chromium: Browser, request) -> Iterator[Page]:
    """A second browser, the invitee's own: no cookie of the inviter's session.

    Made like the harness's `page` (which the inviter uses), screenshot on failure included.
    """
    context = chromium.new_context(locale="en-US", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    invitee = context.new_page()
    failures_before = request.session.testsfailed
    yield invitee
    if request.session.testsfailed > failures_before:
        _save_screenshot(invitee, f"{request.node.nodeid}-invitee")
    context.close()


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now for secret.

    allauth accepts only the current period's code (no tolerance): near the end of a period,
    wait for the next one rather than race the server's clock.
    """
    period = mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 2:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def test_invited_person_accepts_by_mail_signs_in_and_enrols_two_factor_once_coordinator(
    live_server, page, invitee_page, smtp_server
):
    # --- Set-up: a city with a working group, enrolled network staff, a person to invite.
    city = factories.city("Albuquerque", time_zone="America/Denver")
    group = factories.group_with_all_legs(city)
    staff = factories.network_staff()
    staff_secret = generate_totp_secret()
    TOTP.activate(staff, staff_secret)
    person = factories.member(group, full_name=INVITEE_NAME, email=INVITEE_EMAIL)
    assert not User.objects.filter(person=person).exists()
    home = f"{live_server.url}/"

    # --- Staff sign in with password and authenticator code, and send the invitation.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    page.get_by_label("Code").fill(totp_code(staff_secret))
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page).to_have_url(home)
    expect(page.get_by_role("heading", level=1)).to_have_text("All pilot cities")

    page.goto(f"{live_server.url}/people/{person.pk}/invitation/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Account invitation: {INVITEE_NAME}")
    page.get_by_role("button", name=f"Send an invitation to {INVITEE_EMAIL}").click()
    expect(page).to_have_url(f"{live_server.url}/people/{person.pk}/invitation/")
    expect(page.get_by_role("status")).to_have_text(f"Invitation sent to {INVITEE_NAME}.")
    expect(page.get_by_text("Waiting for an answer")).to_be_visible()

    # --- One message, to the person's address only, with the link in both parts.
    [received] = smtp_server.wait_for(1)
    assert len(smtp_server.messages) == 1
    assert received.rcpt_tos == (INVITEE_EMAIL,)
    assert received.message["To"] == INVITEE_EMAIL
    assert received.message["Cc"] is None
    assert received.subject == (
        "[Prevention portal] You are invited to join Albuquerque's working group"
    )
    html_part = received.message.get_body(preferencelist=("html",))
    assert html_part is not None and html_part.get_content_type() == "text/html"
    found = ACCEPT_LINK.search(received.text)
    assert found, received.text
    link = found.group(0)
    assert link.startswith(f"{live_server.url}/invitations/accept/")
    assert f'href="{link}"' in html_part.get_content()

    # --- The invitee opens the link in their own browser and chooses a password.
    invitee = invitee_page
    invitee.goto(link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Accept your invitation")
    expect(invitee.get_by_label("You will sign in with this address")).to_have_value(INVITEE_EMAIL)
    invitee.get_by_label("Choose a password").fill(INVITEE_PASSWORD)
    invitee.get_by_label("Type the same password again").fill(INVITEE_PASSWORD)
    invitee.get_by_role("button", name="Create my account").click()

    # Signed in, as a member: no two-factor enrolment asked of them.
    expect(invitee).to_have_url(home)
    expect(invitee.get_by_role("status")).to_have_text("Welcome. Your account is ready.")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Your upcoming convenings")
    expect(invitee.get_by_role("banner")).to_contain_text(f"{INVITEE_NAME} Member")
    account = User.objects.get(person=person)
    assert account.email == INVITEE_EMAIL

    # --- Staff make the new account coordinator of Albuquerque on the roles page.
    page.goto(f"{live_server.url}/roles/")
    page.get_by_label(f"City for {INVITEE_EMAIL} to coordinate").select_option(label="Albuquerque")
    invitee_row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=INVITEE_EMAIL)
    )
    invitee_row.get_by_role("button", name="Grant", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(f"{INVITEE_EMAIL} now coordinates Albuquerque.")
    expect(
        invitee_row.get_by_role("button", name=f"Stop {INVITEE_EMAIL} coordinating Albuquerque")
    ).to_be_visible()

    # --- The invitee's next page asks for two-factor sign-in: password again, then enrol.
    invitee.reload()
    expect(invitee).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    expect(invitee.get_by_role("status")).to_contain_text("needs two-factor sign-in")
    invitee.get_by_label("Password").fill(INVITEE_PASSWORD)
    invitee.get_by_role("button", name="Confirm").click()

    expect(invitee).to_have_url(f"{live_server.url}/accounts/2fa/totp/activate/")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    secret = invitee.get_by_label("Authenticator secret").input_value()
    invitee.get_by_label("Authenticator code").fill(totp_code(secret))
    invitee.get_by_role("button", name="Activate").click()
    # allauth then shows the recovery codes it made along with the authenticator.
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Recovery Codes")

    # --- Now a coordinator with two-factor sign-in: their city and its four legs.
    invitee.get_by_role("navigation", name="Main").get_by_role("link", name="My city").click()
    expect(invitee).to_have_url(home)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Your city")
    expect(invitee.get_by_role("banner")).to_contain_text(f"{INVITEE_NAME} City coordinator")
    invitee.get_by_role("link", name=f"{city.name}, {city.state}").click()
    expect(invitee).to_have_url(f"{live_server.url}/cities/{city.slug}/")
    legs = invitee.get_by_role("region", name="The four legs")
    for leg in LEGS:
        expect(legs.get_by_role("meter", name=leg, exact=True)).to_be_visible()

    # --- The audit log holds each step, by whom and about whom.
    events = AuditEvent.objects.filter(
        action__in=[
            AuditAction.INVITATION_SENT,
            AuditAction.INVITATION_ACCEPTED,
            AuditAction.ROLE_GRANTED,
        ]
    ).order_by("created_at", "pk")
    assert [
        (event.action, event.actor_id, event.target_type, event.target_id, event.city_id)
        for event in events
    ] == [
        (AuditAction.INVITATION_SENT, staff.pk, "stakeholders.person", str(person.pk), city.pk),
        (
            AuditAction.INVITATION_ACCEPTED,
            account.pk,
            "stakeholders.person",
            str(person.pk),
            city.pk,
        ),
        (AuditAction.ROLE_GRANTED, staff.pk, "stakeholders.user", str(account.pk), city.pk),
    ]
