"""Where custodians disagree: tiers under the framework alone and under each custodian's
criteria alone, with the criteria rules that made each difference."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import assessments.engine as engine
from assessments.engine import (
    DocumentInvalid,
    compile_criteria,
    evaluate,
    evaluate_by_criteria,
)

CRITERIA_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "examples" / "criteria"
SOURCE = [{"id": "POL-1", "title": "Our policy"}]


def rule(rid, phase, when, *effects):
    return {
        "id": rid,
        "phase": phase,
        "when": when,
        "effects": list(effects),
        "justification": "Our own criterion",
        "sources": SOURCE,
    }


def test_worked_example(fw):
    doc = json.loads((CRITERIA_DIR / "E2-DA8-1200000.json").read_text())
    out = evaluate_by_criteria(fw, doc)
    assert out["framework"] == {
        "tiers": {"people": 0, "projects": 0, "settings": 0, "data": 3, "outputs": 2},
        "overall": 3,
        "outcome": "approve",
    }
    (gp,) = out["custodians"]
    assert (gp["custodian"], gp["criteria"]["id"], gp["fired"]) == ("GP records", "gp-records", ["GP-01"])
    assert (gp["tiers"]["data"], gp["overall"], gp["outcome"]) == (4, 4, "refer")
    assert gp["differences"] == [
        {"safe": "data", "framework": 3, "criteria": 4, "rules": ["GP-01"], "via": []},
        {"safe": "overall", "framework": 3, "criteria": 4, "rules": ["GP-01"], "via": []},
    ]
    res = evaluate(fw, doc)
    assert out["combined"] == {"tiers": res["tiers"], "overall": res["overall"], "outcome": res["outcome"]}
    assert out["criteria_ignored"] == []


def test_each_custodian_alone_and_all_together(fw, doc_factory):
    doc = doc_factory({"PE2": "commercial"}, [("A", {"DA8": 5000}), ("B", {}), ("C", {})])
    doc["custodians"][0]["criteria"] = {
        "id": "a",
        "version": "1",
        "rules": [rule("A-1", 1, {"ge": ["DA8", 1000]}, {"raise": "data", "to": 3})],
    }
    doc["custodians"][1]["criteria"] = {
        "id": "b",
        "version": "1",
        "rules": [
            rule("B-1", 3, {"eq": ["OU4", False]}, {"raise": "outputs", "to": 2}),
            rule("B-2", 3, {"tier": {"safe": "data", "at_least": 4}}, "refer"),
        ],
    }
    out = evaluate_by_criteria(fw, doc)
    assert out["framework"]["tiers"] == {"people": 0, "projects": 0, "settings": 0, "data": 2, "outputs": 0}
    a, b = out["custodians"]
    # A's criterion raises data to 3, and the framework's R-PE-06 (commercial users of
    # DATA ≥ 3) then raises people: a difference A's criteria made through the framework
    assert [(d["safe"], d["framework"], d["criteria"], d["rules"], d["via"]) for d in a["differences"]] == [
        ("people", 0, 3, [], ["R-PE-06"]),
        ("data", 2, 3, ["A-1"], []),
        ("overall", 2, 3, ["A-1"], ["R-PE-06"]),
    ]
    assert [(d["safe"], d["rules"]) for d in b["differences"]] == [("outputs", ["B-1"])]
    assert b["fired"] == ["B-1"] and b["outcome"] == "approve"
    assert out["combined"]["tiers"] == {"people": 3, "projects": 0, "settings": 0, "data": 3, "outputs": 2}
    assert evaluate(fw, doc)["tiers"] == out["combined"]["tiers"]


def test_custodians_without_criteria_are_not_listed(fw, doc_factory):
    doc = doc_factory()
    out = evaluate_by_criteria(fw, doc)
    assert out["custodians"] == [] and out["combined"] == out["framework"]


def test_keyword_criteria_and_ignored_ones(fw, doc_factory):
    doc = doc_factory({}, [("A", {}), ("B", {})])
    crit = compile_criteria(
        fw, {"id": "a", "version": "1", "rules": [rule("A-1", 3, {"eq": ["PR4", True]}, {"gap": True})]}
    )
    doc["custodians"][1]["criteria"] = {"id": "b", "version": "1", "rules": [], "framework": "five-safes@9"}
    out = evaluate_by_criteria(fw, copy.deepcopy(doc), criteria={"A": crit})
    (a,) = out["custodians"]
    assert a["custodian"] == "A" and a["differences"] == []
    assert (a["fired"], a["outcome"]) == (["A-1"], "approve_with_conditions")
    assert [i["custodian"] for i in out["criteria_ignored"]] == ["B"]


def test_invalid_documents_raise(fw, doc_factory):
    doc = doc_factory()
    doc["custodians"][0]["criteria"] = {
        "id": "x",
        "version": "1",
        "rules": [rule("X", 2, {"eq": ["PR4", True]}, "refer")],
    }
    with pytest.raises(DocumentInvalid) as info:
        evaluate_by_criteria(fw, doc)
    assert str(info.value.problems[0]).startswith('custodian "Custodian A": criteria: rule X: phase 2 is not allowed')


def test_the_public_api_lists_the_additions():
    for name in (
        "Criteria",
        "CriteriaInvalid",
        "DefinitionProblem",
        "compile_criteria",
        "criteria_problems",
        "cached_criteria",
        "Appetite",
        "AppetiteInvalid",
        "RouteDecision",
        "ROUTES",
        "DEFAULT_APPETITE",
        "compile_appetite",
        "appetite_problems",
        "cached_appetite",
        "route_for",
        "route_rank",
        "describe_appetite",
        "evaluate_by_criteria",
    ):
        assert name in engine.__all__ and hasattr(engine, name)
