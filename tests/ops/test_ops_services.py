"""Health, metrics and request ids against the real PostgreSQL, Redis and Celery worker.

`make test` (scripts/with-test-services.sh) shares PROMETHEUS_MULTIPROC_DIR between pytest and
the worker, as `make serve` does on one machine, so /metrics here adds up the worker's counts.
"""

import os
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from celery import current_app
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from assessments.models import AuditExport
from assessments.tasks import ping
from tests.helpers import wait_for

pytestmark = [pytest.mark.services]
TOKEN = "metrics-token-for-the-service-tests"


@pytest.fixture
def scrape(client, settings):
    settings.PRIAM_METRICS_TOKEN = TOKEN

    def _scrape():
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return response.content.decode()

    return _scrape


def value(text, name, **labels):
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


@pytest.mark.django_db
def test_readyz_sees_postgresql_redis_and_a_live_worker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["database"]["detail"] == "postgresql"
    assert checks["broker"]["detail"] == "redis"
    assert checks["worker"] == {**checks["worker"], "status": "ok", "detail": "a worker answered"}


@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_the_id_of_the_request_that_queued_its_task(login, auditor, settings):
    settings.AUDIT_EXPORT_STREAM_LIMIT = 0
    given = uuid.uuid4().hex
    response = login(auditor).get(reverse("audit_export"), {"format": "csv"}, HTTP_X_REQUEST_ID=given)
    assert response.status_code == 302 and response["X-Request-ID"] == given
    export = AuditExport.objects.get()
    wait_for(lambda: AuditExport.objects.get(pk=export.pk).status == AuditExport.Status.DONE, 60, "the export")
    log = Path(os.environ["PRIAM_TEST_WORK"], "celery.log")
    lines = [line for line in log.read_text().splitlines() if given in line]
    assert any("audit_export_task" in line and "started" in line for line in lines), lines
    assert any("succeeded" in line for line in lines), lines


@pytest.mark.django_db
def test_task_counts_from_the_worker_process_reach_the_webs_metrics(scrape):
    name, labels = "priam_celery_tasks_total", {"task": "assessments.tasks.ping", "state": "SUCCESS"}
    before = value(scrape(), name, **labels)
    result = ping.delay("metrics").get(timeout=30)
    assert result["pid"] != os.getpid()
    # The worker counts the task just after it hands back the result.
    wait_for(lambda: value(scrape(), name, **labels) >= before + 1, 30, "the worker's count")
    duration = value(scrape(), "priam_celery_task_duration_seconds_count", task="assessments.tasks.ping")
    assert duration >= 1


@pytest.mark.django_db
def test_the_queue_length_is_what_waits_in_redis(scrape):
    queue = current_app.conf.task_default_queue
    assert value(scrape(), "priam_celery_broker_up") == 1
    current_app.control.cancel_consumer(queue, reply=True, timeout=5)
    try:
        before = value(scrape(), "priam_celery_queue_length", queue=queue)
        results = [ping.delay(f"queued-{i}") for i in range(3)]
        assert value(scrape(), "priam_celery_queue_length", queue=queue) == before + 3
    finally:
        current_app.control.add_consumer(queue, reply=True, timeout=5)
    assert [r.get(timeout=30)["token"] for r in results] == ["queued-0", "queued-1", "queued-2"]
    wait_for(lambda: value(scrape(), "priam_celery_queue_length", queue=queue) == before, 30, "the queue to drain")


def _port():
    return str(urlparse(os.environ["CELERY_BROKER_URL"]).port)


def _redis_cli(*args):
    return subprocess.run(["redis-cli", "-p", _port(), *args], capture_output=True, text=True)


@pytest.mark.django_db
def test_readyz_turns_503_when_redis_stops_and_200_when_it_returns(client):
    work = os.environ["PRIAM_TEST_WORK"]
    assert client.get("/readyz").status_code == 200
    assert _redis_cli("shutdown", "nosave").returncode == 0
    try:
        start = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - start
        print(f"/readyz with Redis stopped answered {response.status_code} in {elapsed:.2f} s")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["broker"]["status"] == "failed"
        assert checks["worker"]["status"] == "skipped"
        assert checks["database"]["status"] == "ok"
    finally:
        subprocess.run(
            ["redis-server", "--port", _port(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--daemonize", "yes", "--dir", work, "--pidfile", f"{work}/redis.pid", "--logfile", f"{work}/redis.log"],
            check=True,
        )
    wait_for(lambda: _redis_cli("ping").stdout.strip() == "PONG", 10, "Redis")
    # The worker reconnects by itself; the node is ready again once it answers.
    start = time.monotonic()
    wait_for(lambda: client.get("/readyz").status_code == 200, 90, "/readyz back to 200")
    print(f"/readyz back to 200 {time.monotonic() - start:.1f} s after Redis returned")
