"""The whole E2 assessment through the web forms: a coordinator and three custodians."""

import json
import re
import shutil
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import AuditEvent, Membership, Organisation, Project, User
from assessments.services.frameworks import framework_load
from tests.conftest import FRAMEWORK_V1
from tests.helpers import confirm, fill_custodian_answers, fill_project_answers, post_section

pytestmark = pytest.mark.django_db
EXAMPLES = Path("fixtures/examples")
E2 = json.loads((EXAMPLES / "E2.json").read_text())
E2_EXPECTED = json.loads((EXAMPLES / "E2.expected.json").read_text())


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def e2(coordinator, framework_v1, demo):
    """E2's three custodians as organisations, each with a custodian who signs in."""
    custodians = {}
    for custodian in E2["custodians"]:
        slug = custodian["name"].lower().replace(" ", "-")
        org = Organisation.objects.create(name=custodian["name"], slug=slug)
        user = User.objects.create_user(f"{slug}-user")
        Membership.objects.create(user=user, organisation=org)
        custodians[custodian["name"]] = (org, user, custodian["answers"])
    response = _client(coordinator).post(
        reverse("project_new"),
        {
            "title": E2["title"],
            "summary": "s",
            "lead_researcher": "Dr R",
            "lead_organisation": "Uni",
            "purpose": "p",
            "public_benefit": "b",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "coordinating_organisation": coordinator.memberships.get().organisation.pk,
            "custodians": [org.pk for org, _, _ in custodians.values()],
        },
    )
    assert response.status_code == 302
    return Project.objects.get(), custodians


def _complete(project, custodians, coordinator):
    fill_project_answers(_client(coordinator), project, E2["answers"])
    last = None
    for org, user, answers in custodians.values():
        client = _client(user)
        assessment = project.assessments.get(organisation=org)
        fill_custodian_answers(client, project, assessment, answers)
        # Submitting goes through the summary of every answer, which holds the submit form.
        summary = client.get(reverse("assessment_check", args=[project.pk, assessment.pk])).content.decode()
        submit = reverse("assessment_submit", args=[project.pk, assessment.pk])
        assert f'action="{submit}"' in summary
        assert client.post(submit).status_code == 302
        last = confirm(client, project, assessment)
        assert last.status_code == 302
    return last


def test_three_custodians_reach_the_spec_tiers_through_the_forms(e2, coordinator):
    project, custodians = e2
    last = _complete(project, custodians, coordinator)
    assert last["Location"] == reverse("risk_profile", args=[project.pk])
    project.refresh_from_db()
    assert project.status == Project.Status.ASSESSED
    result = project.evaluations.get().result
    assert result["tiers"] == E2_EXPECTED["tiers"]
    assert result["overall"] == E2_EXPECTED["overall"]
    assert result["outcome"] == E2_EXPECTED["outcome"]
    assert result["fired"] == E2_EXPECTED["fired"]
    # The browser-built document is the spec's document (PRIAM lists custodians by
    # name): same answers, same hash.
    from assessments import engine
    from assessments.selectors.frameworks import engine_framework

    by_name = {**E2, "custodians": sorted(E2["custodians"], key=lambda c: c["name"])}
    expected = engine.evaluate(engine_framework(project.framework_version), by_name)
    assert result["answers_sha256"] == expected["answers_sha256"]
    page = _client(coordinator).get(last["Location"]).content.decode()
    assert "R-C-01" in page and "GP records" in page
    assert AuditEvent.objects.filter(action="assessment.confirmed").count() == 3


def test_submitting_an_incomplete_assessment_lists_what_is_missing(e2):
    project, custodians = e2
    org, user, _ = custodians["GP records"]
    assessment = project.assessments.get(organisation=org)
    response = _client(user).post(reverse("assessment_submit", args=[project.pk, assessment.pk]))
    assert response.status_code == 400
    html = response.content.decode()
    # Named by their text, not "DA1: missing answer".
    assert "Identifiability" in html and "Legal basis for this custodian&#x27;s data" in html
    assert "DA1: missing answer" not in html and "PR3: missing answer" not in html
    assessment.refresh_from_db()
    assert not assessment.is_submitted


def test_custodians_cannot_confirm_unfinished_project_answers(e2):
    project, custodians = e2
    org, user, _ = custodians["GP records"]
    assessment = project.assessments.get(organisation=org)
    response = confirm(_client(user), project, assessment)
    assert response.status_code == 400
    assert "coordinator must finish them" in response.content.decode()


def test_changing_an_answer_after_evaluation_opens_a_new_revision(e2, coordinator):
    project, custodians = e2
    _complete(project, custodians, coordinator)
    org, user, answers = custodians["Census and education"]
    assessment = project.assessments.get(organisation=org)
    response = post_section(
        _client(user),
        project,
        "data",
        {**{k: answers.get(k) for k in ("DA1", "DA2", "DA3", "DA4", "DA5", "DA6", "DA7", "DA8", "DA9")}, "DA5": True},
        assessment=assessment,
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assessment.refresh_from_db()
    assert (project.revision, project.status) == (2, Project.Status.ASSESSING)
    assert not assessment.is_submitted
    assert project.evaluations.count() == 1  # revision 1 stays in the history
    event = AuditEvent.objects.filter(action="assessment.answers_saved").last()
    assert event.data["reopened"] and event.data["submission_withdrawn"]
    # A custodian's own answers are not what the others confirmed: their confirmations stand.
    assert all(a.is_confirmed for a in project.assessments.all())
    client = _client(user)
    assert client.post(reverse("assessment_submit", args=[project.pk, assessment.pk])).status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.ASSESSED
    assert list(project.evaluations.values_list("revision", "overall")) == [(2, 4), (1, 3)]


def test_a_project_answer_change_makes_every_custodian_confirm_again(e2, coordinator):
    project, custodians = e2
    _complete(project, custodians, coordinator)
    response = post_section(
        _client(coordinator),
        project,
        "outputs",
        {**{q: E2["answers"][q] for q in ("OU1", "OU2", "OU3", "OU4", "OU5")}, "OU4": False},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.revision == 2
    assert all(not a.is_confirmed for a in project.assessments.all())
    for org, user, _ in custodians.values():
        assessment = project.assessments.get(organisation=org)
        confirm(_client(user), project, assessment)
    project.refresh_from_db()
    assert project.evaluations.get(revision=2).result["tiers"]["outputs"] == 0


def test_a_newer_framework_applies_only_explicitly_with_a_before_after(e2, coordinator, tmp_path):
    project, custodians = e2
    _complete(project, custodians, coordinator)
    v2 = tmp_path / "v2"
    shutil.copytree(FRAMEWORK_V1, v2)
    (v2 / "framework.yaml").write_text((v2 / "framework.yaml").read_text().replace('version: "1"', 'version: "2"'))
    rules = (v2 / "rules.yaml").read_text()
    marker = "  - id: R-OU-04\n"
    head, tail = rules.split(marker)
    tail = tail.replace("{raise: outputs, to: 2}", "{raise: outputs, to: 3}", 1)
    (v2 / "rules.yaml").write_text(head + marker + tail)
    framework_load(path=v2)
    project.refresh_from_db()
    assert project.framework_version.version == "1"  # nothing changes by itself

    client = _client(coordinator)
    detail = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert "Compare with five-safes@2" in detail
    preview = client.get(reverse("project_framework", args=[project.pk]) + "?version=2")
    assert preview.status_code == 200
    rows = {row["safe"]: (row["before"], row["lowest"], row["worst"]) for row in preview.context["preview"]["tiers"]}
    assert rows["outputs"] == (2, 3, 3)
    assert "R-OU-04" in preview.context["preview"]["rules_changed"]

    response = client.post(reverse("project_framework", args=[project.pk]), {"version": "2"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.framework_version.version, project.revision) == ("2", 2)
    assert all(not a.is_confirmed for a in project.assessments.all())
    assert AuditEvent.objects.get(action="project.framework_changed").data["tiers_after"]["outputs"] == 3


def test_the_custodian_home_page_lists_what_waits(e2):
    project, custodians = e2
    _, user, _ = custodians["GP records"]
    html = _client(user).get(reverse("home")).content.decode()
    assert E2["title"] in html and "answers to complete and submit" in html


def test_a_confirmation_of_answers_that_changed_meanwhile_is_refused(e2, coordinator):
    project, custodians = e2
    fill_project_answers(_client(coordinator), project, E2["answers"])
    org, user, _ = custodians["GP records"]
    assessment = project.assessments.get(organisation=org)
    client = _client(user)
    page = client.get(reverse("assessment_detail", args=[project.pk, assessment.pk])).content.decode()
    seen = re.search(r'name="answers_version" value="(\d+)"', page).group(1)
    # The coordinator changes an answer while the custodian is reading.
    post_section(
        _client(coordinator),
        project,
        "settings",
        {**{q: E2["answers"][q] for q in ("SE1", "SE2", "SE3", "SE4", "SE5", "SE6")}, "SE1": "open_download"},
    )
    response = client.post(reverse("assessment_confirm", args=[project.pk, assessment.pk]), {"answers_version": seen})
    assert response.status_code == 409
    assert "changed since you reviewed them" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.confirmed_version is None
