"""A decision record lists the documents behind the answers, each with its SHA-256."""

import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.selectors.evidence import evidence_at
from assessments.services.evidence import evidence_upload
from tests.evidence.conftest import pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def test_the_record_snapshot_lists_the_evidence_with_its_hash(assessed_project, issue_record, coordinator, login):
    evidence_upload(
        project=assessed_project, user=coordinator, uploaded_file=upload("REC letter.pdf", pdf_bytes()), question="PE1"
    )
    record = issue_record(assessed_project)
    listed = record.snapshot["evidence"]
    assert len(listed) == 1
    item = listed[0]
    assert item["sha256"] == hashlib.sha256(pdf_bytes()).hexdigest()
    assert (item["name"], item["size"]) == ("REC letter.pdf", len(pdf_bytes()))
    assert item["attached_to"]["question"] == "PE1" and item["attached_to"]["custodian"] is None
    assert item["attached_to"]["text"]  # the question's words, so the record reads without the framework
    assert item["uploaded_by"]["username"] == "coordinator"
    page = login(coordinator).get(reverse("record_detail", args=[record.number])).content.decode()
    assert "REC letter.pdf" in page and item["sha256"] in page


def test_only_documents_uploaded_by_the_issue_time_are_listed(e2, coordinator):
    evidence_upload(project=e2, user=coordinator, uploaded_file=upload("before.pdf", pdf_bytes()), question="PE1")
    issued_at = timezone.now()
    later = evidence_upload(
        project=e2, user=coordinator, uploaded_file=upload("after.png", png_bytes()), question="PE1"
    )
    later.__class__.objects.filter(pk=later.pk).update(uploaded_at=issued_at + timezone.timedelta(seconds=5))
    assert [e["name"] for e in evidence_at(e2, issued_at)] == ["before.pdf"]


def test_the_record_pdf_has_an_evidence_table(assessed_project, issue_record, coordinator):
    from assessments.services.records import record_pdf_html

    evidence_upload(
        project=assessed_project, user=coordinator, uploaded_file=upload("REC letter.pdf", pdf_bytes()), question="PE1"
    )
    record = issue_record(assessed_project)
    html = record_pdf_html(record)
    table = html[html.index("<h2>Evidence</h2>") : html.index("<h2>Fingerprints</h2>")]
    assert "REC letter.pdf" in table and hashlib.sha256(pdf_bytes()).hexdigest() in table
