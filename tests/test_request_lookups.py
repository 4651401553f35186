"""Sessions and accounts read with SQL compiled once (stakeholders/compiled.py): the same
answers as Django's own backends."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record
from stakeholders.auth_backends import ModelBackend
from stakeholders.session_store import SessionStore
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_live_session_loads_and_an_expired_or_unknown_one_does_not(member):
    store = SessionStore()
    store[SESSION_KEY] = str(member.pk)
    store.save()
    assert SessionStore(store.session_key).load()[SESSION_KEY] == str(member.pk)
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now())
    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new key on the next save, as Django's db backend
    assert SessionStore("no-such-session-key").load() == {}


def test_the_backend_finds_active_accounts_only(member):
    backend = ModelBackend()
    found = backend.get_user(member.pk)
    assert found == member and found.email == member.email
    assert found._state.adding is False and found._state.db == "default"
    member.is_active = False
    member.save()
    assert backend.get_user(member.pk) is None
    assert backend.get_user(10**9) is None


def test_a_disabled_account_is_signed_out_on_its_next_page(client, member):
    client.force_login(member)
    assert client.get(reverse("home")).status_code == 200
    member.is_active = False
    member.save()
    assert client.get(reverse("home")).status_code == 302


def test_a_changed_password_ends_other_sessions(client, member):
    client.force_login(member)
    assert client.get(reverse("home")).status_code == 200
    member.set_password("a-new-long-password-1")
    member.save()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_directory_views_are_logged_without_waiting_for_the_disk(city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = factories.user(is_network_staff=True)
    with CaptureQueriesContext(connection) as outside:
        viewed = audit_record(actor=staff, action=AuditAction.ROSTER_VIEWED, city=city, rows=3)
    [sql] = [q["sql"] for q in outside.captured_queries]
    assert sql.startswith("WITH commit_setting AS (SELECT set_config('synchronous_commit', 'off'")
    assert AuditEvent.objects.get(pk=viewed.pk).detail == {"rows": 3}
    # Exports, and any entry written inside a change's transaction, wait as before.
    with CaptureQueriesContext(connection) as exported:
        audit_record(actor=staff, action=AuditAction.ROSTER_EXPORTED, city=city, rows=3)
    assert exported.captured_queries[0]["sql"].startswith("INSERT")
    from django.db import transaction

    with CaptureQueriesContext(connection) as inside, transaction.atomic():
        audit_record(actor=staff, action=AuditAction.ROSTER_VIEWED, city=city, rows=1)
    assert not any("synchronous_commit" in q["sql"] for q in inside.captured_queries)
    with connection.cursor() as cursor:  # the setting was for that one transaction only
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)


def test_the_directory_city_read_compiled_once_matches_the_orm(city, other_city):
    """The directory reads its city (and a coordinator's cities) with SQL compiled once per
    process: the same values as the ORM's annotated queryset, whatever the slug and viewer."""
    from django.contrib.postgres.expressions import ArraySubquery

    from stakeholders import directory_selectors
    from stakeholders.roles import coordinated_cities_query

    factories.organisation(city, name="Mosque council")
    factories.organisation(city, name='Quote "and" <tag>')
    factories.group(city)
    coordinator = factories.coordinator(of=city)
    factories.coordinator(of=other_city)  # another account's grants: not this one's
    for slug in (city.slug, other_city.slug):
        for viewer in (None, coordinator):
            read = directory_selectors.directory_city(slug, viewer)
            orm = directory_selectors.cities_with_filter_choices()
            if viewer is not None:
                orm = orm.annotate(
                    viewer_coordinated_city_ids=ArraySubquery(coordinated_cities_query(viewer))
                )
            expected = orm.get(slug=slug)
            assert (read.pk, read.name, read.slug) == (expected.pk, expected.name, expected.slug)
            assert read.filter_choices == expected.filter_choices
            assert getattr(read, "viewer_coordinated_city_ids", None) == getattr(
                expected, "viewer_coordinated_city_ids", None
            )
    assert directory_selectors.directory_city("no-such-city") is None
    assert directory_selectors.directory_city(
        city.slug, coordinator
    ).viewer_coordinated_city_ids == [city.pk]
