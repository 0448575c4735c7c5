"""The media folder cannot be written while evidence is uploaded: a clear error, nothing kept, and
the same upload succeeds once the folder can be written again.

The tests run as root, which file permissions do not stop, so the failures are real ones that
bind root too: the media folder under a regular file (ENOTDIR: every write fails), and a
file-size limit (RLIMIT_FSIZE: the kernel refuses a write part-way through the file, as a full
disk would)."""

import resource
from contextlib import contextmanager

import pytest
from django.urls import reverse

from assessments.errors import EvidenceNotStored
from assessments.models import AuditEvent, Evidence
from assessments.services.audit import audit_verify
from assessments.services.evidence import evidence_upload
from tests.api.test_api import token_for
from tests.evidence.conftest import e2, pdf_bytes, upload  # noqa: F401 (e2 is a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    """A writable media folder, and `broken()` to put it where nothing can be written."""
    writable = tmp_path / "media"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file where a folder should be")

    class Media:
        root = writable

        def broken(self):
            settings.MEDIA_ROOT = blocker / "media"

        def mended(self):
            settings.MEDIA_ROOT = writable

    settings.MEDIA_ROOT = writable
    return Media()


def _files(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _nothing_kept():
    return not Evidence.objects.exists() and not AuditEvent.objects.filter(action="evidence.uploaded").exists()


def test_the_upload_page_says_the_file_was_not_stored_keeps_the_input_and_takes_the_retry(
    e2,  # noqa: F811
    coordinator,
    login,
    media,
):
    client = login(coordinator)
    url = reverse("evidence_upload", args=[e2.pk])
    fields = {"question": "PE1", "description": "Signed REC letter"}
    media.broken()

    response = client.post(url, {**fields, "file": upload("letter.pdf", pdf_bytes())})

    assert response.status_code == 503
    page = response.content.decode()
    assert "“letter.pdf” could not be stored" in page and "try again" in page
    assert 'name="file"' in page and "Signed REC letter" in page  # the form again, description kept
    assert _nothing_kept()

    media.mended()
    again = client.post(url, {**fields, "file": upload("letter.pdf", pdf_bytes())})
    assert again.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.description == "Signed REC letter"
    assert _files(media.root) == [media.root / evidence.file.name]
    assert AuditEvent.objects.filter(action="evidence.uploaded").count() == 1
    assert audit_verify().ok


def test_the_api_answers_503_with_a_problem_naming_the_file(e2, media):  # noqa: F811
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for('coordinator')}")
    media.broken()
    response = client.post(
        f"/api/v1/projects/{e2.pk}/evidence/", {"file": upload("letter.pdf", pdf_bytes()), "question": "PE1"}
    )
    assert response.status_code == 503, response.content
    assert "“letter.pdf” could not be stored" in response.content.decode()
    assert _nothing_kept()


@contextmanager
def _file_size_limit(limit):
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    # Python ignores SIGXFSZ, so an oversized write fails with EFBIG instead of killing the process.
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def test_a_write_that_fails_part_way_leaves_no_partial_file(e2, coordinator, media):  # noqa: F811
    # Plain text of 300 kB; the limit lets the first 64 kB reach the disk, then refuses the rest.
    content = b"The custodian approved the transfer.\n" * 8000
    with _file_size_limit(64 * 1024), pytest.raises(EvidenceNotStored, match="could not be stored"):
        evidence_upload(project=e2, user=coordinator, uploaded_file=upload("minutes.txt", content), question="PE1")

    assert _files(media.root) == []  # neither the document's name nor a temporary file remains
    assert _nothing_kept()
    # Retried within the limit's absence, it is stored whole.
    evidence = evidence_upload(
        project=e2, user=coordinator, uploaded_file=upload("minutes.txt", content), question="PE1"
    )
    assert (media.root / evidence.file.name).read_bytes() == content
    assert _files(media.root) == [media.root / evidence.file.name]


def _letter():
    return upload("letter.pdf", pdf_bytes())


@pytest.fixture
def harness_media():
    """The media folder of the harness's worker and of this process (both use PRIAM_DATA_DIR),
    with `broken()` replacing it by a regular file until the test ends."""
    import os
    import shutil
    from pathlib import Path

    folder = Path(os.environ["PRIAM_TEST_WORK"]) / "data" / "media"
    aside = folder.with_name("media.aside")

    class Media:
        def broken(self):
            if folder.exists():
                folder.rename(aside)
            folder.write_text("a regular file where the media folder should be")

        def mended(self):
            if folder.is_file():
                folder.unlink()
            if aside.exists():
                aside.rename(folder)

    media = Media()
    yield media
    media.mended()
    shutil.rmtree(aside, ignore_errors=True)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_worker_signs_a_record_while_the_media_folder_is_unwritable(
    example_project, signing_ca, harness_media, tmp_path
):
    """A record's signed PDF is kept in the database (RecordPdf), in the transaction that marks
    its job done and writes its audit event: the worker never writes it to the media folder, so
    it is issued once, whole, while uploads are refused."""
    import subprocess
    import time

    from assessments.models import Panel, RecordPdf, RecordPdfJob, User
    from assessments.services.panels import conflict_declare, review_decide, review_send, vote_cast

    project = example_project("E1")
    assessing = example_project("E2", submit=[])  # still open for documents
    panel = Panel.objects.get(name="National Data Access Panel")
    review = review_send(project=project, panel=panel, actor=project.coordinator)
    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflict_declare(review=review, member=member, conflicted=False)
        vote_cast(review=review, member=member, choice="approve", rationale="Fine.")
    harness_media.broken()
    record = review_decide(
        review=review, chair=User.objects.get(username="chair"), outcome="approve", conditions=[], rationale="Agreed."
    )  # commits, so the task goes to the real worker

    with pytest.raises(EvidenceNotStored):
        evidence_upload(project=assessing, user=assessing.coordinator, uploaded_file=_letter(), question="PE1")
    deadline = time.monotonic() + 120
    while not RecordPdfJob.objects.filter(record=record, status__in=["done", "failed"]).exists():
        assert time.monotonic() < deadline, "the worker did not finish the record's PDF"
        time.sleep(0.1)
    job = RecordPdfJob.objects.get(record=record)
    assert (job.status, job.attempts) == ("done", 1)
    assert RecordPdf.objects.filter(record=record).count() == 1
    assert AuditEvent.objects.filter(action="record.pdf_signed", object_id=str(record.pk)).count() == 1
    path = tmp_path / "record.pdf"
    path.write_bytes(bytes(RecordPdf.objects.get(record=record).data))
    assert "Signature is Valid." in subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout

    harness_media.mended()
    evidence = evidence_upload(project=assessing, user=assessing.coordinator, uploaded_file=_letter(), question="PE1")
    assert Evidence.objects.get() == evidence
