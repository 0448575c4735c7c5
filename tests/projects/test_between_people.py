"""Defects a review found between people after issue 10's first pass: what a referral record is
after a later decision, decisions that carry questions or conditions nobody acts on, confirmation
pages for decisions that would be refused, home-page tasks, the amendment's reason, the edit page
of a decided project, and a referral reply for a question that is not there."""

import pytest
from django.urls import reverse

from assessments.models import DecisionRecord, PanelReview, Project, User
from assessments.selectors.records import record_successor
from assessments.services.panels import (
    ReviewError,
    conflict_declare,
    referral_reply,
    review_decide,
    review_send,
    vote_cast,
)
from tests.helpers import as_user, decide, declare, send, vote

pytestmark = pytest.mark.django_db


def _quorate(project, panel, choice="approve"):
    review = review_send(project=project, panel=panel, actor=project.coordinator)
    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflict_declare(review=review, member=member, conflicted=False)
        vote_cast(review=review, member=member, choice=choice, rationale="Fine.")
    return review


def _refer(project, panel, questions="Why?"):
    review = _quorate(project, panel, choice="refer_back")
    return review_decide(
        review=review,
        chair=User.objects.get(username="chair"),
        outcome="refer_back",
        conditions=[],
        rationale="Questions.",
        questions=questions,
    )


def _reply_all(record, project):
    for question in record.decision.referral_questions.all():
        referral_reply(question=question, author=project.coordinator, text="Answered.")


def test_a_referral_record_is_replaced_by_the_next_record_of_its_project(assessed_project, panel_body):
    first = _refer(assessed_project, panel_body)
    _reply_all(first, assessed_project)
    second = _refer(Project.objects.get(pk=assessed_project.pk), panel_body)
    assert record_successor(first) == second
    assert record_successor(second) is None  # still the latest word on the project
    _reply_all(second, assessed_project)
    review = _quorate(Project.objects.get(pk=assessed_project.pk), panel_body)
    approval = review_decide(
        review=review, chair=User.objects.get(username="chair"), outcome="approve", conditions=[], rationale="Fine."
    )
    assert [record_successor(r) for r in (first, second, approval)] == [second, approval, None]
    page = as_user("coordinator").get(reverse("record_detail", args=[first.number])).content.decode()
    assert "Superseded by" in page and second.number in page


@pytest.mark.parametrize(
    "outcome, conditions, questions, message",
    [
        ("approve", [], "Who holds the keys?", "Questions for the custodians go with a referral"),
        (
            "approve",
            [{"text": "Sign the agreement.", "rule": None, "blocking": True}],
            "",
            "Conditions belong to an approval with conditions",
        ),
        (
            "reject",
            [{"text": "Sign the agreement.", "rule": None, "blocking": True}],
            "",
            "Conditions belong to an approval with conditions",
        ),
    ],
)
def test_a_decision_refuses_questions_or_conditions_nobody_would_act_on(
    assessed_project, panel_body, outcome, conditions, questions, message
):
    review = _quorate(assessed_project, panel_body)
    with pytest.raises(ReviewError, match=message):
        review_decide(
            review=review,
            chair=User.objects.get(username="chair"),
            outcome=outcome,
            conditions=conditions,
            rationale="Fine.",
            questions=questions,
        )
    assert not DecisionRecord.objects.exists()


def test_the_confirmation_page_is_shown_only_for_a_decision_that_can_be_recorded(assessed_project, panel_body):
    send(assessed_project, panel_body)
    review = PanelReview.objects.get(project=assessed_project)
    for username in ("chair", "panel", "panel2"):
        declare(review, username)
        vote(review, username)
    member = decide(review, outcome="approve", username="panel")
    assert member.status_code == 400 and "cannot be undone" not in member.content.decode()
    empty = decide(review, outcome="approve_with_conditions", conditions=())
    assert empty.status_code == 400 and "needs at least one condition" in empty.content.decode()
    ok = decide(review, outcome="approve")
    assert ok.status_code == 302  # through the confirmation page, then issued
    assert DecisionRecord.objects.count() == 1


def test_the_home_page_gives_each_panel_member_their_own_task(assessed_project, panel_body):
    send(assessed_project, panel_body)
    review = PanelReview.objects.get(project=assessed_project)
    declare(review, "panel", conflicted=True, details="My team.")
    assert "you do not vote" in as_user("panel").get(reverse("home")).content.decode()
    for username in ("chair", "panel2"):
        declare(review, username)
        vote(review, username)
    assert "waits for you to record it" in as_user("chair").get(reverse("home")).content.decode()
    assert "waits for you to record it" not in as_user("panel2").get(reverse("home")).content.decode()


def test_the_referral_leaves_the_home_page_once_every_question_has_a_reply(assessed_project, panel_body):
    record = _refer(assessed_project, panel_body, questions="Why?\nHow?")
    assert "Panel questions waiting for your reply" in as_user("coordinator").get(reverse("home")).content.decode()
    _reply_all(record, assessed_project)
    assert "Panel questions waiting for your reply" not in as_user("coordinator").get(reverse("home")).content.decode()


def test_the_amendment_reason_reaches_the_custodians_and_the_panel(assessed_project, panel_body, issue_record):
    issue_record(assessed_project, outcome="approve")
    as_user("coordinator").post(
        reverse("project_amend", args=[assessed_project.pk]), {"reason": "Add the 2027 cohort."}
    )
    assert (
        "Add the 2027 cohort."
        in as_user("genomics").get(reverse("project_detail", args=[assessed_project.pk])).content.decode()
    )
    project = Project.objects.get(pk=assessed_project.pk)
    for assessment in project.assessments.select_related("organisation"):
        member = (
            assessment.organisation.members.exclude(username="coordinator").first()
            or assessment.organisation.members.first()
        )
        as_user(member.username).post(reverse("assessment_submit", args=[project.pk, assessment.pk]))
    review = review_send(project=Project.objects.get(pk=project.pk), panel=panel_body, actor=project.coordinator)
    assert "Add the 2027 cohort." in as_user("panel").get(reverse("review_detail", args=[review.pk])).content.decode()


def test_the_edit_page_of_a_decided_project_says_to_amend_instead(assessed_project, issue_record):
    issue_record(assessed_project, outcome="approve")
    response = as_user("coordinator").get(reverse("project_edit", args=[assessed_project.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("project_detail", args=[assessed_project.pk])
    assert "request an amendment first" in response.content.decode()


@pytest.mark.parametrize("question", ["abc", "999999", ""])
def test_a_reply_to_a_question_that_is_not_there_says_so(assessed_project, panel_body, question):
    _refer(assessed_project, panel_body)
    response = as_user("coordinator").post(
        reverse("project_referral", args=[assessed_project.pk]), {"question": question, "text": "An answer."}
    )
    assert response.status_code == 400
    assert "Your reply was not saved" in response.content.decode()
