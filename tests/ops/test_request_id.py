"""A request id on every response and log line, carried into the tasks the request queues."""

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

from assessments.logs import RequestIdFilter
from assessments.models import AuditExport

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def log_lines():
    """(logger name, message, request id) of every record logged, read through the filter settings use."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append((record.name, record.getMessage(), record.request_id))

    handler = Collect(level=logging.INFO)
    handler.addFilter(RequestIdFilter(default="-"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    first = client.get(reverse("login"))["X-Request-ID"]
    second = client.get(reverse("login"))["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize("given", [str(uuid.uuid4()), uuid.uuid4().hex])
def test_a_well_formed_id_from_the_proxy_is_kept(client, given):
    assert client.get(reverse("login"), HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["not-an-id", "x" * 300, "abc\r\nSet-Cookie: a=b", "<script>"])
def test_a_malformed_id_is_replaced(client, given):
    returned = client.get(reverse("login"), HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    assert returned != given and len(returned) == 32


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_logs_the_requests_id(login, auditor, settings, tmp_path, log_lines):
    """Eager here (the task runs in the request); tests/ops/test_ops_services.py has the real worker."""
    settings.CELERY_TASK_ALWAYS_EAGER = True  # as without CELERY_BROKER_URL (`make test` sets one)
    settings.DATA_DIR = tmp_path
    settings.AUDIT_EXPORT_STREAM_LIMIT = 0  # any export goes to the background
    given = uuid.uuid4().hex
    response = login(auditor).get(reverse("audit_export"), {"format": "csv"}, HTTP_X_REQUEST_ID=given)
    assert response.status_code == 302
    assert AuditExport.objects.get().status == AuditExport.Status.DONE
    # The eager task leaves the request its id.
    assert response["X-Request-ID"] == given
    task_lines = [line for line in log_lines if line[0] == "priam.tasks"]
    assert task_lines and "audit_export_task" in task_lines[0][1]
    assert {line[2] for line in task_lines} == {given}
    # Outside the request, no id.
    logging.getLogger("priam.tasks").info("after")
    assert log_lines[-1][2] == "-"


def _log_from_a_process(**env):
    script = "import logging; logging.getLogger('priam.check').warning('hello %s', 'there')"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )


def test_json_logs_are_one_object_a_line_with_the_request_id(tmp_path):
    result = _log_from_a_process(PRIAM_LOG_FORMAT="json", PRIAM_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if "priam.check" in line]
    assert len(lines) == 1
    assert lines[0]["message"] == "hello there"
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "priam.check"
    assert lines[0]["request_id"] == "-" and lines[0]["time"]


def test_text_logs_are_the_default_outside_production(tmp_path):
    result = _log_from_a_process(PRIAM_LOG_FORMAT="", PRIAM_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "priam.check" in line]
    assert line.endswith("WARNING priam.check [-] hello there")


def test_production_logs_json_by_default(tmp_path):
    result = _log_from_a_process(
        DEBUG="0",
        SECRET_KEY="a-real-production-secret-that-is-long-and-random-0123456789abcdef",
        ALLOWED_HOSTS="priam.example.org",
        PRIAM_LOG_FORMAT="",
        PRIAM_DATA_DIR=str(tmp_path),
    )
    [line] = [line for line in result.stderr.splitlines() if "priam.check" in line]
    assert json.loads(line)["message"] == "hello there"


def test_an_unknown_log_format_is_refused_by_name(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "PRIAM_LOG_FORMAT": "xml", "PRIAM_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "PRIAM_LOG_FORMAT must be json or text" in result.stderr
