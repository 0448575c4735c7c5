"""The real proof of a typed exchange format: a client generated from the served OpenAPI document
by openapi-python-client (offline; no network) has models for the document and the result, and
its evaluate and risk-profile functions return them."""

import importlib
import json
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from django.test import Client

from tests.api.test_api import api

EXAMPLES = Path("fixtures/examples")
pytestmark = pytest.mark.once
PACKAGE = "priam_exchange_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory, django_db_setup, django_db_blocker):
    root = tmp_path_factory.mktemp("client")
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    (root / "openapi.json").write_bytes(response.content)
    # No post hooks: formatting the generated code is slow and proves nothing about its types.
    (root / "config.yaml").write_text("post_hooks: []\n")
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "openapi-python-client"),
            "generate",
            "--path",
            "openapi.json",
            "--output-path",
            PACKAGE,
            "--meta",
            "none",
            "--config",
            "config.yaml",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    sys.path.insert(0, str(root))
    try:
        yield root / PACKAGE
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_client_has_models_for_the_document_and_the_result(generated):
    models = {path.stem for path in (generated / "models").glob("*.py")}
    assert {
        "assessment_document",
        "custodian_document",
        "appetite",
        "criteria_set",
        "evaluation_result",
        "custodian_result",
        "trace_entry",
        "route_reason",
        "tiers",
        "risk_profile",
    } <= models
    source = (generated / "models" / "evaluation_result.py").read_text()
    for attribute in ("tiers: Tiers", "overall: int", "outcome: Outcome", "conditions: list[ConditionOfApproval]"):
        assert attribute in source


def _hints(module_name, function="sync"):
    module = importlib.import_module(f"{PACKAGE}.api.v1.{module_name}")
    return typing.get_type_hints(getattr(module, function))


def test_evaluate_takes_a_document_and_returns_a_result(generated):
    models = importlib.import_module(f"{PACKAGE}.models")
    hints = _hints("v1_evaluate_create")
    assert models.EvaluationResult in typing.get_args(hints["return"])
    assert hints["body"] is models.AssessmentDocument  # required, not "| Unset"


def test_the_risk_profile_returns_a_result_inside(generated):
    models = importlib.import_module(f"{PACKAGE}.models")
    assert models.RiskProfile in typing.get_args(_hints("v1_projects_risk_profile_retrieve")["return"])
    # The models import each other only for type checkers, so resolve the names in the package.
    hints = typing.get_type_hints(models.RiskProfile, localns=vars(models))
    assert hints["result"] is models.EvaluationResult and hints["what_would_change"] is models.WhatWouldChange


@pytest.mark.django_db
def test_the_generated_models_read_what_the_api_answers(generated, framework_v1, demo):
    models = importlib.import_module(f"{PACKAGE}.models")
    text = (EXAMPLES / "criteria" / "E2-DA8-1200000.json").read_text()
    document = models.AssessmentDocument.from_dict(json.loads(text))
    assert document.to_dict() == json.loads(text) and document.custodians[0].appetite.otherwise.value == "decline"
    body = api("coordinator").post("/api/v1/evaluate/", text, content_type="application/json").json()
    result = models.EvaluationResult.from_dict(body)
    assert (result.tiers.data, result.overall, result.outcome) == (4, 4, models.Outcome.REFER)
    assert result.route_reasons["GP records"].route == models.Route.DECLINE
    assert result.custodians[0].name == "GP records" and result.fired_details[0].rule
    assert result.to_dict() == body
