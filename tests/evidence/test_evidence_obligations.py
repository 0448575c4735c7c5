"""Evidence for an obligation: an approving record's condition, met with a document."""

import pytest
from django.urls import reverse

from assessments.errors import InvalidInput, NotFound
from assessments.models import AuditEvent, Obligation, User
from assessments.services.evidence import evidence_upload
from tests.evidence.conftest import pdf_bytes, upload

pytestmark = pytest.mark.django_db

ETHICS = {"text": "Send the favourable ethics opinion before access starts.", "rule": "", "blocking": True}


@pytest.fixture
def ethics(assessed_project, issue_record):
    issue_record(assessed_project, outcome="approve_with_conditions", conditions=[ETHICS])
    return Obligation.objects.get(project=assessed_project, blocking=True)


def test_the_coordinator_attaches_the_letter_and_the_obligation_waits_for_its_check(ethics, coordinator, login):
    # The project is decided, so its answers are fixed; its obligations still take documents.
    response = login(coordinator).post(
        reverse("evidence_upload", args=[ethics.project_id]),
        {"file": upload("ethics-letter.pdf", pdf_bytes()), "obligation": ethics.pk, "next": "/"},
    )
    assert response.status_code == 302
    ethics.refresh_from_db()
    assert ethics.status == "evidence_submitted"
    evidence = ethics.evidence.get()
    assert (evidence.name, evidence.question, evidence.assessment) == ("ethics-letter.pdf", "", None)
    uploaded = AuditEvent.objects.get(action="evidence.uploaded")
    assert uploaded.data["attached_to"] == {"obligation": ethics.number, "text": ETHICS["text"]}
    assert AuditEvent.objects.filter(action="obligation.evidence_submitted").count() == 1


def test_a_panel_member_who_reads_the_project_cannot_attach(ethics):
    with pytest.raises(NotFound):
        evidence_upload(
            project=ethics.project,
            user=User.objects.get(username="chair"),
            uploaded_file=upload("x.pdf", pdf_bytes()),
            obligation=ethics,
        )
    assert not ethics.evidence.exists()


def test_an_obligation_takes_no_question_too(ethics, coordinator):
    with pytest.raises(InvalidInput, match="not both"):
        evidence_upload(
            project=ethics.project,
            user=coordinator,
            uploaded_file=upload("x.pdf", pdf_bytes()),
            obligation=ethics,
            question="PE1",
        )
