"""Debian's Chromium driven by Playwright (Python, sync API), for browser journeys.

Never downloads a browser: Playwright is pointed at /usr/bin/chromium (Debian's package,
which .ci/run installs). Tests use pytest-django's `live_server` and carry the `browser`
marker; `-m "not browser"` leaves them out.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

BASE_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = BASE_DIR / "test-artifacts"  # git-ignored
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    # As root in a container there is no user namespace for Chromium's sandbox.
    "--no-sandbox",
    "--disable-gpu",
    # No traffic beyond loopback: no updates, sync, field trials or QUIC probes.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000  # a page of this portal renders in well under a second


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, serving static files as production does.

    pytest-django wraps the server in Django's StaticFilesHandler, which looks files up by
    their source names and so answers 404 for the hashed names that the manifest storage
    puts in every page. Without it, WhiteNoise (in the middleware) serves the collected
    files from STATIC_ROOT, as in production; `make test` runs collectstatic first.
    """
    from pytest_django.live_server_helper import LiveServer

    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address, start=False)
    server.thread.static_handler = _no_static_handler
    server.start()
    yield server
    server.stop()


def _no_static_handler(application):
    return application


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium per test module; each test gets a fresh context in `page`."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's package "
            "(`apt-get install -y chromium`; .ci/run does). Never let Playwright download one."
        )
    # Playwright's sync API runs an asyncio event loop on this thread (in a greenlet) for as
    # long as it is started. Django then sees "a running event loop" and refuses ORM calls
    # from the test (factories, assertions) with SynchronousOnlyOperation, although nothing
    # here is async: the test code and the loop never run at the same time. So the guard is
    # lifted, only while the browser is up, and restored afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # For the same reason Django keeps database connections per context instead of per thread
    # while that loop runs (asgiref's thread-critical Local), so the test would get fresh
    # connection objects, without what pytest-django stored on its own (the serialized
    # rows that serialized_rollback restores). Keep using pytest-django's connections.
    from django.db import connections

    own_connections = {alias: connections[alias] for alias in connections}
    playwright = sync_playwright().start()
    for alias, connection in own_connections.items():
        connections[alias] = connection
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium: Browser, request) -> Iterator[Page]:
    """A fresh browser context and page; a screenshot lands in test-artifacts/ on failure."""
    context = chromium.new_context(locale="en-US", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    browser_page = context.new_page()
    # The session counts failures as each phase is reported, before teardown; a rise means
    # this test (or its set-up) failed. No reporting hook is needed in conftest.
    failures_before = request.session.testsfailed
    yield browser_page
    if request.session.testsfailed > failures_before:
        _save_screenshot(browser_page, request.node.nodeid)
    context.close()


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of `page`, as text, from here on."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors


def sign_in_as(page: Page, user, base_url: str) -> None:
    """Give the browser a signed-in session of user, without going through the form.

    For checks about a signed-in page; the sign-in form itself has its own journey.
    """
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie.value, "url": base_url}]
    )


def _save_screenshot(browser_page: Page, nodeid: str) -> None:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")
    path = ARTIFACTS_DIR / f"{name}.png"
    try:
        browser_page.screenshot(path=str(path), full_page=True)
    except Exception as exc:  # a crashed page must not hide the test's own failure
        print(f"could not save a screenshot to {path}: {exc}")
    else:
        print(f"screenshot of the failed page: {path}")
