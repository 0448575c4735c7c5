"""verify_record and export_decision, and tampering seen by both verify_record and pdfsig."""

import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assessments.models import AuditEvent
from tests.records.pdfsig import nss_trusting, pdfsig_accepts

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(assessed_project, issue_record):
    return issue_record(assessed_project)


def _verify(path):
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("verify_record", str(path), stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()


@pytest.fixture
def nssdir(signing_ca, tmp_path):
    _, files = signing_ca
    return nss_trusting(files.ca, tmp_path / "nss")


def test_export_decision_writes_the_signed_pdf_and_is_audited(record, tmp_path):
    out = tmp_path / "record.pdf"
    call_command("export_decision", record.number, out=str(out), stdout=StringIO())
    assert out.read_bytes() == bytes(record.pdf.data)
    event = AuditEvent.objects.get(action="record.exported")
    assert event.data["sha256"] == record.pdf.sha256


def test_export_decision_latest(record, tmp_path):
    out = tmp_path / "latest.pdf"
    call_command("export_decision", latest=True, out=str(out), stdout=StringIO())
    assert out.read_bytes() == bytes(record.pdf.data)


def test_export_decision_names_an_unknown_record(record, tmp_path):
    with pytest.raises(CommandError, match="No decision record 'PRIAM-1999-0001'"):
        call_command("export_decision", "PRIAM-1999-0001", out=str(tmp_path / "x.pdf"))


def test_verify_record_accepts_a_record_issued_here(record, tmp_path, nssdir):
    path = tmp_path / "record.pdf"
    path.write_bytes(bytes(record.pdf.data))
    code, out, _ = _verify(path)
    assert code == 0
    assert f"Valid decision record {record.number}, issued by this PRIAM (current)" in out
    assert pdfsig_accepts(path, nssdir)


def test_verify_record_rejects_any_single_changed_byte(record, tmp_path, nssdir):
    """Every byte the signature covers is checked by both; the unprotected signature container
    (/Contents) is checked byte for byte by verify_record, and pdfsig rejects changes to the
    signature value itself (it tolerates some changes to the container's unsigned fields)."""
    data = bytes(record.pdf.data)
    contents = data.index(b"/Contents <") + len(b"/Contents <")
    contents_end = data.index(b">", contents)
    signature_value = contents + len(data[contents:contents_end].rstrip(b"0")) - 20
    covered = [
        10,
        data.index(b"stream") + 20,
        contents - 30,
        contents_end + 5,
        len(data) - 30,
        *random.Random(7).sample([i for i in range(len(data)) if not contents <= i < contents_end], 10),
    ]
    container = [
        contents + 2,
        signature_value,
        contents_end - 3,
        *random.Random(8).sample(range(contents, contents_end), 10),
    ]
    for position in sorted(set(covered + container)):
        tampered = bytearray(data)
        tampered[position] = (tampered[position] + 1) % 256
        path = tmp_path / f"tampered-{position}.pdf"
        path.write_bytes(bytes(tampered))
        code, _, err = _verify(path)
        assert code == 1, position
        assert "Not a valid decision record issued by this PRIAM" in err
        if position in covered or position == signature_value:
            assert not pdfsig_accepts(path, nssdir), position


def test_verify_record_rejects_a_file_that_is_not_a_pdf(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    code, _, err = _verify(path)
    assert code == 1 and "not a PDF" in err


def test_verify_record_names_an_unreadable_file(tmp_path):
    code, _, err = _verify(tmp_path / "missing.pdf")
    assert code == 1 and "cannot read" in err


def test_verify_record_says_when_a_record_is_superseded(assessed_project, issue_record, tmp_path):
    from assessments.models import Project

    first = issue_record(assessed_project, outcome="refer_back", questions="Why?")
    project = Project.objects.get(pk=assessed_project.pk)
    from assessments.services.panels import referral_reply

    # The coordinator answers the panel's question; the project goes back and is decided.
    referral_reply(question=first.decision.referral_questions.get(), author=project.coordinator, text="Because.")
    second = issue_record(Project.objects.get(pk=project.pk))
    path = tmp_path / "first.pdf"
    path.write_bytes(bytes(first.pdf.data))
    code, out, _ = _verify(path)
    assert code == 0 and f"superseded by {second.number}" in out
