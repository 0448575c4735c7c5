"""The exchange schemas as the API serves them, the evaluate endpoint's check against them, and the
OpenAPI document's references to them."""

import json
from pathlib import Path

import pytest
from django.test import Client
from jsonschema import Draft202012Validator, FormatChecker

from assessments import exchange
from assessments.models import Evaluation, Project
from assessments.services.demo import demo_load
from tests.api.test_api import api

EXAMPLES = Path("fixtures/examples")


@pytest.mark.parametrize("name", exchange.SCHEMAS)
def test_the_served_schema_is_the_file_with_an_etag_and_no_sign_in(db, name):
    response = Client().get(f"/api/v1/schemas/{name}.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/schema+json"
    assert response.content == (Path("assessments/schemas") / f"{name}.schema.json").read_bytes()
    assert response["ETag"].startswith('"') and "public" in response["Cache-Control"]
    again = Client().get(f"/api/v1/schemas/{name}.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == response["ETag"]
    stale = Client().get(f"/api/v1/schemas/{name}.json", HTTP_IF_NONE_MATCH='"0000"')
    assert stale.status_code == 200


def test_the_two_schemas_have_different_etags(db):
    tags = {Client().get(f"/api/v1/schemas/{name}.json")["ETag"] for name in exchange.SCHEMAS}
    assert len(tags) == 2


def test_an_unknown_schema_is_a_404_problem_listing_the_known_ones(db):
    response = Client().get("/api/v1/schemas/project.json")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert "assessment-document" in response.json()["detail"]


def test_evaluate_refuses_a_document_of_the_wrong_shape_naming_the_field(framework_v1, demo):
    document = json.loads((EXAMPLES / "criteria" / "E2-DA8-10000.json").read_text())
    document["custodians"][0]["appetite"]["otherwise"] = "maybe"
    response = api("coordinator").post("/api/v1/evaluate/", json.dumps(document), content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/document") and "custodians.0.appetite.otherwise" in body["detail"]
    [error] = body["errors"]
    assert (error["field"], error["custodian"], error["question"]) == (
        "custodians.0.appetite.otherwise",
        "GP records",
        None,
    )
    assert "'maybe' is not one of" in error["message"]


def test_evaluate_still_names_question_and_custodian_for_the_frameworks_own_checks(framework_v1, demo):
    document = json.loads((EXAMPLES / "E2.json").read_text())
    document["custodians"][0]["answers"]["DA1"] = "nearly anonymous"
    response = api("coordinator").post("/api/v1/evaluate/", json.dumps(document), content_type="application/json")
    assert response.status_code == 400
    assert [(e["custodian"], e["question"]) for e in response.json()["errors"]] == [("GP records", "DA1")]


def test_evaluates_answer_validates_against_the_result_schema(framework_v1, demo):
    body = api("custodian").post(
        "/api/v1/evaluate/",
        (EXAMPLES / "criteria" / "E2-DA8-1200000.json").read_text(),
        content_type="application/json",
    )
    validator = Draft202012Validator(exchange.schema("evaluation-result"), format_checker=FormatChecker())
    assert list(validator.iter_errors(body.json())) == []


def _schema():
    return Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def test_the_openapi_document_references_the_exchange_components(db):
    schema = _schema()
    components = schema["components"]["schemas"]
    for name in ("AssessmentDocument", "CustodianDocument", "EvaluationResult", "CustodianResult", "TraceEntry"):
        assert components[name] == exchange.openapi_components()[name]
    evaluate = schema["paths"]["/api/v1/evaluate/"]["post"]
    assert evaluate["requestBody"]["content"]["application/json"]["schema"] == _ref("AssessmentDocument")
    assert evaluate["requestBody"]["required"] is True
    assert evaluate["responses"]["200"]["content"]["application/json"]["schema"] == _ref("EvaluationResult")
    profile = schema["paths"]["/api/v1/projects/{id}/risk-profile/"]["get"]["responses"]["200"]
    assert profile["content"]["application/json"]["schema"] == _ref("RiskProfile")
    assert components["RiskProfile"]["properties"]["result"] == _ref("EvaluationResult")
    assert components["RiskProfile"]["properties"]["what_would_change"]["allOf"] == [_ref("WhatWouldChange")]
    # drf-spectacular wraps a reference in allOf to give it a description or readOnly.
    sign_off = components["SignOff"]["properties"]
    assert sign_off["appetite"]["allOf"] == [_ref("AppetiteRef")]
    assert sign_off["criteria"]["allOf"] == [_ref("CustodianCriteriaRef")] and sign_off["criteria"]["nullable"]
    snapshot = components["RecordDetail"]["properties"]["snapshot"]["properties"]
    assert snapshot["document"] == _ref("AssessmentDocument")
    assert snapshot["evaluation"]["properties"]["result"] == _ref("EvaluationResult")


def test_every_reference_in_the_openapi_document_resolves(db):
    schema = _schema()
    components = schema["components"]["schemas"]
    text = json.dumps(schema)
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs and refs <= set(components)


@pytest.fixture
def demo_with_projects(db, signing_ca, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        demo_load()


def test_the_demos_stored_documents_and_results_and_risk_profiles_validate(demo_with_projects):
    document_errors = Draft202012Validator(exchange.schema("assessment-document"), format_checker=FormatChecker())
    result_errors = Draft202012Validator(exchange.schema("evaluation-result"), format_checker=FormatChecker())
    changes_errors = Draft202012Validator(
        {**exchange.schema("evaluation-result"), "$ref": "#/$defs/WhatWouldChange"}, format_checker=FormatChecker()
    )
    evaluations = list(Evaluation.objects.all())
    assert evaluations
    for evaluation in evaluations:
        assert list(document_errors.iter_errors(evaluation.document)) == [], evaluation.project_id
        assert list(result_errors.iter_errors(evaluation.result)) == [], evaluation.project_id
    client = api("admin")
    projects = Project.objects.filter(evaluations__isnull=False).distinct()
    assert projects
    for project in projects:
        body = client.get(f"/api/v1/projects/{project.pk}/risk-profile/").json()
        assert list(result_errors.iter_errors(body["result"])) == [], project.pk
        assert list(changes_errors.iter_errors(body["what_would_change"])) == [], project.pk
