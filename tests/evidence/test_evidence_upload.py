"""Uploading evidence through the service: what is accepted, what is refused, and that a refusal
or a failure leaves nothing behind (no row, no "evidence.uploaded" event, no stored file)."""

import hashlib

import pytest
from django.core.files.storage import default_storage

from assessments.errors import EvidenceRejected, EvidenceTooLarge, InvalidInput, NotFound, ProjectLocked
from assessments.models import AuditEvent, Evidence, Project, User
from assessments.services.audit import audit_verify
from assessments.services.evidence import evidence_upload
from tests.evidence.conftest import DOCM_MAIN, DOCX_MAIN, exe_bytes, office_bytes, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def _stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_it_stores_a_pdf_under_its_hash_with_its_audit_event(e2, coordinator, _media):
    content = pdf_bytes()
    evidence = evidence_upload(
        project=e2, user=coordinator, uploaded_file=upload("../../etc/Ethics letter.pdf", content), question="PE1"
    )
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert (evidence.size, evidence.content_type, evidence.name) == (
        len(content),
        "application/pdf",
        "Ethics letter.pdf",
    )
    # The uploader's name never becomes a path: the file lives under the project, by its hash.
    assert evidence.file.name == f"evidence/{e2.pk}/{evidence.sha256}"
    with default_storage.open(evidence.file.name, "rb") as stored:
        assert stored.read() == content
    event = AuditEvent.objects.get(action="evidence.uploaded")
    assert (event.actor, event.object_id, event.project_id) == ("coordinator", str(evidence.pk), e2.pk)
    assert event.data["sha256"] == evidence.sha256
    assert event.data["attached_to"] == {"question": "PE1", "custodian": None}
    assert audit_verify().ok


def test_it_detects_a_png_by_its_content_whatever_its_name(e2, coordinator):
    evidence = evidence_upload(
        project=e2, user=coordinator, uploaded_file=upload("scan.txt", png_bytes()), question="PE1"
    )
    assert evidence.content_type == "image/png"


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"Approved by the REC on 1 March.\n", "text/plain"),
        ("Caf\u00e9 approval \u2013 granted\n".encode(), "text/plain"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (office_bytes(DOCX_MAIN), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_it_accepts_the_allowed_types(e2, coordinator, content, expected):
    evidence = evidence_upload(project=e2, user=coordinator, uploaded_file=upload("file.bin", content), question="PE1")
    assert evidence.content_type == expected


@pytest.mark.parametrize(
    "name, content",
    [
        ("ethics-letter.pdf", exe_bytes()),  # a program renamed .pdf
        ("macro.docx", office_bytes(DOCM_MAIN)),  # a macro-enabled document renamed .docx
        ("sneaky.docx", office_bytes(DOCX_MAIN, extra=["word/vbaProject.bin"])),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 40),  # not even a readable zip
        ("latin1.txt", "caf\xe9".encode("latin-1")),  # not UTF-8: not text PRIAM can vouch for
    ],
)
def test_it_refuses_other_content_naming_the_file(e2, coordinator, _media, name, content):
    with pytest.raises(EvidenceRejected) as refused:
        evidence_upload(
            project=e2, user=coordinator, uploaded_file=upload(name, content, "application/pdf"), question="PE1"
        )
    assert f"“{name}”" in str(refused.value) and "PDF, PNG, JPEG" in str(refused.value)
    assert not Evidence.objects.exists() and not AuditEvent.objects.filter(action="evidence.uploaded").exists()
    assert _stored_files(_media) == []


def test_it_refuses_an_empty_file(e2, coordinator):
    with pytest.raises(EvidenceRejected, match="“empty.pdf” is empty"):
        evidence_upload(project=e2, user=coordinator, uploaded_file=upload("empty.pdf", b""), question="PE1")


def test_it_refuses_a_file_over_the_limit_naming_the_limit(e2, coordinator, settings, _media):
    settings.PRIAM_EVIDENCE_MAX_BYTES = 1024
    big = pdf_bytes() + b"%" * 1024
    with pytest.raises(EvidenceTooLarge) as refused:
        evidence_upload(project=e2, user=coordinator, uploaded_file=upload("big.pdf", big), question="PE1")
    assert "“big.pdf”" in str(refused.value) and "1.0\xa0KB" in str(refused.value)
    assert refused.value.status == 413
    assert not Evidence.objects.exists() and _stored_files(_media) == []


def test_the_bytes_decide_the_size_not_the_declared_size(e2, coordinator, settings):
    settings.PRIAM_EVIDENCE_MAX_BYTES = 1024
    lying = upload("big.pdf", pdf_bytes() + b"%" * 2048)
    lying.size = 10
    with pytest.raises(EvidenceTooLarge):
        evidence_upload(project=e2, user=coordinator, uploaded_file=lying, question="PE1")


def test_a_failure_after_storing_leaves_no_row_no_event_and_no_file(e2, coordinator, _media, monkeypatch):
    import assessments.services.evidence as service

    def broken_audit(**kwargs):
        raise RuntimeError("the audit chain is unavailable")

    monkeypatch.setattr(service, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        evidence_upload(project=e2, user=coordinator, uploaded_file=upload("letter.pdf", pdf_bytes()), question="PE1")
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.filter(action="evidence.uploaded").exists()
    assert _stored_files(_media) == []


def test_the_same_document_twice_is_two_uploads_never_an_overwrite(e2, coordinator):
    first = evidence_upload(project=e2, user=coordinator, uploaded_file=upload("a.pdf", pdf_bytes()), question="PE1")
    second = evidence_upload(project=e2, user=coordinator, uploaded_file=upload("b.pdf", pdf_bytes()), question="PE2")
    assert first.sha256 == second.sha256 and first.file.name != second.file.name
    assert default_storage.exists(first.file.name) and default_storage.exists(second.file.name)


# Who may attach where.


def test_custodians_members_may_attach_to_project_wide_answers(e2, member):
    evidence_upload(project=e2, user=member, uploaded_file=upload("dsa.pdf", pdf_bytes()), question="PE1")


def test_only_that_custodians_members_attach_to_its_own_answers(e2, member, coordinator):
    own = e2.assessments.get(organisation__memberships__user=member)
    other = e2.assessments.exclude(pk=own.pk).first()
    evidence = evidence_upload(
        project=e2, user=member, uploaded_file=upload("dspt.pdf", pdf_bytes()), question="PR3", assessment=own
    )
    assert evidence.assessment == own
    for user, assessment in [(member, other), (coordinator, own)]:
        with pytest.raises(NotFound):
            evidence_upload(
                project=e2, user=user, uploaded_file=upload("x.pdf", pdf_bytes()), question="PR3", assessment=assessment
            )


@pytest.mark.parametrize("username", ["outsider", "auditor", "chair"])
def test_people_without_a_part_in_the_answers_cannot_attach(e2, username):
    with pytest.raises(NotFound):
        evidence_upload(
            project=e2,
            user=User.objects.get(username=username),
            uploaded_file=upload("x.pdf", pdf_bytes()),
            question="PE1",
        )


def test_the_question_must_exist_in_the_projects_framework_with_the_right_scope(e2, coordinator, member):
    with pytest.raises(NotFound, match="No question ZZ9"):
        evidence_upload(project=e2, user=coordinator, uploaded_file=upload("x.pdf", pdf_bytes()), question="ZZ9")
    with pytest.raises(InvalidInput, match="answered by each custodian"):
        evidence_upload(project=e2, user=member, uploaded_file=upload("x.pdf", pdf_bytes()), question="PR3")
    own = e2.assessments.get(organisation__memberships__user=member)
    with pytest.raises(InvalidInput, match="project-wide question"):
        evidence_upload(
            project=e2, user=member, uploaded_file=upload("x.pdf", pdf_bytes()), question="PE1", assessment=own
        )
    with pytest.raises(InvalidInput, match="which question or obligation"):
        evidence_upload(project=e2, user=coordinator, uploaded_file=upload("x.pdf", pdf_bytes()))


def test_answers_documents_are_fixed_while_the_panel_has_the_project(e2, coordinator):
    Project.objects.filter(pk=e2.pk).update(status=Project.Status.WITH_PANEL)
    e2.refresh_from_db()
    with pytest.raises(ProjectLocked):
        evidence_upload(project=e2, user=coordinator, uploaded_file=upload("x.pdf", pdf_bytes()), question="PE1")
    assert not Evidence.objects.exists()
