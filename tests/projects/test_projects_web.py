import datetime
import json
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import AuditEvent, Organisation, Project, User
from tests.helpers import base_version, post_section, section_url

pytestmark = pytest.mark.django_db
E2 = json.loads(Path("fixtures/examples/E2.json").read_text())


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
def project(login, coordinator, framework_v1):
    orgs = Organisation.objects.filter(slug__in=["north-thames-gp", "met-pollution-grid", "census-education"])
    client = login(coordinator)
    response = client.post(
        reverse("project_new"),
        {
            **_details(),
            "coordinating_organisation": coordinator.memberships.get().organisation.pk,
            "custodians": [o.pk for o in orgs],
        },
    )
    assert response.status_code == 302
    return Project.objects.get()


def test_a_coordinator_opens_a_project_with_an_assessment_per_custodian(project, coordinator):
    assert project.coordinator == coordinator
    assert project.framework_version.spec == "five-safes@1"
    assert sorted(project.assessments.values_list("organisation__slug", flat=True)) == [
        "census-education",
        "met-pollution-grid",
        "north-thames-gp",
    ]
    event = AuditEvent.objects.get(action="project.created")
    assert event.project_id == project.pk and event.data["lead_researcher"] == "Dr Siân Ŵyn"


def test_opening_a_project_with_errors_names_the_fields_and_keeps_the_rest(login, coordinator, framework_v1):
    response = login(coordinator).post(
        reverse("project_new"),
        {
            **_details(title="", end_date="2026-01-01"),
            "coordinating_organisation": coordinator.memberships.get().organisation.pk,
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"title", "end_date", "custodians"}
    assert "on or after the planned start" in errors["end_date"][0]
    assert "Links GP records with pollution." in response.content.decode()
    assert not Project.objects.exists()


def test_only_coordinators_can_open_projects(login, custodian, framework_v1):
    assert login(custodian).get(reverse("project_new")).status_code == 404


def test_the_coordinator_edits_details_and_the_change_is_audited(project, login, coordinator):
    response = login(coordinator).post(reverse("project_edit", args=[project.pk]), _details(title="Renamed"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "Renamed"
    event = AuditEvent.objects.get(action="project.updated")
    assert event.data == {"before": {"title": "Asthma and air quality"}, "after": {"title": "Renamed"}}


def test_saving_a_section_stores_answers_and_counts_progress(project, login, coordinator):
    client = login(coordinator)
    people = {q: E2["answers"][q] for q in ("PE1", "PE2", "PE3", "PE4", "PE5", "PE6", "PE7")}
    response = post_section(client, project, "people", people)
    assert response.status_code == 302 and response["Location"] == section_url(project, "projects")
    project.refresh_from_db()
    assert project.answers == people
    assert project.answers_version == 1
    html = client.get(section_url(project, "projects")).content.decode()
    assert "1 of 4 sections complete" in html
    event = AuditEvent.objects.get(action="project.answers_saved")
    assert event.data["after"]["PE4"] == 5 and event.data["section"] == "people"


def test_a_bad_answer_is_refused_next_to_its_question_and_nothing_is_lost(project, login, coordinator):
    client = login(coordinator)
    response = post_section(client, project, "people", {"PE1": "none", "PE4": "lots", "PE5": False})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["PE4"]
    html = response.content.decode()
    assert re.search(r'value="none"[^>]*checked|checked[^>]*value="none"', html)  # PE1 kept
    assert 'value="lots"' in html  # the bad value itself is kept for correction
    project.refresh_from_db()
    assert project.answers == {}


def test_none_cannot_be_combined_with_another_option(project, login, custodian):
    assessment = project.assessments.get(organisation__slug="north-thames-gp")
    response = post_section(
        login(custodian), project, "data", {"DA1": "pseudonymised", "DA3": ["health", "none"]}, assessment=assessment
    )
    assert response.status_code == 200
    assert "cannot be combined" in response.context["form"].errors["DA3"][0]
    assessment.refresh_from_db()
    assert assessment.answers == {}


def test_unknown_is_offered_and_explained(project, login, custodian):
    assessment = project.assessments.get(organisation__slug="north-thames-gp")
    html = login(custodian).get(section_url(project, "data", assessment)).content.decode()
    assert "assessed as the riskiest answer (identifiable)" in html


def test_a_second_save_of_the_same_section_is_refused_and_shows_both(project, coordinator, framework_v1):
    first, second = Client(), Client()
    first.force_login(coordinator)
    second.force_login(coordinator)
    url = section_url(project, "settings")
    version = base_version(second, url)  # the second person opens the page first
    settings_answers = {q: E2["answers"][q] for q in ("SE1", "SE2", "SE3", "SE4", "SE5", "SE6")}
    assert post_section(first, project, "settings", settings_answers).status_code == 302
    response = post_section(second, project, "settings", {**settings_answers, "SE5": "other"}, version=version)
    assert response.status_code == 200
    html = response.content.decode()
    assert "saved this section at" in html and User.objects.get(username="coordinator").display_name in html
    assert "Their answer" in html
    assert re.search(r'value="other"[^>]*checked|checked[^>]*value="other"', html)  # theirs beside the user's own
    project.refresh_from_db()
    assert project.answers["SE5"] == "uk"
    # Saving again after seeing the conflict is a deliberate overwrite.
    assert (
        second.post(
            url, {**_flatten(settings_answers), "SE5": "other", "base_version": base_version(second, url), "save": "1"}
        ).status_code
        == 302
    )
    project.refresh_from_db()
    assert project.answers["SE5"] == "other"


def _flatten(answers):
    return {k: ("true" if v is True else "false" if v is False else v) for k, v in answers.items()}


def test_da7_is_shown_only_when_da1_makes_it_apply(project, login, custodian):
    client = login(custodian)
    assessment = project.assessments.get(organisation__slug="north-thames-gp")
    post_section(client, project, "data", {"DA1": "identifiable", "DA7": 5}, assessment=assessment, button="save")
    assessment.refresh_from_db()
    assert "DA7" not in assessment.answers  # a hidden question keeps no answer
    html = client.get(section_url(project, "data", assessment)).content.decode()
    assert re.search(r'id="q-DA7"[^>]*hidden', html)
    post_section(client, project, "data", {"DA1": "pseudonymised", "DA7": 5}, assessment=assessment, button="save")
    assessment.refresh_from_db()
    assert assessment.answers["DA7"] == 5
    html = client.get(section_url(project, "data", assessment)).content.decode()
    assert not re.search(r'id="q-DA7"[^>]*hidden', html)
    assert "data-show-if" in html


def test_the_project_list_uses_a_constant_number_of_queries(login, coordinator, framework_v1, demo):
    from assessments.services.projects import project_create

    gp = Organisation.objects.get(slug="north-thames-gp")
    census = Organisation.objects.get(slug="census-education")

    def make(n):
        for i in range(n):
            project_create(
                actor=coordinator,
                coordinating_organisation=coordinator.memberships.get().organisation,
                custodians=[gp, census],
                framework_version=framework_v1,
                **{
                    **_details(title=f"P{i}"),
                    "start_date": datetime.date(2027, 1, 1),
                    "end_date": datetime.date(2027, 6, 1),
                },
            )

    client = login(coordinator)
    make(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("projects")).status_code == 200
    make(20)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("projects"))
    assert response.content.decode().count("/projects/") >= 22
    assert len(many) == len(few)


def test_the_list_shows_only_projects_a_custodian_takes_part_in(project, login, custodian, outsider, auditor):
    assert project.title in login(custodian).get(reverse("projects")).content.decode()
    outsider_client = Client()
    outsider_client.force_login(outsider)
    assert project.title not in outsider_client.get(reverse("projects")).content.decode()
    auditor_client = Client()
    auditor_client.force_login(auditor)
    assert project.title in auditor_client.get(reverse("projects")).content.decode()


def test_the_coordinator_adds_a_custodian_and_an_assessed_project_reopens(example_project, login, coordinator):
    project = example_project("E4")
    assert project.status == Project.Status.ASSESSED
    newcomer = Organisation.objects.get(slug="census-education")
    data = {**_details(title=project.title), "add_custodians": [newcomer.pk]}
    response = login(coordinator).post(reverse("project_edit", args=[project.pk]), data)
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.revision) == (Project.Status.ASSESSING, 2)
    assert project.assessments.filter(organisation=newcomer, status="draft").exists()
    event = AuditEvent.objects.filter(action="project.updated").last()
    assert event.data["custodians_added"] == ["Census and Education Data Service"]
    # The edit form offers only organisations not yet taking part.
    form = login(coordinator).get(reverse("project_edit", args=[project.pk])).context["form"]
    assert newcomer not in form.fields["add_custodians"].queryset
