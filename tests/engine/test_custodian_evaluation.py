"""Evaluating with custodians' criteria and appetites (custodian-criteria spec sections 1–3
and 5): the worked example, attribution, the phase-3 fixpoint, keyword-passed compiled
objects, ignored criteria and invalid documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from assessments.engine import DocumentInvalid, canonical_json, evaluate, validate_document
from assessments.engine.appetite import compile_appetite
from assessments.engine.criteria import compile_criteria

CRITERIA_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "examples" / "criteria"
EXAMPLES = ["E2-DA8-1200000", "E2-DA8-10000"]
ADDED_KEYS = ("routes", "route_reasons", "criteria", "criteria_ignored")
SOURCE = [{"id": "POL-1", "title": "Our policy"}]


def load(name):
    return json.loads((CRITERIA_DIR / name).read_text(encoding="utf-8"))


def rule(rid, phase, when, *effects, justification="Our own criterion"):
    return {
        "id": rid,
        "phase": phase,
        "when": when,
        "effects": list(effects),
        "justification": justification,
        "sources": SOURCE,
    }


def criteria(*rules, cid="ours", version="1", **extra):
    return {"id": cid, "version": version, "rules": list(rules), **extra}


def with_additions(doc, **by_name):
    """A copy of doc whose named custodians carry the given criteria/appetite."""
    doc = copy.deepcopy(doc)
    for c in doc["custodians"]:
        c.update(by_name.get(c["name"], {}))
    return doc


# ---------------------------------------------------------------------- the worked example


@pytest.mark.parametrize("name", EXAMPLES)
def test_worked_example(fw, name):
    doc, exp = load(f"{name}.json"), load(f"{name}.expected.json")
    res = evaluate(fw, doc)
    for key in ("tiers", "overall", "outcome", "fired", "conditions", "routes", "criteria", "criteria_ignored"):
        assert res[key] == exp[key], key
    assert [
        {"rule": d["rule"], "custodian": d["custodian"], "criteria": d["criteria"]}
        for d in res["fired_details"]
        if "criteria" in d
    ] == exp["criteria_firings"]
    assert {n: r["step"] for n, r in res["route_reasons"].items()} == exp["route_steps"]
    assert validate_document(fw, doc) == []


def test_worked_example_as_the_spec_states_it(fw):
    high = evaluate(fw, load("E2-DA8-1200000.json"))
    assert (high["tiers"]["data"], high["overall"], high["outcome"]) == (4, 4, "refer")
    assert high["routes"] == {
        "GP records": "decline",
        "Met and pollution grid": "panel",
        "Census and education": "panel",
    }
    assert "GP-01" in high["fired"]
    low = evaluate(fw, load("E2-DA8-10000.json"))
    assert "GP-01" not in low["fired"]
    assert (low["tiers"]["data"], low["tiers"]["outputs"], low["outcome"]) == (3, 2, "approve")
    assert low["routes"] == {
        "GP records": "panel",
        "Met and pollution grid": "automatic",
        "Census and education": "panel",
    }


def test_worked_example_attributes_gp01_everywhere(fw):
    res = evaluate(fw, load("E2-DA8-1200000.json"))
    gp = compile_criteria(fw, (CRITERIA_DIR / "gp-records.criteria.yaml").read_text())
    ref = {"id": "gp-records", "version": "1", "sha256": gp.sha256}
    assert res["criteria"] == [{"custodian": "GP records", **ref}]
    (detail,) = [d for d in res["fired_details"] if d["rule"] == "GP-01"]
    assert detail == {
        "rule": "GP-01",
        "custodian": "GP records",
        "phase": 1,
        "justification": gp.rules[0].justification,
        "sources": ["GP-DAP-3"],
        "sentence": "Number of individuals is at least 1000000",
        "criteria": ref,
        "source_details": [gp.sources["GP-DAP-3"]],
    }
    data = res["explanation"]["data"]
    assert (data["tier"], data["decisive"], data["set_by"]) == (4, ["GP-01"], ["GP records"])
    (entry,) = data["rules"]
    assert (entry["id"], entry["custodian"], entry["criteria"]) == ("GP-01", "GP records", ref)
    assert data["lower_by"] == [
        {"custodian": "GP records", "question": "DA8", "label": "Number of individuals", "answer": 1200000}
    ]
    gp_alone = res["custodians"][0]
    assert gp_alone["tiers"]["data"] == 4 and "GP-01" in gp_alone["fired"]
    assert all("GP-01" not in c["fired"] for c in res["custodians"][1:])


def test_worked_example_route_reasons(fw):
    reasons = evaluate(fw, load("E2-DA8-1200000.json"))["route_reasons"]
    assert reasons["GP records"]["text"] == (
        "Overall tier 4 (Very high) is above tier 3: it declines (this custodian's appetite above tier 3)."
    )
    assert reasons["Census and education"]["appetite"]["default"] is True
    assert reasons["Met and pollution grid"]["appetite"]["default"] is False


def test_the_yaml_criteria_are_the_documents(fw):
    import yaml

    data = yaml.safe_load((CRITERIA_DIR / "gp-records.criteria.yaml").read_text())
    for name in EXAMPLES:
        assert load(f"{name}.json")["custodians"][0]["criteria"] == data


# ---------------------------------------------------------------------- output shape


def test_without_criteria_or_appetite_nothing_is_added(fw):
    res = evaluate(fw, json.loads((CRITERIA_DIR.parent / "E2.json").read_text()))
    assert not set(ADDED_KEYS) & set(res)
    assert all("criteria" not in d for d in res["fired_details"])


def test_an_appetite_alone_adds_routes_for_every_custodian(fw, doc_factory):
    doc = with_additions(
        doc_factory({}, [("A", {}), ("B", {})]),
        A={"appetite": {"routes": [{"up_to": 2, "route": "automatic"}], "otherwise": "panel"}},
    )
    res = evaluate(fw, doc)
    assert res["routes"] == {"A": "automatic", "B": "panel"}
    assert res["criteria"] == [] and res["criteria_ignored"] == []
    assert json.loads(canonical_json(res)) == res


def test_keyword_compiled_objects_equal_inline_ones(fw):
    doc = load("E2-DA8-1200000.json")
    plain = copy.deepcopy(doc)
    for c in plain["custodians"]:
        c.pop("criteria", None)
        c.pop("appetite", None)
    crit = {"GP records": compile_criteria(fw, doc["custodians"][0]["criteria"])}
    apps = {c["name"]: compile_appetite(fw, c["appetite"]) for c in doc["custodians"] if "appetite" in c}
    kw = evaluate(fw, plain, criteria=crit, appetites=apps)
    assert canonical_json(kw) == canonical_json(evaluate(fw, doc))


def test_keyword_objects_are_used_instead_of_the_documents(fw):
    doc = load("E2-DA8-1200000.json")
    empty = compile_criteria(fw, criteria(cid="gp-records", version="2"))
    res = evaluate(fw, doc, criteria={"GP records": empty})
    assert "GP-01" not in res["fired"] and res["tiers"]["data"] == 3
    assert res["criteria"] == [{"custodian": "GP records", **empty.ref}]


def test_keyword_objects_for_an_unknown_custodian_are_refused(fw, doc_factory):
    crit = compile_criteria(fw, criteria())
    with pytest.raises(DocumentInvalid) as info:
        evaluate(fw, doc_factory(), criteria={"Nobody": crit})
    assert [str(p) for p in info.value.problems] == [
        'custodian "Nobody": criteria given for a custodian that is not in the document'
    ]
    app = compile_appetite(fw, {"routes": [], "otherwise": "panel"})
    with pytest.raises(DocumentInvalid):
        evaluate(fw, doc_factory(), appetites={"Nobody": app})


# ---------------------------------------------------------------------- criteria at work


def test_phase1_criteria_run_only_for_their_custodian(fw, doc_factory):
    c = criteria(rule("BIG", 1, {"ge": ["DA8", 50000]}, {"raise": "data", "to": 4}))
    doc = with_additions(doc_factory({}, [("A", {"DA8": 100}), ("B", {"DA8": 90000})]), A={"criteria": c})
    res = evaluate(fw, doc)
    # B has 90,000 people but it is A's criterion, and A has 100
    assert "BIG" not in res["fired"] and res["tiers"]["data"] == 2
    doc["custodians"][0]["answers"]["DA8"] = 60000
    res = evaluate(fw, doc)
    assert res["tiers"]["data"] == 4 and [c["tiers"]["data"] for c in res["custodians"]] == [4, 2]
    assert res["explanation"]["data"]["set_by"] == ["A"]


def test_phase3_criteria_share_the_fixpoint_with_the_framework(fw, doc_factory):
    # A's phase-3 criterion raises data to 3 (a project longer than 12 months); then the framework's R-PE-06 (commercial users,
    # DATA ≥ 3) raises people to 3, which A's second criterion reads; R-PR-07 (PR5 false,
    # T ≥ 3) holds in the final state.
    c = criteria(
        rule("LONG", 3, {"gt": ["PR6", 12]}, {"raise": "data", "to": 3}),
        rule(
            "PEOPLE",
            3,
            {"tier": {"safe": "people", "at_least": 3}},
            {"gap": "blocking"},
            justification="We need named researchers at people tier 3",
        ),
    )
    base = doc_factory({"PR5": False, "PE2": "commercial"}, [("A", {}), ("B", {})])
    without = evaluate(fw, base)
    assert (without["tiers"]["data"], without["tiers"]["people"]) == (2, 0)
    assert not {"R-PE-06", "R-PR-07"} & set(without["fired"])
    res = evaluate(fw, with_additions(base, A={"criteria": c}))
    assert (res["tiers"]["data"], res["tiers"]["people"]) == (3, 3)
    assert {"LONG", "PEOPLE", "R-PE-06", "R-PR-07"} <= set(res["fired"])
    ref = {k: res["criteria"][0][k] for k in ("id", "version", "sha256")}
    assert [x for x in res["conditions"] if x["rule"] in ("PEOPLE", "R-PR-07")] == [
        {
            "rule": "PEOPLE",
            "text": "We need named researchers at people tier 3",
            "blocking": True,
            "custodian": "A",
            "criteria": ref,
        },
        {"rule": "R-PR-07", "text": "List the project on a public register", "blocking": False},
    ]
    assert res["outcome"] == "not_approvable"
    assert res["routes"] == {"A": "decline", "B": "decline"}
    assert {n: r["step"] for n, r in res["route_reasons"].items()} == {"A": 1, "B": 1}
    long = next(d for d in res["fired_details"] if d["rule"] == "LONG")
    assert (long["custodian"], long["phase"], long["criteria"]) == ("A", 3, ref)
    data = res["explanation"]["data"]
    assert data["decisive"] == ["LONG"] and data["rules"][0]["custodian"] == "A"
    assert [(x["custodian"], x["question"], x["answer"]) for x in data["lower_by"]] == [(None, "PR6", 24)]
    assert res["explanation"]["people"]["decisive"] == ["R-PE-06"]
    assert res["explanation"]["people"]["depends_on_tiers"] == ["data"]


def test_block_and_refer_criteria_are_attributed(fw, doc_factory):
    c = criteria(
        rule("NO-ABROAD", 3, {"eq": ["SE5", "uk"]}, "refer"),
        rule("NO-GENOMES", 1, {"eq": ["DA1", "pseudonymised"]}, "block"),
    )
    res = evaluate(fw, with_additions(doc_factory({}, [("A", {}), ("B", {})]), B={"criteria": c}))
    ref = {k: res["criteria"][0][k] for k in ("id", "version", "sha256")}
    assert res["refers"] == [{"rule": "NO-ABROAD", "text": "Our own criterion", "custodian": "B", "criteria": ref}]
    assert res["blocks"] == [{"rule": "NO-GENOMES", "text": "Our own criterion", "custodian": "B", "criteria": ref}]
    assert [c["blocked"] for c in res["custodians"]] == [False, True]
    assert res["outcome"] == "not_approvable"


def test_two_custodians_may_use_the_same_rule_id(fw, doc_factory):
    same = rule("C-01", 3, {"eq": ["PR4", True]}, {"gap": True})
    doc = with_additions(
        doc_factory({}, [("A", {}), ("B", {})]),
        A={"criteria": criteria(same, cid="a")},
        B={"criteria": criteria(same, cid="b")},
    )
    res = evaluate(fw, doc)
    assert res["fired"].count("C-01") == 1
    assert [(x["rule"], x["custodian"], x["criteria"]["id"]) for x in res["conditions"]] == [
        ("C-01", "A", "a"),
        ("C-01", "B", "b"),
    ]
    assert [d["custodian"] for d in res["fired_details"] if d["rule"] == "C-01"] == ["A", "B"]


def test_criteria_for_another_framework_version_are_ignored_and_said_so(fw, doc_factory):
    c = criteria(rule("BIG", 1, {"ge": ["DA8", 0]}, {"raise": "data", "to": 4}), framework="five-safes@2")
    res = evaluate(fw, with_additions(doc_factory(), **{"Custodian A": {"criteria": c}}))
    assert "BIG" not in res["fired"] and res["criteria"] == []
    (ignored,) = res["criteria_ignored"]
    assert ignored["custodian"] == "Custodian A" and ignored["framework"] == "five-safes@2"
    assert (ignored["id"], ignored["version"]) == ("ours", "1")
    assert ignored["reason"] == ("these criteria are for five-safes@2; this assessment is under five-safes@1")
    assert res["routes"] == {"Custodian A": "panel"}
    # compiled for this version, used under another: ignored too
    compiled = compile_criteria(fw, criteria(rule("BIG", 1, {"ge": ["DA8", 0]}, {"raise": "data", "to": 4})))
    compiled.framework_version = "0"
    res = evaluate(fw, doc_factory(), criteria={"Custodian A": compiled})
    assert res["criteria_ignored"][0]["framework"] == "five-safes@0"
    assert res["tiers"]["data"] == 2


# ---------------------------------------------------------------------- invalid documents


def test_invalid_inline_criteria_and_appetite_name_custodian_and_rule(fw, doc_factory):
    bad = criteria(rule("R-DA-01", 2, {"eq": ["DA99", 1]}, "lower"))
    doc = with_additions(
        doc_factory({}, [("A", {}), ("B", {})]),
        A={"criteria": bad},
        B={"appetite": {"routes": [{"up_to": 3, "route": "soon"}], "otherwise": "panel"}, "criteria": "GP-01"},
    )
    expected = [
        'custodian "A": criteria: rule R-DA-01: id "R-DA-01" is the id of a framework rule; '
        "criteria rule ids must differ from the framework's",
        'custodian "A": criteria: rule R-DA-01: phase 2 is not allowed in criteria (it '
        "combines custodians); use phase 1 for this custodian's data or phase 3 for the project",
        'custodian "A": criteria: rule R-DA-01: effect "lower" could lower a tier or cancel a '
        "framework rule; criteria can only make an assessment stricter: {raise: SAFE, to: N}, "
        "{gap: true}, {gap: blocking}, refer or block",
        'custodian "B": criteria: must be an object {"id", "version", "rules"}, got "GP-01"',
        'custodian "B": appetite: routes #1: unknown route "soon" (routes: automatic, '
        "custodian_review, panel, decline)",
    ]
    assert [str(p) for p in validate_document(fw, doc)] == expected
    assert {p.custodian for p in validate_document(fw, doc)} == {"A", "B"}
    with pytest.raises(DocumentInvalid) as info:
        evaluate(fw, doc)
    assert [str(p) for p in info.value.problems] == expected


def test_answer_problems_and_criteria_problems_together(fw, doc_factory):
    doc = with_additions(doc_factory({}, [("A", {"DA1": "secret"})]), A={"appetite": {"routes": []}})
    texts = [str(p) for p in validate_document(fw, doc)]
    assert len(texts) == 2 and texts[1] == 'custodian "A": appetite: missing "otherwise"'
    assert texts[0].startswith('custodian "A": DA1: "secret" is not an option')
