"""Issue 10, items 1–4: a decision stays in force, confirmations lapse only for what they covered,
the deputy chair decides for a conflicted chair, and a referral's questions reach people and come back."""

import pytest
from django.urls import reverse

from assessments.errors import ProjectLocked
from assessments.models import (
    AuditEvent,
    CustodianAssessment,
    DecisionRecord,
    PanelMembership,
    PanelReview,
    Project,
    User,
)
from assessments.services.panels import ReviewError, conflict_declare, review_decide, review_send, vote_cast
from assessments.services.projects import project_update_details
from tests.api.test_api import api, put_json
from tests.helpers import as_user, decide, declare, post_section, send, vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(assessed_project, issue_record):
    record = issue_record(assessed_project, outcome="approve")
    assessed_project.refresh_from_db()
    return assessed_project, record


def _member_of(assessment):
    return (
        assessment.organisation.members.exclude(username="coordinator").first()
        or assessment.organisation.members.first()
    )


def _data_answers(assessment):
    return {q: assessment.answers.get(q) for q in ("DA1", "DA2", "DA3", "DA4", "DA5", "DA6", "DA7", "DA8", "DA9")}


def _state(project):
    project.refresh_from_db()
    return (
        project.status,
        project.revision,
        sorted(project.assessments.values_list("status", "confirmed_version")),
    )


# 1. A decided project does not reopen silently --------------------------------------------------


def test_it_refuses_a_custodians_save_draft_on_a_decided_project(decided):
    project, record = decided
    before = _state(project)
    assessment = project.assessments.get(organisation__name="Genomics England")
    response = post_section(
        as_user("genomics"),
        project,
        "data",
        {**_data_answers(assessment), "DA5": True},
        assessment=assessment,
        button="save",
        version=assessment.sections.get("data", {}).get("version", 0),
    )
    assert response.status_code == 409
    assert "its coordinator requests an amendment" in response.content.decode()
    assert _state(project) == before
    assert not AuditEvent.objects.filter(
        action="assessment.answers_saved", project_id=project.pk, data_json__contains='"reopened":true'
    ).exists()


def test_it_refuses_the_coordinators_edit_of_a_decided_projects_details(decided):
    project, _ = decided
    with pytest.raises(ProjectLocked, match="amendment"):
        project_update_details(
            project=project,
            actor=project.coordinator,
            **{**{f: getattr(project, f) for f in Project.DETAIL_FIELDS}, "summary": "Changed after the decision."},
        )
    project.refresh_from_db()
    assert project.summary != "Changed after the decision."


def test_the_api_answers_409_problem_details_for_a_write_to_a_decided_project(decided):
    project, _ = decided
    assessment = project.assessments.get(organisation__name="Genomics England")
    client = api("genomics")
    url = f"/api/v1/projects/{project.pk}/assessments/{assessment.pk}/"
    etag = client.get(url)["ETag"]
    response = put_json(client, url + "answers/", {"answers": {**assessment.answers, "DA5": True}}, HTTP_IF_MATCH=etag)
    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/problem+json")
    assert "amendment" in response.json()["detail"]
    assert client.post(url + "submit/").status_code == 409
    project.refresh_from_db()
    assert (project.revision, project.status) == (1, Project.Status.DECIDED)


def test_an_amendment_keeps_the_record_in_force_until_its_own_record_supersedes_it(decided, panel_body, issue_record):
    project, record = decided
    coordinator = as_user("coordinator")
    page = coordinator.get(reverse("project_amend", args=[project.pk]))
    assert page.status_code == 200 and "Request the amendment" in page.content.decode()
    missing = coordinator.post(reverse("project_amend", args=[project.pk]), {"reason": "  "})
    assert missing.status_code == 400 and "This field is required" in missing.content.decode()
    assert _state(project)[0] == Project.Status.DECIDED

    response = coordinator.post(reverse("project_amend", args=[project.pk]), {"reason": "Add a second cohort."})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.revision) == (Project.Status.ASSESSING, 2)
    assert set(project.assessments.values_list("status", flat=True)) == {CustodianAssessment.Status.DRAFT}
    event = AuditEvent.objects.get(action="project.amendment_requested")
    assert event.data["record_in_force"] == record.number and event.data["reason"] == "Add a second cohort."
    detail = coordinator.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert "Approved under" in detail and record.number in detail and "amendment in progress" in detail

    # The amendment is assessed again: each custodian submits; unchanged confirmations stand.
    for assessment in project.assessments.select_related("organisation"):
        client = as_user(_member_of(assessment).username)
        assert client.post(reverse("assessment_submit", args=[project.pk, assessment.pk])).status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.ASSESSED
    second = issue_record(project, outcome="approve")
    assert second.supersedes == record
    project.refresh_from_db()
    assert project.status == Project.Status.DECIDED


def test_a_referral_during_an_amendment_leaves_the_record_in_force(decided, panel_body):
    project, record = decided
    as_user("coordinator").post(reverse("project_amend", args=[project.pk]), {"reason": "New linkage."})
    for assessment in project.assessments.select_related("organisation"):
        as_user(_member_of(assessment).username).post(reverse("assessment_submit", args=[project.pk, assessment.pk]))
    review = review_send(project=project, panel=panel_body, actor=project.coordinator)
    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflict_declare(review=review, member=member, conflicted=False)
        vote_cast(review=review, member=member, choice="refer_back", rationale="Questions.")
    referral = review_decide(
        review=review,
        chair=User.objects.get(username="chair"),
        outcome="refer_back",
        conditions=[],
        rationale="Unclear.",
        questions="Which cohort?\nWho links?",
    )
    assert referral.supersedes is None
    assert not DecisionRecord.objects.filter(supersedes=record).exists()
    page = as_user("genomics").get(reverse("project_detail", args=[project.pk])).content.decode()
    assert record.number in page and "amendment in progress" in page and "Referred back with questions" in page


def test_only_the_coordinator_requests_an_amendment_and_only_of_a_decided_project(decided, assessed_project):
    project, _ = decided
    assert as_user("genomics").get(reverse("project_amend", args=[project.pk])).status_code == 404
    assert as_user("genomics").post(reverse("project_amend", args=[project.pk]), {"reason": "x"}).status_code == 404
    assert _state(project)[0] == Project.Status.DECIDED


# 2. A conflicted chair does not decide; the deputy chair does ----------------------------------


def _quorate_review(project, panel, *, chair_conflicted=None, deputy=None, deputy_conflicted=None):
    review = review_send(project=project, panel=panel, actor=project.coordinator)
    if deputy:
        PanelMembership.objects.filter(panel=panel, user__username=deputy).update(role=PanelMembership.Role.DEPUTY)
    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflicted = {"chair": chair_conflicted, deputy: deputy_conflicted}.get(username)
        if conflicted is None:
            if username == "chair":
                continue  # the chair has not declared
            conflicted = False
        conflict_declare(
            review=review, member=member, conflicted=conflicted, details="Colleague." if conflicted else ""
        )
        if not conflicted:
            vote_cast(review=review, member=member, choice="approve", rationale="Fine.")
    return review


def _decide_as(review, username):
    return review_decide(
        review=review, chair=User.objects.get(username=username), outcome="approve", conditions=[], rationale="Agreed."
    )


def test_a_chair_who_has_not_declared_cannot_decide(assessed_project, panel_body):
    review = _quorate_review(assessed_project, panel_body)
    with pytest.raises(ReviewError, match="must declare any conflict of interest before deciding"):
        _decide_as(review, "chair")
    page = as_user("chair").get(reverse("review_detail", args=[review.pk])).content.decode()
    assert "must declare any conflict of interest before deciding" in page
    assert f'action="{reverse("review_decide", args=[review.pk])}"' not in page


def test_a_conflicted_chair_cannot_decide_and_the_deputy_chair_does(assessed_project, panel_body):
    review = _quorate_review(
        assessed_project, panel_body, chair_conflicted=True, deputy="panel2", deputy_conflicted=False
    )
    with pytest.raises(ReviewError):
        _decide_as(review, "chair")
    deputy_page = as_user("panel2").get(reverse("review_detail", args=[review.pk])).content.decode()
    assert "deputy chair, because the chair declared a conflict of interest" in deputy_page
    response = decide(review, outcome="approve", username="panel2")
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert PanelReview.objects.get(pk=review.pk).decision.decided_by.username == "panel2"


def test_a_deputy_chair_does_not_decide_while_the_chair_is_free(assessed_project, panel_body):
    review = _quorate_review(
        assessed_project, panel_body, chair_conflicted=False, deputy="panel2", deputy_conflicted=False
    )
    with pytest.raises(ReviewError):
        _decide_as(review, "panel2")
    assert _decide_as(review, "chair").decision.decided_by.username == "chair"


def test_with_neither_chair_nor_deputy_free_the_page_says_who_can_fix_it(assessed_project, panel_body):
    PanelMembership.objects.filter(panel=panel_body, role=PanelMembership.Role.DEPUTY).update(role="member")
    review = _quorate_review(assessed_project, panel_body, chair_conflicted=True)
    with pytest.raises(ReviewError, match="no deputy chair"):
        _decide_as(review, "chair")
    page = as_user("panel").get(reverse("review_detail", args=[review.pk])).content.decode()
    assert "no deputy chair" in page and "administrator" in page


def test_with_chair_and_deputy_both_conflicted_nobody_decides(assessed_project, panel_body):
    review = _quorate_review(
        assessed_project, panel_body, chair_conflicted=True, deputy="panel2", deputy_conflicted=True
    )
    for username in ("chair", "panel2"):
        with pytest.raises(ReviewError, match="Both the chair and the deputy chair"):
            _decide_as(review, username)


# 3. Confirmations bind to what they covered ----------------------------------------------------


def _assessed_two_custodians(assessed_project):
    project = assessed_project
    genomics = project.assessments.get(organisation__name="Genomics England")
    brc = project.assessments.get(organisation__name="Cambridge BRC")
    return project, genomics, brc


def test_a_custodians_own_change_lapses_no_other_confirmation(assessed_project):
    project, genomics, brc = _assessed_two_custodians(assessed_project)
    response = post_section(
        as_user("genomics"),
        project,
        "data",
        {**_data_answers(genomics), "DA5": True},
        assessment=genomics,
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.revision) == (Project.Status.ASSESSING, 2)
    brc.refresh_from_db()
    assert brc.is_confirmed
    # The other custodian sees the change on the risk profile once re-evaluated, without having to act.
    assert as_user("genomics").post(reverse("assessment_submit", args=[project.pk, genomics.pk])).status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.ASSESSED
    brc_member = _member_of(brc)
    page = as_user(brc_member.username).get(reverse("risk_profile", args=[project.pk])).content.decode()
    assert "Changed since Cambridge BRC confirmed" in page
    assert "Genomics England" in page


def test_a_lapsed_confirmation_shows_what_changed_by_question_text(assessed_project):
    project, genomics, _ = _assessed_two_custodians(assessed_project)
    answers = {q: project.answers.get(q) for q in ("PE1", "PE2", "PE3", "PE4", "PE5", "PE6")}
    response = post_section(as_user("coordinator"), project, "people", {**answers, "PE4": 9})
    assert response.status_code == 302
    genomics.refresh_from_db()
    assert not genomics.is_confirmed and genomics.confirmation_lapsed
    page = as_user("genomics").get(reverse("assessment_detail", args=[project.pk, genomics.pk])).content.decode()
    assert "What changed since Genomics England confirmed" in page
    assert "PE4" not in page.split("What changed since")[1].split("</table>")[0]
    assert ">5<" in page and ">9<" in page


def test_a_details_change_lapses_confirmations_and_shows_before_and_after(assessed_project):
    project, genomics, _ = _assessed_two_custodians(assessed_project)
    old_title = project.title
    project_update_details(
        project=project,
        actor=project.coordinator,
        **{**{f: getattr(project, f) for f in Project.DETAIL_FIELDS}, "title": "A clearer title"},
    )
    genomics.refresh_from_db()
    assert genomics.confirmation_lapsed
    page = as_user("genomics").get(reverse("assessment_detail", args=[project.pk, genomics.pk])).content.decode()
    assert old_title in page and "A clearer title" in page


# 4. A referral reaches people and comes back --------------------------------------------------


def _referred(review):
    for member in ("chair", "panel", "panel2"):
        declare(review, member)
        vote(review, member, choice="refer_back", rationale="Questions.")
    response = decide(
        review,
        outcome="refer_back",
        rationale="Unclear.",
        questions="How are linkage keys held?\nWho sees the re-identification table?",
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    return Project.objects.get(pk=review.project_id)


@pytest.fixture
def referred(assessed_project, panel_body, signing_ca, django_capture_on_commit_callbacks):
    send(assessed_project, panel_body)
    review = PanelReview.objects.get(project=assessed_project)
    with django_capture_on_commit_callbacks(execute=True):
        project = _referred(review)
    return project, review


def test_a_referral_shows_its_questions_to_the_coordinator_and_custodians(referred):
    project, _ = referred
    assert project.get_status_display() == "Referred back with questions"
    for username in ("coordinator", "genomics"):
        home = as_user(username).get(reverse("home")).content.decode()
        assert "Panel questions waiting for your reply" in home and project.title in home
        detail = as_user(username).get(reverse("project_detail", args=[project.pk])).content.decode()
        assert "How are linkage keys held?" in detail
    genomics = project.assessments.get(organisation__name="Genomics England")
    section = as_user("genomics").get(reverse("assessment_section", args=[project.pk, genomics.pk, "data"]))
    assert "Who sees the re-identification table?" in section.content.decode()
    # Someone outside the project learns nothing.
    assert as_user("outsider").get(reverse("project_referral", args=[project.pk])).status_code == 404


def test_replies_are_audited_required_before_sending_back_and_shown_to_the_panel(referred, panel_body):
    project, review = referred
    first, second = review.decision.referral_questions.order_by("number")
    coordinator = as_user("coordinator")
    blocked = coordinator.post(reverse("send_to_panel", args=[project.pk]), {"panel": panel_body.pk}, follow=True)
    assert not PanelReview.objects.filter(project=project, status="open").exists()
    message = blocked.content.decode()
    assert "Still unanswered" in message and "How are linkage keys held?" in message

    empty = as_user("genomics").post(
        reverse("project_referral", args=[project.pk]), {"question": first.pk, "text": " "}
    )
    assert empty.status_code == 400
    assert (
        as_user("genomics")
        .post(
            reverse("project_referral", args=[project.pk]), {"question": first.pk, "text": "In a separate key vault."}
        )
        .status_code
        == 302
    )
    assert (
        as_user("coordinator")
        .post(reverse("project_referral", args=[project.pk]), {"question": second.pk, "text": "Only the TTP."})
        .status_code
        == 302
    )
    events = list(AuditEvent.objects.filter(action="referral.replied").order_by("sequence"))
    assert [(e.actor, e.data["question"]) for e in events] == [("genomics", 1), ("coordinator", 2)]

    assert send(project, panel_body).status_code == 302
    second_review = PanelReview.objects.get(project=project, status="open")
    project.refresh_from_db()
    assert project.status == Project.Status.WITH_PANEL
    page = as_user("panel").get(reverse("review_detail", args=[second_review.pk])).content.decode()
    assert page.index("How are linkage keys held?") < page.index("In a separate key vault.")
    assert "Only the TTP." in page
