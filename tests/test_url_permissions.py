"""Every URL of the portal, for every kind of visitor: the status they get.

Adding a URL without a row here (or in a module of tests/url_expectations/) fails
`test_every_url_has_expectations`.
"""

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from stakeholders.invitation_tokens import make_invitation_token
from stakeholders.models import AccountInvitation
from tests import factories, url_expectations
from workinggroups.feed_views import calendar_feed_create
from workinggroups.models import ActionItem, ConveningSeries
from workinggroups.rsvp_tokens import make_rsvp_token

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "coordinator", "other_coordinator", "staff")
LOGIN = "login"  # a redirect to the sign-in page

# url name -> expected GET status per role (in ROLES order); POST is refused by read-only views.
EXPECTED_GET = {
    "home": (LOGIN, 200, 200, 200, 200),
    "account": (LOGIN, 200, 200, 200, 200),
    "city_detail": (LOGIN, 200, 200, 404, 200),
    "city_reminders": (LOGIN, 405, 405, 405, 405),
    "group_detail": (LOGIN, 200, 200, 404, 200),
    "healthz": (200, 200, 200, 200, 200),
    "ping": (200, 200, 200, 200, 200),
    "roles": (LOGIN, 404, 404, 404, 200),
    "audit_log": (LOGIN, 404, 404, 404, 200),
    # Staff accounts here have no person record, so they have no data of their own.
    "my_data": (LOGIN, 200, 404, 404, 404),
    "my_details": (LOGIN, 200, 404, 404, 404),
    "person_erase": (LOGIN, 404, 404, 404, 200),
    "role_grant_coordinator": (LOGIN, 405, 405, 405, 405),
    "role_revoke_coordinator": (LOGIN, 405, 405, 405, 405),
    "role_network_staff": (LOGIN, 405, 405, 405, 405),
    "role_briefing_author": (LOGIN, 405, 405, 405, 405),
    # A member sees fellow members of their groups (403); other people are 404 to them.
    "person_invitation": (LOGIN, 403, 200, 404, 200),
    "person_invitation_send": (LOGIN, 405, 405, 405, 405),
    "person_invitation_resend": (LOGIN, 405, 405, 405, 405),
    "person_invitation_revoke": (LOGIN, 405, 405, 405, 405),
    # Public; signed in as anyone else, the link is refused (400) and nothing changes.
    "account_invitation_accept": (200, 400, 400, 400, 400),
    # The token is the proof (calendar apps poll without signing in); unknown or revoked: 404.
    "calendar_feed": (200, 200, 200, 200, 200),
    "calendar_feed_settings": (LOGIN, 200, 404, 404, 404),
    # Convenings: members of the group see them (403 to manage); other cities' coordinators 404.
    "convening_create": (LOGIN, 403, 200, 404, 200),
    "series_create": (LOGIN, 403, 200, 404, 200),
    "series_edit": (LOGIN, 403, 200, 404, 200),
    "convening_terminology": (LOGIN, 403, 200, 404, 200),
    "convening_detail": (LOGIN, 200, 200, 404, 200),
    "convening_edit": (LOGIN, 403, 200, 404, 200),
    "convening_cancel": (LOGIN, 405, 405, 405, 405),
    "convening_invite": (LOGIN, 403, 200, 404, 200),
    "convening_answer": (LOGIN, 405, 405, 405, 405),
    # Public RSVP link: the invited person's; signed in as anyone else it is refused (400).
    "rsvp": (200, 200, 400, 400, 400),
    "convening_attendance": (LOGIN, 403, 200, 404, 200),
    "action_item_create": (LOGIN, 405, 405, 405, 405),
    "action_item_done": (LOGIN, 405, 405, 405, 405),
}
EXPECTED_POST = {
    "home": (LOGIN, 405, 405, 405, 405),
    "account": (LOGIN, 405, 405, 405, 405),
    "city_detail": (LOGIN, 405, 405, 405, 405),
    # A member sees the city but may not change it (403); an empty form changes nothing.
    "city_reminders": (LOGIN, 403, 302, 404, 302),
    "group_detail": (LOGIN, 405, 405, 405, 405),
    "healthz": (405, 405, 405, 405, 405),
    "ping": (405, 405, 405, 405, 405),
    "roles": (LOGIN, 405, 405, 405, 405),
    "audit_log": (LOGIN, 405, 405, 405, 405),
    "my_data": (LOGIN, 405, 405, 405, 405),
    # 200: an empty form comes back with its errors; nothing is saved.
    "my_details": (LOGIN, 200, 404, 404, 404),
    # 200: without the confirmation box ticked the form comes back and nothing is erased.
    "person_erase": (LOGIN, 404, 404, 404, 200),
    # 302: back to the roles page with a message (an empty form changes nothing).
    "role_grant_coordinator": (LOGIN, 404, 404, 404, 302),
    "role_revoke_coordinator": (LOGIN, 404, 404, 404, 302),
    "role_network_staff": (LOGIN, 404, 404, 404, 302),
    "role_briefing_author": (LOGIN, 404, 404, 404, 302),
    "person_invitation": (LOGIN, 405, 405, 405, 405),
    # 302: back to the person's invitation page with a message, whatever the invitation's state.
    "person_invitation_send": (LOGIN, 403, 302, 404, 302),
    "person_invitation_resend": (LOGIN, 403, 302, 404, 302),
    "person_invitation_revoke": (LOGIN, 403, 302, 404, 302),
    # An empty form: shown again with its errors to the invited; refused to anyone else.
    "account_invitation_accept": (200, 400, 400, 400, 400),
    "calendar_feed": (405, 405, 405, 405, 405),
    # 400: neither "renew" nor "revoke" was chosen; nothing changes.
    "calendar_feed_settings": (LOGIN, 400, 404, 404, 404),
    # 200: an empty form comes back with its errors; nothing is saved.
    "convening_create": (LOGIN, 403, 200, 404, 200),
    "series_create": (LOGIN, 403, 200, 404, 200),
    "series_edit": (LOGIN, 403, 200, 404, 200),
    "convening_terminology": (LOGIN, 405, 405, 405, 405),
    "convening_detail": (LOGIN, 405, 405, 405, 405),
    "convening_edit": (LOGIN, 403, 200, 404, 200),
    # 302: back to the convening with a message (nothing cancelled without the confirmation).
    "convening_cancel": (LOGIN, 403, 302, 404, 302),
    "convening_invite": (LOGIN, 403, 200, 404, 200),
    # Only the invited member answers (302 home with a message); nobody else has an invitation.
    "convening_answer": (LOGIN, 302, 404, 404, 404),
    "rsvp": (200, 200, 400, 400, 400),
    # 200: the form again (an empty list saves once the convening is near; here it is not).
    "convening_attendance": (LOGIN, 403, 200, 404, 200),
    # 302: back to the convening with a message (an empty item is not added).
    "action_item_create": (LOGIN, 403, 302, 404, 302),
    "action_item_done": (LOGIN, 403, 302, 404, 302),
}


def _area_modules():
    """Each area of the portal may keep its rows in tests/url_expectations/<area>.py: dicts
    GET and POST shaped like the two above, and `kwargs(base)` building its objects from the
    shared world (city, other_city, group, member, convening, users)."""
    for info in pkgutil.iter_modules(url_expectations.__path__):
        yield importlib.import_module(f"{url_expectations.__name__}.{info.name}")


for _module in _area_modules():
    EXPECTED_GET.update(_module.GET)
    EXPECTED_POST.update(_module.POST)

# Third-party URL trees with their own rules (allauth's sign-in pages; the admin, which
# requires is_staff). They are covered by their own tests.
DELEGATED_PREFIXES = ("accounts/", "admin/")


def _own_url_names(patterns=None, prefix="") -> set[str]:
    names = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(DELEGATED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            names |= _own_url_names(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"URL {route!r} has no name, so it cannot have expectations"
            names.add(entry.name)
    return names


def test_every_url_has_expectations():
    names = _own_url_names()
    assert names == set(EXPECTED_GET), "add the new URL's row to EXPECTED_GET"
    assert names == set(EXPECTED_POST), "add the new URL's row to EXPECTED_POST"


@pytest.fixture
def world(city, other_city):
    group = factories.group_with_all_legs(city, per_leg=1)
    member = factories.member_user(group)
    invitee = factories.member(group)  # shares the member's group: visible to them, not theirs
    invited = factories.member(group)
    invitation = AccountInvitation.objects.create(person=invited, email=invited.email)
    convening = factories.convening(group)
    rsvp_invitation = factories.invite(convening, member.person)
    action_item = ActionItem.objects.create(group=group, raised_at=convening, description="Call")
    series = ConveningSeries.objects.create(
        group=group,
        title="Quarterly team",
        kind="working_session",
        rrule="FREQ=MONTHLY;INTERVAL=3",
        first_starts_at=convening.starts_at,
        duration_minutes=90,
        place="City Hall",
    )
    users = {
        "anonymous": None,
        "member": member,
        "coordinator": factories.coordinator(city),
        "other_coordinator": factories.coordinator(other_city),
        "staff": factories.network_staff(),
    }
    base = {
        "city": city,
        "other_city": other_city,
        "group": group,
        "member": member,
        "convening": convening,
        "users": users,
    }
    area_kwargs = {}
    for module in _area_modules():
        area_kwargs.update(module.kwargs(base))
    return {
        "kwargs": {
            **area_kwargs,
            "city_detail": {"slug": city.slug},
            "city_reminders": {"slug": city.slug},
            "group_detail": {"group_id": group.pk},
            "role_grant_coordinator": {"user_id": member.pk},
            "role_revoke_coordinator": {"user_id": member.pk, "city_id": city.pk},
            "role_network_staff": {"user_id": member.pk},
            "role_briefing_author": {"user_id": member.pk},
            "person_erase": {"person_id": member.person_id},
            "person_invitation": {"person_id": invitee.pk},
            "person_invitation_send": {"person_id": invitee.pk},
            "person_invitation_resend": {"person_id": invitee.pk},
            "person_invitation_revoke": {"person_id": invitee.pk},
            "account_invitation_accept": {"token": make_invitation_token(invitation)},
            "convening_create": {"group_id": group.pk},
            "series_create": {"group_id": group.pk},
            "series_edit": {"series_id": series.pk},
            "convening_terminology": {"group_id": group.pk},
            "convening_detail": {"convening_id": convening.pk},
            "convening_edit": {"convening_id": convening.pk},
            "convening_cancel": {"convening_id": convening.pk},
            "convening_invite": {"convening_id": convening.pk},
            "convening_answer": {"convening_id": convening.pk},
            "rsvp": {"token": make_rsvp_token(rsvp_invitation)},
            "convening_attendance": {"convening_id": convening.pk},
            "action_item_create": {"convening_id": convening.pk},
            "action_item_done": {"convening_id": convening.pk, "item_id": action_item.pk},
            "calendar_feed": {"token": calendar_feed_create(person=member.person).token},
        },
        "users": users,
    }


def _check(client, world, method, table):
    from django.urls import reverse

    failures = []
    for name, expected in table.items():
        url = reverse(name, kwargs=world["kwargs"].get(name, {}))
        for role, want in zip(ROLES, expected, strict=True):
            client.logout()
            if world["users"][role] is not None:
                client.force_login(world["users"][role])
            response = getattr(client, method)(url)
            got = response.status_code
            if want == LOGIN:
                ok = got == 302 and "/accounts/login/" in response["Location"]
            else:
                ok = got == want
            if not ok:
                failures.append(f"{method.upper()} {name} as {role}: got {got}, want {want}")
    assert not failures, "\n".join(failures)


def test_get_status_for_every_url_and_role(client, world):
    _check(client, world, "get", EXPECTED_GET)


def test_post_status_for_every_url_and_role(client, world):
    _check(client, world, "post", EXPECTED_POST)
