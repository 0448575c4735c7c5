"""Fixtures of the crate tests, all named crate_* (the export's and the import's tests share this folder)."""

import socket

import pytest

from assessments.services.evidence import evidence_upload
from tests.evidence.conftest import pdf_bytes, png_bytes, upload


@pytest.fixture
def crate_no_network(monkeypatch):
    """Any attempt to open a connection fails the test, so nothing here can quietly go online."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a crate test tried to reach the network: {args[:1]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def crate_media(settings, tmp_path):
    """Evidence stored under the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def crate_record(crate_media, assessed_project, issue_record, coordinator):
    """E1 with two documents, decided with a condition, its PDF signed."""
    evidence_upload(
        project=assessed_project,
        user=coordinator,
        uploaded_file=upload("REC letter (final).pdf", pdf_bytes()),
        question="PE1",
    )
    evidence_upload(
        project=assessed_project, user=coordinator, uploaded_file=upload("..höhe 1.png", png_bytes()), question="PE1"
    )
    return issue_record(
        assessed_project,
        outcome="approve_with_conditions",
        conditions=[{"text": "Outputs are checked before release.", "blocking": True}],
    )


@pytest.fixture
def crate_unsigned(crate_record):
    """A record issued a moment ago, whose PDF the worker has not made yet: the same content as
    `crate_record` under the next number (records are created only by issuing, which here would
    make the PDF at once)."""
    from assessments.models import DecisionRecord

    return DecisionRecord.objects.create(
        number=crate_record.number[:-4] + f"{int(crate_record.number[-4:]) + 1:04d}",
        project=crate_record.project,
        outcome=crate_record.outcome,
        snapshot=crate_record.snapshot,
        snapshot_sha256=crate_record.snapshot_sha256,
        audit_head_sequence=crate_record.audit_head_sequence,
        audit_head_hash=crate_record.audit_head_hash,
        issued_at=crate_record.issued_at,
    )
