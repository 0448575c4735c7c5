"""The exchange format's JSON Schemas against the worked examples, the engine's own results and
documents that break them."""

import copy
import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from assessments import engine, exchange

EXAMPLES = Path("fixtures/examples")
DOCUMENTS = sorted(p for p in EXAMPLES.rglob("*.json") if not p.name.endswith((".expected.json", ".appetite.json")))
EXPECTED = sorted(EXAMPLES.rglob("*.expected.json"))
FRAMEWORKS = {"v1": "fixtures/frameworks/five-safes/v1", "v2": "fixtures/frameworks/five-safes/v2"}


def _validator(name):
    return Draft202012Validator(exchange.schema(name), format_checker=FormatChecker())


def _errors(name, instance):
    return [f"{e.json_path}: {e.message}" for e in _validator(name).iter_errors(instance)]


def _framework(path):
    return engine.load_framework_dir(FRAMEWORKS["v2" if "v2" in path.parts else "v1"])


def test_the_examples_are_all_found():
    # E1, E2, E4, E4b under v1 and v2, E4-sophisticated, and the two criteria examples.
    assert len(DOCUMENTS) == 11 and len(EXPECTED) == 11


@pytest.mark.parametrize("name", exchange.SCHEMAS)
def test_each_schema_is_valid_draft_2020_12(name):
    schema = exchange.schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", DOCUMENTS, ids=str)
def test_every_worked_example_document_validates(path):
    assert _errors("assessment-document", json.loads(path.read_text())) == []


@pytest.mark.parametrize("path", EXPECTED, ids=str)
def test_every_expected_result_validates(path):
    assert _errors("evaluation-result", json.loads(path.read_text())) == []


@pytest.mark.parametrize("path", DOCUMENTS, ids=str)
def test_what_the_engine_gives_for_every_example_validates(path):
    # Through JSON, as the API and `manage.py assess` hand it out.
    result = json.loads(engine.canonical_json(engine.evaluate(_framework(path), json.loads(path.read_text()))))
    assert _errors("evaluation-result", result) == []


def _definition_errors(definition, instance):
    schema = {**exchange.schema("evaluation-result"), "$ref": f"#/$defs/{definition}"}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(instance)]


@pytest.mark.parametrize("path", DOCUMENTS, ids=str)
def test_what_would_change_for_every_example_validates(path):
    framework = _framework(path)
    document = json.loads(path.read_text())
    changes = json.loads(engine.canonical_json(engine.counterfactuals(framework, document)))
    assert _definition_errors("WhatWouldChange", changes) == []


def test_what_would_change_describes_a_project_that_is_not_approvable():
    path = EXAMPLES / "criteria" / "E2-DA8-1200000.json"
    changes = engine.counterfactuals(_framework(path), json.loads(path.read_text()))
    # E2 with a million GP records is referred: the part of the schema the approvable examples skip.
    assert changes["approvable"]["causes"]
    assert _definition_errors("WhatWouldChange", json.loads(engine.canonical_json(changes))) == []


def test_the_criteria_examples_results_carry_routes_and_reasons_the_schema_describes():
    path = EXAMPLES / "criteria" / "E2-DA8-1200000.json"
    result = engine.evaluate(_framework(path), json.loads(path.read_text()))
    # A result with routes, reasons and criteria: the parts of the schema the plain examples skip.
    assert result["routes"]["GP records"] == "decline" and result["criteria"]
    broken = copy.deepcopy(result)
    broken["route_reasons"]["GP records"]["route"] = "maybe"
    assert _errors("evaluation-result", broken) == [
        "$.route_reasons['GP records'].route: 'maybe' is not one of "
        "['automatic', 'custodian_review', 'panel', 'decline']"
    ]


def _e2_with_criteria():
    return json.loads((EXAMPLES / "criteria" / "E2-DA8-10000.json").read_text())


def _break(change):
    document = _e2_with_criteria()
    change(document)
    return document


BROKEN = {
    "unknown route": (
        lambda d: d["custodians"][0]["appetite"].update(otherwise="maybe"),
        [{"field": "custodians.0.appetite.otherwise", "custodian": "GP records", "question": None}],
    ),
    "answer of no kind": (
        lambda d: d["answers"].update(PE4={"years": 5}),
        [{"field": "answers.PE4", "custodian": None, "question": "PE4"}],
    ),
    "custodian answer of no kind": (
        lambda d: d["custodians"][1]["answers"].update(DA8=None),
        [{"field": "custodians.1.answers.DA8", "custodian": "Met and pollution grid", "question": "DA8"}],
    ),
    "custodian without a name": (
        lambda d: d["custodians"][2].pop("name"),
        [{"field": "custodians.2", "custodian": "#3", "question": None}],
    ),
    "misspelt key": (
        lambda d: d["custodians"][1].update(apetite=d["custodians"][1].pop("appetite")),
        [{"field": "custodians.1", "custodian": "Met and pollution grid", "question": None}],
    ),
    "criteria version as a number": (
        lambda d: d["custodians"][0]["criteria"].update(version=1),
        [{"field": "custodians.0.criteria.version", "custodian": "GP records", "question": None}],
    ),
    "no custodians": (
        lambda d: d.update(custodians=[]),
        [{"field": "custodians", "custodian": None, "question": None}],
    ),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_a_broken_document_fails_at_the_field_that_breaks_it(kind):
    change, expected = BROKEN[kind]
    errors = exchange.document_errors(_break(change))
    assert [{k: e[k] for k in ("field", "custodian", "question")} for e in errors] == expected
    assert all(e["message"] for e in errors)


def test_a_misspelt_key_is_named_in_the_message():
    document = _break(lambda d: d["custodians"][1].update(apetite=d["custodians"][1].pop("appetite")))
    assert "'apetite' was unexpected" in exchange.document_errors(document)[0]["message"]


def test_the_openapi_components_are_the_files_definitions_in_openapi_3_0():
    components = exchange.openapi_components()
    document_defs = exchange.schema("assessment-document")["$defs"]
    result_defs = exchange.schema("evaluation-result")["$defs"]
    assert set(components) == set(document_defs) | set(result_defs)
    text = json.dumps(components)
    # No 2020-12 spelling left that OpenAPI 3.0 would misread.
    assert "$defs" not in text and '"null"' not in text and "$schema" not in text
    assert components["RouteReason"]["properties"]["entry"]["nullable"] is True
    assert components["EvaluationResult"]["properties"]["tiers"] == {"$ref": "#/components/schemas/Tiers"}


def test_manage_py_assess_refuses_the_shape_the_api_refuses(framework_v1, tmp_path):
    """One exchange format: the command line and the API accept and refuse the same documents."""
    from django.core.management import call_command

    path = tmp_path / "misspelt.json"
    path.write_text(json.dumps(_break(lambda d: d["custodians"][1].update(apetite=d["custodians"][1].pop("appetite")))))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("assess", str(path), stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 2
    assert "custodians.1: " in err.getvalue() and "'apetite' was unexpected" in err.getvalue()
