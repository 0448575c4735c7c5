"""Who each change tells, inside its own transaction: never the person who made it."""

import datetime

import pytest

from assessments.models import Notification, Organisation, Panel, SignOff, User
from assessments.services.panels import conflict_declare, review_decide, review_send, vote_cast
from assessments.services.projects import project_create, project_request_amendment, project_update_details
from assessments.services.signoffs import signoff_decide
from tests.criteria.test_sign_offs import REVIEW, _project

pytestmark = pytest.mark.django_db


def _told(kind, **filters):
    return set(
        Notification.objects.filter(kind=kind, **filters).values_list("recipient__username", flat=True).order_by()
    )


DETAILS = {
    "title": "Linked asthma cohort",
    "summary": "s",
    "lead_researcher": "r",
    "lead_organisation": "o",
    "purpose": "p",
    "public_benefit": "b",
    "start_date": datetime.date(2027, 1, 1),
    "end_date": datetime.date(2027, 6, 1),
}


def test_opening_a_project_tells_each_custodians_people_their_part_waits(coordinator, framework_v1):
    north_thames = Organisation.objects.get(slug="north-thames-gp")
    project = project_create(
        actor=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        custodians=[north_thames, Organisation.objects.get(slug="genomics-england")],
        framework_version=framework_v1,
        **DETAILS,
    )
    assert _told(Notification.Kind.ASSESSMENT_WAITING) == {"custodian", "gp-approver", "genomics"}
    mine = Notification.objects.get(recipient__username="genomics")
    assessment = project.assessments.get(organisation__slug="genomics-england")
    assert mine.url == f"/projects/{project.pk}/custodians/{assessment.pk}/"
    assert mine.project == project and not mine.mandatory
    # Adding a custodian tells only the new one's people.
    Notification.objects.all().delete()
    project_update_details(
        project=project,
        actor=coordinator,
        add_custodians=[Organisation.objects.get(slug="census-education")],
        **DETAILS,
    )
    assert _told(Notification.Kind.ASSESSMENT_WAITING) == {"census"}


def test_a_lapsed_confirmation_tells_what_changed(assessed_project, coordinator):
    project = assessed_project
    project_update_details(project=project, actor=coordinator, **{**DETAILS, "title": "A new title"})
    lapsed = Notification.objects.get(kind=Notification.Kind.CONFIRMATION_LAPSED)
    assert lapsed.recipient.username == "genomics"  # the coordinator, a Cambridge BRC member, acted
    assert lapsed.mandatory
    assert "A new title" in lapsed.body and "Title" in lapsed.body
    # Changing it again tells nobody again: that confirmation had already lapsed.
    project_update_details(project=project, actor=coordinator, **{**DETAILS, "title": "Another title"})
    assert Notification.objects.filter(kind=Notification.Kind.CONFIRMATION_LAPSED).count() == 1


def test_a_sign_off_waits_for_the_custodians_approvers_only(example_project):
    project = _project(example_project, {"GP records": REVIEW})
    sign_off = SignOff.objects.get(project=project, organisation__name="GP records")
    notification = Notification.objects.get(kind=Notification.Kind.SIGNOFF_WAITING)
    assert notification.recipient.username == "gp-records-approver"
    assert notification.url == f"/sign-offs/{sign_off.pk}/"
    # Its approval issues no record yet (the panel decides for Census): nobody hears of a decision.
    signoff_decide(sign_off=sign_off, approver=notification.recipient, outcome="approve", reason="Fine.")
    assert not Notification.objects.filter(kind=Notification.Kind.DECISION).exists()


def test_the_last_approver_is_not_told_of_the_decision_they_made(example_project):
    project = _project(example_project, dict.fromkeys(("GP records", "Met and pollution grid"), REVIEW))
    project.refresh_from_db()
    census = SignOff.objects.get(project=project, organisation__name="Census and education")
    assert census.route == SignOff.Route.PANEL
    review_send(project=project, panel=Panel.objects.get(), actor=project.coordinator)
    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflict_declare(review=project.reviews.get(), member=member, conflicted=False)
        vote_cast(review=project.reviews.get(), member=member, choice="approve", rationale="Fine.")
    review_decide(
        review=project.reviews.get(),
        chair=User.objects.get(username="chair"),
        outcome="approve",
        conditions=[],
        rationale="Fine.",
    )
    gp = SignOff.objects.get(project=project, organisation__name="GP records")
    signoff_decide(
        sign_off=gp, approver=User.objects.get(username="gp-records-approver"), outcome="approve", reason="Ok"
    )
    met = SignOff.objects.get(project=project, organisation__name="Met and pollution grid")
    last = User.objects.get(username="met-and-pollution-grid-approver")
    signoff_decide(sign_off=met, approver=last, outcome="approve", reason="Ok")
    told = _told(Notification.Kind.DECISION)
    assert "coordinator" in told and "gp-records-approver" in told
    assert last.username not in told
    assert Notification.objects.filter(kind=Notification.Kind.DECISION).first().mandatory


def test_sending_to_a_panel_asks_its_members_to_vote(assessed_project, coordinator, panel_body):
    review = review_send(project=assessed_project, panel=panel_body, actor=coordinator, note="Urgent, please.")
    assert _told(Notification.Kind.VOTE_WAITING) == {"chair", "panel", "panel2"}
    notification = Notification.objects.filter(kind=Notification.Kind.VOTE_WAITING).first()
    assert notification.url == f"/reviews/{review.pk}/" and "Urgent, please." in notification.body


def test_a_referral_lists_its_questions_to_the_coordinator_and_custodians(assessed_project, coordinator, panel_body):
    review = review_send(project=assessed_project, panel=panel_body, actor=coordinator)
    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflict_declare(review=review, member=member, conflicted=False)
        vote_cast(review=review, member=member, choice="refer_back", rationale="Questions.")
    review_decide(
        review=review,
        chair=User.objects.get(username="chair"),
        outcome="refer_back",
        conditions=[],
        rationale="We need to know more.",
        questions="Who holds the keys?\nHow long are extracts kept?",
    )
    assert _told(Notification.Kind.REFERRAL) == {"coordinator", "genomics"}
    body = Notification.objects.filter(kind=Notification.Kind.REFERRAL).first().body
    assert "1. Who holds the keys?" in body and "2. How long are extracts kept?" in body
    assert not Notification.objects.filter(kind=Notification.Kind.DECISION).exists()


def test_a_decision_tells_the_coordinator_and_every_custodian_but_not_the_chair(assessed_project, issue_record):
    record = issue_record(assessed_project)
    assert _told(Notification.Kind.DECISION) == {"coordinator", "genomics"}
    notification = Notification.objects.filter(kind=Notification.Kind.DECISION).first()
    assert notification.url == f"/records/{record.number}/" and notification.mandatory


def test_an_amendment_tells_every_custodian_their_part_waits(assessed_project, issue_record, coordinator):
    issue_record(assessed_project)
    Notification.objects.all().delete()
    project_request_amendment(project=assessed_project, actor=coordinator, reason="Longer follow-up.")
    assert _told(Notification.Kind.ASSESSMENT_WAITING) == {"genomics"}  # the coordinator asked
