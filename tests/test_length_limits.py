"""Every free-text field has a length limit, refused with an error naming the field and the limit."""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse

from assessments import limits
from assessments.models import ConflictDeclaration, Decision, Organisation, Panel, PanelReview, Project, Vote
from assessments.selectors.frameworks import framework_version_get
from assessments.services.panels import ReviewError, review_decide, vote_cast
from assessments.services.projects import project_create
from tests.helpers import decide_form, declare, send

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * (limits.LONG_TEXT + 1)


def text(response):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _details(**overrides):
    return {
        "title": "Asthma and air quality",
        "summary": "Links GP records with pollution.",
        "lead_researcher": "Dr Siân Ŵyn",
        "lead_organisation": "Cardiff University",
        "purpose": "Research",
        "public_benefit": "Cleaner air policy",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        **overrides,
    }


@pytest.fixture
def project(coordinator, framework_v1):
    return project_create(
        actor=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        custodians=[Organisation.objects.get(slug="north-thames-gp")],
        framework_version=framework_version_get("five-safes"),
        **{**_details(), "start_date": datetime.date(2027, 1, 1), "end_date": datetime.date(2027, 12, 31)},
    )


@pytest.fixture
def review(assessed_project, demo):
    assert send(assessed_project, Panel.objects.get(name="National Data Access Panel")).status_code == 302
    return PanelReview.objects.get(project=assessed_project)


def test_every_free_text_model_field_has_a_limit():
    for model, name, limit in [
        (Project, "title", limits.NAME),
        (Project, "summary", limits.LONG_TEXT),
        (Project, "purpose", limits.LONG_TEXT),
        (Project, "public_benefit", limits.LONG_TEXT),
        (PanelReview, "note", limits.NOTE),
        (ConflictDeclaration, "details", limits.NOTE),
        (Vote, "rationale", limits.LONG_TEXT),
        (Decision, "rationale", limits.LONG_TEXT),
        (Decision, "dissent", limits.LONG_TEXT),
        (Decision, "questions", limits.LONG_TEXT),
        (Panel, "description", limits.NOTE),
    ]:
        assert model._meta.get_field(name).max_length == limit, (model.__name__, name)


def test_opening_a_project_with_an_overlong_summary_names_the_field_and_the_limit(login, coordinator, framework_v1):
    response = login(coordinator).post(
        reverse("project_new"),
        {
            **_details(summary=TOO_LONG),
            "coordinating_organisation": coordinator.memberships.get().organisation.pk,
            "custodians": [Organisation.objects.get(slug="north-thames-gp").pk],
        },
    )
    assert response.status_code == 200
    assert "Summary is too long: at most 5,000 characters (it has 5001)." in text(response)
    assert TOO_LONG in response.content.decode()  # what the user typed is kept
    assert not Project.objects.exists()


def test_editing_details_refuses_an_overlong_purpose_and_keeps_the_input(project, login, coordinator):
    response = login(coordinator).post(reverse("project_edit", args=[project.pk]), _details(purpose=TOO_LONG))
    assert response.status_code == 200
    assert "Purpose is too long: at most 5,000 characters" in text(response)
    assert TOO_LONG in response.content.decode()
    project.refresh_from_db()
    assert project.purpose == "Research"


def test_an_overlong_title_is_refused(project, login, coordinator):
    response = login(coordinator).post(reverse("project_edit", args=[project.pk]), _details(title="t" * 201))
    assert "Title is too long: at most 200 characters (it has 201)." in text(response)


def test_an_overlong_covering_note_is_refused_by_name(login, coordinator, assessed_project):
    response = login(coordinator).post(
        reverse("send_to_panel", args=[assessed_project.pk]),
        {"panel": Panel.objects.get(name="National Data Access Panel").pk, "note": "n" * (limits.NOTE + 1)},
        follow=True,
    )
    assert "Covering note to the panel is too long: at most 2,000 characters" in text(response)
    assert not PanelReview.objects.exists()


def test_an_overlong_vote_rationale_is_refused_and_kept(review, login, panel):
    declare(review, "panel")
    response = login(panel).post(reverse("review_vote", args=[review.pk]), {"choice": "approve", "rationale": TOO_LONG})
    assert response.status_code == 400
    assert "Rationale is too long: at most 5,000 characters" in text(response)
    assert TOO_LONG in response.content.decode()
    assert not Vote.objects.exists()


def test_overlong_conflict_details_are_refused(review, login, panel):
    response = login(panel).post(
        reverse("review_declare", args=[review.pk]), {"conflicted": "yes", "details": "d" * (limits.NOTE + 1)}
    )
    assert response.status_code == 400
    assert "Details of the conflict is too long: at most 2,000 characters" in text(response)
    assert not ConflictDeclaration.objects.exists()


def test_an_overlong_decision_rationale_or_condition_is_refused_before_any_confirmation(review, login, chair):
    declare(review, "chair")  # the decision form is shown to a chair who has declared
    client = login(chair)
    response = decide_form(client, review, rationale=TOO_LONG)
    assert response.status_code == 400
    assert "The panel's rationale is too long: at most 5,000 characters" in text(response)
    response = decide_form(client, review, conditions=[{"text": "c" * (limits.CONDITION + 1)}])
    assert response.status_code == 400
    assert "Condition is too long: at most 1,000 characters" in text(response)
    assert 'id="decision-confirm"' not in response.content.decode()


def test_the_services_refuse_overlong_text_whoever_calls_them(review, chair, panel):
    from assessments.services.panels import conflict_declare

    conflict_declare(review=review, member=panel, conflicted=False)
    with pytest.raises(ReviewError, match="Rationale is too long: at most 5,000 characters"):
        vote_cast(review=review, member=panel, choice="approve", rationale=TOO_LONG)
    with pytest.raises(ReviewError, match="Dissent is too long"):
        review_decide(review=review, chair=chair, outcome="approve", conditions=[], rationale="Fine.", dissent=TOO_LONG)
    with pytest.raises(ReviewError, match="Condition is too long: at most 1,000 characters"):
        review_decide(
            review=review,
            chair=chair,
            outcome="approve_with_conditions",
            rationale="Fine.",
            conditions=[{"text": "c" * (limits.CONDITION + 1), "rule": None, "blocking": False}],
        )


def test_project_services_refuse_overlong_details(coordinator, framework_v1):
    with pytest.raises(limits.TextTooLong, match="Public-benefit statement is too long"):
        project_create(
            actor=coordinator,
            coordinating_organisation=coordinator.memberships.get().organisation,
            custodians=[Organisation.objects.get(slug="north-thames-gp")],
            framework_version=framework_version_get("five-safes"),
            **{
                **_details(public_benefit=TOO_LONG),
                "start_date": datetime.date(2027, 1, 1),
                "end_date": datetime.date(2027, 12, 31),
            },
        )
    assert not Project.objects.exists()


def test_the_api_refuses_overlong_text_with_a_problem_naming_the_field(login, coordinator, framework_v1):
    response = login(coordinator).post(
        "/api/v1/projects/",
        {**_details(summary=TOO_LONG, title="t" * 201), "custodians": ["north-thames-gp"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["summary"] == "Summary is too long: at most 5,000 characters."
    assert errors["title"] == "Title is too long: at most 200 characters."
    assert not Project.objects.exists()


def test_text_at_the_limit_is_accepted(login, coordinator, framework_v1):
    response = login(coordinator).post(
        "/api/v1/projects/",
        {**_details(summary="s" * limits.LONG_TEXT, title="t" * limits.NAME), "custodians": ["north-thames-gp"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert len(Project.objects.get().summary) == limits.LONG_TEXT
