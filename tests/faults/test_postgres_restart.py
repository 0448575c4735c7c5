"""PostgreSQL restarted under a running web server and workers: they carry on, unrestarted.

Each process keeps its database connection between requests and tasks (DATABASE_CONN_MAX_AGE,
60 s by default with DATABASE_URL); a restart kills those connections server-side. The health
check (CONN_HEALTH_CHECKS) finds a dead one before the request or task uses it and reconnects,
so even the first request after the restart succeeds on the same gunicorn process."""

import subprocess
import uuid

import pytest
import requests
from django.test import Client

from assessments.models import Notification, User
from assessments.services.audit_checks import audit_verify_chain_task
from tests.faults.pg import BIN, ROOT, free_port, pg_restart, production_env, stop
from tests.helpers import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gunicorn(tmp_path):
    """One gunicorn process with one thread, so every request uses the same kept connection."""
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [BIN / "gunicorn", "priam.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "1"],
        cwd=ROOT,
        env=production_env(tmp_path / "web", DATABASE_CONN_MAX_AGE=60),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process, f"http://127.0.0.1:{port}", tmp_path / "gunicorn.log"
    stop(process)
    log.close()


@pytest.fixture
def kept_connection_worker(tmp_path):
    """A Celery worker of our own that keeps its connection (the harness's closes it after each
    task), on a queue of its own so the harness's worker does not take its tasks."""
    queue = f"fault-pg-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [BIN / "celery", "-A", "priam", "worker", "--pool=solo", "-Q", queue, f"--hostname={queue}@%h"]
        + ["--loglevel=INFO", f"--logfile={log}"],
        cwd=ROOT,
        env=production_env(tmp_path / "worker", DATABASE_CONN_MAX_AGE=60),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    wait_for(lambda: log.exists() and "ready" in log.read_text(), 60, "the worker to start")
    yield process, queue
    stop(process)


def test_the_web_and_the_workers_carry_on_across_a_postgresql_restart(gunicorn, kept_connection_worker):
    web, base, web_log = gunicorn
    worker, queue = kept_connection_worker
    user = User.objects.create_user("restart-reader")
    subject = f"Kept across the restart {uuid.uuid4().hex}"
    Notification.objects.create(recipient=user, kind="decision", subject=subject, body="Body.", url="/")
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value

    def fetch():
        # The API answers JSON: no static files (which production serves only after collectstatic).
        return requests.get(
            f"{base}/api/v1/notifications/",
            headers={"Cookie": f"sessionid={session}", "X-Forwarded-Proto": "https", "Accept": "application/json"},
            timeout=30,
            allow_redirects=False,
        )

    def answers():
        try:
            return [fetch()]
        except requests.ConnectionError:
            return None

    (first,) = wait_for(answers, 60, "gunicorn to answer")
    assert first.status_code == 200, first.text
    assert subject in first.text
    # The worker's connection is open (and kept) once it has run a task that reads and writes.
    before = audit_verify_chain_task.apply_async(queue=queue).get(timeout=60)

    pg_restart()

    after = fetch()  # the first request after the restart, on the same process and thread
    assert after.status_code == 200, after.text + web_log.read_text()[-3000:]
    assert subject in after.text
    assert web.poll() is None and worker.poll() is None, "a process died instead of reconnecting"
    # The same worker process (--pool=solo: tasks run in it) runs the next task without a restart...
    again = audit_verify_chain_task.apply_async(queue=queue).get(timeout=60)
    assert again["intact"] and again["check"] != before["check"]
    # ...and so does the harness's worker, which connects for each task.
    assert audit_verify_chain_task.delay().get(timeout=60)["intact"]
    # And this process, whose connections the restart closed, reads again.
    assert User.objects.filter(pk=user.pk).exists()
