"""docker-compose.yml describes a production host that can start: checked without Docker.

Docker does not run on these machines, so the file is read as YAML and held against the
project: its commands name entry points that exist, every long-running service has a health
check, Redis cannot drop queued tasks, no secret has a default, and start-up waits for health.
"""

import re
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PORTAL_SERVICES = ["migrate", "web", "worker", "beat"]
LONG_RUNNING = ["postgres", "redis", "web", "worker", "beat"]
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?[^}]*\}")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|(^|_)KEY$")


def command_of(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return command.split() if isinstance(command, str) else list(command)


def healthcheck_text(service: str) -> str:
    test = SERVICES[service]["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def environment_of(service: str) -> dict[str, str]:
    environment = SERVICES[service].get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def all_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from all_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from all_strings(item)


def test_the_production_services_are_all_there():
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(SERVICES)
    assert SERVICES["postgres"]["image"].startswith("postgres:16")
    assert SERVICES["redis"]["image"].startswith("redis:7")
    for service in PORTAL_SERVICES:
        assert SERVICES[service]["build"] == ".", service
    assert (BASE_DIR / "Dockerfile").is_file()


def test_web_command_serves_the_projects_wsgi_application_with_gunicorn():
    command = command_of("web")
    assert command[0] == "gunicorn"
    assert "config.wsgi" in command
    assert (BASE_DIR / "config" / "wsgi.py").is_file()
    import config.wsgi

    assert callable(config.wsgi.application)


def test_worker_and_beat_commands_load_the_projects_celery_app():
    from celery.app.utils import find_app

    from config.celery import app as celery_app

    for service, subcommand in [("worker", "worker"), ("beat", "beat")]:
        command = command_of(service)
        assert command[:3] == ["celery", "-A", "config"], service
        assert command[3] == subcommand, service
        # How the celery command line resolves "-A config".
        assert find_app(command[2]) is celery_app


def test_migrate_runs_once_before_the_portal_starts():
    assert command_of("migrate")[-3:] == ["manage.py", "migrate", "--noinput"]
    assert SERVICES["migrate"]["restart"] == "no"
    for service in ["web", "worker", "beat"]:
        assert SERVICES[service]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, service


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck(service):
    assert healthcheck_text(service)


def test_healthchecks_probe_what_each_service_is_for():
    assert "pg_isready" in healthcheck_text("postgres")
    assert "redis-cli ping" in healthcheck_text("redis")
    assert "/healthz" in healthcheck_text("web")
    assert "inspect ping" in healthcheck_text("worker")
    assert "celerybeat-schedule" in healthcheck_text("beat")


def test_redis_never_evicts_queued_tasks_and_keeps_them_on_disk():
    command = " ".join(command_of("redis"))
    assert "--maxmemory-policy noeviction" in command
    assert "--appendonly yes" in command


def test_start_up_waits_for_healthy_services():
    for name, service in SERVICES.items():
        for dependency, condition in service.get("depends_on", {}).items():
            expected = (
                "service_completed_successfully" if dependency == "migrate" else "service_healthy"
            )
            assert condition == {"condition": expected}, f"{name} -> {dependency}"


def test_no_secret_has_a_default_value():
    found_secrets = set()
    for text in all_strings(COMPOSE):
        for match in INTERPOLATION.finditer(text):
            if SECRET_NAME.search(match["name"]):
                found_secrets.add(match["name"])
                # Only ${NAME:?message} or ${NAME?message}: compose refuses to start without it.
                assert match["op"] in {":?", "?"}, match.group(0)
    assert {"SECRET_KEY", "POSTGRES_PASSWORD", "EMAIL_HOST_PASSWORD"} <= found_secrets
    for service in SERVICES:
        for key, value in environment_of(service).items():
            if SECRET_NAME.search(key):
                assert INTERPOLATION.fullmatch(value), f"{service}: {key} is written in the file"


def test_portal_services_run_production_settings_with_the_documented_variables():
    settings_source = (BASE_DIR / "config" / "settings.py").read_text()
    read_by_settings = set(
        re.findall(r"env_(?:str|bool|int|list|required)\(\s*\"([A-Z_]+)\"", settings_source)
    )
    for service in PORTAL_SERVICES:
        environment = environment_of(service)
        assert environment["DEBUG"] == "0", service
        for required in ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]:
            assert required in environment, f"{service} lacks {required}"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
        # A misspelt name would be silently ignored by the settings.
        assert set(environment) <= read_by_settings, set(environment) - read_by_settings
