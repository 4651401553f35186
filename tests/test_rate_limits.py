"""allauth's rate limits, counted in the shared cache (Redis), stop password guessing."""

import uuid

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_repeated_failed_sign_ins_are_refused_for_a_while(client, settings):
    # A fresh address and client address, so counts from other tests or runs don't interfere.
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,3/5m/key"}
    account = factories.user(email=f"guess-{uuid.uuid4().hex[:8]}@example.org")
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"

    def sign_in(password):
        return client.post(
            reverse("account_login"),
            {"login": account.email, "password": password},
            REMOTE_ADDR=address,
        )

    for _ in range(3):
        assert "Too many failed" not in sign_in("wrong-password").content.decode()
    assert "Too many failed" in sign_in("wrong-password").content.decode()
    # Even the right password is refused until the window passes.
    right = sign_in(factories.TEST_PASSWORD)
    assert right.status_code == 200
    assert "Too many failed" in right.content.decode()
    assert client.get(reverse("home")).status_code == 302
