"""Append to and verify the audit hash chain.

Each event's hash is the SHA-256 of its canonical JSON (sorted keys, compact,
UTF-8), which includes the previous event's hash. Appenders lock the single
chain-head row, so two writers can never both extend the same event.
"""

from __future__ import annotations

import hashlib
import json
import re
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from ..models import AuditAction, AuditChainHead, AuditEvent, DecisionRecord
from ..selectors.audit import GENESIS_HASH, audit_head

if TYPE_CHECKING:
    from collections.abc import Generator, Mapping
    from datetime import datetime

    from django.db.models import Model
    from django.http import HttpRequest

    from ..models import Organisation, Project, User

MASK = "********"
_SECRET_KEY = re.compile(r"(password|passphrase|token|secret|api_?key|private_?key|signature_key)", re.I)
_ACTIONS = frozenset(AuditAction.values)


def mask_secrets(value: Any) -> Any:
    """Replace the value of any key that names a secret, at any depth."""
    if isinstance(value, dict):
        return {
            k: (MASK if _SECRET_KEY.search(str(k)) and v not in (None, "") else mask_secrets(v))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [mask_secrets(v) for v in value]
    return value


def canonical_data(data: Mapping[str, Any] | None) -> str:
    return json.dumps(mask_secrets(data or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _dump(value: Any) -> str:
    """json.dumps(value, ensure_ascii=False), fast for the types an event holds."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


# The C string encoder json.dumps(..., ensure_ascii=False) itself uses for a str,
# without building a JSONEncoder per call.
_encode_str = json.encoder.encode_basestring
_CANONICAL = (
    '{"action":%s,"actor":%s,"actor_id":%s,"data":%s,"ip_address":%s,"object_id":%s,'
    '"object_type":%s,"organisation_id":%s,"prev_hash":%s,"project_id":%s,"sequence":%d,'
    '"timestamp":%s,"user_agent":%s}'
)
_sha256 = hashlib.sha256


def _hash_of(
    sequence: int,
    timestamp: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    organisation_id: int | None,
    project_id: int | None,
    ip_address: str | None,
    user_agent: str,
    data_json: str,
    prev_hash: str,
) -> str:
    canonical = _CANONICAL % (
        _dump(action),
        _dump(actor),
        _dump(actor_id),
        data_json,
        _dump(ip_address),
        _dump(object_id),
        _dump(object_type),
        _dump(organisation_id),
        _dump(prev_hash),
        _dump(project_id),
        sequence,
        _encode_str(timestamp.isoformat(timespec="microseconds")),
        _dump(user_agent),
    )
    return _sha256(canonical.encode("utf-8")).hexdigest()


def event_hash(
    *,
    sequence: int,
    timestamp: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    organisation_id: int | None,
    project_id: int | None,
    ip_address: str | None,
    user_agent: str,
    data_json: str,
    prev_hash: str,
) -> str:
    """SHA-256 of the event's canonical JSON; data_json is embedded as stored.

    The canonical form is the JSON object of the event's fields with sorted keys,
    compact separators and non-ASCII kept as UTF-8 (json.dumps(ensure_ascii=False)).
    """
    return _hash_of(
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
    )


def _client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR") or None


def _actor_of(actor: User | None, request: HttpRequest | None) -> tuple[int | None, str]:
    user = actor if actor is not None else getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk, user.get_username()
    return None, "system" if request is None else "anonymous"


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    organisation: Organisation | None = None,
    organisation_id: int | None = None,
    project: Project | None = None,
    project_id: int | None = None,
    request: HttpRequest | None = None,
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    Call it in the same transaction as the change it records, so that both
    commit or neither does.
    """
    if action not in _ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}: add it to AuditAction first.")
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
    actor_id, actor_name = _actor_of(actor, request)
    fields = {
        "timestamp": timezone.now(),
        "actor_id": actor_id,
        "actor": actor_name,
        "action": str(action),
        "object_type": object_type,
        "object_id": str(object_id) if object_id != "" else "",
        "organisation_id": organisation.pk if organisation is not None else organisation_id,
        "project_id": project.pk if project is not None else project_id,
        "ip_address": _client_ip(request) if request is not None else None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:512] if request is not None else "",
        "data_json": canonical_data(data),
    }
    with transaction.atomic():
        head = _locked_head()
        sequence = head.sequence + 1
        digest = event_hash(sequence=sequence, prev_hash=head.hash, **fields)
        event = AuditEvent.objects.create(sequence=sequence, prev_hash=head.hash, hash=digest, **fields)
        head.sequence, head.hash = sequence, digest
        head.save(update_fields=["sequence", "hash"])
    return event


def audit_lock() -> None:
    """Take the audit chain's lock now; it is held until the transaction ends.

    Every audited write takes it at its first event and holds it to its commit, so a write that
    must also read what only one writer at a time may use (a record's next number) takes it
    before that read: otherwise two such writes can each hold what the other waits for."""
    _locked_head()


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    head_sequence: int
    head_hash: str
    bad_sequence: int | None = None
    problem: str = ""
    records_checked: int = 0
    bad_record: str = ""  # the first decision record whose chain head the log contradicts
    detail: str = ""  # where the change must lie, when the records narrow it down


VERIFY_FIELDS = (
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
    "data_json",
    "prev_hash",
    "hash",
)


# On PostgreSQL the timestamp is formatted in SQL exactly as
# datetime.isoformat(timespec="microseconds") writes a UTC time, which spares
# parsing a datetime per row only to format it again.
_PG_ISO_UTC = """to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


def _verify_rows(chunk_size: int) -> Generator[tuple[Any, ...], None, None]:
    """The chain's rows in sequence order, as VERIFY_FIELDS tuples with the timestamp
    as ISO-8601 text, in constant memory.

    On PostgreSQL the rows are streamed (psycopg's chunked-rows mode), so the server
    produces the next rows while Python hashes these ones, without the ORM's
    per-row work. Elsewhere: the ORM's chunked iterator.
    """
    if connection.vendor != "postgresql":
        rows = AuditEvent.objects.order_by("sequence").values_list(*VERIFY_FIELDS).iterator(chunk_size)
        for row in rows:
            yield (row[0], row[1].isoformat(timespec="microseconds")) + row[2:]
        return
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(_PG_ISO_UTC if f == "timestamp" else connection.ops.quote_name(f) for f in VERIFY_FIELDS)
    with connection.cursor() as wrapper:
        raw = wrapper.cursor.connection.cursor()
        # Stopping early (a broken chain) closes this generator: psycopg then
        # cancels the query and leaves the connection usable.
        yield from raw.stream(f"SELECT {columns} FROM {table} ORDER BY sequence", size=1000)


def audit_verify(*, chunk_size: int = 10000) -> ChainReport:
    """Walk the whole chain, then hold it against the chain heads signed into decision records.

    The hashes alone cannot catch an intruder who changes an event and recomputes
    every later hash and the head; the records' heads (also in their signed PDFs)
    can, for every event up to the newest record's head.
    """
    report = _chain_verify(chunk_size)
    if not report.ok:
        return report
    return _anchors_verify(report)


def _short(digest: str) -> str:
    return f"{digest[:16]}…"


def _anchors_verify(report: ChainReport) -> ChainReport:
    """The report, failed at the first record (in chain order) whose head the log contradicts."""
    anchors = list(
        DecisionRecord.objects.order_by("audit_head_sequence", "pk").values_list(
            "number", "audit_head_sequence", "audit_head_hash"
        )
    )
    hashes = {}
    sequences = sorted({sequence for _, sequence, _ in anchors})
    for start in range(0, len(sequences), 500):
        hashes.update(
            AuditEvent.objects.filter(sequence__in=sequences[start : start + 500]).values_list("sequence", "hash")
        )
    hashes[0] = GENESIS_HASH
    confirmed = None  # (number, sequence) of the last record the log agrees with
    for checked, (number, sequence, anchored_hash) in enumerate(anchors):
        found = hashes.get(sequence)
        if found == anchored_hash:
            confirmed = (number, sequence)
            continue
        now = "is missing" if found is None else f"now hashes to {_short(found)}"
        detail = f"An event at or before event {sequence} was changed" + (
            f", after event {confirmed[1]}, which {confirmed[0]} confirms." if confirmed else "."
        )
        return ChainReport(
            False,
            report.count,
            report.head_sequence,
            report.head_hash,
            sequence,
            f"{number} was issued with the chain head at event {sequence} = {_short(anchored_hash)}, "
            f"but event {sequence} {now}",
            records_checked=checked + 1,
            bad_record=number,
            detail=detail,
        )
    return ChainReport(True, report.count, report.head_sequence, report.head_hash, records_checked=len(anchors))


def _chain_verify(chunk_size: int) -> ChainReport:
    """Walk the whole chain in order and report the first event that does not fit."""
    expected_sequence, prev_hash, count = 1, GENESIS_HASH, 0
    # event_hash's canonical form, specialised to the stored column types (text
    # columns are never NULL; ids are integers or NULL): the same bytes, faster.
    q, canonical, sha256 = _encode_str, _CANONICAL, _sha256
    with closing(_verify_rows(chunk_size)) as rows:
        for row in rows:
            (
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
                stored_prev,
                stored_hash,
            ) = row
            if sequence != expected_sequence:
                bad = min(sequence, expected_sequence)
                what = "missing" if sequence > expected_sequence else "out of order"
                return ChainReport(False, count, expected_sequence - 1, prev_hash, bad, f"event {bad} is {what}")
            if stored_prev != prev_hash:
                return ChainReport(
                    False,
                    count,
                    sequence - 1,
                    prev_hash,
                    sequence,
                    f"event {sequence} does not link to event {sequence - 1}",
                )
            digest = sha256(
                (
                    canonical
                    % (
                        q(action),
                        q(actor),
                        "null" if actor_id is None else int.__repr__(actor_id),
                        data_json,
                        "null" if ip_address is None else q(ip_address),
                        q(object_id),
                        q(object_type),
                        "null" if organisation_id is None else int.__repr__(organisation_id),
                        q(stored_prev),
                        "null" if project_id is None else int.__repr__(project_id),
                        sequence,
                        q(timestamp),
                        q(user_agent),
                    )
                ).encode("utf-8")
            ).hexdigest()
            if digest != stored_hash:
                return ChainReport(
                    False,
                    count,
                    sequence - 1,
                    prev_hash,
                    sequence,
                    f"event {sequence} was altered (its hash does not match its content)",
                )
            prev_hash, expected_sequence, count = stored_hash, sequence + 1, count + 1

    head_sequence, head_hash = audit_head()
    last = expected_sequence - 1
    if (head_sequence, head_hash) != (last, prev_hash):
        bad = min(head_sequence, last) + 1 if head_sequence != last else last
        return ChainReport(
            False,
            count,
            last,
            prev_hash,
            bad,
            f"the chain head records event {head_sequence} but the log ends at event {last}",
        )
    return ChainReport(True, count, last, prev_hash)
