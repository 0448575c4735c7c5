"""Sentences, explanations (decisive rules, set_by, lower_by) and render_condition."""

from __future__ import annotations

import json

from assessments.engine import evaluate, render_condition


def load(path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return json.loads((root / "fixtures" / "examples" / path).read_text(encoding="utf-8"))


def test_rule_sentences(fw):
    s = {r.id: r.sentence for r in fw.rules}
    assert s["R-DA-02"] == (
        "Identifiability is pseudonymised and Special categories include at least one option other than none"
    )
    assert s["R-DA-08"].startswith(
        "at least 2 of Quasi-identifiers are in high-risk quasi-identifiers (full date of birth, full postcode"
    )
    assert not any("HIGH_QI" in sentence or "STIGMA" in sentence for sentence in s.values())
    assert s["R-DA-08"].endswith("and Identifiability is not aggregate only")
    assert s["R-PE-04"].endswith("and the overall tier is at least 2")
    assert s["R-PR-02"] == "Ethics approval is none and the data tier is at least 2"
    assert s["R-SE-02"] == "Processing location is elsewhere or Access from outside the UK: planned"
    assert s["R-C-01"] == "records are linked across custodians"
    assert s["R-C-03"].endswith("there are at least 2 custodians")
    assert "for at least one custodian, Identifiability is pseudonymised or identifiable" in s["R-PR-06"]
    assert "(combined over custodians that supply record-level data)" in s["R-C-02"]
    assert s["R-SE-06"].startswith("Access mode is neither code-only federation nor a physical safe room")
    for r in fw.rules:
        assert r.sentence and "{" not in r.sentence and "None" not in r.sentence


def test_render_condition_public(fw):
    assert render_condition(fw, {"tier": {"safe": "data", "at_least": 2}}) == "the data tier is at least 2"
    assert render_condition(
        fw, {"any": [{"eq": ["PE5", True]}, {"all": [{"lt": ["PR6", 6]}, {"not": {"eq": ["OU4", True]}}]}]}
    ) == (
        "Access from outside the UK: planned or (Duration in months is less than 6 and it is "
        "not the case that Small-area or rare-outcome outputs: expected)"
    )
    assert (
        render_condition(fw, {"count_custodians": {"at_least": 2, "where": "record_level"}})
        == "there are at least 2 custodians that supply record-level data"
    )


def test_e1_data_explanation(fw):
    res = evaluate(fw, load("E1.json"))
    data = res["explanation"]["data"]
    assert data["tier"] == 3
    assert data["decisive"] == ["R-DA-02", "R-DA-07", "R-DA-08"]
    assert data["set_by"] == ["Cambridge BRC", "Genomics England"]
    assert [(x["custodian"], x["question"]) for x in data["lower_by"]] == [
        ("Cambridge BRC", "DA1"),
        ("Cambridge BRC", "DA3"),
        ("Cambridge BRC", "DA6"),
        ("Genomics England", "DA1"),
        ("Genomics England", "DA3"),
        ("Genomics England", "DA6"),
    ]
    assert data["lower_by"][0]["label"] == "Identifiability"
    assert data["lower_by"][0]["answer"] == "pseudonymised"
    assert {(r["id"], r["custodian"]) for r in data["rules"]} == {
        (rid, c) for rid in data["decisive"] for c in ("Cambridge BRC", "Genomics England")
    }
    r0 = data["rules"][0]
    assert r0["justification"] and r0["sources"] and r0["sentence"]
    # outputs came from a phase-2 rule: no custodian set it
    out = res["explanation"]["outputs"]
    assert out == {**out, "tier": 2, "decisive": ["R-C-03"], "set_by": []}
    assert [(x["custodian"], x["question"]) for x in out["lower_by"]] == [(None, "PR7")]
    assert res["explanation"]["people"]["decisive"] == []
    assert res["explanation"]["people"]["lower_by"] == []


def test_e2_linked_explanation(fw):
    res = evaluate(fw, load("E2.json"))
    data = res["explanation"]["data"]
    assert data["decisive"] == ["R-C-01", "R-DA-02"]
    assert data["set_by"] == ["GP records"]
    pairs = [(x["custodian"], x["question"]) for x in data["lower_by"]]
    assert (None, "PR7") in pairs and ("GP records", "DA3") in pairs
    # R-C-01 reads every custodian's DA1, but aggregate-only data is already the least risky
    # answer, so changing it could not lower the tier: it is not offered.
    assert ("Met and pollution grid", "DA1") not in pairs
    assert pairs[0] == (None, "PR7")


def test_tier_dependencies_and_project_only_tiers(fw, doc_factory):
    res = evaluate(
        fw, doc_factory({"PR1": "commercial_rd", "PR8": True}, [("Stats", {"DA1": "aggregate_only", "DA9": "trivial"})])
    )
    proj = res["explanation"]["projects"]
    assert proj["decisive"] == ["R-PR-04"] and proj["set_by"] == []
    assert proj["depends_on_tiers"] == ["data"]
    assert [(x["custodian"], x["question"]) for x in proj["lower_by"]] == [(None, "PR1")]
    data = res["explanation"]["data"]
    assert data["decisive"] == ["R-PR-05"] and data["set_by"] == []


def test_custodian_records_and_fired_details(fw):
    res = evaluate(fw, load("E2.json"))
    by_name = {c["name"]: c for c in res["custodians"]}
    assert by_name["GP records"]["tiers"]["data"] == 3
    assert by_name["Met and pollution grid"]["tiers"]["data"] == 0
    assert by_name["Met and pollution grid"]["fired"] == []
    assert by_name["Census and education"]["fired"] == ["R-DA-03", "R-DA-12"]
    det = [(d["rule"], d["custodian"], d["phase"]) for d in res["fired_details"]]
    assert ("R-C-01", None, 2) in det and ("R-DA-02", "GP records", 1) in det
    assert ("R-OU-04", None, 3) in det


def test_set_by_names_the_strictest_custodians_even_when_a_later_rule_raises_the_tier(fw):
    doc = load("E2.json")
    doc["custodians"][0]["answers"]["DA3"] = ["none"]  # GP records: pseudonymised, no special category
    res = evaluate(fw, doc)
    data = res["explanation"]["data"]
    assert [c["tiers"]["data"] for c in res["custodians"]] == [2, 0, 2]
    assert data["tier"] == 3 and data["decisive"] == ["R-C-01"]  # linkage raised it past phase 1
    assert data["set_by"] == ["GP records", "Census and education"]
