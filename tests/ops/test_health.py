"""/healthz and /readyz, as a load balancer sees them."""

import logging
import socket

import pytest
from django.urls import reverse


def _closed_port():
    """A local port nothing listens on: connecting to it is refused at once, like a stopped Redis."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_answers_without_the_database_a_session_or_a_cache_header(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_readyz_reports_each_check_in_the_embedded_mode(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # as without CELERY_BROKER_URL (`make test` sets one)
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "cache", "worker"}
    for check in body["checks"].values():
        assert check["status"] == "ok" and check["detail"] and check["duration_ms"] >= 0
    assert body["checks"]["broker"]["detail"].startswith("eager")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_down_and_does_not_ask_the_workers(client, settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/readyz")
    # One warning saying what failed, not an ERROR for every probe while the node is out of rotation.
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING] == [
        ("WARNING", "Not ready: broker failed (ConnectionError), worker skipped (the broker is not available)")
    ]
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"] == {**body["checks"]["broker"], "status": "failed", "detail": "ConnectionError"}
    assert body["checks"]["worker"]["status"] == "skipped"
    # Nothing about where the broker is: /readyz answers anyone.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_is_503_when_the_shared_cache_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/1",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"]["status"] == "failed"
    assert [name for name, check in checks.items() if check["status"] != "ok"] == ["cache"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_by_address_over_plain_http_are_answered_in_production(client, settings, path):
    """A balancer probes the node's address over HTTP: no 400 for the Host, no redirect to HTTPS;
    every other address still gets both."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["priam.example.org"]
    assert client.get(path, HTTP_HOST="10.0.0.5:8000").status_code == 200
    assert client.get(path + "/", HTTP_HOST="10.0.0.5:8000").status_code == 200
    assert client.get(reverse("login"), HTTP_HOST="10.0.0.5:8000").status_code == 400
    redirect = client.get(reverse("login"), HTTP_HOST="priam.example.org")
    assert redirect.status_code == 301 and redirect["Location"].startswith("https://priam.example.org/")


@pytest.mark.django_db
def test_probes_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
    assert client.head("/healthz").status_code == 200


@pytest.mark.django_db
def test_probes_write_no_audit_event(client):
    from assessments.models import AuditEvent

    before = AuditEvent.objects.count()
    client.get("/healthz")
    client.get("/readyz")
    assert AuditEvent.objects.count() == before
