"""Audit exports: streamed CSV/JSONL equal the database, one audit.exported event, background path."""

import csv
import hashlib
import io
import json
import time

import pytest
from django.db import connection
from django.urls import reverse

from assessments.models import AuditAction, AuditEvent, AuditExport, Organisation
from assessments.selectors.audit import audit_events_filtered
from assessments.services import audit_export as export_service
from assessments.services.audit import audit_record, audit_verify

COLUMNS = export_service.COLUMNS
FIELDS = export_service.FIELDS


class _Request:
    """Enough of a request for audit_record: an address, a user agent, a user."""

    def __init__(self, user, ip, agent):
        self.user = user
        self.META = {"REMOTE_ADDR": ip, "HTTP_USER_AGENT": agent}


def _fill(actor):
    org_ids = list(Organisation.objects.order_by("name").values_list("pk", flat=True)[:2])
    tricky = [
        ("127.0.0.1", 'Mozilla/5.0 (X11; Linux) "quoted", comma'),
        ("2001:db8::1", ""),
        ("10.1.2.3", "agent with é and 漢字"),
    ]
    for i in range(30):
        ip, agent = tricky[i % 3]
        audit_record(
            action=AuditAction.DEMO_LOADED if i % 2 else AuditAction.AUTH_LOGIN,
            actor=actor if i % 4 else None,
            request=_Request(actor, ip, agent) if i % 5 else None,
            object_type="demo" if i % 3 else "",
            object_id=("line\nbreak" if i == 7 else "carriage\rreturn" if i == 8 else str(i)) if i % 3 else "",
            organisation_id=org_ids[i % 2] if i % 6 else None,
            project_id=77 if i % 2 else 78,
            data={"i": i, "text": 'a,b "c"\nd', "unicode": "café ✓", "nested": {"x": [1, None, True]}},
        )


@pytest.fixture
def trail(auditor):
    _fill(auditor)
    return AuditEvent.objects.order_by("sequence")


def _db_rows(queryset):
    return list(queryset.order_by("sequence").values_list(*FIELDS))


def _as_text(row):
    """A database row as the CSV writes it: NULLs empty, timestamp in ISO-8601 UTC."""
    out = []
    for name, value in zip(COLUMNS, row, strict=True):
        if name == "timestamp":
            out.append(value.isoformat(timespec="microseconds"))
        else:
            out.append("" if value is None else str(value))
    return out


def _exported_events():
    return list(AuditEvent.objects.filter(action=AuditAction.AUDIT_EXPORTED))


def _download(client, url, params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    body = b"".join(response.streaming_content)  # the test client closes it at the end
    return response, body


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"project": "77"}, {"action": "auth.", "organisation": "first"}])
def test_a_csv_export_equals_the_database_and_is_recorded_once(login, auditor, trail, params):
    client = login(auditor)  # signing in is audited too: before reading the expected rows
    if params.get("organisation") == "first":
        params = {**params, "organisation": str(Organisation.objects.order_by("name").first().pk)}
    queryset = audit_events_filtered(filters=params)
    expected = _db_rows(queryset)
    before = len(_exported_events())
    response, body = _download(client, reverse("audit_export"), {**params, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="priam-audit-')
    assert response["Content-Disposition"].endswith('.csv"')

    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert rows[0] == list(COLUMNS)
    assert len(rows) - 1 == len(expected) > 0
    for got, want in zip(rows[1:], expected, strict=True):
        assert got == _as_text(want)

    recorded = _exported_events()
    assert len(recorded) == before + 1
    event = recorded[-1]
    assert event.actor == "auditor" and event.actor_id == auditor.pk
    assert event.data == {
        "format": "csv",
        "filters": {k: (v if k == "action" else int(v)) for k, v in params.items()},
        "rows": len(expected),
        "sha256": hashlib.sha256(body).hexdigest(),
        "complete": True,
    }
    assert event.ip_address == "127.0.0.1"
    assert audit_verify().ok


@pytest.mark.django_db
def test_a_jsonl_export_equals_the_database(login, auditor, trail):
    client = login(auditor)
    expected = _db_rows(audit_events_filtered(filters={"project": "78"}))
    response, body = _download(client, reverse("audit_export"), {"project": "78", "format": "jsonl"})
    assert response["Content-Disposition"].endswith('.jsonl"')
    lines = body.decode("utf-8").splitlines()
    assert len(lines) == len(expected) > 0
    for line, want in zip(lines, expected, strict=True):
        got = json.loads(line)
        assert list(got) == list(COLUMNS)
        for name, value in zip(COLUMNS, want, strict=True):
            if name == "timestamp":
                assert got[name] == value.isoformat(timespec="microseconds")
            elif name == "data":
                assert got[name] == json.loads(value)
            else:
                assert got[name] == value, name
    event = _exported_events()[-1]
    assert event.data["sha256"] == hashlib.sha256(body).hexdigest()
    assert event.data["rows"] == len(expected) and event.data["format"] == "jsonl"


@pytest.mark.django_db
def test_an_empty_export_has_a_header_and_is_still_recorded(login, auditor, trail):
    _, body = _download(login(auditor), reverse("audit_export"), {"project": "12345", "format": "csv"})
    assert body == (",".join(COLUMNS) + "\n").encode()
    assert _exported_events()[-1].data["rows"] == 0


@pytest.mark.django_db
def test_the_csv_is_byte_identical_on_every_path(auditor, trail):
    """The Python writer and (on PostgreSQL) COPY give the same bytes; both parse back to the rows."""
    queryset = audit_events_filtered(filters={})
    python_bytes = b"".join(export_service._csv_python(queryset, export_service.ExportResult(), None))
    rows = list(csv.reader(io.StringIO(python_bytes.decode(), newline="")))
    assert rows[1:] == [_as_text(r) for r in _db_rows(queryset)]
    result = export_service.ExportResult()
    streamed = b"".join(export_service._stream(queryset, "csv", result))
    assert streamed == python_bytes
    assert result.rows == len(rows) - 1 and result.sha256 == hashlib.sha256(streamed).hexdigest()
    if connection.vendor == "postgresql":
        copy_bytes = b"".join(export_service._csv_copy(queryset, export_service.ExportResult(), None))
        assert copy_bytes == python_bytes


@pytest.mark.django_db
def test_an_unknown_format_is_refused(login, auditor, trail):
    before = len(_exported_events())
    response = login(auditor).get(reverse("audit_export"), {"format": "xml"})
    assert response.status_code == 400
    assert len(_exported_events()) == before


@pytest.mark.django_db
def test_the_status_page_shows_progress_then_the_download_link(login, auditor, trail, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    export = AuditExport.objects.create(requested_by=auditor, format="csv", filters={"project": 77}, total=15)
    client = login(auditor)
    url = reverse("audit_export_status", args=[export.pk])
    html = client.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "<progress" in html and 'aria-valuenow="0"' in html and "0%" in html
    assert '<label for="export-progress"' in html
    assert reverse("audit_export_download", args=[export.pk]) not in html
    assert client.get(reverse("audit_export_download", args=[export.pk])).status_code == 404

    export_service.audit_export_run(export_id=export.pk)
    html = client.get(url).content.decode()
    assert 'http-equiv="refresh"' not in html
    assert 'value="100"' in html and "100%" in html
    assert reverse("audit_export_download", args=[export.pk]) in html
    # Running it again (a redelivered task) changes nothing.
    events_before = len(_exported_events())
    export_service.audit_export_run(export_id=export.pk)
    assert len(_exported_events()) == events_before


def _wait_until_finished(export, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        export.refresh_from_db()
        if export.status in (AuditExport.Status.DONE, AuditExport.Status.FAILED):
            return export
        time.sleep(0.2)
    raise AssertionError(f"export {export.pk} still {export.status} after {timeout} s")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_large_export_runs_in_the_background(login, auditor, settings, tmp_path, fmt):
    # Eager Celery (no broker) runs the task in this process; with `make test` a real
    # worker does, writing under the same PRIAM_DATA_DIR.
    if settings.CELERY_TASK_ALWAYS_EAGER:
        settings.DATA_DIR = tmp_path
    settings.AUDIT_EXPORT_STREAM_LIMIT = 5
    client = login(auditor)
    _fill(auditor)
    filters = {"project": "77"}
    expected = _db_rows(audit_events_filtered(filters=filters))

    response = client.get(reverse("audit_export"), {**filters, "format": fmt})
    assert response.status_code == 302
    export = AuditExport.objects.get()
    assert response["Location"] == reverse("audit_export_status", args=[export.pk])
    assert export.requested_by == auditor and export.filters == {"project": 77}

    export = _wait_until_finished(export)
    assert export.status == AuditExport.Status.DONE, export.error
    assert export.done == export.total == len(expected)
    assert export.finished_at is not None

    html = client.get(response["Location"]).content.decode()
    download_url = reverse("audit_export_download", args=[export.pk])
    assert download_url in html and 'http-equiv="refresh"' not in html
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == export.sha256

    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
        assert rows[0] == list(COLUMNS)
        assert rows[1:] == [_as_text(r) for r in expected]
    else:
        got = [json.loads(line) for line in body.decode().splitlines()]
        assert [g["sequence"] for g in got] == [r[0] for r in expected]
        assert [g["hash"] for g in got] == [r[-1] for r in expected]
        assert [g["data"] for g in got] == [json.loads(r[11]) for r in expected]

    recorded = _exported_events()
    assert len(recorded) == 1
    assert recorded[0].actor == "auditor"
    assert recorded[0].data == {
        "format": fmt,
        "filters": {"project": 77},
        "rows": len(expected),
        "sha256": export.sha256,
        "complete": True,
    }
    assert recorded[0].object_type == "auditexport" and recorded[0].object_id == str(export.pk)
    assert audit_verify().ok

    # Only the requester or an administrator may download it.
    from assessments.models import User

    other = User.objects.create_user("auditor2", password="x", is_auditor=True)
    assert login(other).get(download_url).status_code == 404
    admin = User.objects.create_user("boss", password="x", is_superuser=True)
    response = login(admin).get(download_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == body
