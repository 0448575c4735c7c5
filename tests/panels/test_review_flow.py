"""From sending to a panel to a signed decision record, through the web pages."""

import subprocess

import pytest
from django.urls import reverse

from assessments.models import (
    AuditEvent,
    CustodianAssessment,
    DecisionRecord,
    PanelReview,
    Project,
    RecordPdf,
)
from assessments.services.audit import audit_verify
from tests.helpers import as_user, decide, declare, send, vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(assessed_project, panel_body):
    assert send(assessed_project, panel_body).status_code == 302
    return PanelReview.objects.get(project=assessed_project)


def _one_event(action):
    events = list(AuditEvent.objects.filter(action=action))
    assert len(events) == 1, [e.action for e in events]
    return events[0]


def test_sending_locks_the_project_and_is_audited(review, assessed_project):
    assessed_project.refresh_from_db()
    assert assessed_project.status == Project.Status.WITH_PANEL
    event = _one_event("review.sent")
    assert event.data["panel"] == "National Data Access Panel" and event.project_id == assessed_project.pk
    # Answers are locked while the panel reviews.
    response = as_user("coordinator").get(reverse("project_section", args=[assessed_project.pk, "people"]))
    assert 'id="section-form"' not in response.content.decode()


def test_only_an_assessed_project_can_be_sent(example_project, panel_body):
    project = example_project("E4", submit=[])
    response = send(project, panel_body)
    assert response.status_code == 404
    assert not PanelReview.objects.exists()


def test_panel_members_see_the_project_read_only(review):
    client = as_user("panel")
    assert client.get(reverse("review_detail", args=[review.pk])).status_code == 200
    assert client.get(reverse("risk_profile_revision", args=[review.project_id, review.revision])).status_code == 200
    section = client.get(reverse("project_section", args=[review.project_id, "people"])).content.decode()
    assert "Accredited" in section or "accredited" in section
    assert 'id="section-form"' not in section


@pytest.mark.parametrize("username", ["outsider", "custodian", "coordinator"])
def test_people_off_the_panel_cannot_open_its_review(review, username):
    assert as_user(username).get(reverse("review_detail", args=[review.pk])).status_code == 404


def test_a_conflicted_member_cannot_vote_and_leaves_the_quorum(review):
    assert declare(review, "panel", conflicted=True, details="I co-authored the protocol.").status_code == 302
    response = vote(review, "panel")
    assert response.status_code == 400
    assert "declared a conflict of interest" in response.content.decode()
    event = _one_event("review.conflict_declared")
    assert event.data == {"review": review.pk, "conflicted": True, "details": "I co-authored the protocol."}
    page = as_user("chair").get(reverse("review_detail", args=[review.pk]))
    quorum = page.context["quorum"]
    assert (quorum.members, quorum.conflicted, quorum.needed) == (3, 1, 2)


def test_voting_needs_a_declaration_first(review):
    response = vote(review, "panel2")
    assert response.status_code == 400
    assert "Declare whether you have a conflict" in response.content.decode()


def test_a_conflict_needs_details(review):
    response = declare(review, "panel", conflicted=True)
    assert response.status_code == 400
    assert "Describe the conflict" in response.content.decode()


def test_the_chair_cannot_decide_without_a_quorum(review):
    declare(review, "chair")
    vote(review, "chair")
    response = decide(review, outcome="approve")
    assert response.status_code == 400
    assert "not quorate: 1 of the 2 votes needed" in response.content.decode()
    assert not DecisionRecord.objects.exists()


def test_only_the_chair_decides(review):
    for member in ("chair", "panel", "panel2"):
        declare(review, member)
        vote(review, member)
    response = decide(review, outcome="approve", username="panel")
    assert response.status_code == 400
    assert "Only the panel&#x27;s chair" in response.content.decode()


def test_a_member_can_change_their_vote_and_the_change_is_kept(review):
    declare(review, "panel")
    vote(review, "panel", choice="reject", rationale="Too risky.")
    vote(review, "panel", choice="approve", rationale="Answers clarified.")
    events = list(AuditEvent.objects.filter(action="review.voted").order_by("sequence"))
    assert [e.data["after"]["choice"] for e in events] == ["reject", "approve"]
    assert events[1].data["before"] == {"choice": "reject", "rationale": "Too risky."}


def test_the_decision_form_is_prefilled_with_the_engines_conditions(example_project, panel_body):
    project = example_project("E4b")
    send(project, panel_body)
    review = PanelReview.objects.get(project=project)
    declare(review, "chair")  # the chair declares before deciding
    page = as_user("chair").get(reverse("review_detail", args=[review.pk]))
    initial = [form.initial for form in page.context["condition_formset"].initial_forms] or page.context[
        "condition_formset"
    ].initial
    assert [c["rule"] for c in initial] == ["R-PE-04"]
    assert "Every user must sign a user agreement" in page.content.decode()


def test_the_full_flow_ends_in_a_signed_verifiable_record(
    review, signing_ca, django_capture_on_commit_callbacks, tmp_path
):
    declare(review, "chair")
    declare(review, "panel", conflicted=True, details="Collaborator of the lead researcher.")
    declare(review, "panel2")
    vote(review, "chair", "approve_with_conditions", "Controls are adequate with conditions.")
    vote(review, "panel2", "approve", "Low residual risk.")
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(
            review,
            conditions=[
                {"text": "Publish the project on the public register", "blocking": True},
                {"text": "Annual report to the custodians, ŵ and ŷ included"},
            ],
            rationale="Federated analysis keeps rows with the custodians.",
            dissent="None recorded.",
        )
    record = DecisionRecord.objects.get()
    assert response["Location"] == reverse("record_detail", args=[record.number])
    assert record.number.startswith("PRIAM-") and record.number.endswith("-0001")
    snapshot = record.snapshot
    assert snapshot["decision"]["outcome"] == "approve_with_conditions"
    assert [v["member"]["username"] for v in snapshot["votes"]] == ["chair", "panel2"]
    assert [d["conflicted"] for d in snapshot["declarations"]] == [False, True, False]
    assert snapshot["evaluation"]["result"]["tiers"]["data"] == 3
    assert snapshot["audit_head"]["sequence"] > 0
    review.project.refresh_from_db()
    assert review.project.status == Project.Status.DECIDED

    pdf = RecordPdf.objects.get(record=record)
    path = tmp_path / "record.pdf"
    path.write_bytes(bytes(pdf.data))
    pdfsig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in pdfsig and "Total document signed" in pdfsig
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    for expected in (
        record.number,
        "Federated genomics across two TREs",
        "Approve with conditions",
        "Publish the project on the public register",
        "ŵ and ŷ",
        "Collaborator of the lead researcher",
        "Page 1 of",
        snapshot["audit_head"]["hash"][:32],
        "R-DA-02",
        "/verify/",
    ):
        assert expected in text, expected
    pages = int(
        subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout.split("Pages:")[1].split()[0]
    )
    assert f"Page {pages} of {pages}" in text

    page = as_user("coordinator").get(reverse("record_detail", args=[record.number])).content.decode()
    assert reverse("record_pdf", args=[record.number]) in page and 'http-equiv="refresh"' not in page
    download = as_user("coordinator").get(reverse("record_pdf", args=[record.number]))
    assert download["Content-Type"] == "application/pdf" and download.content == bytes(pdf.data)

    for action in ("review.sent", "review.decided", "record.pdf_signed"):
        _one_event(action)
    assert AuditEvent.objects.filter(action="review.conflict_declared").count() == 3
    assert AuditEvent.objects.filter(action="review.voted").count() == 2
    assert _one_event("review.decided").data["record"] == record.number
    assert audit_verify().ok


def test_the_record_page_refreshes_itself_while_the_pdf_is_made(review, signing_ca):
    for member in ("chair", "panel", "panel2"):
        declare(review, member)
        vote(review, member)
    decide(review, outcome="approve")  # on_commit callbacks not run: the PDF is still queued
    record = DecisionRecord.objects.get()
    page = as_user("chair").get(reverse("record_detail", args=[record.number])).content.decode()
    assert 'http-equiv="refresh"' in page and "being made" in page


def test_refer_back_returns_the_project_and_a_later_decision_supersedes(
    review, signing_ca, django_capture_on_commit_callbacks, panel_body
):
    for member in ("chair", "panel", "panel2"):
        declare(review, member)
        vote(review, member, choice="refer_back", rationale="Need the linkage design.")
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(review, outcome="refer_back", questions="How are linkage keys held?", rationale="Unclear.")
    assert response.status_code == 302
    project = Project.objects.get(pk=review.project_id)
    # Referred back with its questions; submissions and confirmations stand until an answer changes.
    assert (project.status, project.revision) == (Project.Status.REFERRED, 1)
    assert set(project.assessments.values_list("status", flat=True)) == {CustodianAssessment.Status.SUBMITTED}
    first = DecisionRecord.objects.get()
    assert first.snapshot["decision"]["questions"] == "How are linkage keys held?"

    # The coordinator replies, then sends the project back to the panel.
    question = first.decision.referral_questions.get()
    reply = as_user("coordinator").post(
        reverse("project_referral", args=[project.pk]), {"question": question.pk, "text": "In the TRE's key vault."}
    )
    assert reply.status_code == 302
    send(project, panel_body)
    second_review = PanelReview.objects.get(project=project, status="open")
    assert (
        "In the TRE&#x27;s key vault."
        in as_user("panel").get(reverse("review_detail", args=[second_review.pk])).content.decode()
    )
    for member in ("chair", "panel", "panel2"):
        declare(second_review, member)
        vote(second_review, member)
    with django_capture_on_commit_callbacks(execute=True):
        decide(second_review, outcome="approve")
    second = DecisionRecord.objects.exclude(pk=first.pk).get()
    assert second.supersedes == first
    assert second.snapshot["record"]["supersedes"] == first.number
    page = as_user("coordinator").get(reverse("record_detail", args=[first.number])).content.decode()
    assert "Superseded by" in page and second.number in page


def test_the_pdf_task_is_idempotent(review, signing_ca, django_capture_on_commit_callbacks):
    from assessments.services.records import record_pdf_make

    for member in ("chair", "panel", "panel2"):
        declare(review, member)
        vote(review, member)
    with django_capture_on_commit_callbacks(execute=True):
        decide(review, outcome="approve")
    record = DecisionRecord.objects.get()
    first = RecordPdf.objects.get(record=record).sha256
    record_pdf_make(record_id=record.pk)
    record_pdf_make(record_id=record.pk)
    assert RecordPdf.objects.filter(record=record).count() == 1
    assert RecordPdf.objects.get(record=record).sha256 == first
    assert AuditEvent.objects.filter(action="record.pdf_signed").count() == 1


def test_details_are_locked_while_the_panel_reviews(review):
    project = review.project
    response = as_user("coordinator").post(
        reverse("project_edit", args=[project.pk]),
        {
            "title": "Changed behind the panel's back",
            "summary": project.summary,
            "lead_researcher": project.lead_researcher,
            "lead_organisation": project.lead_organisation,
            "purpose": project.purpose,
            "public_benefit": project.public_benefit,
            "start_date": project.start_date.isoformat(),
            "end_date": project.end_date.isoformat(),
        },
    )
    assert response.status_code == 200
    assert "locked" in response.content.decode()
    project.refresh_from_db()
    assert project.title == "Federated genomics across two TREs"


def test_a_save_refused_because_the_panel_has_it_keeps_what_was_typed(assessed_project, panel_body):
    from tests.helpers import base_version, section_url

    client = as_user("coordinator")
    url = section_url(assessed_project, "people")
    version = base_version(client, url)
    send(assessed_project, panel_body)  # meanwhile, the project goes to the panel
    response = client.post(url, {"base_version": version, "PE4": "77", "save": "1"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "with the approval panel" in html and "not saved" in html and ">77<" in html


def test_a_configured_quorum_never_exceeds_the_members_free_to_vote(review, panel_body):
    panel_body.quorum = 3
    panel_body.save()
    declare(review, "panel", conflicted=True, details="Co-investigator.")
    for member in ("chair", "panel2"):
        declare(review, member)
        vote(review, member)
    quorum = as_user("chair").get(reverse("review_detail", args=[review.pk])).context["quorum"]
    assert (quorum.needed, quorum.votes, quorum.met) == (2, 2, True)


def test_a_panel_where_everyone_is_conflicted_cannot_decide(review):
    for member in ("chair", "panel", "panel2"):
        declare(review, member, conflicted=True, details="Conflict.")
    response = decide(review, outcome="approve")
    assert response.status_code == 400
    assert "Every member of the panel has declared a conflict" in response.content.decode()


def test_record_numbers_keep_counting_past_9999(example_project, issue_record):
    from django.db import connection

    first = issue_record(example_project("E4"))
    year = first.number.split("-")[1]
    with connection.cursor() as cursor:  # pretend this year has already issued 9,999 records
        cursor.execute(
            "UPDATE assessments_decisionrecord SET number = %s WHERE id = %s", [f"PRIAM-{year}-9999", first.pk]
        )
    assert issue_record(example_project("E4b")).number == f"PRIAM-{year}-10000"
    assert issue_record(example_project("E1")).number == f"PRIAM-{year}-10001"
