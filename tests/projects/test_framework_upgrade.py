"""Moving a project from five-safes@1 to @2 in the browser (issue 13 item 2): the comparison
shows both versions and DA10 unanswered for each custodian; only the coordinator applies it;
the project is evaluated under v2 only once every custodian has answered DA10; a decided
project moves only through an amendment, and its v1 record keeps showing and verifying v1."""

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments.models import AuditEvent, Project, User
from assessments.pdf.verify import verify_pdf
from assessments.selectors.framework_change import framework_change_preview
from assessments.services.projects import project_request_amendment
from tests.helpers import confirm, post_section

pytestmark = pytest.mark.django_db

V2_E2 = json.loads(Path("fixtures/examples/v2/E2.json").read_text())
E2_V1_EXPECTED = json.loads(Path("fixtures/examples/E2.expected.json").read_text())
E2_NAMES = ["Census and education", "GP records", "Met and pollution grid"]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _member(name):
    return User.objects.get(memberships__organisation__name=name)


@pytest.fixture
def e2_on_v1(example_project):
    """E2 assessed under v1 (every custodian submitted and confirmed), before v2 is loaded."""
    project = example_project("E2")
    assert project.status == Project.Status.ASSESSED
    return project


def test_the_comparison_lists_da10_unanswered_and_both_versions_results(e2_on_v1, framework_v2, coordinator):
    project = e2_on_v1
    url = reverse("project_framework", args=[project.pk]) + "?version=2"
    response = _client(coordinator).get(url)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert [(u["custodian"], u["question"]) for u in preview["unanswered"]] == [(n, "DA10") for n in E2_NAMES]
    assert preview["can_evaluate"] is False and preview["after"] is None
    tiers = {row["safe"]: row for row in preview["tiers"]}
    for safe, tier in E2_V1_EXPECTED["tiers"].items():
        assert tiers[safe]["before"] == tier
    # E2 under v2 keeps its tiers whatever DA10 is (spec v2), so the range is settled.
    assert all(row["settled"] and not row["changed"] and not row["may_change"] for row in preview["tiers"])
    rules = {row["rule"]: row for row in preview["rules"]}
    assert rules["R-DA-13"]["after"] == "yes" and rules["R-DA-13"]["new"] and not rules["R-DA-13"]["before"]
    assert rules["R-DA-02"]["before"] and rules["R-DA-02"]["after"] == "yes"
    assert preview["rules_added"] == ["R-DA-13", "R-DA-14", "R-DA-15"]
    assert preview["rules_changed"] == ["R-DA-02", "R-DA-12"]
    html = response.content.decode()
    assert html.count("DA10 – Who might try to re-identify people in this data or misuse it? (unanswered)") == 3
    assert "Apply five-safes@2" in html


def test_a_range_shows_what_depends_on_da10(example_project, framework_v2, coordinator):
    project = example_project("E2")
    gp = project.assessments.get(organisation__name="GP records")
    gp.answers = {**gp.answers, "DA9": "high"}  # sophisticated attackers would then make data 4
    gp.save(update_fields=["answers"])
    preview = framework_change_preview(project=project, version=framework_v2)
    data = next(row for row in preview["tiers"] if row["safe"] == "data")
    assert (data["lowest"], data["worst"], data["may_change"]) == (3, 4, True)
    assert {row["rule"]: row["after"] for row in preview["rules"]}["R-DA-14"] == "depends"


def test_custodians_read_the_comparison_but_only_the_coordinator_applies_it(e2_on_v1, framework_v2):
    project = e2_on_v1
    custodian = _client(_member("GP records"))
    url = reverse("project_framework", args=[project.pk])
    page = custodian.get(url + "?version=2")
    assert page.status_code == 200 and "Apply five-safes@2" not in page.content.decode()
    assert custodian.post(url, {"version": "2"}).status_code == 403
    project.refresh_from_db()
    assert project.framework_version.version == "1"


def test_the_project_is_evaluated_under_v2_only_once_every_custodian_answers_da10(e2_on_v1, framework_v2, coordinator):
    project = e2_on_v1
    response = _client(coordinator).post(reverse("project_framework", args=[project.pk]), {"version": "2"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.framework_version.spec, project.revision, project.status) == ("five-safes@2", 2, "assessing")
    event = AuditEvent.objects.get(action="project.framework_changed")
    assert sorted(event.data["submissions_withdrawn"]) == E2_NAMES
    assert event.data["unanswered"] == [f"{n}: DA10" for n in E2_NAMES]

    gp = project.assessments.get(organisation__name="GP records")
    page = _client(_member("GP records")).get(reverse("assessment_detail", args=[project.pk, gp.pk])).content.decode()
    assert "The project moved from five-safes@1 to five-safes@2." in page
    data_step = reverse("assessment_section", args=[project.pk, gp.pk, "data"])
    assert f'<a href="{data_step}">DA10 – Who might try to re-identify people in this data or misuse it?</a>' in page

    answers = {c["name"]: c["answers"]["DA10"] for c in V2_E2["custodians"]}
    for position, name in enumerate(E2_NAMES):
        client = _client(_member(name))
        assessment = project.assessments.get(organisation__name=name)
        submit = reverse("assessment_submit", args=[project.pk, assessment.pk])
        refused = client.post(submit, follow=True).content.decode()
        assert "DA10" in refused or "Likely attacker" in refused
        assert post_section(client, project, "data", {**assessment.answers, "DA10": answers[name]}, assessment)
        assert client.post(submit).status_code == 302
        assert confirm(client, project, assessment).status_code == 302
        project.refresh_from_db()
        # Nothing is evaluated under v2 while any custodian still lacks DA10.
        evaluated = project.evaluations.filter(revision=2).exists()
        assert evaluated == (position == len(E2_NAMES) - 1)

    result = project.evaluations.get(revision=2).result
    assert result["framework"]["version"] == "2"
    assert result["tiers"] == E2_V1_EXPECTED["tiers"] and result["outcome"] == E2_V1_EXPECTED["outcome"]
    assert set(result["fired"]) == set(E2_V1_EXPECTED["fired"]) | {"R-DA-13"}
    profile = _client(coordinator).get(reverse("risk_profile", args=[project.pk])).content.decode()
    assert "five-safes@2" in profile and "Confidential data with trivial consequences of disclosure" in profile


def test_a_decided_project_moves_only_through_an_amendment_and_its_v1_record_stays_v1(
    assessed_project, issue_record, coordinator, admin_user
):
    project = assessed_project
    record = issue_record(project)
    from assessments.services.frameworks import framework_load

    framework_load(path="fixtures/frameworks/five-safes/v2")
    project.refresh_from_db()
    client = _client(coordinator)
    url = reverse("project_framework", args=[project.pk])
    page = client.get(url + "?version=2").content.decode()
    assert "request an amendment" in page and "Apply five-safes@2" not in page
    assert client.post(url, {"version": "2"}).status_code == 403

    project_request_amendment(project=project, actor=coordinator, reason="Move to five-safes@2.")
    assert client.post(url, {"version": "2"}).status_code == 302
    project.refresh_from_db()
    assert project.framework_version.spec == "five-safes@2"

    record.refresh_from_db()
    assert record.snapshot["evaluation"]["result"]["framework"]["version"] == "1"
    detail = _client(admin_user).get(reverse("record_detail", args=[record.number])).content.decode()
    assert "five-safes@1" in detail and "five-safes@2" not in detail
    assert verify_pdf(bytes(record.pdf.data)).ok
    upload = SimpleUploadedFile("record.pdf", bytes(record.pdf.data), content_type="application/pdf")
    checked = Client().post(reverse("verify"), {"file": upload}).content.decode()
    assert f"Valid decision record {record.number}, issued by this PRIAM" in checked
    assert re.search(r"<tr data-framework>.*five-safes@1</td></tr>", checked)


def test_a_tier_4_reached_through_the_attacker_reads_as_such_on_the_profile(framework_v2, demo, coordinator):
    from assessments.models import Membership, Organisation
    from assessments.services.seeding import project_from_document

    document = json.loads(Path("fixtures/examples/v2/E4-sophisticated.json").read_text())
    archive = Organisation.objects.create(name="Survey archive", slug="survey-archive")
    Membership.objects.create(user=User.objects.create_user("archivist"), organisation=archive)
    project = project_from_document(
        document=document,
        coordinator=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        organisations={"Survey archive": archive},
        framework_version=framework_v2,
    )
    result = project.evaluations.get().result
    assert (result["overall"], result["outcome"]) == (4, "not_approvable")
    html = _client(coordinator).get(reverse("risk_profile", args=[project.pk])).content.decode()
    assert "In five-safes@2, tier 4 covers:" in html and "a likely target of sophisticated attackers" in html
    assert "Likely target of sophisticated attackers, with weak protection or high stakes" in html
    assert "R-DA-14" in html
