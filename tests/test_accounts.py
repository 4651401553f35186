"""Sign-in with allauth: email login, verified addresses only, no open sign-up."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_sign_in_page_uses_the_portal_layout_with_labelled_fields(client):
    body = client.get(reverse("account_login")).content.decode()
    assert 'id="main"' in body  # the portal's own layout, with its landmarks
    assert '<label for="id_login"' in body
    assert '<label for="id_password"' in body


def test_person_signs_in_with_email_and_lands_home(client, coordinator_user):
    response = client.post(
        reverse("account_login"),
        {"login": coordinator_user.email.upper(), "password": factories.TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_is_refused_without_signing_in(client, coordinator_user):
    response = client.post(
        reverse("account_login"), {"login": coordinator_user.email, "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(reverse("home")).status_code == 302


def test_unverified_address_cannot_reach_the_portal(client, coordinator_user):
    EmailAddress.objects.filter(user=coordinator_user).update(verified=False)
    client.post(
        reverse("account_login"),
        {"login": coordinator_user.email, "password": factories.TEST_PASSWORD},
    )
    assert client.get(reverse("home")).status_code == 302


def test_nobody_can_sign_up_on_their_own(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "newcomer@example.org", "password1": "x" * 20, "password2": "x" * 20},
    )
    assert response.status_code == 200
    assert "closed" in response.content.decode().lower()
    assert not EmailAddress.objects.filter(email="newcomer@example.org").exists()
