import pytest

from tests import factories

# --- Harness: real services (tests/harness/) ----------------------------------------------
# celery_worker (a worker process on Redis), smtp_sink / smtp_server (aiosmtpd on loopback),
# chromium / page / console_errors (Playwright driving Debian's Chromium); database restores
# the migrated rows (sectors, permissions) after each test that flushes the database.
pytest_plugins = [
    "tests.harness.database",
    "tests.harness.celery_worker",
    "tests.harness.smtp",
    "tests.harness.browser",
]
# --- End of harness -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hashing strength is not under test; PBKDF2 would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Uploaded attachments land in the test's own directory, never in var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _mfa_not_required(settings):
    # Most tests are about pages, not enrolment; tests/test_mfa.py switches it back on.
    settings.MFA_REQUIRED_FOR_MANAGERS = False


@pytest.fixture
def city(db):
    return factories.city("Albuquerque", time_zone="America/Denver")


@pytest.fixture
def other_city(db):
    return factories.city("Stamford", time_zone="America/New_York", state="Connecticut")


@pytest.fixture
def group(city):
    return factories.group_with_all_legs(city)


@pytest.fixture
def staff_user(db):
    return factories.network_staff()


@pytest.fixture
def coordinator_user(city):
    return factories.coordinator(city)


@pytest.fixture
def other_coordinator(other_city):
    return factories.coordinator(other_city)


@pytest.fixture
def member(group):
    return factories.member_user(group)
