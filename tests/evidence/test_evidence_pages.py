"""Evidence in the browser: the upload beside each question, the download, and the project page."""

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import AuditEvent, Evidence, User
from assessments.services.evidence import evidence_upload
from tests.evidence.conftest import exe_bytes, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def _post(client, project, **fields):
    return client.post(reverse("evidence_upload", args=[project.pk]), fields)


def test_the_upload_goes_back_to_the_question(e2, coordinator, login):
    client = login(coordinator)
    back = reverse("project_section", args=[e2.pk, "people"]) + "#q-PE1"
    response = _post(
        client, e2, file=upload("letter.pdf", pdf_bytes()), question="PE1", description="REC letter", next=back
    )
    assert response.status_code == 302 and response["Location"] == back
    evidence = Evidence.objects.get()
    assert (evidence.name, evidence.description, evidence.uploaded_by) == ("letter.pdf", "REC letter", coordinator)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_it_never_redirects_off_site(e2, coordinator, login, next_url):
    response = _post(login(coordinator), e2, file=upload("l.pdf", pdf_bytes()), question="PE1", next=next_url)
    assert response["Location"] == reverse("project_detail", args=[e2.pk])


def test_a_refused_file_is_named_and_nothing_is_saved(e2, coordinator, login):
    response = _post(login(coordinator), e2, file=upload("setup.pdf", exe_bytes()), question="PE1", description="x")
    assert response.status_code == 400
    page = response.content.decode()
    assert "“setup.pdf” is not a document PRIAM accepts" in page
    assert 'name="file"' in page  # the form again, to choose another file
    assert not Evidence.objects.exists() and not AuditEvent.objects.filter(action="evidence.uploaded").exists()


def test_an_outsider_cannot_upload(e2, login):
    response = _post(
        login(User.objects.get(username="outsider")), e2, file=upload("l.pdf", pdf_bytes()), question="PE1"
    )
    assert response.status_code == 404 and not Evidence.objects.exists()


def _evidence(project, user, question="PE1", content=None, name="letter.pdf"):
    return evidence_upload(
        project=project, user=user, uploaded_file=upload(name, content or pdf_bytes()), question=question
    )


def test_the_download_streams_the_file_as_an_attachment_and_is_audited(e2, coordinator, member, login):
    evidence = _evidence(e2, coordinator, content=png_bytes(), name='scan "final"; v2.png')
    response = login(member).get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    # The name is quoted, so its quote and semicolon cannot break out of the header.
    assert response["Content-Disposition"] == 'attachment; filename="scan \\"final\\"; v2.png"'
    event = AuditEvent.objects.get(action="evidence.downloaded")
    assert (event.actor, event.object_id, event.data["sha256"]) == (member.username, str(evidence.pk), evidence.sha256)


@pytest.mark.parametrize("username", ["outsider", "custodian", "chair"])
def test_people_who_cannot_see_the_project_get_404(e2, coordinator, login, username):
    evidence = _evidence(e2, coordinator)
    response = login(User.objects.get(username=username)).get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.downloaded").exists()


def test_a_changed_file_is_refused_and_logged(e2, coordinator, login, caplog):
    evidence = _evidence(e2, coordinator)
    with default_storage.open(evidence.file.name, "wb") as stored:
        stored.write(pdf_bytes().replace(b"Catalog", b"Katalog"))
    response = login(coordinator).get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 409
    assert "was changed or removed in storage" in response.content.decode()
    assert any("refused to serve it" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    assert not AuditEvent.objects.filter(action="evidence.downloaded").exists()


def test_a_missing_file_is_refused_too(e2, coordinator, login):
    evidence = _evidence(e2, coordinator)
    default_storage.delete(evidence.file.name)
    assert login(coordinator).get(reverse("evidence_download", args=[evidence.pk])).status_code == 409


def _section_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_section_shows_each_questions_documents_and_upload_in_constant_queries(e2, coordinator, member, login):
    client = login(coordinator)
    url = reverse("project_section", args=[e2.pk, "people"])
    _evidence(e2, coordinator, "PE1", name="first.pdf")
    one, page = _section_queries(client, url)
    assert "first.pdf" in page
    # The upload sits beside its question, inside the section form's question block, posting
    # through its own form placed outside the section form.
    block = page[page.index('id="q-PE1"') : page.index('id="q-PE2"')]
    assert "first.pdf" in block and 'form="evidence-form-qPE1-p"' in block
    assert '<form id="evidence-form-qPE1-p"' in page
    for i in range(5):
        _evidence(e2, member, "PE2", name=f"more-{i}.pdf")
    many, page = _section_queries(client, url)
    assert "more-4.pdf" in page
    assert many == one


def test_a_custodian_sees_its_own_and_the_project_wide_documents(e2, coordinator, member, login):
    own = e2.assessments.get(organisation__memberships__user=member)
    evidence_upload(
        project=e2, user=member, uploaded_file=upload("dspt.pdf", pdf_bytes()), question="PR3", assessment=own
    )
    _evidence(e2, coordinator, "PE1", name="ethics.pdf")
    client = login(member)
    page = client.get(reverse("assessment_section", args=[e2.pk, own.pk, "people"])).content.decode()
    assert "ethics.pdf" in page  # beside the project-wide question it reviews
    safe = next(
        s
        for s in ["projects", "settings", "data", "outputs", "people"]
        if "dspt.pdf" in client.get(reverse("assessment_section", args=[e2.pk, own.pk, s])).content.decode()
    )
    assert safe  # PR3's section shows its document


def test_the_project_page_lists_every_document_and_what_it_supports(e2, coordinator, member, login):
    own = e2.assessments.get(organisation__memberships__user=member)
    evidence_upload(
        project=e2, user=member, uploaded_file=upload("dspt.pdf", pdf_bytes()), question="PR3", assessment=own
    )
    _evidence(e2, coordinator, "PE1", name="ethics.pdf")
    page = login(coordinator).get(reverse("project_detail", args=[e2.pk])).content.decode()
    section = page[page.index('id="evidence-heading"') :]
    assert "ethics.pdf" in section and "Question PE1 (project-wide)" in section
    assert "dspt.pdf" in section and f"Question PR3 ({own.organisation.name})" in section


def test_a_document_of_several_megabytes_is_taken_through_the_page_and_the_api(e2, coordinator, login, settings):
    """Evidence is a real scan (a few MB), above the 1 MB every other form is held to."""
    from tests.api.test_api import api

    big = pdf_bytes() + b"%" + b"0" * (3 * 1024 * 1024)
    back = reverse("project_section", args=[e2.pk, "people"])
    response = _post(login(coordinator), e2, file=upload("scan.pdf", big), question="PE1", next=back)
    assert response.status_code == 302
    response = api("coordinator").post(
        f"/api/v1/projects/{e2.pk}/evidence/", {"file": upload("scan2.pdf", big), "question": "PE1"}
    )
    assert response.status_code == 201, response.content[:300]
    assert sorted(Evidence.objects.values_list("size", flat=True)) == [len(big), len(big)]
