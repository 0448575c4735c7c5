"""Backups that restore: a populated instance backed up, then brought back into an empty one.

The restore and the checks after it run in fresh processes pointed at a new data folder (and, on
PostgreSQL, a new database), as an operator restoring on another machine would run them.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection

from assessments.services.backup import backup_create

ROOT = Path(__file__).resolve().parents[2]

# Printed as JSON by a fresh process on the restored instance: what must match the original, and
# whether each record's signed PDF verifies there.
CHECKS = r"""
import hashlib, json
from django.core.files.storage import default_storage
from assessments.models import AuditEvent, DecisionRecord, Evidence, Project, RecordPdf
from assessments.services.verification import record_verify

evidence_intact = 0
for evidence in Evidence.objects.all():
    with default_storage.open(evidence.file.name, "rb") as f:
        evidence_intact += hashlib.file_digest(f, "sha256").hexdigest() == evidence.sha256
print(json.dumps({
    "projects": Project.objects.count(),
    "records": DecisionRecord.objects.count(),
    "record_pdfs": RecordPdf.objects.count(),
    "audit_events": AuditEvent.objects.count(),
    "evidence": Evidence.objects.count(),
    "evidence_intact": evidence_intact,
    "records_verified": sorted(
        pdf.record.number for pdf in RecordPdf.objects.select_related("record") if record_verify(bytes(pdf.data)).ok
    ),
}))
"""


def _counts():
    from assessments.models import AuditEvent, DecisionRecord, Evidence, Project, RecordPdf

    return {
        "projects": Project.objects.count(),
        "records": DecisionRecord.objects.count(),
        "record_pdfs": RecordPdf.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "evidence": Evidence.objects.count(),
    }


def _environment(data_dir, database_url=None):
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DEBUG", "PRIAM_EVIDENCE_S3_BUCKET")
        and not name.startswith("PRIAM_SIGNING_")
    }
    env["PRIAM_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def _populated_instance(settings, tmp_path, capture):
    settings.MEDIA_ROOT = tmp_path / "media"
    with capture(execute=True):
        call_command("load_demo", force=True, stdout=io.StringIO())
    counts = _counts()
    assert counts["records"] and counts["record_pdfs"] == counts["records"] and counts["evidence"]
    return counts


def _round_trip(settings, tmp_path, signing_ca, capture, database_url=None):
    before = _populated_instance(settings, tmp_path, capture)
    result = backup_create(out=tmp_path / "backups")
    assert result.path.name.startswith("priam-backup-") and result.path.name.endswith(".tar.gz")
    with tarfile.open(result.path) as tar:
        names = tar.getnames()
    assert not [name for name in names if "key" in Path(name).name]
    assert sum(name.startswith("record-pdfs/") for name in names) == before["records"]

    print(f"backup of the demo: {result.size:,} bytes in {result.seconds:.2f} s ({connection.vendor})")

    restored = tmp_path / "restored"
    env = _environment(restored, database_url)
    if database_url:
        # As `make serve` leaves a new instance: migrated, and empty.
        migrated = _manage(env, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr
    done = _manage(env, "restore", str(result.path))
    assert done.returncode == 0, done.stderr
    assert "private signing key" in done.stderr
    assert not (restored / "signing" / "signing-key.pem").exists()
    assert (restored / "signing" / "signing-cert.pem").read_bytes() == signing_ca[1].cert.read_bytes()

    # The key comes back from where it is kept, apart from the backups.
    shutil.copyfile(signing_ca[1].key, restored / "signing" / "signing-key.pem")
    audit = _manage(env, "verify_audit")
    assert audit.returncode == 0, audit.stderr
    assert f"{before['audit_events']} events" in audit.stdout
    checks = _manage(env, "shell", "-c", CHECKS)
    assert checks.returncode == 0, checks.stderr
    after = json.loads(checks.stdout.strip().splitlines()[-1])
    from assessments.models import DecisionRecord

    assert after.pop("records_verified") == sorted(DecisionRecord.objects.values_list("number", flat=True))
    assert after.pop("evidence_intact") == before["evidence"]
    assert after == before
    return result.path


@pytest.mark.embedded
@pytest.mark.django_db(transaction=True)
def test_a_populated_sqlite_instance_round_trips(settings, tmp_path, signing_ca, django_capture_on_commit_callbacks):
    assert connection.vendor == "sqlite"  # the PostgreSQL round trip is the next test
    archive = _round_trip(settings, tmp_path, signing_ca, django_capture_on_commit_callbacks)

    # A second restore into the instance now populated is refused, naming what to do.
    again = _manage(_environment(tmp_path / "restored"), "restore", str(archive))
    assert again.returncode != 0
    assert "not empty" in again.stderr and "aside" in again.stderr


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_populated_postgresql_instance_round_trips(
    settings, tmp_path, signing_ca, django_capture_on_commit_callbacks
):
    conf = connection.settings_dict
    name = f"priam_restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgres://{conf['USER']}@{conf['HOST']}:{conf['PORT']}/{name}"
        _round_trip(settings, tmp_path, signing_ca, django_capture_on_commit_callbacks, database_url=url)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rewrite(archive, target, change):
    """Copy the archive, passing each (name, bytes) through change(); None leaves a file out."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
        extra = change("<extra>", b"")
        if extra:
            info = tarfile.TarInfo("media/evidence/planted")
            info.size = len(extra)
            out.addfile(info, io.BytesIO(extra))
    return target


@pytest.fixture
def small_archive(transactional_db, settings, tmp_path, signing_ca):
    """A backup of a small instance: the demo's people, one file in the media folder, the test CA."""
    from assessments.services.demo import demo_load

    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "evidence" / "1").mkdir(parents=True)
    (tmp_path / "media" / "evidence" / "1" / "letter").write_bytes(b"%PDF-1.7 an ethics letter")
    demo_load(with_projects=False, frameworks=["five-safes/v1"])
    return backup_create(out=tmp_path / "backups").path


def _restore_refused(archive):
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
    return str(refused.value)


def test_a_changed_file_in_the_archive_is_refused_naming_it(small_archive, tmp_path):
    def flip(name, data):
        if name == "media/evidence/1/letter":
            return data.replace(b"ethics", b"ETHICS")
        return None if name == "<extra>" else data

    message = _restore_refused(_rewrite(small_archive, tmp_path / "tampered.tar.gz", flip))
    assert "media/evidence/1/letter does not match its SHA-256" in message
    assert "Nothing was restored" in message


def test_a_file_added_to_the_archive_is_refused(small_archive, tmp_path):
    def plant(name, data):
        return b"not PRIAM's" if name == "<extra>" else data

    message = _restore_refused(_rewrite(small_archive, tmp_path / "planted.tar.gz", plant))
    assert "media/evidence/planted is not in the manifest" in message


def test_a_file_left_out_of_the_archive_is_refused(small_archive, tmp_path):
    def drop(name, data):
        return None if name.startswith("database/") or name == "<extra>" else data

    message = _restore_refused(_rewrite(small_archive, tmp_path / "short.tar.gz", drop))
    assert "database/priam." in message and "not in the archive" in message


def test_a_dump_from_the_other_database_vendor_is_refused(small_archive, tmp_path):
    other = {"sqlite": "postgresql", "postgresql": "sqlite"}[connection.vendor]

    def relabel(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["database"]["vendor"] = other
            return json.dumps(manifest).encode()
        return None if name == "<extra>" else data

    message = _restore_refused(_rewrite(small_archive, tmp_path / "other.tar.gz", relabel))
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    assert f"holds a {names[other]} database" in message
    assert f"configured for {names[connection.vendor]}" in message


def test_a_database_holding_data_is_not_restored_over(small_archive):
    # The instance backed up still holds its data.
    message = _restore_refused(small_archive)
    assert "The target database is not empty" in message and "rows" in message
    assert "Nothing was changed" in message


def test_the_archive_holds_certificates_but_never_the_private_key(small_archive, signing_ca):
    with tarfile.open(small_archive) as tar:
        contents = {member.name: tar.extractfile(member).read() for member in tar.getmembers()}
    manifest = json.loads(contents.pop("manifest.json"))
    assert not any(b"PRIVATE KEY" in data for data in contents.values())
    assert contents["signing/cert.pem"] == signing_ca[1].cert.read_bytes()
    assert contents["signing/chain.pem"] == signing_ca[1].ca.read_bytes()
    assert manifest["signing"]["private_key_included"] is False
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(contents)
    for name, data in contents.items():
        assert listed[name] == {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["migrations"]["assessments"] and manifest["priam_version"]


def test_a_combined_key_and_certificate_file_contributes_only_its_certificate(
    transactional_db, settings, tmp_path, signing_ca
):
    # A production configuration may name one PEM holding both the key and its certificate.
    combined = tmp_path / "combined.pem"
    combined.write_bytes(signing_ca[1].key.read_bytes() + signing_ca[1].cert.read_bytes())
    settings.PRIAM_SIGNING = {**django_settings.PRIAM_SIGNING, "KEY_FILE": str(combined), "CERT_FILE": str(combined)}
    settings.MEDIA_ROOT = tmp_path / "media"
    archive = backup_create(out=tmp_path / "backups").path
    with tarfile.open(archive) as tar:
        cert = tar.extractfile("signing/cert.pem").read()
    assert cert.strip() == signing_ca[1].cert.read_bytes().strip()
    assert b"PRIVATE KEY" not in cert


def test_a_backup_never_overwrites_an_archive(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    existing = tmp_path / "kept.tar.gz"
    existing.write_bytes(b"an earlier backup")
    with pytest.raises(CommandError, match="never overwrites"):
        call_command("backup", out=str(existing), stdout=io.StringIO())
    assert existing.read_bytes() == b"an earlier backup"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.tar.gz"]


def test_evidence_in_an_s3_bucket_is_named_in_the_manifest_not_archived(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "stale-local-copy").write_bytes(b"not the bucket's")
    settings.PRIAM_EVIDENCE_S3_BUCKET = "priam-evidence"
    archive = backup_create(out=tmp_path / "backups").path
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert not [name for name in names if name.startswith("media/")]
    assert manifest["media"]["included"] is False
    assert manifest["media"]["s3_bucket"] == "priam-evidence"
    assert "not in this archive" in manifest["media"]["note"]
