"""A decision record exported as a Five Safes RO-Crate: its files, what they hold, and that it
reads back and validates as RO-Crate 1.2."""

import hashlib
import io
import json
import zipfile

import pytest

from assessments import engine
from assessments.crates import ASSESSMENT, BAGIT, MANIFEST, METADATA, PDF, SNAPSHOT, CrateUnavailable, evidence_entry
from assessments.crates.build import crate_build
from assessments.crates.metadata import COMPLETED, FIVE_SAFES_PROFILE, SIGN_OFF
from tests.crates.export_checks import crate_entries, crate_manifest_problems, crate_read_back, crate_validate
from tests.evidence.conftest import pdf_bytes, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crate_media")]


def _metadata(entries):
    graph = json.loads(entries[METADATA])["@graph"]
    return {entity["@id"]: entity for entity in graph}


def test_the_zip_holds_exactly_the_agreed_files(crate_record):
    entries = crate_entries(crate_build(record=crate_record))
    assert set(entries) == {
        METADATA,
        PDF,
        SNAPSHOT,
        ASSESSMENT,
        MANIFEST,
        BAGIT,
        f"evidence/{hashlib.sha256(pdf_bytes()).hexdigest()[:16]}-REC_letter_final_.pdf",
        f"evidence/{hashlib.sha256(png_bytes()).hexdigest()[:16]}-h_he_1.png",
    }
    for item in crate_record.snapshot["evidence"]:
        assert hashlib.sha256(entries[evidence_entry(item)]).hexdigest() == item["sha256"]


def test_the_files_hold_the_record_unchanged(crate_record):
    entries = crate_entries(crate_build(record=crate_record))
    assert entries[PDF] == bytes(crate_record.pdf.data)
    assert hashlib.sha256(entries[SNAPSHOT]).hexdigest() == crate_record.snapshot_sha256
    assert json.loads(entries[SNAPSHOT]) == crate_record.snapshot
    assert entries[SNAPSHOT].decode() == engine.canonical_json(crate_record.snapshot)
    assessment = json.loads(entries[ASSESSMENT])
    assert assessment == {
        "document": crate_record.snapshot["document"],
        "result": crate_record.snapshot["evaluation"]["result"],
    }
    assert entries[BAGIT] == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def test_the_same_record_exports_the_same_bytes(crate_record):
    first = crate_build(record=crate_record)
    crate_record.refresh_from_db()
    assert crate_build(record=crate_record) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        issued = crate_record.issued_at
        assert {info.date_time for info in archive.infolist()} == {
            # zip keeps seconds in steps of two
            (issued.year, issued.month, issued.day, issued.hour, issued.minute, issued.second // 2 * 2)
        }


def test_the_manifest_covers_every_other_file(crate_record):
    entries = crate_entries(crate_build(record=crate_record))
    assert crate_manifest_problems(entries) == []
    lines = entries[MANIFEST].decode().splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == sorted(set(entries) - {MANIFEST})
    assert all(len(line.split("  ", 1)[0]) == 128 for line in lines)


def test_a_changed_or_extra_file_breaks_the_manifest(crate_record):
    entries = crate_entries(crate_build(record=crate_record))
    entries[SNAPSHOT] += b" "
    entries["extra.txt"] = b"x"
    del entries[BAGIT]
    assert crate_manifest_problems(entries) == [
        "extra.txt is not in the manifest",
        f"{BAGIT} is in the manifest but not in the crate",
        f"{SNAPSHOT} does not match its SHA-512",
    ]


def test_it_reads_back_with_rocrate_and_has_the_required_properties(crate_record, tmp_path, crate_no_network):
    path = tmp_path / "crate.zip"
    path.write_bytes(crate_build(record=crate_record))
    assert crate_read_back(path) == []


@pytest.mark.once
def test_roc_validator_passes_it_at_the_required_level_offline(crate_record, tmp_path, crate_no_network):
    result = crate_validate(crate_entries(crate_build(record=crate_record)), tmp_path)
    assert [f"{issue.check.identifier}: {issue.message}" for issue in result.get_issues()] == []
    assert result.passed()


@pytest.mark.once
def test_roc_validator_fails_a_crate_without_a_required_property(crate_record, tmp_path, crate_no_network):
    """The validation above is a real one: the same crate without the root's datePublished fails."""
    entries = crate_entries(crate_build(record=crate_record))
    metadata = json.loads(entries[METADATA])
    next(e for e in metadata["@graph"] if e["@id"] == "./").pop("datePublished")
    entries[METADATA] = json.dumps(metadata).encode()
    result = crate_validate(entries, tmp_path)
    assert not result.passed()
    assert any("datePublished" in issue.message for issue in result.get_issues())


def test_the_metadata_describes_the_project_and_its_sign_offs(crate_record, settings):
    entries = crate_entries(crate_build(record=crate_record))
    entities = _metadata(entries)
    snapshot = crate_record.snapshot
    root = entities["./"]
    assert entities[METADATA]["conformsTo"] == {"@id": "https://w3id.org/ro/crate/1.2"}
    assert json.loads(entries[METADATA])["@context"] == "https://w3id.org/ro/crate/1.2/context"
    assert root["conformsTo"] == {"@id": FIVE_SAFES_PROFILE}
    assert root["identifier"] == crate_record.number
    assert root["datePublished"] == snapshot["record"]["issued_at"]
    assert root["description"] == snapshot["project"]["summary"]
    assert root["publisher"] == {"@id": settings.PRIAM_PUBLIC_URL + "/"}
    assert "All rights reserved" in entities[root["license"]["@id"]]["name"]
    project = entities[root["sourceOrganization"]["@id"]]
    assert project["@type"] == "Project"
    members = [entities[m["@id"]]["name"] for m in project["member"]]
    assert sorted(members) == sorted(
        {snapshot["project"]["coordinating_organisation"]} | {c["name"] for c in snapshot["custodians"]}
    )
    assert entities[PDF]["encodingFormat"] == "application/pdf"
    assert entities[PDF]["sha256"] == crate_record.pdf.sha256
    actions = [entities[m["@id"]] for m in root["mentions"]]
    assert all(a["@type"] == "AssessAction" and a["additionalType"] == {"@id": SIGN_OFF} for a in actions)
    assert len(actions) == len(snapshot["sign_offs"]) + 1
    decision = actions[-1]
    assert decision["actionStatus"] == {"@id": COMPLETED}
    assert decision["endTime"] == snapshot["decision"]["decided_at"]
    assert entities[decision["agent"]["@id"]] == {
        "@id": decision["agent"]["@id"],
        "@type": "Person",
        "name": snapshot["decision"]["decided_by"]["name"],
        "affiliation": {"@id": entities[decision["agent"]["@id"]]["affiliation"]["@id"]},
    }
    result = entities[decision["result"]["@id"]]
    conditions = [entities[part["@id"]]["text"] for part in result["hasPart"]]
    assert conditions == ["Outputs are checked before release."]
    assert {"@id": "./"} in decision["object"] and {"@id": ASSESSMENT} in decision["object"]


def test_no_username_appears_in_the_metadata(crate_record):
    text = crate_entries(crate_build(record=crate_record))[METADATA].decode()
    assert '"username"' not in text
    assert not [name for name in ("coordinator", "chair", "panel2") if f'"{name}"' in text]


def test_a_record_without_a_signed_pdf_is_refused(crate_unsigned):
    with pytest.raises(CrateUnavailable, match="signed PDF is not ready yet"):
        crate_build(record=crate_unsigned)


def test_evidence_missing_from_storage_is_refused(crate_record, settings):
    from assessments.models import Evidence

    stored = Evidence.objects.filter(project=crate_record.project, name="REC letter (final).pdf").get()
    (settings.MEDIA_ROOT / stored.file.name).unlink()
    with pytest.raises(CrateUnavailable, match="REC letter \\(final\\).pdf.*missing from storage"):
        crate_build(record=crate_record)


def test_evidence_changed_in_storage_is_refused(crate_record, settings):
    from assessments.models import Evidence

    stored = Evidence.objects.filter(project=crate_record.project, name="REC letter (final).pdf").get()
    (settings.MEDIA_ROOT / stored.file.name).write_bytes(b"%PDF-1.4 forged")
    with pytest.raises(CrateUnavailable, match="changed in storage"):
        crate_build(record=crate_record)


@pytest.mark.once
def test_the_demos_decided_project_exports_reads_back_and_validates(
    settings, signing_ca, django_capture_on_commit_callbacks, tmp_path, crate_media, crate_no_network
):
    from django.core.management import call_command

    from assessments.models import Project

    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=io.StringIO())
    record = Project.objects.get(title="Federated genomics across two TREs").records.get()
    data = crate_build(record=record)
    path = tmp_path / "demo.zip"
    path.write_bytes(data)
    entries = crate_entries(data)
    assert len([name for name in entries if name.startswith("evidence/")]) == len(record.snapshot["evidence"])
    assert crate_read_back(path) == []
    assert crate_manifest_problems(entries) == []
    assert crate_validate(entries, tmp_path).passed()


def test_a_record_without_a_panel_has_one_action_per_sign_off(example_project, signing_ca, crate_media):
    """Declined by a custodian's appetite: a failed check made by the custodian's published
    appetite (no person signed), and no panel decision."""
    from assessments.crates.metadata import FAILED
    from assessments.services.records import record_pdf_make
    from tests.criteria.test_sign_offs import DECLINE_ABOVE_2, _project

    record = _project(example_project, {"GP records": DECLINE_ABOVE_2}).records.get()
    record_pdf_make(record_id=record.pk)
    record.refresh_from_db()
    entities = _metadata(crate_entries(crate_build(record=record)))
    actions = [entities[m["@id"]] for m in entities["./"]["mentions"]]
    assert len(actions) == len(record.snapshot["sign_offs"]) and record.snapshot["decision"] is None
    declined = next(a for a in actions if "GP records" in a["name"])
    assert declined["actionStatus"] == {"@id": FAILED}
    assert entities[declined["agent"]["@id"]] == {
        "@id": declined["agent"]["@id"],
        "@type": "Organization",
        "name": "GP records",
    }
