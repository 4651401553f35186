"""Browser journeys: Debian's Chromium, driven by Playwright, against the live server."""

import re

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from stakeholders.models import Leg
from tests import factories
from tests.harness.browser import sign_in_as

pytestmark = [
    pytest.mark.browser,
    # live_server is transactional; serialized_rollback brings back the sectors and
    # permissions that migrations seeded, which the flush after each such test removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIGN_IN = re.compile(r"^\s*sign in\s*$", re.IGNORECASE)
LEGS = ["Mayor and council", "City staff", "Community organisations", "Law enforcement"]


# The session and CSRF cookies stay Secure, as in production, although live_server speaks
# plain HTTP: Chromium counts http://localhost as a secure context (W3C Secure Contexts, a
# "potentially trustworthy" origin) and keeps Secure cookies there. Serving the live server
# on an address other than loopback would need SESSION_COOKIE_SECURE/CSRF_COOKIE_SECURE off.


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # allauth counts sign-ins per IP in the cache, the shared Redis in the suite: every run on
    # this machine signs in from 127.0.0.1, so counts would carry over between runs.
    settings.ACCOUNT_RATE_LIMITS = False


@pytest.fixture
def albuquerque_coordinator():
    city = factories.city("Albuquerque", time_zone="America/Denver")
    factories.group_with_all_legs(city)
    return factories.coordinator(city), city


def test_coordinator_signs_in_and_sees_the_four_legs_of_their_city(
    live_server, page, albuquerque_coordinator
):
    coordinator, city = albuquerque_coordinator
    assert sorted(str(leg.label) for leg in Leg) == sorted(LEGS)

    page.goto(f"{live_server.url}/")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    # Matched loosely: the wording of allauth's page is the templates' business.
    expect(page.get_by_role("heading", level=1)).to_have_text(SIGN_IN)
    page.get_by_label("Email").fill(coordinator.email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name=SIGN_IN).click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your city")
    [session_cookie] = [
        cookie
        for cookie in page.context.cookies()
        if cookie["name"] == django_settings.SESSION_COOKIE_NAME
    ]
    assert session_cookie["secure"] and session_cookie["httpOnly"]
    page.get_by_role("link", name=f"{city.name}, {city.state}").click()

    expect(page).to_have_url(f"{live_server.url}/cities/{city.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{city.name}, {city.state}")
    legs = page.get_by_role("region", name="The four legs")
    for leg in LEGS:
        # Each leg is a meter named by its label; the group card repeats them, so look
        # only inside the city's "The four legs" section.
        expect(legs.get_by_role("meter", name=leg, exact=True)).to_be_visible()
    expect(legs.get_by_text("3 members")).to_have_count(4)


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "anonymous"])
def test_home_page_has_no_console_errors_and_starts_with_the_skip_link(
    live_server, page, console_errors, albuquerque_coordinator, signed_in
):
    if signed_in:
        sign_in_as(page, albuquerque_coordinator[0], live_server.url)

    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")

    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_have_attribute("href", "#main")
    assert console_errors == []
