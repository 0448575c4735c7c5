"""Golden tests for five-safes@2: the worked examples (fixtures/examples/v2), our own cases
(tests/engine/cases_v2), and the relation spec five-safes-v2 states between v1 and v2.

The v2 expected files are not the only check: the examples are also compared with v1's
expected files (fixtures/examples/*.expected.json), and the rules v2 adds or changes are
checked against their formulas in the spec over every combination of the answers they read.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path

import pytest

from assessments.engine import evaluate, fill_unanswered, load_framework_dir, unanswered, validate_document
from tests.engine.conftest import load_cases, make_doc
from tests.engine.test_golden import _check

ROOT = Path(__file__).resolve().parents[2]
FW1 = load_framework_dir(ROOT / "fixtures" / "frameworks" / "five-safes" / "v1")
FW2 = load_framework_dir(ROOT / "fixtures" / "frameworks" / "five-safes" / "v2")
V1_EXAMPLES = ROOT / "fixtures" / "examples"
V2_EXAMPLES = V1_EXAMPLES / "v2"
CASES_V2 = Path(__file__).resolve().parent / "cases_v2"

# The examples the spec says keep v1's results under v2.
UNCHANGED = ["E1", "E2", "E4", "E4b"]
# The ICO's default intruder: what a v2 case's custodian answers to DA10 unless it says otherwise.
DEFAULT_DA10 = "motivated"


def read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def make_doc_v2(project=None, custodians=None, title="test"):
    """conftest's baseline document with DA10 answered (a None override removes it)."""
    custodians = custodians if custodians is not None else [("Custodian A", {})]
    return make_doc(project, [(name, {"DA10": DEFAULT_DA10, **over}) for name, over in custodians], title)


def load_examples_v2():
    return [
        (p.stem, read(p), read(p.with_name(p.stem + ".expected.json")))
        for p in sorted(V2_EXAMPLES.glob("*.json"))
        if not p.name.endswith(".expected.json")
    ]


def load_cases_v2():
    out = []
    for p in sorted(CASES_V2.glob("*.json")):
        data = read(p)
        custodians = [(c["name"], c.get("answers", {})) for c in data["custodians"]]
        out.append((p.stem, make_doc_v2(data.get("project"), custodians, data["title"]), data["expected"]))
    return out


def v1_cases_with_da10():
    """v1's own cases, each custodian answering DA10 as the ICO's default intruder: documents
    for the rule coverage tests (their v1 expectations do not hold under v2)."""
    out = []
    for name, doc, _exp in load_cases():
        doc = copy.deepcopy(doc)
        for c in doc["custodians"]:
            c["answers"].setdefault("DA10", DEFAULT_DA10)
        out.append((name, doc))
    return out


EXAMPLES_V2 = load_examples_v2()
CASES = load_cases_v2()


def example_v2(name):
    return next((doc, exp) for n, doc, exp in EXAMPLES_V2 if n == name)


def test_the_examples_are_there():
    assert sorted(n for n, _d, _e in EXAMPLES_V2) == sorted([*UNCHANGED, "E4-sophisticated"])


@pytest.mark.parametrize("name, doc, exp", EXAMPLES_V2, ids=[e[0] for e in EXAMPLES_V2])
def test_examples_v2(name, doc, exp):
    assert validate_document(FW2, doc) == []
    res = evaluate(FW2, doc)
    _check(res, exp)
    assert res["framework"] == {"id": "five-safes", "version": "2", "sha256": FW2.sha256}


@pytest.mark.parametrize("name, doc, exp", CASES, ids=[c[0] for c in CASES])
def test_cases_v2(name, doc, exp):
    _check(evaluate(FW2, doc), exp)


@pytest.mark.parametrize("name", UNCHANGED)
def test_examples_are_v1_documents_plus_da10(name):
    v1 = read(V1_EXAMPLES / f"{name}.json")
    v2, _exp = example_v2(name)
    assert v2["answers"] == v1["answers"]
    assert [c["name"] for c in v2["custodians"]] == [c["name"] for c in v1["custodians"]]
    for c1, c2 in zip(v1["custodians"], v2["custodians"], strict=True):
        rest = dict(c2["answers"])
        assert rest.pop("DA10") in FW2.question("DA10").option_values
        assert rest == c1["answers"]


def _expected_from_v1(name, doc):
    """What spec v2 says E1, E2, E4 and E4b give: v1's expected tiers, overall, outcome and
    conditions, and v1's fired list plus R-DA-13 when some custodian's DA9 is trivial."""
    v1 = read(V1_EXAMPLES / f"{name}.expected.json")
    trivial = any(c["answers"]["DA9"] == "trivial" for c in doc["custodians"])
    return {**v1, "fired": sorted(set(v1["fired"]) | ({"R-DA-13"} if trivial else set()))}


@pytest.mark.parametrize("name", UNCHANGED)
def test_unchanged_examples_keep_v1_results(name):
    doc, exp = example_v2(name)
    derived = _expected_from_v1(name, doc)
    # the expected file says what the spec says, and so does the engine
    assert {k: exp[k] for k in derived} == derived
    res = evaluate(FW2, doc)
    _check(res, derived)
    # R-DA-13 fires for exactly the custodians whose DA9 is trivial
    for c, rc in zip(doc["custodians"], res["custodians"], strict=True):
        assert ("R-DA-13" in rc["fired"]) == (c["answers"]["DA9"] == "trivial"), c["name"]


def test_the_r_da_13_relation_is_not_vacuous():
    gains = [n for n in UNCHANGED if "R-DA-13" in example_v2(n)[1]["fired"]]
    assert gains == ["E2"]


@pytest.mark.parametrize("name", UNCHANGED)
def test_da10_does_not_change_the_unchanged_examples(name):
    """No custodian there has DA2 weak or DA9 high, so R-DA-14 cannot fire and any DA10
    answer (the README's choices included) gives the same result."""
    doc, exp = example_v2(name)
    for i, value in itertools.product(range(len(doc["custodians"])), FW2.question("DA10").option_values):
        other = copy.deepcopy(doc)
        other["custodians"][i]["answers"]["DA10"] = value
        _check(evaluate(FW2, other), exp)


def test_a_sophisticated_custodian_among_the_unchanged_examples():
    answers = [c["answers"]["DA10"] for n in UNCHANGED for c in example_v2(n)[0]["custodians"]]
    assert "sophisticated" in answers and "motivated" in answers


@pytest.mark.parametrize("name", UNCHANGED)
def test_v1_document_filled_either_way_gives_the_v2_result(name):
    """A v1 document lacks only DA10 under v2, and here neither end of DA10's scale changes
    the result: what the upgrade's before/after view shows before anyone answers."""
    v1 = read(V1_EXAMPLES / f"{name}.json")
    assert [(u.custodian, u.question) for u in unanswered(FW2, v1)] == [(c["name"], "DA10") for c in v1["custodians"]]
    assert {(p.custodian, p.question) for p in validate_document(FW2, v1)} == {
        (c["name"], "DA10") for c in v1["custodians"]
    }
    _doc, exp = example_v2(name)
    for bound, value in (("lowest", "opportunistic"), ("worst", "sophisticated")):
        filled, missing = fill_unanswered(FW2, v1, bound)
        assert len(missing) == len(v1["custodians"])
        assert {c["answers"]["DA10"] for c in filled["custodians"]} == {value}
        _check(evaluate(FW2, filled), exp)
    assert "DA10" not in v1["custodians"][0]["answers"]  # the original is left alone


def test_spec_public_example_e4_sophisticated():
    """Spec v2's worked example: E4 with the Survey archive answering DA10 sophisticated and
    DA9 high gives data 4 through R-DA-11 and R-DA-14, and the licensed download becomes a
    blocking gap."""
    doc, _exp = example_v2("E4-sophisticated")
    e4, _ = example_v2("E4")
    assert e4["custodians"][0]["answers"]["DA10"] == "opportunistic"  # the spec's "unchanged" E4
    base = copy.deepcopy(doc)
    base["custodians"][0]["answers"].update(DA9="low", DA10="opportunistic")
    assert base["answers"] == e4["answers"] and base["custodians"] == e4["custodians"]
    res = evaluate(FW2, doc)
    assert res["tiers"] == {"people": 0, "projects": 0, "settings": 0, "data": 4, "outputs": 0}
    assert res["overall"] == 4 and res["outcome"] == "not_approvable"
    assert {"R-DA-11", "R-DA-14"} <= set(res["fired"])
    assert res["explanation"]["data"]["decisive"] == ["R-DA-14"]
    assert [(c["rule"], c["blocking"]) for c in res["conditions"]] == [
        ("R-OU-08", False),
        ("R-PE-01", False),
        ("R-PR-08", False),
        ("R-SE-01", True),
        ("R-SE-06", False),
    ]
    # under v1 (which has no DA10) the same survey with DA9 high stops at 3
    v1_doc = copy.deepcopy(doc)
    del v1_doc["custodians"][0]["answers"]["DA10"]
    assert evaluate(FW1, v1_doc)["tiers"]["data"] == 3


def test_change_3_same_facts_same_tier():
    """Spec v2, change 3: special-category record-level data without absolute confidence is
    tier 3 whether recorded as pseudonymised or as anonymised records (v1: 3 and 2)."""
    for da1 in ("pseudonymised", "anonymised_record"):
        over = {"DA1": da1, "DA3": ["health"]}
        assert evaluate(FW2, make_doc_v2({}, [("A", over)]))["tiers"]["data"] == 3
        assert evaluate(FW1, make_doc({}, [("A", over)]))["tiers"]["data"] == (3 if da1 == "pseudonymised" else 2)


def _spec_v2_phase1(a):
    """The floors and gaps spec v2 gives one custodian's answers, for the rules that read DA1,
    DA2, DA3, DA9 and DA10 alone (the answers not varied here fire no other phase-1 rule)."""
    da1, da2, special, da9, da10 = a["DA1"], a["DA2"], a["DA3"] != ["none"], a["DA9"], a["DA10"]
    record = da1 in ("pseudonymised", "anonymised_record")
    floors = {
        "R-DA-01": (da1 == "identifiable", 3),
        "R-DA-02": (record and special and not (da1 == "anonymised_record" and da2 == "absolute"), 3),
        "R-DA-03": (da1 == "pseudonymised", 2),
        "R-DA-04": (da1 == "anonymised_record" and da2 != "absolute", 2),
        "R-DA-05": (da2 == "weak", 3),
        "R-DA-11": (da9 == "high", 3),
        "R-DA-12": (da9 == "low", 2),
        "R-DA-13": (da9 == "trivial", 1),
        "R-DA-14": (da10 == "sophisticated" and (da2 == "weak" or da9 == "high"), 4),
    }
    fired = {r for r, (when, _to) in floors.items() if when}
    gaps = {"R-DA-15"} if da1 == "pseudonymised" and da2 == "absolute" else set()
    return fired | gaps, max([to for when, to in floors.values() if when], default=0)


def test_phase1_rules_match_the_spec_formulas():
    q = FW2.question
    oracle_rules = {"R-DA-01", "R-DA-02", "R-DA-03", "R-DA-04", "R-DA-05"} | {f"R-DA-1{i}" for i in range(1, 6)}
    seen = set()
    for da1, da2, da3, da9, da10 in itertools.product(
        q("DA1").option_values,
        q("DA2").option_values,
        (["none"], ["health"]),
        q("DA9").option_values,
        q("DA10").option_values,
    ):
        answers = {"DA1": da1, "DA2": da2, "DA3": da3, "DA9": da9, "DA10": da10}
        res = evaluate(FW2, make_doc_v2({}, [("A", answers)]))
        fired, data = _spec_v2_phase1(answers)
        assert set(res["fired"]) & oracle_rules == fired, answers
        assert res["custodians"][0]["tiers"]["data"] == data, answers
        gap = {"rule": "R-DA-15", "text": FW2.rule("R-DA-15").justification, "blocking": False}
        assert (gap in res["conditions"]) == ("R-DA-15" in fired), answers
        seen |= fired
    assert seen == oracle_rules


def _all_v2_documents():
    return (
        [doc for _n, doc, _e in EXAMPLES_V2]
        + [doc for _n, doc, _e in CASES]
        + [doc for _n, doc in v1_cases_with_da10()]
    )


def test_every_v2_rule_fires_in_some_case():
    fired = set()
    for doc in _all_v2_documents():
        fired.update(evaluate(FW2, doc)["fired"])
    assert fired == {r.id for r in FW2.rules}


def test_every_v2_rule_is_silent_in_some_case():
    quiet = set()
    for doc in _all_v2_documents():
        quiet.update({r.id for r in FW2.rules} - set(evaluate(FW2, doc)["fired"]))
    assert quiet == {r.id for r in FW2.rules}


def test_new_and_changed_rules_fire_and_stay_silent_in_cases_v2_alone():
    """cases_v2 targets what v2 changes: each of those rules both fires and stays silent there."""
    targeted = {"R-DA-02", "R-DA-12", "R-DA-13", "R-DA-14", "R-DA-15"}
    results = [set(evaluate(FW2, doc)["fired"]) for _n, doc, _e in CASES]
    assert all(any(r in f for f in results) for r in targeted)
    assert all(any(r not in f for f in results) for r in targeted)
