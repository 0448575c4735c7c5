"""/metrics: protected from the public; counts requests by view, audit events, records and tasks."""

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from assessments.models import AuditAction
from assessments.services.audit import audit_record

TOKEN = "metrics-token-for-the-tests-0123456789"

pytestmark = pytest.mark.django_db


def value(text, name, **labels):
    """The sample `name` with these labels in a scrape (0 when absent: a counter not yet incremented)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def scrape(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]
    return response.content.decode()


@pytest.fixture
def token(settings):
    settings.PRIAM_METRICS_TOKEN = TOKEN


def test_without_a_configured_token_metrics_are_hidden_from_everyone_but_staff(
    client, settings, login, admin_user, coordinator
):
    settings.PRIAM_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    # An empty configured token must never match an empty or missing one.
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert login(coordinator).get("/metrics").status_code == 404
    assert admin_user.is_staff
    assert login(admin_user).get("/metrics").status_code == 200


def test_with_a_token_a_scrape_needs_it(client, token):
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert "priam_audit_events_total" in scrape(client)


def test_a_scrape_by_address_over_plain_http_with_the_token_is_answered_in_production(client, settings, token):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["priam.example.org"]
    response = client.get("/metrics", HTTP_HOST="10.0.0.5:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    # Without the token it meets the ordinary host check.
    assert client.get("/metrics", HTTP_HOST="10.0.0.5:8000").status_code == 400


def test_the_token_may_come_from_a_file(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    secret = tmp_path / "metrics_token"
    secret.write_text(TOKEN + "\n")
    env = {**os.environ, "PRIAM_METRICS_TOKEN_FILE": str(secret), "PRIAM_DATA_DIR": str(tmp_path)}
    env.pop("PRIAM_METRICS_TOKEN", None)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.PRIAM_METRICS_TOKEN)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == TOKEN, result.stderr


def test_requests_are_counted_and_timed_by_view(client, token):
    before = scrape(client)
    client.get(reverse("login"))
    client.get(reverse("login"))
    after = scrape(client)
    name = "django_http_requests_total_by_view_transport_method_total"
    assert value(after, name, view="login", method="GET") - value(before, name, view="login", method="GET") == 2
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert value(after, latency, view="login", method="GET") - value(before, latency, view="login", method="GET") == 2


def test_audit_events_are_counted_when_they_commit(client, token, coordinator, django_capture_on_commit_callbacks):
    before = value(scrape(client), "priam_audit_events_total", action=AuditAction.AUTH_LOGOUT)
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action=AuditAction.AUTH_LOGOUT, actor=coordinator, obj=coordinator)
    with django_capture_on_commit_callbacks(execute=False):
        audit_record(action=AuditAction.AUTH_LOGOUT, actor=coordinator, obj=coordinator)  # never commits
    after = value(scrape(client), "priam_audit_events_total", action=AuditAction.AUTH_LOGOUT)
    assert after - before == 1


def test_an_issued_record_and_its_pdf_task_are_counted(
    client, token, assessed_project, issue_record, django_capture_on_commit_callbacks
):
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        record = issue_record(assessed_project, outcome="approve")
    after = scrape(client)
    assert record.number
    issued = "priam_records_issued_total"
    assert value(after, issued, outcome="approve") - value(before, issued, outcome="approve") == 1
    # Eager here: the record's PDF task ran in this process, and was timed.
    task = "assessments.tasks.record_pdf_task"
    tasks = "priam_celery_tasks_total"
    assert value(after, tasks, task=task, state="SUCCESS") - value(before, tasks, task=task, state="SUCCESS") >= 1
    count = "priam_celery_task_duration_seconds_count"
    assert value(after, count, task=task) - value(before, count, task=task) >= 1
    assert value(after, "priam_celery_task_duration_seconds_sum", task=task) > 0


def test_no_queue_length_is_made_up_without_a_broker(client, token, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # as without CELERY_BROKER_URL (`make test` sets one)
    text = scrape(client)
    assert "priam_celery_queue_length" not in text
    assert "priam_celery_broker_up" not in text


def test_a_broker_that_does_not_answer_is_reported_down_and_the_scrape_still_succeeds(client, token, settings):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    text = scrape(client)
    assert value(text, "priam_celery_broker_up") == 0
    assert "priam_celery_queue_length{" not in text


def test_a_worker_on_another_machine_exports_its_own_metrics_on_its_port(settings):
    """PRIAM_WORKER_METRICS_PORT: the worker process's exporter (started on worker_ready)."""
    import socket
    import urllib.request

    from assessments.metrics import TASKS, worker_metrics_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.PRIAM_WORKER_METRICS_PORT = port
    TASKS.labels(task="assessments.tasks.ping", state="SUCCESS").inc()
    server, thread = worker_metrics_server()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert value(text, "priam_celery_tasks_total", task="assessments.tasks.ping", state="SUCCESS") >= 1


def test_no_worker_exporter_without_a_port(settings):
    from assessments.metrics import worker_metrics_server

    settings.PRIAM_WORKER_METRICS_PORT = 0
    assert worker_metrics_server() is None
