"""Audit CSV exports never hand a spreadsheet a live formula (CWE-1236); JSONL keeps exact values."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from assessments.models import AuditAction, AuditEvent, AuditExport, User
from assessments.selectors.audit import audit_events_filtered
from assessments.services import audit_export as export_service
from assessments.services.audit import audit_record

pytestmark = pytest.mark.django_db

AGENT = '=HYPERLINK("http://x")'
TRIGGERS = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]


@pytest.fixture
def failed_sign_in(demo):
    response = Client(HTTP_USER_AGENT=AGENT).post(reverse("login"), {"username": "custodian", "password": "wrong"})
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.AUTH_LOGIN_FAILED)
    assert event.user_agent == AGENT  # stored exactly as sent
    return event


def _csv_rows(body):
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def _download(client, params):
    response = client.get(reverse("audit_export"), params)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_streamed_csv_export_neutralises_a_formula_user_agent(login, auditor, failed_sign_in):
    rows = _csv_rows(_download(login(auditor), {"format": "csv"}))
    failed = [r for r in rows if r["action"] == AuditAction.AUTH_LOGIN_FAILED]
    assert [r["user_agent"] for r in failed] == ["'" + AGENT]


def test_the_background_csv_export_neutralises_it_too(auditor, failed_sign_in, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    export = AuditExport.objects.create(requested_by=auditor, format="csv", filters={}, total=0)
    export = export_service.audit_export_run(export_id=export.pk)
    assert export.status == AuditExport.Status.DONE, export.error
    rows = _csv_rows(export_service.export_path(export).read_bytes())
    failed = [r for r in rows if r["action"] == AuditAction.AUTH_LOGIN_FAILED]
    assert [r["user_agent"] for r in failed] == ["'" + AGENT]


def test_the_jsonl_export_keeps_the_exact_value(login, auditor, failed_sign_in):
    lines = [json.loads(line) for line in _download(login(auditor), {"format": "jsonl"}).splitlines()]
    failed = [line for line in lines if line["action"] == AuditAction.AUTH_LOGIN_FAILED]
    assert [line["user_agent"] for line in failed] == [AGENT]


class _Request:
    def __init__(self, agent):
        self.user = None
        self.META = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": agent}


def test_every_trigger_in_every_text_column_is_neutralised_and_nothing_else(auditor):
    mallory = User.objects.create_user("+mallory")  # Django usernames may start with + - @
    for value in TRIGGERS + ["a=b", "plain", ""]:
        audit_record(
            action=AuditAction.DEMO_LOADED,
            actor=mallory,
            request=_Request(value),
            object_type=value,
            object_id=value,
            project_id=4242,
            data={"v": value},
        )
    queryset = audit_events_filtered(filters={"project": "4242"})
    body = b"".join(export_service._csv_python(queryset, export_service.ExportResult(), None))
    rows = _csv_rows(body)
    for row, value in zip(rows, TRIGGERS + ["a=b", "plain", ""], strict=True):
        expected = "'" + value if value in TRIGGERS else value
        assert (row["user_agent"], row["object_type"], row["object_id"]) == (expected,) * 3
        assert row["actor"] == "'+mallory" and row["action"] == AuditAction.DEMO_LOADED
        assert json.loads(row["data"]) == {"v": value}
    if connection.vendor == "postgresql":
        copy_bytes = b"".join(export_service._csv_copy(queryset, export_service.ExportResult(), None))
        assert copy_bytes == body
