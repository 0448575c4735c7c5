"""Two versions of the framework loaded side by side (issue 13): the latest is the default for
new projects, `assess` and the evaluate API; the older stays selectable by name; every result
names the version it used; a v1 document under v2 is refused with the missing question named."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from assessments.models import Project
from tests.api.test_api import api

pytestmark = pytest.mark.django_db

V1_E2 = Path("fixtures/examples/E2.json")
V2_E2 = Path("fixtures/examples/v2/E2.json")


def _assess(path, *args):
    out = io.StringIO()
    call_command("assess", str(path), *args, stdout=out)
    return json.loads(out.getvalue())


def test_assess_uses_the_latest_version_unless_told_and_names_it(framework_v2):
    assert _assess(V2_E2)["framework"] == {"id": "five-safes", "version": "2", "sha256": framework_v2.sha256}
    v1 = _assess(V1_E2, "--framework", "five-safes@1")
    assert v1["framework"]["version"] == "1"
    assert "R-DA-13" not in v1["fired"] and "R-DA-13" in _assess(V2_E2)["fired"]


def test_assess_of_a_v1_document_under_v2_names_the_new_question_and_the_way_out(framework_v2, capsys):
    with pytest.raises(SystemExit) as exit_:
        call_command("assess", str(V1_E2))
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert 'custodian "GP records": DA10: missing answer' in err
    assert "under five-safes@2" in err and "--framework" in err


def test_the_evaluate_api_defaults_to_the_latest_and_selects_v1_by_name(framework_v2, demo):
    client = api("custodian", read_only=True)
    latest = client.post("/api/v1/evaluate/", V2_E2.read_text(), content_type="application/json")
    assert latest.status_code == 200 and latest.json()["framework"]["version"] == "2"
    v1 = client.post("/api/v1/evaluate/?framework=five-safes@1", V1_E2.read_text(), content_type="application/json")
    assert v1.status_code == 200 and v1.json()["framework"]["version"] == "1"
    refused = client.post("/api/v1/evaluate/", V1_E2.read_text(), content_type="application/json")
    assert refused.status_code == 400
    body = refused.json()
    assert body["framework"] == "five-safes@2" and "?framework=" in body["detail"]
    assert {(e["custodian"], e["question"]) for e in body["errors"]} == {
        ("GP records", "DA10"),
        ("Met and pollution grid", "DA10"),
        ("Census and education", "DA10"),
    }


def test_the_frameworks_api_lists_both_versions(framework_v2, demo):
    specs = {f"{f['id']}@{f['version']}" for f in api("custodian").get("/api/v1/frameworks/").json()}
    assert {"five-safes@1", "five-safes@2"} <= specs
    detail = api("custodian").get("/api/v1/frameworks/five-safes@2/").json()
    assert "DA10" in {q["id"] for q in detail["questions"]}


def test_a_new_project_uses_the_latest_version_and_asks_custodians_da10(framework_v2, demo, coordinator, client):
    client.force_login(coordinator)
    census = coordinator.memberships.get().organisation.__class__.objects.get(slug="census-education")
    response = client.post(
        reverse("project_new"),
        {
            "title": "School absence",
            "summary": "s",
            "lead_researcher": "Dr R",
            "lead_organisation": "Uni",
            "purpose": "p",
            "public_benefit": "b",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "coordinating_organisation": coordinator.memberships.get().organisation.pk,
            "custodians": [census.pk],
        },
    )
    assert response.status_code == 302
    project = Project.objects.get(title="School absence")
    assert project.framework_version.spec == "five-safes@2"
    assessment = project.assessments.get()
    client.force_login(census.memberships.get(user__username="census").user)
    page = client.get(reverse("assessment_section", args=[project.pk, assessment.pk, "data"]))
    html = page.content.decode()
    assert "Who might try to re-identify people in this data or misuse it?" in html
    assert "organised crime" in html and "journalist" in html  # DA10's help names the attackers
    assert 'href="/glossary/#term-motivated-intruder"' in html  # its terms link to the glossary
