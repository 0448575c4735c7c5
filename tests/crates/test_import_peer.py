"""Done when (issue 17, part 3): a crate exported by this PRIAM is imported by a second PRIAM, with
its own database and its own signing certificate, which trusts this one as a peer."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.crates.build import crate_build
from assessments.pdf import testca
from assessments.services.evidence import evidence_upload
from tests.crates.test_import import crate_files, crate_zip

pytestmark = [pytest.mark.django_db, pytest.mark.once]
ROOT = Path(__file__).resolve().parents[2]

SHOW = """
import json
from assessments.models import AuditEvent, ReceivedAssessment
r = ReceivedAssessment.objects.get()
print(json.dumps({
    "peer": r.peer.name, "url": r.peer.base_url, "number": r.record_number, "title": r.snapshot["project"]["title"],
    "snapshot_sha256": r.snapshot_sha256, "pdf_size": len(bytes(r.pdf)), "signer": r.signer,
    "evidence": [e["path"][:9] for e in r.evidence],
    "events": list(AuditEvent.objects.filter(action__in=["peer.created", "crate.received"]).values_list("action", flat=True)),
}))
"""


def _second_instance(tmp_path):
    directory = tmp_path / "second"
    directory.mkdir()
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "PRIAM_EVIDENCE_S3_BUCKET")
        and not name.startswith("PRIAM_SIGNING_")
    }
    env.update(PRIAM_DATA_DIR=str(directory), DATABASE_URL=f"sqlite:///{directory / 'second.sqlite3'}")

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )

    return directory, manage


def test_a_crate_exported_here_is_received_by_a_second_priam(assessed_project, issue_record, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    evidence_upload(
        project=assessed_project,
        user=assessed_project.coordinator,
        uploaded_file=SimpleUploadedFile("data flow.pdf", b"%PDF-1.4\n%%EOF\n"),
        question="PE1",
    )
    record = issue_record(assessed_project)
    crate = tmp_path / "crate.zip"
    crate.write_bytes(crate_build(record=record))  # the export's own crate, evidence included
    assert any(name.startswith("evidence/") for name in zipfile.ZipFile(crate).namelist())
    ours = testca.default_directory()

    directory, manage = _second_instance(tmp_path)
    for args in (["migrate", "--no-input"], ["init_signing"]):
        done = manage(*args)
        assert done.returncode == 0, done.stderr[-3000:]
    # Its own certificate, not ours: it could not have signed the record itself.
    assert (directory / "signing" / testca.CA_FILE).read_text() != (ours / testca.CA_FILE).read_text()

    refused = manage("import_crate", str(crate))
    assert refused.returncode != 0 and "No trusted peer is configured" in refused.stderr

    trusted = manage(
        "trust_peer", "--name", "First PRIAM", "--url", "https://first.priam.example",
        "--certificate", str(ours / testca.CA_FILE),
    )  # fmt: skip
    assert trusted.returncode == 0, trusted.stderr[-3000:]
    imported = manage("import_crate", str(crate))
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert f"Received {record.number} from First PRIAM" in imported.stdout
    again = manage("import_crate", str(crate))
    assert again.returncode != 0 and "already received" in again.stderr

    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(crate_zip(crate_files(record), extra=[("evidence/0-extra.txt", b"x")]))
    refused = manage("import_crate", str(tampered))
    assert refused.returncode != 0 and "does not list: evidence/0-extra.txt" in refused.stderr

    shown = manage("shell", "-c", SHOW)
    assert shown.returncode == 0, shown.stderr[-3000:]
    found = json.loads(shown.stdout.strip().splitlines()[-1])
    assert found == {
        "peer": "First PRIAM",
        "url": "https://first.priam.example",
        "number": record.number,
        "title": assessed_project.title,
        "snapshot_sha256": record.snapshot_sha256,
        "pdf_size": record.pdf.size,
        "signer": found["signer"],
        "evidence": ["evidence/"],
        "events": ["peer.created", "crate.received"],
    }
    assert "PRIAM decision records" in found["signer"]
