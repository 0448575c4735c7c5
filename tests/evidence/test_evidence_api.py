"""Evidence over the API: list, describe, download and upload, with the pages' checks."""

import hashlib

import pytest
from django.test import Client

from assessments.models import AuditEvent, Evidence
from assessments.services.evidence import evidence_upload
from tests.api.test_api import token_for
from tests.evidence.conftest import exe_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def _client(username, read_only=False):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username, read_only=read_only)}")


def test_it_uploads_lists_describes_and_downloads(e2):
    client = _client("coordinator")
    response = client.post(
        f"/api/v1/projects/{e2.pk}/evidence/",
        {"file": upload("letter.pdf", pdf_bytes()), "question": "PE1", "description": "REC letter"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(pdf_bytes()).hexdigest()
    assert (body["content_type"], body["question"], body["uploaded_by"]) == ("application/pdf", "PE1", "coordinator")
    assert response["Location"] == f"/api/v1/evidence/{body['id']}/"

    listed = client.get(f"/api/v1/projects/{e2.pk}/evidence/").json()
    assert [e["id"] for e in listed] == [body["id"]]
    assert client.get(f"/api/v1/evidence/{body['id']}/").json()["attached_to"] == {"question": "PE1", "custodian": None}

    download = client.get(body["download"], HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200 and b"".join(download.streaming_content) == pdf_bytes()
    assert download["Content-Type"] == "application/pdf" and download["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="evidence.downloaded").count() == 1


def test_a_refused_upload_is_a_problem_naming_the_file(e2):
    response = _client("coordinator").post(
        f"/api/v1/projects/{e2.pk}/evidence/", {"file": upload("report.pdf", exe_bytes()), "question": "PE1"}
    )
    assert response.status_code == 400
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert "“report.pdf”" in problem["detail"] and problem["errors"][0]["field"] == "file"
    assert not Evidence.objects.exists()


def test_a_read_only_token_cannot_upload(e2):
    response = _client("coordinator", read_only=True).post(
        f"/api/v1/projects/{e2.pk}/evidence/", {"file": upload("l.pdf", pdf_bytes()), "question": "PE1"}
    )
    assert response.status_code == 403 and not Evidence.objects.exists()


def test_outsiders_get_404_everywhere(e2, coordinator):
    evidence = evidence_upload(project=e2, user=coordinator, uploaded_file=upload("l.pdf", pdf_bytes()), question="PE1")
    client = _client("outsider")
    for url in [
        f"/api/v1/projects/{e2.pk}/evidence/",
        f"/api/v1/evidence/{evidence.pk}/",
        f"/api/v1/evidence/{evidence.pk}/download/",
    ]:
        assert client.get(url).status_code == 404, url
    upload_status = client.post(
        f"/api/v1/projects/{e2.pk}/evidence/", {"file": upload("l.pdf", pdf_bytes()), "question": "PE1"}
    ).status_code
    assert upload_status == 404


def test_an_assessment_of_another_project_is_not_found(e2, example_project, member):
    # The member sees e2; the assessment id is another project's.
    foreign = example_project("E4", submit=[]).assessments.first()
    response = _client(member.username).post(
        f"/api/v1/projects/{e2.pk}/evidence/",
        {"file": upload("l.pdf", pdf_bytes()), "question": "PR3", "assessment": foreign.pk},
    )
    assert response.status_code == 404


def test_a_tampered_file_is_a_409(e2, coordinator):
    from django.core.files.storage import default_storage

    evidence = evidence_upload(project=e2, user=coordinator, uploaded_file=upload("l.pdf", pdf_bytes()), question="PE1")
    with default_storage.open(evidence.file.name, "wb") as stored:
        stored.write(b"%PDF-1.4 something else")
    response = _client("coordinator").get(f"/api/v1/evidence/{evidence.pk}/download/")
    assert response.status_code == 409 and "changed or removed" in response.json()["detail"]
