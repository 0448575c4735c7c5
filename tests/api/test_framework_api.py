"""Moving a project to five-safes@2 over the API (spec five-safes-v2): the newer versions, the
before/after preview, the move by the coordinator, and the custodians' DA10 answers that let the
project be evaluated under v2. The expectations come from the spec and the worked examples'
expected results, not from this code."""

import json
from pathlib import Path

import pytest
import yaml
from django.test import Client

from assessments.models import AuditAction, AuditEvent, Panel, Project
from assessments.services.frameworks import framework_load
from assessments.services.panels import review_send
from tests.api.test_api import api, put_json

pytestmark = pytest.mark.django_db

EXAMPLES = Path("fixtures/examples")
E2 = json.loads((EXAMPLES / "E2.json").read_text())
E2_V1_EXPECTED = json.loads((EXAMPLES / "E2.expected.json").read_text())
E2_V2 = json.loads((EXAMPLES / "v2" / "E2.json").read_text())
E2_V2_EXPECTED = json.loads((EXAMPLES / "v2" / "E2.expected.json").read_text())
E2_CUSTODIANS = sorted(c["name"] for c in E2["custodians"])
SAFES = ["people", "projects", "settings", "data", "outputs"]


def member(name):
    """The example_project fixture's one member of the organisation for custodian `name`."""
    return f"e2-{name.lower().replace(' ', '-')}-member"


@pytest.fixture
def v2(framework_v1, demo):
    # The demo may load v2 already; loading it again is a no-op. Either way after v1.
    version, _ = framework_load(path="fixtures/frameworks/five-safes/v2")
    return version


@pytest.fixture
def e2(example_project, v2):
    """E2 assessed under five-safes@1: every custodian submitted and confirmed, revision 1 evaluated."""
    project = example_project("E2")
    assert (project.framework_version.spec, project.status, project.revision) == (
        "five-safes@1",
        Project.Status.ASSESSED,
        1,
    )
    return project


def framework_url(project, spec=None):
    return f"/api/v1/projects/{project.pk}/framework/" + (f"{spec}/" if spec else "")


def apply(client, project, body):
    return client.post(framework_url(project), json.dumps(body), content_type="application/json")


def test_the_project_lists_its_version_and_the_newer_one(e2, v2):
    body = api("coordinator", read_only=True).get(framework_url(e2)).json()
    assert (body["project"], body["revision"], body["framework"]["spec"]) == (e2.pk, 1, "five-safes@1")
    assert body["framework"]["sha256"] == e2.framework_version.sha256
    assert [(v["spec"], v["sha256"]) for v in body["newer"]] == [("five-safes@2", v2.sha256)]
    assert body["newer"][0]["loaded_at"]
    assert body["can_apply"] is True
    # A custodian reads it too, but may not apply it.
    assert api(member("GP records")).get(framework_url(e2)).json()["can_apply"] is False


def test_the_preview_asks_each_custodian_for_da10_and_keeps_v1s_tiers_before(e2):
    response = api(member("GP records")).get(framework_url(e2, "five-safes@2"))
    assert response.status_code == 200
    preview = response.json()
    assert (preview["current"], preview["proposed"], preview["revision"]) == ("five-safes@1", "five-safes@2", 1)
    # Spec five-safes-v2: DA10 new and required; DA9 gains "none"; R-DA-02/12 changed, R-DA-13/14/15 new.
    assert (preview["questions_added"], preview["questions_changed"], preview["questions_removed"]) == (
        ["DA10"],
        ["DA9"],
        [],
    )
    assert (preview["rules_added"], preview["rules_changed"], preview["rules_removed"]) == (
        ["R-DA-13", "R-DA-14", "R-DA-15"],
        ["R-DA-02", "R-DA-12"],
        [],
    )
    assert sorted((u["custodian"], u["question"]) for u in preview["unanswered"]) == [
        (name, "DA10") for name in E2_CUSTODIANS
    ]
    assert all(u["text"].startswith("Who might try to re-identify") for u in preview["unanswered"])
    assert preview["can_evaluate"] is False and preview["can_apply"] is False
    assert preview["fired_added"] is None and preview["problems"] == []

    tiers = {row["safe"]: row for row in preview["tiers"]}
    assert list(tiers) == [*SAFES, "overall"]
    evaluated = e2.evaluations.get(revision=1).result
    assert {safe: tiers[safe]["before"] for safe in SAFES} == evaluated["tiers"] == E2_V1_EXPECTED["tiers"]
    assert tiers["overall"]["before"] == E2_V1_EXPECTED["overall"]
    # No E2 custodian has DA2 weak or DA9 high, so DA10 cannot reach R-DA-14: whatever they answer,
    # v2 gives E2 the same tiers and outcome (the spec's own claim for E2).
    for safe, row in tiers.items():
        expected = E2_V2_EXPECTED["overall"] if safe == "overall" else E2_V2_EXPECTED["tiers"][safe]
        assert (row["lowest"], row["worst"], row["settled"], row["changed"]) == (expected, expected, True, False)
    assert preview["outcome"] == {"before": "approve", "lowest": "approve", "worst": "approve"}
    # v2 fires R-DA-13 for the pollution grid's trivial DA9.
    rules = {row["rule"]: row for row in preview["rules"]}
    assert (rules["R-DA-13"]["before"], rules["R-DA-13"]["after"], rules["R-DA-13"]["new"]) == (False, "yes", True)
    assert rules["R-DA-13"]["custodian"] == "Met and pollution grid"
    assert "R-DA-14" not in rules
    assert [r["custodian"] for r in preview["routes"]] == E2_CUSTODIANS
    assert all(r["before"] == r["lowest"] == r["worst"] for r in preview["routes"])


def test_only_newer_versions_of_the_same_framework_have_a_preview(e2):
    client = api("coordinator")
    for spec in ("five-safes@1", "five-safes@9", "other@2", "five-safes"):
        response = client.get(framework_url(e2, spec))
        assert response.status_code == 404, spec
        assert response["Content-Type"] == "application/problem+json"


def test_the_coordinator_applies_v2_and_the_custodians_answering_da10_get_a_v2_evaluation(e2):
    coordinator = api("coordinator")
    response = apply(coordinator, e2, {"version": "five-safes@2"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["project"], body["revision"], body["framework"], body["previous"], body["status"]) == (
        e2.pk,
        2,
        "five-safes@2",
        "five-safes@1",
        "assessing",
    )
    # DA10 is required and nobody has answered it: every submission is incomplete under v2.
    assert body["submissions_withdrawn"] == E2_CUSTODIANS
    event = AuditEvent.objects.get(action=AuditAction.PROJECT_FRAMEWORK_CHANGED)
    assert sorted(event.data["submissions_withdrawn"]) == body["submissions_withdrawn"]
    assert (event.data["before"], event.data["after"], event.data["revision"]) == ("five-safes@1", "five-safes@2", 2)

    after = coordinator.get(framework_url(e2)).json()
    assert (after["framework"]["spec"], after["newer"], after["revision"]) == ("five-safes@2", [], 2)
    assert coordinator.get(framework_url(e2, "five-safes@2")).status_code == 404
    # Applied once: the same version again is no longer newer.
    again = apply(coordinator, e2, {"version": "five-safes@2"})
    assert again.status_code == 400 and again.json()["errors"][0]["field"] == "version"

    da10 = {c["name"]: c["answers"]["DA10"] for c in E2_V2["custodians"]}
    project = api("coordinator").get(f"/api/v1/projects/{e2.pk}/").json()
    for custodian in project["custodians"]:
        client = api(member(custodian["organisation"]))
        url = f"/api/v1/projects/{e2.pk}/assessments/{custodian['id']}/"
        read = client.get(url)
        answers = {**read.json()["answers"], "DA10": da10[custodian["organisation"]]}
        written = put_json(client, url + "answers/", {"answers": answers}, HTTP_IF_MATCH=read["ETag"])
        assert written.status_code == 200, written.content
        assert client.post(url + "submit/").status_code == 200
        etag = client.get(f"/api/v1/projects/{e2.pk}/answers/")["ETag"]
        confirmed = client.post(url + "confirm/", HTTP_IF_MATCH=etag)
        assert confirmed.status_code == 200, confirmed.content

    profile = coordinator.get(f"/api/v1/projects/{e2.pk}/risk-profile/").json()
    assert (profile["revision"], profile["current"]) == (2, True)
    result = profile["result"]
    assert f"{result['framework']['id']}@{result['framework']['version']}" == "five-safes@2"
    assert (result["tiers"], result["overall"], result["outcome"], result["fired"]) == (
        E2_V2_EXPECTED["tiers"],
        E2_V2_EXPECTED["overall"],
        E2_V2_EXPECTED["outcome"],
        E2_V2_EXPECTED["fired"],
    )
    assert Project.objects.get(pk=e2.pk).status == Project.Status.ASSESSED


def test_who_may_read_and_who_may_apply(e2):
    url, preview = framework_url(e2), framework_url(e2, "five-safes@2")
    for username in ("outsider", "custodian"):  # `custodian` is not one of E2's custodians
        client = api(username)
        assert client.get(url).status_code == 404
        assert client.get(preview).status_code == 404
        assert apply(client, e2, {"version": "five-safes@2"}).status_code == 404
    for username in (member("GP records"), "auditor"):
        client = api(username)
        assert client.get(url).status_code == 200 and client.get(preview).status_code == 200
        refused = apply(client, e2, {"version": "five-safes@2"})
        assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
        assert "coordinator" in refused.json()["detail"]
    # The coordinator's read-only token reads, and does not write.
    assert apply(api("coordinator", read_only=True), e2, {"version": "five-safes@2"}).status_code == 403
    assert Client().get(url).status_code == 401
    e2.refresh_from_db()
    assert (e2.framework_version.spec, e2.revision) == ("five-safes@1", 1)
    assert not AuditEvent.objects.filter(action=AuditAction.PROJECT_FRAMEWORK_CHANGED).exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "required"),
        ({"version": "five-safes@9"}, "five-safes@9 is not a newer version of five-safes@1"),
        ({"version": "five-safes@1"}, "not a newer version"),
        ({"version": "2"}, "not a newer version"),
    ],
)
def test_a_missing_or_unknown_version_is_a_400_naming_the_field(e2, body, message):
    response = apply(api("coordinator"), e2, body)
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == "version" and message in error["message"]
    assert Project.objects.get(pk=e2.pk).revision == 1


def test_a_project_with_the_panel_is_a_409(assessed_project, v2):
    review_send(
        project=assessed_project,
        panel=Panel.objects.get(name="National Data Access Panel"),
        actor=assessed_project.coordinator,
    )
    response = apply(api("coordinator"), assessed_project, {"version": "five-safes@2"})
    assert response.status_code == 409 and response["Content-Type"] == "application/problem+json"
    assert "panel" in response.json()["detail"]
    assert api("coordinator").get(framework_url(assessed_project)).json()["can_apply"] is False


def test_a_decided_project_is_a_409_saying_an_amendment_is_needed(assessed_project, issue_record, v2):
    issue_record(assessed_project)
    client = api("coordinator")
    response = apply(client, assessed_project, {"version": "five-safes@2"})
    assert response.status_code == 409 and response["Content-Type"] == "application/problem+json"
    assert "amendment" in response.json()["detail"]
    assessed_project.refresh_from_db()
    assert (assessed_project.status, assessed_project.framework_version.spec) == (
        Project.Status.DECIDED,
        "five-safes@1",
    )
    # Its preview is still there to read, to decide whether to amend.
    assert client.get(framework_url(assessed_project, "five-safes@2")).json()["can_apply"] is False


def test_the_schema_describes_the_framework_endpoints(db):
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    listed = schema["paths"]["/api/v1/projects/{id}/framework/"]
    assert {"200", "404"} <= set(listed["get"]["responses"])
    assert {"200", "400", "403", "404", "409"} <= set(listed["post"]["responses"])
    preview = schema["paths"]["/api/v1/projects/{id}/framework/{spec}/"]["get"]
    assert {"200", "404"} <= set(preview["responses"])
    components = schema["components"]["schemas"]
    assert set(components["FrameworkApplyRequest"]["properties"]) == {"version"}
    assert {"revision", "framework", "submissions_withdrawn"} <= set(components["FrameworkApplied"]["properties"])
    assert {"tiers", "outcome", "routes", "rules", "unanswered", "problems", "can_evaluate"} <= set(
        components["FrameworkChange"]["properties"]
    )
