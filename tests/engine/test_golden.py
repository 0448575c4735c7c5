"""Golden tests: the spec examples (fixtures/examples) and our own cases (tests/engine/cases)."""

import json

from assessments.engine import canonical_json, evaluate


def _check(res, exp):
    assert res["tiers"] == exp["tiers"]
    assert res["overall"] == exp["overall"]
    assert res["outcome"] == exp["outcome"]
    assert res["fired"] == exp["fired"]
    assert [(c["rule"], c["blocking"]) for c in res["conditions"]] == [
        (c["rule"], c["blocking"]) for c in exp["conditions"]
    ]
    for key in ("ignored_answers", "assumed_worst"):
        if key in exp:
            assert res[key] == exp[key]


def test_examples(fw, example):
    _name, doc, exp = example
    _check(evaluate(fw, doc), exp)


def test_cases(fw, case):
    _name, doc, exp = case
    _check(evaluate(fw, doc), exp)


def test_every_rule_fires_in_some_case(fw, all_cases):
    fired = set()
    for _name, doc, _exp in all_cases:
        fired.update(evaluate(fw, doc)["fired"])
    assert fired == {r.id for r in fw.rules}


def test_every_rule_is_silent_in_some_case(fw, all_cases):
    quiet = set()
    for _name, doc, _exp in all_cases:
        quiet.update({r.id for r in fw.rules} - set(evaluate(fw, doc)["fired"]))
    assert quiet == {r.id for r in fw.rules}


def test_result_keys_and_framework_block(fw, example):
    _name, doc, _exp = example
    res = evaluate(fw, doc)
    for key in (
        "framework",
        "answers_sha256",
        "tiers",
        "overall",
        "outcome",
        "fired",
        "conditions",
        "blocks",
        "refers",
        "assumed_worst",
        "explanation",
        "custodians",
        "fired_details",
        "ignored_answers",
    ):
        assert key in res
    assert res["framework"] == {"id": "five-safes", "version": "1", "sha256": fw.sha256}
    assert json.loads(canonical_json(res)) == res
    assert [c["name"] for c in res["custodians"]] == [c["name"] for c in doc["custodians"]]


def test_outcome_order(fw, doc_factory):
    # BLOCK and GAP! both present, plus T=4 and REFER: not_approvable comes first
    doc = doc_factory({"PR2": "none", "SE1": "open_download", "PE6": True}, [("A", {"DA5": True})])
    res = evaluate(fw, doc)
    assert res["overall"] == 4 and res["refers"] and res["blocks"]
    assert res["outcome"] == "not_approvable"
    # REFER beats GAP
    res = evaluate(fw, doc_factory({"PE6": True, "PE7": False}, [("A", {})]))
    assert res["outcome"] == "refer"
    assert any(not c["blocking"] for c in res["conditions"])
    # T = 4 alone refers, even with no REFER effect
    res = evaluate(
        fw, doc_factory({"SE1": "federated_code_only", "PR6": 12, "OU3": "two_person"}, [("A", {"DA5": True})])
    )
    assert res["overall"] == 4 and not res["refers"] and not res["conditions"]
    assert res["outcome"] == "refer"


def test_blocks_record_custodian(fw, doc_factory):
    res = evaluate(fw, doc_factory({}, [("A", {}), ("B", {"PR3": "unclear"})]))
    assert res["blocks"] == [
        {"rule": "R-PR-01", "custodian": "B", "text": "No lawful basis identified for this custodian's data"}
    ]
    assert [c["blocked"] for c in res["custodians"]] == [False, True]
    assert res["outcome"] == "not_approvable"


def test_assumed_worst_order(fw, doc_factory):
    doc = doc_factory(
        {"OU4": "unknown", "PE1": "unknown"}, [("A", {"DA3": "unknown"}), ("B", {"DA9": "unknown", "DA1": "unknown"})]
    )
    res = evaluate(fw, doc)
    assert res["assumed_worst"] == [
        {"custodian": None, "question": "PE1"},
        {"custodian": None, "question": "OU4"},
        {"custodian": "A", "question": "DA3"},
        {"custodian": "B", "question": "DA1"},
        {"custodian": "B", "question": "DA9"},
    ]


def test_unknown_da1_hides_da7(fw, doc_factory):
    res = evaluate(fw, doc_factory({}, [("A", {"DA1": "unknown", "DA7": 2})]))
    assert res["ignored_answers"] == [{"custodian": "A", "question": "DA7"}]
    assert "R-DA-09" not in res["fired"] and "R-DA-01" in res["fired"]


def test_shown_da7_counts(fw, doc_factory):
    res = evaluate(fw, doc_factory({}, [("A", {"DA7": 9})]))
    assert "R-DA-09" in res["fired"] and res["ignored_answers"] == []
    res = evaluate(fw, doc_factory({}, [("A", {"DA7": 10})]))
    assert "R-DA-09" not in res["fired"]


def test_union_needs_two_high_qi_across_custodians(fw, doc_factory):
    # R-C-02 with |∪DA6 ∩ HIGH_QI| ≥ 2 made of one quasi-identifier from each custodian
    doc = doc_factory(
        {"PR7": "cross_custodian_ttp"},
        [
            ("A", {"DA3": ["criminal"], "DA6": ["full_dob"]}),
            ("B", {"DA4": ["looked_after_or_safeguarding"], "DA6": ["full_postcode"]}),
        ],
    )
    res = evaluate(fw, doc)
    assert "R-C-02" in res["fired"] and res["tiers"]["data"] == 4
    # the same with one of them aggregate-only: U has one custodian, not linked
    doc["custodians"][1]["answers"]["DA1"] = "aggregate_only"
    res = evaluate(fw, doc)
    assert "R-C-02" not in res["fired"] and "R-C-01" not in res["fired"]


def test_answers_sha256_documented_definition(fw, example):
    import hashlib

    _name, doc, _exp = example
    payload = {
        "answers": doc["answers"],
        "custodians": [{"name": c["name"], "answers": c["answers"]} for c in doc["custodians"]],
    }
    expected = hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
    assert evaluate(fw, doc)["answers_sha256"] == expected
    doc2 = dict(doc, title="another title")
    assert evaluate(fw, doc2)["answers_sha256"] == expected
