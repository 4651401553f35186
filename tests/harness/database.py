"""Hand the test database on as migrations left it, after every test that flushed it.

A transactional test (transaction=True, live_server, the Celery worker tests) ends with a
flush that empties every table, the rows that data migrations seeded included (the
recommended sectors, content types, permissions). With --reuse-db the emptied database is
then kept, and the next run's tests find no sectors. Django's serialized_rollback restores
those rows at the *start* of a test that asks for it; this plugin also restores them at the
*end* of every transactional test, so each test and each run get the database as migrated.
"""

import pytest
from django.db import DEFAULT_DB_ALIAS


class _State:
    database_ready = False
    # Set when a transactional test starts, cleared once its flush has been repaired.
    flushing_test: str | None = None
    # Whether that test's flush left post_migrate's content types and permissions behind.
    plain_flush = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's set-up, plus a snapshot of the migrated rows to restore from.

    pytest-django takes the snapshot only when a collected test asks for serialized_rollback;
    take it always, so that any selection of tests leaves the database as it found it.
    """
    from django.db import connections

    connection = connections[DEFAULT_DB_ALIAS]
    if not hasattr(connection, "_test_serialized_contents"):
        with django_db_blocker.unblock():
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
    _State.database_ready = True
    yield
    # The session ends inside the last test's teardown: its flush has run (function-scoped
    # fixtures go first) but the hook below would come after the database is torn down.
    if _State.flushing_test:
        _restore_migrated_rows(django_db_blocker)
    _State.database_ready = False


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    flush = _flush_of(item)
    _State.flushing_test = item.nodeid if flush else None
    _State.plain_flush = flush == "plain"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        # After the yield every fixture of the test is torn down, pytest-django's flush too.
        if _State.flushing_test == item.nodeid and _State.database_ready:
            from pytest_django.plugin import blocking_manager_key

            _restore_migrated_rows(item.config.stash[blocking_manager_key])


def _flush_of(item) -> str | None:
    """How pytest-django ends this test: None (rollback), "serialized" or "plain" flush."""
    from django.test import TestCase, TransactionTestCase
    from pytest_django.plugin import validate_django_db

    test_class = getattr(item, "cls", None)
    if test_class is not None and issubclass(test_class, TransactionTestCase):
        if issubclass(test_class, TestCase):
            return None
        return "serialized" if test_class.serialized_rollback else "plain"
    fixtures = set(getattr(item, "fixturenames", ()))
    transactional = bool({"transactional_db", "live_server"} & fixtures)
    serialized = "django_db_serialized_rollback" in fixtures
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        transaction, reset_sequences, _, serialized_rollback, _ = validate_django_db(marker)
        transactional = transactional or transaction or reset_sequences
        serialized = serialized or serialized_rollback
    if not transactional:
        return None
    return "serialized" if serialized else "plain"


def _restore_migrated_rows(django_db_blocker) -> None:
    from django.core.management import call_command
    from django.db import connections

    _State.flushing_test = None
    connection = connections[DEFAULT_DB_ALIAS]
    with django_db_blocker.unblock():
        if _State.plain_flush:
            # A plain flush re-created content types and permissions under new ids, which the
            # snapshot's rows would clash with: empty the tables again, without post_migrate.
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                database=DEFAULT_DB_ALIAS,
                inhibit_post_migrate=True,
            )
        connection.creation.deserialize_db_from_string(connection._test_serialized_contents)
