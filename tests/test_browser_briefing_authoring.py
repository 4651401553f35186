"""Browser journey: the terminology check answers as a briefing author types (htmx)."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.harness.browser import sign_in_as

pytestmark = [
    pytest.mark.browser,
    # live_server is transactional; serialized_rollback restores the migrated rows.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_author_types_threat_briefing_and_sees_landscape_briefing_suggested(
    live_server, page, console_errors
):
    author = factories.briefing_author()
    sign_in_as(page, author, live_server.url)
    page.goto(f"{live_server.url}/briefings/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Write a landscape briefing")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    page.get_by_label("Body").press_sequentially("Our monthly threat briefing", delay=20)

    region = page.locator("#terminology")
    expect(region).to_have_attribute("aria-live", "polite")
    expect(region).to_contain_text("consider “landscape briefing”")
    assert page.evaluate("window.__sameDocument") is True
    assert console_errors == []
