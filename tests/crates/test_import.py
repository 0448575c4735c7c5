"""Importing another PRIAM's decision record from a Five Safes RO-Crate: what is accepted, and
every way a crate is refused (issue 17, part 3)."""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from assessments import engine
from assessments.models import AuditAction, AuditEvent, ReceivedAssessment, TrustedPeer
from assessments.pdf import testca
from assessments.services.crate_import import AlreadyReceived, CrateRefused, crate_import, peer_trust

pytestmark = pytest.mark.django_db


def crate_files(record):
    """A record's crate as files, following the export's layout (the contract with crate_build)."""
    snapshot = record.snapshot
    files = {
        "ro-crate-metadata.json": json.dumps(
            {"@context": "https://w3id.org/ro/crate/1.2/context", "@graph": []}
        ).encode(),
        "decision-record.pdf": bytes(record.pdf.data),
        "decision-record.json": engine.canonical_json(snapshot).encode("utf-8"),
        "assessment.json": json.dumps(
            {"document": snapshot["document"], "result": snapshot["evaluation"]["result"]}
        ).encode("utf-8"),
        "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
    }
    return files


def crate_zip(files, manifest=True, extra=()):
    """Zip the files with a manifest of every one (recomputed: the manifest is not signed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        if manifest:
            lines = "".join(f"{hashlib.sha512(c).hexdigest()}  {n}\n" for n, c in files.items() if n != "bagit.txt")
            archive.writestr("manifest-sha512.txt", lines)
        for name, content in extra:
            archive.writestr(name, content)
    return out.getvalue()


@pytest.fixture
def crate_record(assessed_project, issue_record):
    return issue_record(assessed_project)


@pytest.fixture
def crate_peer(crate_record, admin_user):
    """This test instance's own CA, trusted as if it were another PRIAM's."""
    ca = testca.default_directory() / testca.CA_FILE
    return peer_trust(
        name="North PRIAM", base_url="https://north.priam.example", certificate_pem=ca.read_text(), by=admin_user
    )


def refused(data, admin_user):
    before = (ReceivedAssessment.objects.count(), AuditEvent.objects.filter(action=AuditAction.CRATE_RECEIVED).count())
    with pytest.raises(CrateRefused) as caught:
        crate_import(data=data, by=admin_user)
    after = (ReceivedAssessment.objects.count(), AuditEvent.objects.filter(action=AuditAction.CRATE_RECEIVED).count())
    assert after == before
    return str(caught.value)


def test_a_genuine_crate_is_received_once(crate_record, crate_peer, admin_user):
    data = crate_zip(crate_files(crate_record))
    received = crate_import(data=data, by=admin_user)
    assert received.peer == crate_peer
    assert received.record_number == crate_record.number
    assert received.snapshot == crate_record.snapshot
    assert received.snapshot_sha256 == crate_record.snapshot_sha256
    assert received.crate_sha256 == hashlib.sha256(data).hexdigest()
    assert bytes(received.pdf) == bytes(crate_record.pdf.data)
    assert received.document == crate_record.snapshot["document"]
    event = AuditEvent.objects.get(action=AuditAction.CRATE_RECEIVED)
    assert (event.action, event.actor, event.object_id) == ("crate.received", "admin", str(received.pk))
    assert json.loads(event.data_json)["record_number"] == crate_record.number

    with pytest.raises(AlreadyReceived, match="already received"):
        crate_import(data=data, by=admin_user)
    assert ReceivedAssessment.objects.count() == 1
    with pytest.raises(PermissionError):
        received.save()
    with pytest.raises(PermissionError):
        received.delete()


def test_the_signed_pdf_carries_the_snapshot_sha256(crate_record):
    from assessments.services.crate_import import _signed_snapshot_sha256

    assert _signed_snapshot_sha256(bytes(crate_record.pdf.data)) == crate_record.snapshot_sha256


def _flip(content, at):
    return content[:at] + bytes([content[at] ^ 0x01]) + content[at + 1 :]


@pytest.mark.parametrize(
    "name", ["decision-record.pdf", "decision-record.json", "assessment.json", "ro-crate-metadata.json"]
)
def test_a_changed_byte_in_any_file_is_refused(crate_record, crate_peer, admin_user, name):
    files = crate_files(crate_record)
    good = crate_zip(files)
    changed = dict(files, **{name: _flip(files[name], len(files[name]) // 2)})
    # The manifest as the sender made it: the change is in transit.
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, changed.get(info.filename, source.read(info.filename)))
    assert f"The file {name} was changed" in refused(out.getvalue(), admin_user)


def test_a_file_added_or_removed_is_refused(crate_record, crate_peer, admin_user):
    files = crate_files(crate_record)
    added = crate_zip(files, extra=[("notes.txt", b"hello")])
    assert "does not list: notes.txt" in refused(added, admin_user)
    without = crate_zip({n: c for n, c in files.items() if n != "assessment.json"})
    assert "lacks assessment.json" in refused(without, admin_user)
    listed_but_absent = io.BytesIO()
    with zipfile.ZipFile(listed_but_absent, "w") as archive:
        lines = "".join(f"{hashlib.sha512(c).hexdigest()}  {n}\n" for n, c in files.items())
        for name, content in files.items():
            archive.writestr(name, content)
        archive.writestr("manifest-sha512.txt", lines + f"{'0' * 128}  evidence/abc-gone.pdf\n")
    assert "does not hold: evidence/abc-gone.pdf" in refused(listed_but_absent.getvalue(), admin_user)


def test_a_changed_record_with_a_recomputed_manifest_is_refused(crate_record, crate_peer, admin_user):
    files = crate_files(crate_record)
    snapshot = json.loads(files["decision-record.json"])
    snapshot["outcome"] = {"value": "approve", "label": "Approve"}
    snapshot["project"]["title"] = "Something else entirely"
    forged = dict(files, **{"decision-record.json": engine.canonical_json(snapshot).encode()})
    assert "decision-record.json is not the record that was signed" in refused(crate_zip(forged), admin_user)


def test_a_changed_assessment_with_a_recomputed_manifest_is_refused(crate_record, crate_peer, admin_user):
    files = crate_files(crate_record)
    assessment = json.loads(files["assessment.json"])
    assessment["result"]["overall_tier"] = 1
    forged = dict(files, **{"assessment.json": json.dumps(assessment).encode()})
    assert "assessment.json differs from the assessment in the signed record" in refused(crate_zip(forged), admin_user)


def test_evidence_the_record_does_not_name_is_refused(crate_record, crate_peer, admin_user):
    files = crate_files(crate_record)
    content = b"%PDF-1.4 not the evidence"
    name = f"evidence/{hashlib.sha256(content).hexdigest()[:12]}-data-flow.pdf"
    assert "is not one the signed record names" in refused(crate_zip(dict(files, **{name: content})), admin_user)


def test_a_pdf_changed_and_its_manifest_recomputed_is_refused(crate_record, crate_peer, admin_user):
    files = crate_files(crate_record)
    pdf = files["decision-record.pdf"]
    at = pdf.index(b"/Type /Page") if b"/Type /Page" in pdf else len(pdf) // 3
    forged = dict(files, **{"decision-record.pdf": _flip(pdf, at + 2)})
    assert refused(crate_zip(forged), admin_user).startswith("The signed PDF is not accepted: ")


def test_an_untrusted_signer_is_refused(crate_record, admin_user, tmp_path):
    other = testca.ensure_test_ca(tmp_path / "elsewhere")[1]
    peer_trust(name="Elsewhere", base_url="https://elsewhere.example", certificate_pem=other.ca.read_text())
    reason = refused(crate_zip(crate_files(crate_record)), admin_user)
    assert "PRIAM decision records (local test)" in reason
    assert "neither a trusted peer's nor issued by one" in reason


def test_a_peer_trusted_by_its_signing_certificate_itself(crate_record, admin_user):
    cert = testca.default_directory() / testca.CERT_FILE
    peer = peer_trust(name="Leaf", base_url="https://leaf.example", certificate_pem=cert.read_text())
    assert crate_import(data=crate_zip(crate_files(crate_record)), by=admin_user).peer == peer


def test_an_inactive_peer_is_not_trusted(crate_record, crate_peer, admin_user):
    TrustedPeer.objects.filter(pk=crate_peer.pk).update(active=False)
    assert "No trusted peer is configured" in refused(crate_zip(crate_files(crate_record)), admin_user)


@pytest.mark.parametrize(
    "name, reason",
    [
        ("../escape.txt", "unsafe path"),
        ("/etc/passwd", "unsafe path"),
        ("evidence/../../x", "unsafe path"),
        ("C:/windows.txt", "unsafe path"),
    ],
)
def test_unsafe_paths_are_refused(crate_record, crate_peer, admin_user, name, reason):
    assert reason in refused(crate_zip(crate_files(crate_record), extra=[(name, b"x")]), admin_user)


def test_duplicate_names_and_bombs_and_non_zips_are_refused(crate_record, crate_peer, admin_user, monkeypatch):
    files = crate_files(crate_record)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
        twice = crate_zip(files, extra=[("assessment.json", b"{}")])
    assert "two files named 'assessment.json'" in refused(twice, admin_user)
    bomb = crate_zip(files, extra=[("evidence/zeros.bin", b"\0" * (8 * 1024 * 1024))])
    assert "compressed suspiciously well" in refused(bomb, admin_user)
    from assessments.services import crate_import as module

    monkeypatch.setattr(module, "MAX_UNCOMPRESSED_BYTES", 1000)
    assert "unpacks to more than" in refused(crate_zip(files), admin_user)
    assert "not a zip file" in refused(b"%PDF-1.7 hello", admin_user)


def test_import_crate_command(crate_record, crate_peer, tmp_path):
    path = tmp_path / "crate.zip"
    path.write_bytes(crate_zip(crate_files(crate_record)))
    out = io.StringIO()
    call_command("import_crate", str(path), stdout=out)
    assert f"Received {crate_record.number} from North PRIAM" in out.getvalue()
    with pytest.raises(CommandError, match="already received"):
        call_command("import_crate", str(path))
    path.write_bytes(crate_zip(crate_files(crate_record), extra=[("x.txt", b"x")]))
    with pytest.raises(CommandError, match="Refused: The crate holds files its manifest does not list: x.txt"):
        call_command("import_crate", str(path))


def test_trust_peer_command_adds_then_updates_with_audit(db, tmp_path):
    files = testca.ensure_test_ca(tmp_path / "peer")[1]
    call_command(
        "trust_peer", name="South", url="https://south.example", certificate=str(files.ca), stdout=io.StringIO()
    )
    call_command(
        "trust_peer", name="South", url="https://south2.example", certificate=str(files.ca), stdout=io.StringIO()
    )
    assert TrustedPeer.objects.get(name="South").base_url == "https://south2.example"
    assert list(AuditEvent.objects.filter(action__startswith="peer.").values_list("action", flat=True)) == [
        AuditAction.PEER_CREATED,
        AuditAction.PEER_UPDATED,
    ]
    (tmp_path / "bad.pem").write_text("not a certificate")
    with pytest.raises(CommandError, match="not a PEM certificate"):
        call_command("trust_peer", name="Bad", url="https://bad.example", certificate=str(tmp_path / "bad.pem"))


def test_administrators_manage_trusted_peers_in_the_admin_audited(admin_user, client, tmp_path):
    files = testca.ensure_test_ca(tmp_path / "peer")[1]
    client.force_login(admin_user)
    client.post(
        "/admin/assessments/trustedpeer/add/",
        {"name": "West", "base_url": "https://west.example", "certificate_pem": files.ca.read_text(), "active": "on"},
    )
    refused = client.post(
        "/admin/assessments/trustedpeer/add/",
        {"name": "Nowhere", "base_url": "https://nowhere.example", "certificate_pem": "not a certificate"},
    )
    assert "That is not a PEM certificate." in refused.content.decode()
    assert not TrustedPeer.objects.filter(name="Nowhere").exists()
    peer = TrustedPeer.objects.get(name="West")
    assert peer.added_by == admin_user
    client.post(
        f"/admin/assessments/trustedpeer/{peer.pk}/change/",
        {"name": "West", "base_url": "https://west.example", "certificate_pem": peer.certificate_pem},
    )
    assert not TrustedPeer.objects.get(pk=peer.pk).active
    client.post(f"/admin/assessments/trustedpeer/{peer.pk}/delete/", {"post": "yes"})
    assert not TrustedPeer.objects.filter(pk=peer.pk).exists()
    events = AuditEvent.objects.filter(action__startswith="peer.").order_by("sequence")
    assert [(e.action, e.actor) for e in events] == [
        ("peer.created", "admin"),
        ("peer.updated", "admin"),
        ("peer.deleted", "admin"),
    ]
    assert json.loads(events[1].data_json)["changed"] == ["active"]


def test_the_exports_crate_with_evidence_is_received_and_its_evidence_cannot_be_swapped(
    assessed_project, issue_record, admin_user, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessments.crates.build import crate_build
    from assessments.services.evidence import evidence_upload

    settings.MEDIA_ROOT = tmp_path / "media"
    evidence_upload(
        project=assessed_project,
        user=assessed_project.coordinator,
        uploaded_file=SimpleUploadedFile("letter.pdf", b"%PDF-1.4\n%%EOF\n"),
        question="PE1",
    )
    record = issue_record(assessed_project)
    ca = (testca.default_directory() / testca.CA_FILE).read_text()
    peer_trust(name="North PRIAM", base_url="https://north.priam.example", certificate_pem=ca)
    data = crate_build(record=record)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist() if name != "manifest-sha512.txt"}
    (path,) = [name for name in files if name.startswith("evidence/")]
    # Another document under the same name, with the manifest recomputed to match.
    swapped = crate_zip(dict(files, **{path: b"%PDF-1.4\n% not the letter\n%%EOF\n"}))
    assert f"The evidence file {path} is not one the signed record names" in refused(swapped, admin_user)
    received = crate_import(data=data, by=admin_user)
    assert [e["path"] for e in received.evidence] == [path]
