import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_signed_in_pages_are_not_stored_by_browsers_or_proxies(client, coordinator_user, city):
    client.force_login(coordinator_user)
    response = client.get(reverse("city_detail", args=[city.slug]))
    assert response["Cache-Control"] == "no-store"


def test_disabling_an_account_ends_all_its_sessions(
    coordinator_user, city, django_capture_on_commit_callbacks
):
    from allauth.usersessions.models import UserSession

    browsers = [Client(), Client()]
    for browser in browsers:
        browser.post(
            reverse("account_login"),
            {"login": coordinator_user.email, "password": "a-long-test-password-1"},
        )
        assert browser.get(reverse("home")).status_code == 200
    assert UserSession.objects.filter(user=coordinator_user).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        coordinator_user.is_active = False
        coordinator_user.save()

    for browser in browsers:
        assert browser.get(reverse("home")).status_code == 302
    assert not UserSession.objects.filter(user=coordinator_user).exists()
