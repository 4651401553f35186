"""Password reset mail travels over real SMTP (aiosmtpd on loopback), through allauth's URLs."""

import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

RESET_LINK = re.compile(r"http://testserver(/accounts/password/reset/key/[0-9a-z]+-[^/\s]+/)")
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # allauth counts reset requests per address in the cache, which in the suite is the shared
    # Redis: counts would carry over between runs (and other people's runs) and turn into 429s.
    settings.ACCOUNT_RATE_LIMITS = False


def request_reset(client, email: str):
    return client.post(reverse("account_reset_password"), {"email": email}, follow=True)


def test_password_reset_sends_one_message_over_smtp_with_a_working_link(client, smtp_server):
    account = factories.user("alice@example.org")

    response = request_reset(client, "alice@example.org")

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("account_reset_password_done")
    [received] = smtp_server.messages
    assert received.rcpt_tos == ("alice@example.org",)
    assert received.message["To"] == "alice@example.org"
    assert received.mail_from == "portal@localhost"
    assert received.subject.startswith("[Prevention portal] ")
    link = RESET_LINK.search(received.text)
    assert link, received.text
    # The link opens the form that sets a new password (allauth moves the key into the
    # session and redirects to a key-less URL first).
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    assert "password1" in form_page.context["form"].fields
    assert form_page.context["form"].user == account


def test_reset_for_an_unknown_address_looks_the_same_as_for_an_account(client, smtp_server):
    factories.user("alice@example.org")
    known = request_reset(client, "alice@example.org")
    client.cookies.clear()
    smtp_server.clear()

    unknown = request_reset(client, "nobody@example.org")

    # The page says nothing about whether the account exists ...
    assert unknown.status_code == known.status_code == 200
    assert unknown.redirect_chain == known.redirect_chain
    assert [t.name for t in unknown.templates] == [t.name for t in known.templates]
    assert _without_csrf(unknown) == _without_csrf(known)
    # ... and only the owner of the address learns it, from allauth's "unknown account" mail
    # (ACCOUNT_PREVENT_ENUMERATION with ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS), which has no reset link.
    [received] = smtp_server.messages
    assert received.rcpt_tos == ("nobody@example.org",)
    assert "Unknown Account" in received.subject
    assert not RESET_LINK.search(received.text)
    # Sign-up is closed, so the mail points to an invitation, not to a sign-up page.
    assert "by invitation" in received.text
    assert "/accounts/signup/" not in received.text


def _without_csrf(response) -> str:
    return CSRF_TOKEN.sub("", response.content.decode())
