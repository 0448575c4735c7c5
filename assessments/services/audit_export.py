"""Export audit events as CSV or JSON Lines, streaming with constant memory.

Small exports stream straight to the browser (audit_export_rows); large ones
run in the background into a file (audit_export_run). Either way exactly one
audit.exported event records who exported what, how many rows and the
SHA-256 of the bytes.

On PostgreSQL the CSV comes from `COPY (SELECT ...) TO STDOUT`, formatted in
SQL so that it is byte-identical to the Python path used elsewhere.

CSV cells that a spreadsheet would run as a formula are neutralised (CWE-1236);
the JSON Lines export keeps every value exactly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..models import AuditAction, AuditExport
from ..selectors.audit import audit_events_filtered, filters_to_json
from .audit import audit_record
from .outbox import outbox_enqueue

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Mapping
    from datetime import datetime
    from pathlib import Path

    from django.db.models import QuerySet
    from django.http import HttpRequest

    from ..models import AuditEvent, User

log = logging.getLogger(__name__)

COLUMNS = (
    "sequence",
    "timestamp",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "organisation_id",
    "project_id",
    "ip_address",
    "user_agent",
    "data",
    "prev_hash",
    "hash",
)
# The model fields behind COLUMNS ("data" is the stored canonical data_json text).
FIELDS = COLUMNS[:11] + ("data_json",) + COLUMNS[12:]
# CSV injection, as OWASP recommends (https://owasp.org/www-community/attacks/CSV_Injection):
# a cell starting with one of these characters is a formula to Excel, LibreOffice and
# Google Sheets, so it gets a leading single quote, which they show as text. Only the
# free-text columns can start with one: the others are numbers, ISO 8601 times, IP
# addresses and hex digests. A user agent comes from anyone, signed in or not.
FORMULA_TRIGGERS = frozenset(("=", "+", "-", "@", "\t", "\r"))
FORMULA_COLUMNS = ("actor", "action", "object_type", "object_id", "user_agent", "data")
_FORMULA_INDEXES = tuple(COLUMNS.index(name) for name in FORMULA_COLUMNS)
CHUNK_ROWS = 5000
FLUSH_BYTES = 1 << 16
PROGRESS_EVERY = 5000


def _pg_text(column: str) -> str:
    """The text column as _csv_python writes it (formula triggers quoted), empty as NULL."""
    return (
        f"NULLIF(CASE WHEN left({column}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
        f"THEN '''' || {column} ELSE {column} END, '')"
    )


# One SQL expression per column, over the filtered sub-select aliased "e".
# Timestamps are formatted exactly like datetime.isoformat(timespec="microseconds")
# in UTC; empty strings become NULL so that COPY writes them unquoted, like csv.writer.
_PG_COLUMNS = (
    "e.sequence",
    """to_char(e.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')""",
    "e.actor_id",
    _pg_text("e.actor"),
    _pg_text("e.action"),
    _pg_text("e.object_type"),
    _pg_text("e.object_id"),
    "e.organisation_id",
    "e.project_id",
    "e.ip_address",
    _pg_text("e.user_agent"),
    _pg_text("e.data_json"),
    "NULLIF(e.prev_hash, '')",
    "NULLIF(e.hash, '')",
)


@dataclass
class ExportResult:
    rows: int = 0
    sha256: str = ""
    complete: bool = False


def export_file_name(fmt: str, when: datetime | None = None) -> str:
    """priam-audit-<UTC timestamp>.<fmt>, the name a streamed export downloads as."""
    when = (when or timezone.now()).astimezone(UTC)
    return f"priam-audit-{when:%Y%m%dT%H%M%SZ}.{fmt}"


# --- the row sources ---------------------------------------------------------


def _python_rows(queryset: QuerySet[AuditEvent]) -> Iterator[tuple[Any, ...]]:
    """values_list tuples in sequence order with constant memory.

    SQLite reads in chunks from one cursor. On PostgreSQL, keyset pages
    (sequence > last LIMIT n) avoid a WITH HOLD server-side cursor, which
    PostgreSQL would materialise in full outside a transaction.
    """
    rows = queryset.order_by("sequence").values_list(*FIELDS)
    if connection.vendor != "postgresql":
        yield from rows.iterator(chunk_size=CHUNK_ROWS)
        return
    last = None
    while True:
        page = rows if last is None else rows.filter(sequence__gt=last)
        batch = list(page[:CHUNK_ROWS])
        if not batch:
            return
        yield from batch
        last = batch[-1][0]


def _csv_python(
    queryset: QuerySet[AuditEvent], result: ExportResult, progress: Callable[[int], None] | None
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # csv.writer quotes a lone \r only when it is in the line terminator; PostgreSQL
    # always quotes it. This writer handles the (practically impossible) rows with one.
    cr_writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in _python_rows(queryset):
        row = list(row)
        row[1] = row[1].isoformat(timespec="microseconds")
        for index in _FORMULA_INDEXES:
            if row[index][:1] in FORMULA_TRIGGERS:  # these columns are never NULL
                row[index] = "'" + row[index]
        if "\r" in row[3] or "\r" in row[5] or "\r" in row[6] or "\r" in row[10]:
            cr_writer.writerow(row)
            buffer.seek(buffer.tell() - 2)
            buffer.write("\n")
            buffer.truncate()
        else:
            writer.writerow(row)
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
        if buffer.tell() >= FLUSH_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    result.rows = count
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _jsonl_python(
    queryset: QuerySet[AuditEvent], result: ExportResult, progress: Callable[[int], None] | None
) -> Iterator[bytes]:
    parts, size, count = [], 0, 0
    for (
        sequence,
        timestamp,
        actor_id,
        actor,
        action,
        object_type,
        object_id,
        organisation_id,
        project_id,
        ip_address,
        user_agent,
        data_json,
        prev_hash,
        digest,
    ) in _python_rows(queryset):
        # %-formatting (UP031 is off for this file): the fastest way to build a million lines.
        line = (
            '{"sequence":%d,"timestamp":"%s","actor_id":%s,"actor":%s,"action":%s,'
            '"object_type":%s,"object_id":%s,"organisation_id":%s,"project_id":%s,'
            '"ip_address":%s,"user_agent":%s,"data":%s,"prev_hash":"%s","hash":"%s"}\n'
        ) % (
            sequence,
            timestamp.isoformat(timespec="microseconds"),
            "null" if actor_id is None else actor_id,
            _dump(actor),
            _dump(action),
            _dump(object_type),
            _dump(object_id),
            "null" if organisation_id is None else organisation_id,
            "null" if project_id is None else project_id,
            "null" if ip_address is None else _dump(ip_address),
            _dump(user_agent),
            data_json,
            prev_hash,
            digest,
        )
        parts.append(line)
        size += len(line)
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
        if size >= FLUSH_BYTES:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    result.rows = count
    if parts:
        yield "".join(parts).encode("utf-8")


def copy_sql(queryset: QuerySet[AuditEvent]) -> tuple[str, tuple[Any, ...]]:
    """The COPY statement and its parameters for the filtered queryset's CSV."""
    inner, params = queryset.order_by().values_list(*FIELDS).query.sql_with_params()
    select = ", ".join(f"{expression} AS {name}" for expression, name in zip(_PG_COLUMNS, COLUMNS, strict=True))
    sql = f"COPY (SELECT {select} FROM ({inner}) AS e ORDER BY e.sequence) TO STDOUT WITH (FORMAT csv, HEADER)"
    return sql, params


def _csv_copy(
    queryset: QuerySet[AuditEvent], result: ExportResult, progress: Callable[[int], None] | None
) -> Iterator[bytes]:
    sql, params = copy_sql(queryset)
    connection.ensure_connection()
    parts, size, messages = [], 0, 0
    # PostgreSQL sends one CopyData message per row (the header first).
    with connection.cursor() as cursor, cursor.cursor.copy(sql, params or None) as copy:
        for data in copy:
            parts.append(data)
            size += len(data)
            messages += 1
            if progress is not None and messages % PROGRESS_EVERY == 0:
                progress(messages - 1)
            if size >= FLUSH_BYTES:
                yield b"".join(parts)
                parts, size = [], 0
    result.rows = max(messages - 1, 0)
    if parts:
        yield b"".join(parts)


def _stream(
    queryset: QuerySet[AuditEvent],
    fmt: str,
    result: ExportResult,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """Yield the export's bytes, filling in result (rows, sha256, complete) at the end."""
    if fmt == AuditExport.Format.CSV:
        source = _csv_copy if connection.vendor == "postgresql" else _csv_python
    elif fmt == AuditExport.Format.JSONL:
        source = _jsonl_python
    else:
        raise ValueError(f"Unknown export format {fmt!r}")
    hasher = hashlib.sha256()
    for chunk in source(queryset, result, progress):
        hasher.update(chunk)
        yield chunk
    result.sha256 = hasher.hexdigest()
    result.complete = True


def _record_export(
    *,
    fmt: str,
    filters: Mapping[str, Any] | None,
    result: ExportResult,
    actor: User | None,
    request: HttpRequest | None,
    export: AuditExport | None = None,
) -> None:
    audit_record(
        action=AuditAction.AUDIT_EXPORTED,
        actor=actor,
        request=request,
        obj=export,
        data={
            "format": str(fmt),
            "filters": filters_to_json(filters),
            "rows": result.rows,
            "sha256": result.sha256,
            "complete": result.complete,
        },
    )


def audit_export_rows(
    *,
    queryset: QuerySet[AuditEvent],
    fmt: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
    filters: Mapping[str, Any] | None = None,
    result: ExportResult | None = None,
) -> Generator[bytes, None, None]:
    """Stream the queryset as CSV or JSONL bytes, then write one audit.exported event.

    If the consumer stops early (the browser went away) the event still records
    the export, with complete=False and the rows sent so far unknown (0).
    """
    result = result if result is not None else ExportResult()
    try:
        yield from _stream(queryset, fmt, result)
    except GeneratorExit:
        try:
            _record_export(fmt=fmt, filters=filters, result=result, actor=actor, request=request)
        except Exception:  # never mask the disconnect
            log.exception("Could not record an interrupted audit export")
        raise
    _record_export(fmt=fmt, filters=filters, result=result, actor=actor, request=request)


# --- the background path -----------------------------------------------------


def exports_dir() -> Path:
    path = settings.DATA_DIR / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_path(export: AuditExport) -> Path:
    return exports_dir() / export.file_name


def audit_export_request(*, user: User, fmt: str, filters: Mapping[str, Any] | None, total: int) -> AuditExport:
    """Create the AuditExport row for a background export and queue the task on commit."""
    export = AuditExport.objects.create(
        requested_by=user,
        format=fmt,
        filters=filters_to_json(filters),
        total=total,
    )
    outbox_enqueue(task=audit_export_task, args=[export.pk])
    return export


def audit_export_run(*, export_id: int) -> AuditExport:
    """Write the export's file, then mark it done with its audit.exported event.

    Idempotent: a done export is left alone, so a redelivered task does nothing.
    """
    with transaction.atomic():
        export = AuditExport.objects.select_for_update(no_key=True).get(pk=export_id)
        if export.status == AuditExport.Status.DONE:
            return export
        queryset = audit_events_filtered(filters=export.filters)
        export.status = AuditExport.Status.RUNNING
        export.total = queryset.count()
        export.done = 0
        export.error = ""
        if not export.file_name:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            export.file_name = f"priam-audit-{export.pk}-{stamp}.{export.format}"
        export.save(update_fields=["status", "total", "done", "error", "file_name"])

    def progress(rows: int) -> None:
        AuditExport.objects.filter(pk=export_id).update(done=rows)

    result = ExportResult()
    final = export_path(export)
    partial = final.with_name(final.name + f".{os.getpid()}.part")
    try:
        with open(partial, "wb") as out:
            for chunk in _stream(queryset, export.format, result, progress):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        with transaction.atomic():
            export = AuditExport.objects.select_for_update(no_key=True).get(pk=export_id)
            if export.status == AuditExport.Status.DONE:
                # A second delivery of the task, run alongside the first: the file that is done,
                # and whose hash is stored, stays; this run's copy (maybe with newer events) goes.
                partial.unlink(missing_ok=True)
                return export
            os.replace(partial, final)
            export.status = AuditExport.Status.DONE
            export.done = result.rows
            export.total = result.rows
            export.sha256 = result.sha256
            export.finished_at = timezone.now()
            export.save(update_fields=["status", "done", "total", "sha256", "finished_at"])
            _record_export(
                fmt=export.format,
                filters=export.filters,
                result=result,
                actor=export.requested_by,
                request=None,
                export=export,
            )
        return export
    except Exception as exc:
        log.exception("Audit export %s failed", export_id)
        partial.unlink(missing_ok=True)
        AuditExport.objects.filter(pk=export_id).exclude(status=AuditExport.Status.DONE).update(
            status=AuditExport.Status.FAILED,
            error=str(exc)[:2000],
            finished_at=timezone.now(),
        )
        return AuditExport.objects.get(pk=export_id)


# The name stays where it was first published, so queued messages survive the move.
@shared_task(name="assessments.tasks.audit_export_task", acks_late=True, reject_on_worker_lost=True)
def audit_export_task(export_id: int) -> dict[str, Any]:
    """Write a large audit export to a file (audit_export_run)."""
    export = audit_export_run(export_id=export_id)
    return {"export": export.pk, "status": export.status}
