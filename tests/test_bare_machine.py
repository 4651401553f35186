"""`make run` on a bare machine: SQLite and kombu's filesystem broker, no servers needed.

Runs the real commands in subprocesses with DATABASE_URL and REDIS_URL unset.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RENDER_PAGES = """
import json
from django.test import Client
from django.conf import settings
from stakeholders.models import City
from workinggroups.models import WorkingGroup

statuses = {}
for email in ["staff@example.org", "coordinator.athens@example.org", "member.athens@example.org"]:
    client = Client()
    assert client.login(email=email, password=settings.DEMO_PASSWORD), email
    statuses[email + " home"] = client.get("/").status_code
    statuses[email + " city"] = client.get("/cities/athens/").status_code
    group = WorkingGroup.objects.get(city__slug="athens")
    statuses[email + " group"] = client.get(f"/groups/{group.pk}/").status_code
health = Client().get("/healthz")
statuses["healthz"] = health.status_code
print(json.dumps({"statuses": statuses, "health": health.json(),
                  "engine": settings.DATABASES["default"]["ENGINE"],
                  "broker": settings.CELERY_BROKER_URL}))
"""

SCHEDULE_BRIEFING = """
from datetime import timedelta
from django.utils import timezone
from briefings.models import LandscapeBriefing
from briefings.tasks import publish_due_briefings
from stakeholders.models import User
from workinggroups.models import WorkingGroup
briefing = LandscapeBriefing.objects.create(
    title="Scheduled on a bare machine", summary="s", body_markdown="b", tlp="GREEN",
    status="scheduled", publish_at=timezone.now() - timedelta(minutes=1),
    author=User.objects.get(email="staff@example.org"))
# Published only to an audience its marking allows: the demo's Athens working group.
briefing.audience_groups.set(WorkingGroup.objects.filter(city__slug="athens")[:1])
publish_due_briefings.delay()
print(briefing.pk)
"""

BRIEFING_STATUS = """
from briefings.models import LandscapeBriefing
print(LandscapeBriefing.objects.get(pk={pk}).status)
"""


@pytest.fixture(scope="module")
def bare_env(tmp_path_factory):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_HOST"}
    }
    env.update(
        VAR_DIR=str(tmp_path_factory.mktemp("bare")),
        DEBUG="0",
        SECRET_KEY="bare-machine-test-" + "k" * 50,
        ALLOWED_HOSTS="testserver,localhost",
        SECURE_SSL_REDIRECT="0",
        REQUIRE_MFA="0",  # as `make run` sets it for the demo accounts
    )
    return env


def manage(env, *args, timeout=180) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def seeded_bare(bare_env):
    manage(bare_env, "migrate", "--noinput", "-v0")
    manage(bare_env, "collectstatic", "--noinput", "-v0")
    manage(bare_env, "seed_demo")
    return bare_env


def test_pages_render_on_sqlite_with_the_filesystem_broker(seeded_bare):
    import json

    output = manage(seeded_bare, "shell", "-v0", "-c", RENDER_PAGES).stdout
    result = json.loads(output.strip().splitlines()[-1])
    assert result["engine"] == "django.db.backends.sqlite3"
    assert result["broker"] == "filesystem://"
    assert result["health"] == {"status": "ok", "database": "ok", "broker": "ok"}
    assert set(result["statuses"].values()) == {200}, result["statuses"]


def test_a_worker_runs_tasks_through_the_filesystem_broker(seeded_bare):
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=seeded_bare,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pk = int(manage(seeded_bare, "shell", "-v0", "-c", SCHEDULE_BRIEFING).stdout.strip())
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            status = manage(
                seeded_bare, "shell", "-v0", "-c", BRIEFING_STATUS.format(pk=pk)
            ).stdout.strip()
            if status == "published":
                break
            time.sleep(1)
        assert status == "published"
    finally:
        worker.terminate()
        worker.wait(timeout=20)
