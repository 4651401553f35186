"""The probes a load balancer and an operator use: /healthz (database and broker) and /ping."""

import pytest
from django.urls import reverse

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # port 1: nothing listens, refused at once


def test_healthz_reports_database_and_broker_ok_without_signing_in(client):
    if not celery_app.conf.broker_url.startswith("redis://"):
        pytest.fail("run with REDIS_URL set, as `make test` does: the broker probed is Redis")

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    # A cached "ok" would hide an outage from the load balancer.
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_naming_the_broker_when_it_is_unreachable(client, monkeypatch):
    # health.py asks the Celery app for a connection at each probe; the app reads its
    # broker_url then (broker_write_url falls back to it), so the probe goes to a port where
    # nothing listens.
    monkeypatch.setattr(celery_app.conf, "broker_url", UNREACHABLE_BROKER)
    assert celery_app.conf.broker_write_url == UNREACHABLE_BROKER

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"] not in {"ok", ""}  # the kind of failure, e.g. "OperationalError"


def test_ping_answers_ok_without_signing_in(client):
    response = client.get(reverse("ping"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response.content == b"ok"


@pytest.mark.parametrize("probe", ["healthz", "ping"])
def test_probes_accept_only_get(client, probe):
    assert client.post(reverse(probe)).status_code == 405
