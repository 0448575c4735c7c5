"""Evaluating with custodians' inline criteria and appetites, over the API and through `manage.py assess`
(custodian-criteria spec sections 3 and 5)."""

import copy
import json
from pathlib import Path

import pytest

from tests.api.test_api import api
from tests.test_framework_commands import assess

pytestmark = pytest.mark.django_db
EXAMPLES = Path("fixtures/examples/criteria")
NAMES = ["E2-DA8-1200000", "E2-DA8-10000"]


def _load(name):
    return json.loads((EXAMPLES / name).read_text())


def _assert_matches(result, expected):
    for key in ("tiers", "overall", "outcome", "fired", "routes", "criteria"):
        assert result[key] == expected[key], key
    assert [(c["rule"], c["blocking"], c.get("custodian")) for c in result["conditions"]] == [
        (c["rule"], c["blocking"], c.get("custodian")) for c in expected["conditions"]
    ]


@pytest.mark.parametrize("name", NAMES)
def test_evaluate_gives_the_worked_examples_routes(framework_v1, demo, name):
    response = api("outsider", read_only=True).post(
        "/api/v1/evaluate/", (EXAMPLES / f"{name}.json").read_text(), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    _assert_matches(response.json(), _load(f"{name}.expected.json"))


@pytest.mark.parametrize("name", NAMES)
def test_assess_gives_the_worked_examples_routes(framework_v1, name):
    code, out, err = assess(str(EXAMPLES / f"{name}.json"))
    assert (code, err) == (0, "")
    _assert_matches(json.loads(out), _load(f"{name}.expected.json"))


def test_the_api_and_assess_agree_byte_for_byte(framework_v1, demo):
    path = EXAMPLES / "E2-DA8-1200000.json"
    response = api("coordinator").post("/api/v1/evaluate/", path.read_text(), content_type="application/json")
    assert response.content.decode() == assess(str(path))[1].rstrip("\n")


def test_gp_01_is_attributed_to_gp_records_only_when_it_fires(framework_v1, demo):
    client = api("coordinator")
    high, low = (
        client.post("/api/v1/evaluate/", (EXAMPLES / f"{n}.json").read_text(), content_type="application/json").json()
        for n in NAMES
    )
    assert "GP-01" in high["fired"] and "GP-01" not in low["fired"]
    gp_01 = [f for f in high["fired_details"] if f["rule"] == "GP-01"]
    version = {key: high["criteria"][0][key] for key in ("id", "version", "sha256")}
    assert [(f["custodian"], f["criteria"]) for f in gp_01] == [("GP records", version)]
    assert high["routes"]["GP records"] == "decline" and low["routes"]["GP records"] == "panel"


def _bad_rule(rule_id, **change):
    """E2 with a second GP records criteria rule, changed as given."""
    document = _load("E2-DA8-10000.json")
    rules = document["custodians"][0]["criteria"]["rules"]
    rules.append({**copy.deepcopy(rules[0]), "id": rule_id, **change})
    return document


INVALID = {
    "phase 2": _bad_rule("GP-02", phase=2),
    "unknown question": _bad_rule("GP-03", when={"ge": ["DA99", 1]}),
    "lowering effect": _bad_rule("GP-04", effects=[{"lower": "data", "to": 1}]),
    "framework rule id": _bad_rule("R-DA-02"),
}
EXPECTED_WORDS = {
    "phase 2": ("GP-02", "phase 2"),
    "unknown question": ("GP-03", "DA99"),
    "lowering effect": ("GP-04", "stricter"),
    "framework rule id": ("R-DA-02", "framework"),
}


@pytest.mark.parametrize("kind", INVALID)
def test_invalid_inline_criteria_are_a_400_naming_custodian_and_rule(framework_v1, demo, kind):
    response = api("coordinator").post("/api/v1/evaluate/", json.dumps(INVALID[kind]), content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/document")
    rule, word = EXPECTED_WORDS[kind]
    named = [e for e in body["errors"] if e["custodian"] == "GP records" and f"rule {rule}" in e["message"]]
    assert named and word in named[0]["message"], body["errors"]


@pytest.mark.parametrize("kind", INVALID)
def test_assess_refuses_invalid_inline_criteria_with_exit_code_2_naming_the_rule(framework_v1, tmp_path, kind):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(INVALID[kind]))
    code, out, err = assess(str(path))
    assert (code, out) == (2, "")
    rule, word = EXPECTED_WORDS[kind]
    lines = [line for line in err.splitlines() if f"rule {rule}" in line]
    assert lines and 'custodian "GP records"' in lines[0] and word in lines[0], err


def test_an_invalid_inline_appetite_is_a_400_naming_the_custodian(framework_v1, demo, monkeypatch):
    document = _load("E2-DA8-10000.json")
    document["custodians"][1]["appetite"] = {
        "routes": [{"up_to": 1, "route": "panel"}, {"up_to": 2, "route": "automatic"}],
        "otherwise": "decline",
    }
    response = api("coordinator").post("/api/v1/evaluate/", json.dumps(document), content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(e["custodian"] == "Met and pollution grid" and "appetite" in e["message"] for e in errors), errors
    code, _, err = assess("-", stdin=json.dumps(document), monkeypatch=monkeypatch)
    assert code == 2 and 'custodian "Met and pollution grid"' in err
