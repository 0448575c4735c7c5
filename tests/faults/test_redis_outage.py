"""Redis stopped under a running web server: pages keep serving, /readyz says 503, work queued
meanwhile waits in the outbox, and once Redis is back the relay sends it and the real worker
does it, once.

The web server is a real gunicorn process on the harness's PostgreSQL (the test database) with
Redis as its broker and its cache. It runs with DEBUG off but not in the production mode
(DEBUG unset rather than 0): production serves static files only after collectstatic, which
takes minutes on the test machines, and nothing Redis touches differs between the two."""

import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from assessments.models import Notification, OutboxMessage, User
from assessments.services.notification_email import notification_email_task
from assessments.services.outbox import outbox_relay
from tests.conftest import PASSWORD
from tests.faults.pg import BIN, ROOT, free_port, production_env, stop
from tests.helpers import wait_for

# argon2: the web server checks the sign-in password with the real hashers.
pytestmark = [pytest.mark.services, pytest.mark.argon2, pytest.mark.django_db(transaction=True)]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def web(tmp_path, harness_redis):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("wb")
    env = production_env(
        tmp_path / "web",
        DEBUG="",
        CELERY_BROKER_URL=harness_redis.url(0),
        CACHE_URL=harness_redis.url(3),
    )
    process = subprocess.Popen(
        [BIN / "gunicorn", "priam.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return requests.get(f"{base}/healthz", timeout=5).status_code == 200
        except requests.ConnectionError:
            return process.poll() is not None  # died: stop waiting, the assertion below says so

    try:
        wait_for(answers, 90, "gunicorn to answer")
        assert process.poll() is None, log_path.read_text()[-3000:]
        yield base, log_path
    finally:
        stop(process)
        log.close()


def _form_token(response):
    found = CSRF.search(response.text)
    assert found, response.text[:2000]
    return found.group(1)


def _readiness(base):
    response = requests.get(f"{base}/readyz", timeout=30)
    return response.status_code, response.json()


def _mails_with(subject_part):
    from django.conf import settings

    folder = Path(settings.EMAIL_FILE_PATH)
    if not folder.exists():
        return []
    return [p for p in folder.glob("*") if subject_part in p.read_text(errors="replace")]


def test_with_redis_stopped_pages_serve_and_queued_work_runs_once_it_returns(
    example_project, harness_redis, web, capsys
):
    base, web_log = web
    project = example_project("E1")
    recipient = User.objects.get(username="genomics")  # a custodian on E1, so @mentionable
    assert recipient.email
    marker = uuid.uuid4().hex

    status, body = _readiness(base)
    assert status == 200, body

    harness_redis.stop()

    # Not ready: a balancer takes this node out while the broker is gone...
    status, body = _readiness(base)
    assert status == 503, body
    assert body["checks"]["broker"]["status"] == "failed"
    assert body["checks"]["cache"]["status"] == "failed"

    # ...but people on it carry on: sign in, read the project, post a comment.
    browser = requests.Session()
    page = browser.get(f"{base}/accounts/login/", timeout=30)
    assert page.status_code == 200, web_log.read_text()[-3000:]
    signed_in = browser.post(
        f"{base}/accounts/login/",
        data={"username": "coordinator", "password": PASSWORD, "csrfmiddlewaretoken": _form_token(page)},
        timeout=30,
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[:2000]
    page = browser.get(f"{base}/projects/{project.pk}/", timeout=30)
    assert page.status_code == 200, web_log.read_text()[-3000:]
    assert project.title in page.text

    thread = browser.get(f"{base}/projects/{project.pk}/comments/", timeout=30)
    assert thread.status_code == 200
    started = time.monotonic()
    posted = browser.post(
        f"{base}/projects/{project.pk}/comments/",
        data={"text": f"@genomics could you check this? {marker}", "csrfmiddlewaretoken": _form_token(thread)},
        timeout=30,
        allow_redirects=False,
    )
    took = time.monotonic() - started
    assert posted.status_code == 302, posted.text[:2000] + web_log.read_text()[-3000:]
    with capsys.disabled():
        print(f"\n[redis outage] comment posted with Redis stopped in {took:.2f} s")

    # The e-mail it asks for is not lost: the outbox holds it, its one publish having failed.
    notification = Notification.objects.get(recipient=recipient, body__contains=marker)
    assert notification.email == "pending"
    (message,) = OutboxMessage.objects.filter(sent_at__isnull=True)  # the project's own were sent before
    assert message.task == notification_email_task.name
    assert message.args == [[notification.pk]]
    assert message.sent_at is None and message.attempts == 1 and message.last_error
    assert not _mails_with(marker)

    harness_redis.start()

    # Ready again once the broker, the cache and a worker (which reconnects by itself) answer.
    wait_for(lambda: _readiness(base)[0] == 200, 90, "/readyz to turn 200 again")

    # What beat does every minute: send what waited, then the real worker e-mails it.
    report = outbox_relay()
    assert (report.sent, report.pending) == (1, 0)
    message.refresh_from_db()
    assert message.sent_at is not None
    wait_for(lambda: _mails_with(marker), 60, "the worker to send the e-mail")
    wait_for(lambda: Notification.objects.get(pk=notification.pk).email == "sent", 30, "the worker to mark it sent")
    # Once: nothing is left to relay, and a second delivery would have found it already sent.
    assert outbox_relay().sent == 0
    assert len(_mails_with(marker)) == 1
