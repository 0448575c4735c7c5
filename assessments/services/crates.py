"""Exporting a decision record as a Five Safes RO-Crate (assessments/crates), audited."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.db import transaction

from ..crates.build import crate_build
from ..models import AuditAction
from .audit import audit_record

if TYPE_CHECKING:
    from pathlib import Path

    from django.http import HttpRequest

    from ..models import DecisionRecord, User


def record_crate_export(
    *, record: DecisionRecord, by: User | None, request: HttpRequest | None = None, out: Path | None = None
) -> bytes:
    """The record's crate (also written to `out` when given), with its audit event naming the
    crate's SHA-256, so a crate met later can be traced to this export."""
    data = crate_build(record=record)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        if out is not None:
            out.write_bytes(data)
        audit_record(
            action=AuditAction.RECORD_CRATE_EXPORTED,
            actor=by,
            obj=record,
            project_id=record.project_id,
            request=request,
            data={
                "number": record.number,
                "sha256": digest,
                "size": len(data),
                **({"out": str(out)} if out is not None else {}),
            },
        )
    return data
