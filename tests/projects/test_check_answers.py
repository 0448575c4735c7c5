"""Check your answers: a custodian reviews every answer, then submits from that page."""

import json
import re
from html import unescape
from pathlib import Path

import pytest
from django.urls import reverse

from assessments.models import Organisation
from assessments.services.seeding import project_from_document
from tests.helpers import post_section

pytestmark = pytest.mark.django_db
E2 = json.loads(Path("fixtures/examples/E2.json").read_text())
GP = E2["custodians"][0]


@pytest.fixture
def gp_project(coordinator, framework_v1):
    """E2's project with GP records as North Thames GP Records: every answer given, nothing submitted."""
    org = Organisation.objects.get(slug="north-thames-gp")
    return project_from_document(
        document={**E2, "custodians": [GP]},
        coordinator=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        organisations={GP["name"]: org},
        framework_version=framework_v1,
        submit=[],
        confirm=[],
    )


@pytest.fixture
def assessment(gp_project):
    return gp_project.assessments.get()


def check_url(project, assessment):
    return reverse("assessment_check", args=[project.pk, assessment.pk])


def section(project, assessment, safe):
    return reverse("assessment_section", args=[project.pk, assessment.pk, safe])


def text(html):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def leave_unanswered(client, project, assessment, *qids):
    data = {
        qid: GP["answers"].get(qid)
        for qid in ("DA1", "DA2", "DA3", "DA4", "DA5", "DA6", "DA7", "DA8", "DA9")
        if qid not in qids
    }
    return post_section(client, project, "data", data, assessment=assessment)


def test_the_summary_shows_every_answer_by_safe_with_a_change_link_to_its_question(
    gp_project, assessment, login, custodian
):
    response = login(custodian).get(check_url(gp_project, assessment))
    assert response.status_code == 200
    html = response.content.decode()
    page = text(html)
    assert "Check your answers" in page
    # Each of the custodian's answers: its question's text, the readable answer, and a link to change it.
    assert "Identifiability" in page and "Pseudonymised" in page
    assert "Number of individuals" in page and "10000" in page
    assert f'href="{section(gp_project, assessment, "data")}#q-DA1"' in html
    assert f'href="{section(gp_project, assessment, "projects")}#q-PR3"' in html
    # Grouped by safe, in the questionnaire's order.
    assert page.index("Projects") < page.index("Data") < page.index("Outputs")
    # Project-wide answers are shown for context, read-only.
    assert "Lowest training held by anyone with row-level access" in page
    assert "#q-PE1" not in html
    # The final submit is here and posts to the existing submit URL.
    submit = reverse("assessment_submit", args=[gp_project.pk, assessment.pk])
    assert re.search(rf'<form method="post" action="{re.escape(submit)}"', html)


def test_the_summary_lists_missing_answers_by_question_text_each_linking_to_its_question(
    gp_project, assessment, login, custodian
):
    client = login(custodian)
    assert leave_unanswered(client, gp_project, assessment, "DA8", "DA9").status_code == 302
    html = client.get(check_url(gp_project, assessment)).content.decode()
    missing = re.search(r'<div[^>]*id="missing".*?</div>', html, re.S).group(0)
    assert "Number of individuals" in text(missing)
    assert "Commercial, legal or reputational consequence of disclosure" in text(missing)
    assert f'href="{section(gp_project, assessment, "data")}#q-DA8"' in missing
    assert "DA8: missing answer" not in html
    # Nothing to submit until they are answered.
    assert reverse("assessment_submit", args=[gp_project.pk, assessment.pk]) not in html


def test_submit_errors_name_questions_by_their_text(gp_project, assessment, login, custodian):
    client = login(custodian)
    leave_unanswered(client, gp_project, assessment, "DA8")
    response = client.post(reverse("assessment_submit", args=[gp_project.pk, assessment.pk]))
    assert response.status_code == 400
    page = text(response.content.decode())
    assert "Number of individuals" in page
    assert "DA8: missing answer" not in page and "DA8:" not in page
    assessment.refresh_from_db()
    assert not assessment.is_submitted


def test_the_api_names_missing_questions_by_id_and_text(gp_project, assessment, login, custodian):
    client = login(custodian)
    leave_unanswered(client, gp_project, assessment, "DA8")
    response = client.post(reverse("api-assessment-submit", args=[gp_project.pk, assessment.pk]))
    assert response.status_code == 400
    assert {
        "custodian": assessment.organisation.name,
        "question": "DA8",
        "question_text": "Number of individuals",
        "message": "missing answer",
    } in response.json()["errors"]


def test_save_and_continue_with_required_answers_empty_says_which_are_missing_and_saves(
    gp_project, assessment, login, custodian
):
    client = login(custodian)
    response = leave_unanswered(client, gp_project, assessment, "DA8", "DA9")
    assert response["Location"] == section(gp_project, assessment, "outputs")
    page = text(client.get(response["Location"]).content.decode())
    assert "Data saved as a draft" in page
    assert "Still to answer: Number of individuals; Commercial, legal or reputational consequence of disclosure" in page
    assessment.refresh_from_db()
    assert assessment.answers["DA1"] == "pseudonymised" and "DA8" not in assessment.answers


def test_a_complete_section_saves_without_a_missing_list(gp_project, assessment, login, custodian):
    client = login(custodian)
    response = leave_unanswered(client, gp_project, assessment)
    page = text(client.get(response["Location"]).content.decode())
    assert "Data saved as a draft" in page and "Still to answer" not in page


def test_the_last_section_leads_to_the_summary(gp_project, assessment, login, custodian):
    client = login(custodian)
    html = client.get(section(gp_project, assessment, "outputs")).content.decode()
    assert re.search(rf'<a [^>]*href="{re.escape(check_url(gp_project, assessment))}"[^>]*>Continue', html)
    assert "Save and continue" not in html  # nothing of the custodian's to answer here


def test_the_coordinators_last_section_continues_to_the_project_page(gp_project, login, coordinator):
    response = post_section(
        login(coordinator), gp_project, "outputs", {q: E2["answers"][q] for q in ("OU1", "OU2", "OU3", "OU4", "OU5")}
    )
    assert response["Location"] == reverse("project_detail", args=[gp_project.pk])


def test_the_assessment_page_sends_the_custodian_to_the_summary_to_submit(gp_project, assessment, login, custodian):
    html = login(custodian).get(reverse("assessment_detail", args=[gp_project.pk, assessment.pk])).content.decode()
    assert f'href="{check_url(gp_project, assessment)}"' in html
    assert reverse("assessment_submit", args=[gp_project.pk, assessment.pk]) not in html


def test_submitting_from_the_summary_submits(gp_project, assessment, login, custodian):
    client = login(custodian)
    html = client.get(check_url(gp_project, assessment)).content.decode()
    action = re.search(r'<form method="post" action="([^"]+/submit/)"', html).group(1)
    response = client.post(action)
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.is_submitted
    page = text(client.get(check_url(gp_project, assessment)).content.decode())
    assert "Submitted by" in page


def test_outsiders_cannot_see_the_summary(gp_project, assessment, login, outsider):
    assert login(outsider).get(check_url(gp_project, assessment)).status_code == 404
