"""Pack a decision record as a Five Safes RO-Crate zip, byte-identical on every export."""

from __future__ import annotations

import hashlib
import io
import zipfile
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.core.files.storage import default_storage

from .. import engine
from ..exports import exchange_json
from ..models import Evidence, RecordPdf
from . import ASSESSMENT, BAGIT, BAGIT_TEXT, MANIFEST, METADATA, PDF, SNAPSHOT, CrateUnavailable, evidence_entry
from .manifest import manifest_text
from .metadata import crate_metadata_bytes

if TYPE_CHECKING:
    from ..models import DecisionRecord

_CHUNK = 1024 * 1024


def crate_build(*, record: DecisionRecord) -> bytes:
    """The record's crate as zip bytes; CrateUnavailable when it cannot be made truthfully."""
    files = crate_payload(record=record)
    files[METADATA] = crate_metadata_bytes(record.snapshot, files)
    files[MANIFEST] = manifest_text(files).encode()
    return crate_zip(files, record=record)


def crate_payload(*, record: DecisionRecord) -> dict[str, bytes]:
    """Every file of the crate but the metadata and the manifest, by path."""
    pdf = RecordPdf.objects.filter(record=record).first()
    if pdf is None:
        raise CrateUnavailable(
            f"{record.number}'s signed PDF is not ready yet, so it cannot be exported; try again shortly."
        )
    snapshot = record.snapshot
    files = {
        BAGIT: BAGIT_TEXT.encode(),
        PDF: bytes(pdf.data),
        # The snapshot's own canonical text: its SHA-256 is the record's snapshot_sha256.
        SNAPSHOT: engine.canonical_json(snapshot).encode("utf-8"),
        ASSESSMENT: exchange_json(
            SimpleNamespace(document=snapshot["document"], result=snapshot["evaluation"]["result"])
        ).encode("utf-8"),
    }
    for item in snapshot.get("evidence") or []:
        files[evidence_entry(item)] = _evidence_bytes(record, item)
    return files


def _evidence_bytes(record: DecisionRecord, item: dict) -> bytes:
    """The stored bytes of a document the record lists, checked against the hash it lists: a
    crate whose evidence does not match its record would misstate what supported the decision."""
    stored = Evidence.objects.filter(project_id=record.project_id, sha256=item["sha256"]).order_by("pk").first()
    problem = f"“{item['name']}” (SHA-256 {item['sha256']}), listed in {record.number}, "
    if stored is None:
        raise CrateUnavailable(problem + "is no longer recorded, so the crate cannot be exported.")
    buffer, digest = io.BytesIO(), hashlib.sha256()
    try:
        with default_storage.open(stored.file.name, "rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
                buffer.write(chunk)
    except OSError:
        raise CrateUnavailable(problem + "is missing from storage, so the crate cannot be exported.") from None
    if digest.hexdigest() != item["sha256"]:
        raise CrateUnavailable(problem + "was changed in storage, so the crate cannot be exported.")
    return buffer.getvalue()


def crate_zip(files: dict[str, bytes], *, record: DecisionRecord) -> bytes:
    """A zip of `files` in path order, every entry dated at the record's issue: the same record
    always gives the same bytes (and so the same SHA-256)."""
    issued = record.issued_at
    stamp = (max(issued.year, 1980), issued.month, issued.day, issued.hour, issued.minute, issued.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files):
            entry = zipfile.ZipInfo(path, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3  # Unix, whatever system exports it, for identical bytes
            archive.writestr(entry, files[path])
    return buffer.getvalue()
