import time

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_idle_session_is_signed_out_and_sent_to_sign_in(client, staff_user, settings):
    client.force_login(staff_user)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session["portal_last_seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 1
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.get(reverse("home")).status_code == 302  # really signed out


def test_active_session_stays_signed_in(client, staff_user, settings):
    client.force_login(staff_user)
    client.get(reverse("home"))
    session = client.session
    session["portal_last_seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS + 60
    session.save()
    assert client.get(reverse("home")).status_code == 200
