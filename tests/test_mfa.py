"""Two-factor sign-in is required of network staff and coordinators, optional for members."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    settings.MFA_REQUIRED_FOR_MANAGERS = True


def _enrol(user) -> None:
    # A TOTP authenticator row is what allauth checks; its secret is not under test here.
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})


@pytest.mark.parametrize("who", ["staff_user", "coordinator_user"])
def test_manager_without_mfa_is_sent_to_enrol_before_any_page(client, request, who, city):
    user = request.getfixturevalue(who)
    client.force_login(user)
    for url in [reverse("home"), reverse("city_detail", args=[city.slug]), reverse("admin:index")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp")


def test_manager_signing_in_is_led_to_enrolment_and_can_sign_out(client, coordinator_user):
    response = client.post(
        reverse("account_login"),
        {"login": coordinator_user.email, "password": factories.TEST_PASSWORD},
        follow=True,
    )
    visited = [url for url, _ in response.redirect_chain]
    assert reverse("mfa_activate_totp") in visited
    # allauth asks for the password again before an authenticator is added.
    assert visited[-1].startswith(reverse("account_reauthenticate"))
    assert response.status_code == 200
    assert "two-factor" in response.content.decode()
    assert client.post(reverse("account_logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302
    assert client.post(reverse("account_logout")).status_code == 302


def test_manager_with_mfa_reaches_the_pages(client, coordinator_user, city):
    _enrol(coordinator_user)
    client.force_login(coordinator_user)
    assert client.get(reverse("city_detail", args=[city.slug])).status_code == 200


def test_member_without_mfa_reaches_their_pages(client, member):
    client.force_login(member)
    assert client.get(reverse("home")).status_code == 200


def test_the_requirement_can_be_switched_off_for_the_demo(client, coordinator_user, settings):
    settings.MFA_REQUIRED_FOR_MANAGERS = False
    client.force_login(coordinator_user)
    assert client.get(reverse("home")).status_code == 200


def test_passkeys_are_offered_at_sign_in_and_can_be_added(client, member):
    login_page = client.get(reverse("account_login")).content.decode()
    assert 'id="passkey_login"' in login_page
    assert 'src="/static/mfa/js/webauthn.' in login_page  # served by the portal, no CDN
    client.force_login(member)
    response = client.get(reverse("mfa_index"))
    assert response.status_code == 200
    assert reverse("mfa_add_webauthn") in response.content.decode()


def test_a_member_made_coordinator_must_enrol_on_their_next_request(client, member, city):
    from stakeholders.roles import grant_coordinator

    client.force_login(member)
    assert client.get(reverse("home")).status_code == 200
    grant_coordinator(city=city, user=member)  # in another request: the admin's
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_the_check_asks_nothing_of_a_members_roles(rf, member, django_assert_num_queries):
    """The two-factor check reads the coordinator flag from the account row the request has
    already loaded: no query on each of a member's requests."""
    from django.http import HttpResponse

    from stakeholders.middleware import ManagerMfaMiddleware

    request = rf.get(reverse("home"))
    request.user, request.session = member, {}
    with django_assert_num_queries(0):
        response = ManagerMfaMiddleware(lambda r: HttpResponse("page"))(request)
    assert response.content == b"page"
