"""Settings come from the environment: production passes `check --deploy`, a missing or
malformed variable stops start-up naming it, and responses carry the security headers."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from config.env import database_from_url

BASE_DIR = Path(__file__).resolve().parent.parent

# Variables the settings read; a test's subprocess starts from none of them, so what the
# developer's shell (or `make test`) exported cannot leak in.
SETTINGS_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DB_CONN_MAX_AGE",
    "REDIS_URL",
    "VAR_DIR",
    "SESSION_IDLE_SECONDS",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "TRUST_X_FORWARDED_PROTO",
    "DEMO_PASSWORD",
    "LOG_LEVEL",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """The environment of a production start: DEBUG off, a real key, real services.

    An override of None removes the variable.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS_VARIABLES and not key.startswith("EMAIL_")
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(48),  # 64 characters, as a deployment would make
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        VAR_DIR=str(tmp_path / "var"),
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    # SECURE_SSL_REDIRECT is left unset: production must redirect to HTTPS by default.
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short-to-sign-anything"}, "SECRET_KEY"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "abc"}, "EMAIL_PORT"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"SECURE_HSTS_SECONDS": "-1"}, "SECURE_HSTS_SECONDS"),
    ],
    ids=[
        "no-secret-key",
        "short-secret-key",
        "debug-not-a-boolean",
        "database-not-postgres-or-sqlite",
        "redis-url-not-redis",
        "email-port-not-a-number",
        "no-allowed-hosts",
        "negative-hsts",
    ],
)
def test_missing_or_malformed_setting_stops_start_up_naming_it(tmp_path, overrides, variable):
    result = manage(production_env(tmp_path, **overrides), "check")

    assert result.returncode == 2
    # manage.py prints the exception's own message, not a traceback (which would mention the
    # variable's name anyway, in the quoted source lines of settings.py).
    assert "Traceback" not in result.stderr, result.stderr
    message = result.stderr.strip().splitlines()[0]
    assert variable in message


def test_database_url_with_user_password_port_and_options_becomes_a_postgres_entry():
    entry = database_from_url(
        "postgres://portal:p%40ss%2Fword@db.internal:6432/portal?sslmode=require&connect_timeout=5"
    )

    assert entry == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "portal",
        "USER": "portal",
        "PASSWORD": "p@ss/word",
        "HOST": "db.internal",
        "PORT": "6432",
        "OPTIONS": {"sslmode": "require", "connect_timeout": "5"},
    }


def test_database_url_without_port_or_credentials_leaves_them_to_libpq():
    entry = database_from_url("postgresql://localhost/portal")

    assert (entry["HOST"], entry["PORT"], entry["USER"], entry["PASSWORD"]) == (
        "localhost",
        "",
        "",
        "",
    )
    assert entry["OPTIONS"] == {}


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////srv/portal/var/portal.sqlite3", "/srv/portal/var/portal.sqlite3"),
        ("sqlite:///var/portal.sqlite3", "var/portal.sqlite3"),
    ],
    ids=["absolute", "relative"],
)
def test_sqlite_database_url_gives_the_file_path(url, path):
    database = database_from_url(url)
    assert (database["ENGINE"], database["NAME"]) == ("django.db.backends.sqlite3", path)
    # Web, worker and beat share the file: the write lock is taken up front, with waiting.
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]


@pytest.mark.parametrize(
    "url",
    [
        "postgres://db.internal:5432/",
        "postgres://db.internal:port/portal",
        "sqlite://",
        "mysql://db.internal/portal",
    ],
    ids=["no-database-name", "bad-port", "no-sqlite-path", "unsupported-engine"],
)
def test_malformed_database_url_is_refused_naming_the_variable(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url(url)


def test_without_service_urls_the_portal_runs_on_sqlite_and_a_filesystem_broker(tmp_path):
    env = production_env(tmp_path, DATABASE_URL=None, REDIS_URL=None)
    script = (
        "import json, django; django.setup();"
        "from django.conf import settings; from config.celery import app;"
        "print(json.dumps({"
        "'engine': settings.DATABASES['default']['ENGINE'],"
        "'database': str(settings.DATABASES['default']['NAME']),"
        "'broker': app.conf.broker_url,"
        "'transport': app.connection_for_write().transport.driver_type,"
        "'cache': settings.CACHES['default']['BACKEND'],"
        "}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["database"] == str(tmp_path / "var" / "portal.sqlite3")
    assert found["broker"] == "filesystem://"
    assert found["transport"] == "filesystem"
    assert found["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    # The worker and the web share the broker's folders; settings make them up front.
    assert (tmp_path / "var" / "broker" / "queue").is_dir()


@pytest.fixture
def production_headers(settings):
    if settings.DEBUG:
        pytest.fail("the security-header tests need production settings: run with DEBUG=0")
    # The test client speaks plain HTTP; the redirect to HTTPS has its own test below.
    settings.SECURE_SSL_REDIRECT = False


@pytest.mark.django_db
@pytest.mark.usefixtures("production_headers")
def test_pages_carry_the_security_headers(client):
    response = client.get(reverse("account_login"), secure=True)

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
@pytest.mark.usefixtures("production_headers")
def test_hsts_is_sent_only_over_https(client):
    # Browsers ignore HSTS over HTTP; Django sends it only on secure requests.
    response = client.get(reverse("account_login"))

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response


@pytest.mark.django_db
def test_production_redirects_http_to_https_but_not_the_health_probes(client, settings):
    if settings.DEBUG:
        pytest.fail("this test needs production settings: run with DEBUG=0")
    # SecurityMiddleware reads the setting when it is built: the test client builds its
    # handler at its first request, after this override.
    settings.SECURE_SSL_REDIRECT = True

    page = client.get(reverse("account_login"))
    probe = client.get(reverse("ping"))

    assert page.status_code == 301
    assert page["Location"] == "https://testserver" + reverse("account_login")
    assert probe.status_code == 200
