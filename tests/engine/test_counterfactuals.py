"""What would change the result (issue 14, item 3): the engine's counterfactuals.

The worked examples' expectations below are reasoned from the spec's rules (five-safes-framework
section 3, five-safes-v2), not copied from the code's output; the reasoning is written beside
each. The properties then hold for the examples and for seeded random documents: every
suggestion, made and re-evaluated, gives exactly what it claims; none uses a riskier answer or
an answer that would be hidden; an exhaustive search finds no single change (and, on small
documents, no pair) that the engine missed; the same input gives the same output.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from pathlib import Path

import pytest

from assessments.engine import (
    DocumentInvalid,
    apply_changes,
    counterfactuals,
    evaluate,
    load_framework_dir,
    validate_document,
)

ROOT = Path(__file__).resolve().parents[2]
FW1 = load_framework_dir(ROOT / "fixtures" / "frameworks" / "five-safes" / "v1")
FW2 = load_framework_dir(ROOT / "fixtures" / "frameworks" / "five-safes" / "v2")
EXAMPLES = ROOT / "fixtures" / "examples"
APPROVABLE = {"approve", "approve_with_conditions"}


def read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def example(name: str, version: int = 1):
    return read(EXAMPLES / f"{name}.json") if version == 1 else read(EXAMPLES / "v2" / f"{name}.json")


def safe_entry(result, safe):
    (entry,) = [s for s in result["safes"] if s["safe"] == safe]
    return entry


def changes_of(suggestion):
    return [(c["custodian"], c["question"], c["alternative"]) for c in suggestion["changes"]]


def with_custodian_answers(doc, **answers):
    doc = copy.deepcopy(doc)
    doc["custodians"][0]["answers"].update(answers)
    return doc


# ---------------------------------------------------------------------- worked examples


def test_e2_only_gp_records_supplying_aggregates_lowers_data():
    # Data is 3 from R-DA-02 (GP records: pseudonymised health data) and R-C-01 (GP records
    # and Census are record-level, linked through a TTP). One answer must stop both: GP
    # records' DA1. As aggregate_only, only Census stays record-level (no linkage) and GP's
    # DA9 low gives 1, but Census's pseudonymised records keep data at 2 (R-DA-03). Outputs
    # stay 2 (R-OU-04), so overall 2, and nothing leaves a gap: approve. Anonymised records
    # would still be linked (3); PR7, GP's DA3 or Census's DA1 alone leave one of the rules.
    result = counterfactuals(FW1, example("E2"))
    assert (result["tiers"]["data"], result["overall"], result["outcome"]) == (3, 3, "approve")
    data = safe_entry(result, "data")
    assert data["complete"] is True
    [suggestion] = data["suggestions"]
    assert changes_of(suggestion) == [("GP records", "DA1", "aggregate_only")]
    assert suggestion["changes"][0]["answer"] == "pseudonymised"
    assert suggestion["changes"][0]["alternative_label"] == FW1.question("DA1").option_label("aggregate_only")
    assert (suggestion["tier"], suggestion["new_tier"], suggestion["overall"], suggestion["outcome"]) == (
        3,
        2,
        2,
        "approve",
    )
    assert result["approvable"] is None  # already approve


def test_e2_outputs_fall_to_0_without_small_area_outputs():
    # Outputs 2 comes only from R-OU-04 (OU4 true); without it nothing raises outputs
    # (PR7 is not federated, OU1 is aggregate tables): 0, while data keeps overall at 3.
    [suggestion] = safe_entry(counterfactuals(FW1, example("E2")), "outputs")["suggestions"]
    assert changes_of(suggestion) == [(None, "OU4", False)]
    assert (suggestion["new_tier"], suggestion["overall"], suggestion["outcome"]) == (0, 3, "approve")


def test_e1_data_needs_more_than_two_changes():
    # Each custodian fires R-DA-02 (DA1, DA3), R-DA-07 (DA3, DA6) and R-DA-08 (DA6, DA1): no
    # one answer stops all three for one custodian, let alone for both, so no change of one or
    # two answers lowers data, and the pruned search knows it without running any.
    result = counterfactuals(FW1, example("E1"))
    data = safe_entry(result, "data")
    assert data["suggestions"] == [] and data["complete"] is True and data["changes_tried"] == 0
    # Outputs 2 is R-C-03 (federated across 2 custodians): any non-federated design stops it.
    [outputs] = safe_entry(result, "outputs")["suggestions"]
    assert changes_of(outputs) == [(None, "PR7", "within_custodian")]
    assert outputs["new_tier"] == 0


def test_e4b_aggregates_lower_data_and_lift_the_condition():
    # Data 2 is R-DA-03 (pseudonymised). Anonymised records with strong confidence still give
    # 2 (R-DA-04); aggregate tables leave only R-DA-12 (DA9 low): 1. At tier 1 the unsigned
    # user agreements are no longer a condition (R-PE-04 needs T ≥ 2): approve.
    result = counterfactuals(FW1, example("E4b"))
    assert result["outcome"] == "approve_with_conditions" and result["approvable"] is None
    [suggestion] = safe_entry(result, "data")["suggestions"]
    assert changes_of(suggestion) == [("Survey archive", "DA1", "aggregate_only")]
    assert (suggestion["new_tier"], suggestion["overall"], suggestion["outcome"]) == (1, 1, "approve")
    assert [s["safe"] for s in result["safes"]] == ["data"]  # the only safe above 0


def test_v1_download_of_tier_3_data_becomes_approvable():
    # E4 with weak confidence: data 3 (R-DA-05), and the licensed download at T ≥ 3 is a
    # blocking gap (R-SE-01): not approvable. Strong (or absolute) confidence brings data back
    # to 2 (R-DA-03), so no tier-3 control is missing: approve. A TRE instead of the download
    # stops R-SE-01 but leaves T = 3, where institutional training is a gap (R-PE-01):
    # approve with conditions. Safe room and federation have the same effect as the TRE, so
    # only the nearest (the TRE) is listed.
    doc = with_custodian_answers(example("E4"), DA2="weak")
    result = counterfactuals(FW1, doc)
    assert result["outcome"] == "not_approvable"
    approvable = result["approvable"]
    assert approvable["causes"] == [
        {"rule": "R-SE-01", "custodian": None, "effect": "blocking_gap"},
    ]
    assert [(changes_of(s), s["outcome"], s["overall"]) for s in approvable["suggestions"]] == [
        ([("Survey archive", "DA2", "strong")], "approve", 2),
        ([(None, "SE1", "tre_remote")], "approve_with_conditions", 3),
    ]


def test_v2_sophisticated_attacker_example():
    # five-safes-v2's public example: data 4 (R-DA-11 high stakes, R-DA-14 sophisticated
    # attacker with high stakes), the download a blocking gap (R-SE-01), and T = 4 refers.
    # DA9 low stops both rules: v2's R-DA-12 and R-DA-03 give 2, T = 2: approve. A less
    # able attacker stops only R-DA-14: data 3, still a blocking gap. Nothing else is read by
    # those rules (DA2 absolute leaves DA9 high for R-DA-14), and a TRE alone leaves T = 4.
    result = counterfactuals(FW2, example("E4-sophisticated", 2))
    assert result["outcome"] == "not_approvable"
    data = safe_entry(result, "data")
    assert [(changes_of(s), s["new_tier"], s["outcome"]) for s in data["suggestions"]] == [
        ([("Survey archive", "DA9", "low")], 2, "approve"),
        ([("Survey archive", "DA10", "motivated")], 3, "not_approvable"),
    ]
    approvable = result["approvable"]
    assert {(c["rule"], c["effect"]) for c in approvable["causes"]} == {
        ("R-SE-01", "blocking_gap"),
        ("R-DA-14", "tier"),
    }
    assert [(changes_of(s), s["outcome"]) for s in approvable["suggestions"]] == [
        ([("Survey archive", "DA9", "low")], "approve")
    ]


def test_two_changes_when_no_single_one_helps():
    # E4 with weak confidence and health data: data 3 from R-DA-02 (DA1, DA3) and R-DA-05
    # (DA2), which read no answer in common, so only pairs can lower it. Anonymised records
    # with absolute confidence stop R-DA-02, R-DA-04 and R-DA-05 alike, leaving R-DA-12: 1.
    doc = with_custodian_answers(example("E4"), DA2="weak", DA3=["health"])
    data = safe_entry(counterfactuals(FW1, doc), "data")
    assert data["complete"] is True and data["suggestions"]
    assert all(len(s["changes"]) == 2 for s in data["suggestions"])
    assert all("DA2" in {c["question"] for c in s["changes"]} for s in data["suggestions"])
    best = data["suggestions"][0]
    assert best["new_tier"] == 1
    assert changes_of(best) == [("Survey archive", "DA1", "anonymised_record"), ("Survey archive", "DA2", "absolute")]
    # With one change allowed there is nothing to say.
    assert safe_entry(counterfactuals(FW1, doc, max_changes=1), "data")["suggestions"] == []


def test_int_thresholds_and_criteria_rules():
    # GP records' criteria (GP-01: DA8 ≥ 1,000,000 → data 4) with DA8 1,200,000: data 4 and
    # T = 4 refers. The threshold's near side, 999,999, stops GP-01; data is then E2's 3 and
    # the outcome E2's approve. GP records' appetite sends tier 3 to the panel.
    doc = read(EXAMPLES / "criteria" / "E2-DA8-1200000.json")
    result = counterfactuals(FW1, doc)
    assert (result["tiers"]["data"], result["outcome"]) == (4, "refer")
    [first, *_] = safe_entry(result, "data")["suggestions"]
    assert changes_of(first) == [("GP records", "DA8", 999_999)]
    assert (first["new_tier"], first["outcome"], first["routes"]["GP records"]) == (3, "approve", "panel")
    approvable = result["approvable"]
    assert approvable["causes"] == [
        {"rule": "GP-01", "custodian": "GP records", "effect": "tier", "safe": "overall", "at_least": 4}
    ]
    assert [changes_of(s) for s in approvable["suggestions"]] == [[("GP records", "DA8", 999_999)]]


def test_show_if_changes_say_what_they_hide_and_hidden_answers_are_never_changed():
    # k = 5 on pseudonymised data: data 3 (R-DA-09). k = 10 stops it (data 2, R-DA-03);
    # aggregate tables stop it too (DA7 is then not asked) and leave only R-DA-12: 1.
    doc = with_custodian_answers(example("E4"), DA7=5)
    suggestions = safe_entry(counterfactuals(FW1, doc), "data")["suggestions"]
    assert [(changes_of(s), s["new_tier"]) for s in suggestions] == [
        ([("Survey archive", "DA1", "aggregate_only")], 1),
        ([("Survey archive", "DA7", 10)], 2),
    ]
    assert suggestions[0]["hides"] == [
        {"custodian": "Survey archive", "question": "DA7", "label": FW1.question("DA7").label}
    ]
    assert suggestions[1]["hides"] == []
    # Aggregate data with a k answered: the k is ignored, so it is never a change to make.
    hidden = with_custodian_answers(example("E4"), DA1="aggregate_only", DA7=5, DA9="high")
    result = counterfactuals(FW1, hidden)
    assert all(c["question"] != "DA7" for s in all_suggestions(result) for c in s["changes"])


# ---------------------------------------------------------------------- arguments


def test_result_must_belong_to_the_document():
    doc = example("E2")
    assert counterfactuals(FW1, doc, result=evaluate(FW1, doc)) == counterfactuals(FW1, doc)
    with pytest.raises(ValueError, match="other answers"):
        counterfactuals(FW1, doc, result=evaluate(FW1, example("E1")))
    with pytest.raises(ValueError, match="framework version"):
        counterfactuals(FW2, example("E2", 2), result=evaluate(FW1, doc))


def test_invalid_documents_and_arguments_are_refused():
    doc = example("E4")
    del doc["custodians"][0]["answers"]["DA1"]
    with pytest.raises(DocumentInvalid):
        counterfactuals(FW1, doc)
    with pytest.raises(ValueError):
        counterfactuals(FW1, example("E4"), max_changes=3)


def test_the_budget_cuts_the_search_short_and_says_so():
    doc = with_custodian_answers(example("E4"), DA2="weak", DA3=["health"])
    result = counterfactuals(FW1, doc, max_evaluations=3)
    assert result["evaluations"] <= 3
    assert safe_entry(result, "data")["complete"] is False
    check_suggestions(FW1, doc, result)


# ---------------------------------------------------------------------- properties


def all_suggestions(result):
    for entry in result["safes"]:
        yield from entry["suggestions"]
    if result["approvable"]:
        yield from result["approvable"]["suggestions"]


def effective(q, raw):
    if raw == "unknown":
        return q.worst_answer
    return raw


def less_risky(q, current, alternative) -> bool:
    """Independently of the module: options are listed lowest risk first, a multi answer is
    less risky with fewer options (or none), an int by its declared direction."""
    current = effective(q, current)
    if q.type in ("enum", "bool"):
        return q.option_values.index(alternative) < q.option_values.index(current)
    if q.type == "multi":
        return alternative == ["none"] != current or set(alternative) < set(current)
    return alternative < current if q.riskier == "higher" else alternative > current


def check_suggestions(fw, doc, result, criteria=None):
    """Every suggestion, made and evaluated, gives what it claims, and is a valid, less risky,
    visible change."""
    base = evaluate(fw, doc, criteria=criteria)
    assert (result["tiers"], result["overall"], result["outcome"]) == (base["tiers"], base["overall"], base["outcome"])
    for entry in result["safes"]:
        assert entry["tier"] == base["tiers"][entry["safe"]] > 0
        for s in entry["suggestions"]:
            assert s["safe"] == entry["safe"] and s["tier"] == entry["tier"] > s["new_tier"] == s["tiers"][s["safe"]]
        falls = [(-(s["tier"] - s["new_tier"]), len(s["changes"])) for s in entry["suggestions"]]
        assert falls == sorted(falls)
    assert {s["safe"] for s in result["safes"]} == {k for k, v in base["tiers"].items() if v > 0}
    if result["approvable"] is None:
        assert base["outcome"] in APPROVABLE
    else:
        assert base["outcome"] not in APPROVABLE
        assert all(s["outcome"] in APPROVABLE for s in result["approvable"]["suggestions"])
    for s in all_suggestions(result):
        assert 1 <= len(s["changes"]) <= 2
        assert len({(c["custodian"], c["question"]) for c in s["changes"]}) == len(s["changes"])
        changed = apply_changes(doc, s["changes"])
        assert validate_document(fw, changed) == []
        after = evaluate(fw, changed, criteria=criteria)
        assert (after["tiers"], after["overall"], after["outcome"]) == (s["tiers"], s["overall"], s["outcome"])
        ignored = {(i["custodian"], i["question"]) for i in after["ignored_answers"]}
        for c in s["changes"]:
            q = fw.question(c["question"])
            answers = doc["answers"] if c["custodian"] is None else custodian(doc, c["custodian"])["answers"]
            assert c["answer"] == answers[c["question"]]
            assert less_risky(q, c["answer"], c["alternative"]), c
            assert (c["custodian"], c["question"]) not in ignored
        before_ignored = {(i["custodian"], i["question"]) for i in base["ignored_answers"]}
        assert {(h["custodian"], h["question"]) for h in s["hides"]} == ignored - before_ignored


def custodian(doc, name):
    return next(c for c in doc["custodians"] if c["name"] == name)


def random_answer(q, rnd):
    if q.type == "int":
        lo = q.min if q.min is not None else 0
        hi = q.max if q.max is not None else lo + 30
        return rnd.randint(lo, hi)
    if rnd.random() < 0.1:
        return "unknown"
    values = list(q.option_values)
    if q.type in ("enum", "bool"):
        return rnd.choice(values)
    if "none" in values and rnd.random() < 0.4:
        return ["none"]
    others = [v for v in values if v != "none"]
    return [v for v in values if v in set(rnd.sample(others, rnd.randint(1, min(3, len(others)))))]


def random_document(fw, rnd, n_custodians):
    answers = {q.id: random_answer(q, rnd) for q in fw.questions_for("project")}
    custodians = []
    for i in range(n_custodians):
        given = {q.id: random_answer(q, rnd) for q in fw.questions_for("custodian") if q.required or rnd.random() < 0.5}
        custodians.append({"name": f"Custodian {i + 1}", "answers": given})
    return {"title": "random", "answers": answers, "custodians": custodians}


def random_documents(fw, seed, count, n_custodians):
    rnd = random.Random(seed)
    out = []
    while len(out) < count:
        doc = random_document(fw, rnd, rnd.randint(1, n_custodians) if n_custodians > 1 else 1)
        if validate_document(fw, doc) == []:
            out.append(doc)
    return out


def every_slot(fw, doc):
    """(custodian or None, question) for every answer given, in document order."""
    yield from ((None, qid) for qid in doc["answers"])
    for c in doc["custodians"]:
        yield from ((c["name"], qid) for qid in c["answers"])


def option_alternatives(fw, doc, who, qid):
    """Every less risky answer of an option question, enumerated from the spec's ordering (not
    the module's): any earlier option, any non-empty proper subset, or none."""
    q = fw.question(qid)
    answers = doc["answers"] if who is None else custodian(doc, who)["answers"]
    current = effective(q, answers[qid])
    if q.type in ("enum", "bool"):
        return list(q.option_values[: q.option_values.index(current)])
    if q.type == "multi":
        chosen = [v for v in q.option_values if v in current and v != "none"]
        subsets = [[v for v in chosen if v != drop] for drop in chosen if len(chosen) > 1]
        return subsets + ([["none"]] if chosen and "none" in q.option_set else [])
    return []


def brute_force(fw, doc, max_changes):
    """Every valid change set of option answers (one, or two) with its evaluation."""
    base_ignored = {(i["custodian"], i["question"]) for i in evaluate(fw, doc)["ignored_answers"]}
    singles = [
        {"custodian": who, "question": qid, "alternative": alt}
        for who, qid in every_slot(fw, doc)
        if (who, qid) not in base_ignored
        for alt in option_alternatives(fw, doc, who, qid)
    ]
    sets = [(c,) for c in singles]
    if max_changes == 2:
        sets += [
            (a, b)
            for a, b in itertools.combinations(singles, 2)
            if (a["custodian"], a["question"]) != (b["custodian"], b["question"])
        ]
    out = []
    for changes in sets:
        result = evaluate(fw, apply_changes(doc, changes))
        ignored = {(i["custodian"], i["question"]) for i in result["ignored_answers"]}
        if all((c["custodian"], c["question"]) not in ignored for c in changes):
            out.append((changes, result))
    return out


def effect_key(changes, tiers, outcome):
    return (frozenset((c["custodian"], c["question"]) for c in changes), tuple(sorted(tiers.items())), outcome)


def assert_matches_brute_force(fw, doc, result, found, searched):
    """What the engine lists (option questions only) is exactly what the exhaustive search
    (of up to ``searched`` changes) finds: the same answers changed to the same effects, with
    the fewest changes."""
    targets = [
        (entry, lambda r, safe=entry["safe"], tier=entry["tier"]: r["tiers"][safe] < tier) for entry in result["safes"]
    ]
    if result["approvable"] is not None:
        targets.append((result["approvable"], lambda r: r["outcome"] in APPROVABLE))
    for entry, reached in targets:
        reaching = [(ch, r) for ch, r in found if reached(r)]
        fewest = min((len(ch) for ch, _ in reaching), default=None)
        expected = {effect_key(ch, r["tiers"], r["outcome"]) for ch, r in reaching if len(ch) == fewest}
        listed = {
            effect_key(s["changes"], s["tiers"], s["outcome"])
            for s in entry["suggestions"]
            if all(fw.question(c["question"]).type != "int" for c in s["changes"])
        }
        if fewest == 1:
            assert listed == expected, listed ^ expected
            continue
        # No single option change reaches it: a single change listed can only be an int's (the
        # exhaustive search does not move ints), and then no pair is searched.
        singles = [s for s in entry["suggestions"] if len(s["changes"]) == 1]
        assert all(fw.question(s["changes"][0]["question"]).type == "int" for s in singles)
        if searched == 2 and entry["complete"] and not singles:
            assert listed == expected, listed ^ expected


EXAMPLE_DOCS = [
    *[(FW1, n, example(n)) for n in ("E1", "E2", "E4", "E4b")],
    *[(FW2, f"v2-{n}", example(n, 2)) for n in ("E1", "E2", "E4", "E4b", "E4-sophisticated")],
]


@pytest.mark.parametrize(("fw", "name", "doc"), EXAMPLE_DOCS, ids=[e[1] for e in EXAMPLE_DOCS])
def test_examples_suggestions_hold_and_match_an_exhaustive_search(fw, name, doc):
    result = counterfactuals(fw, doc)
    check_suggestions(fw, doc, result)
    assert_matches_brute_force(fw, doc, result, brute_force(fw, doc, 1), 1)


@pytest.mark.parametrize("fw", [FW1, FW2], ids=["v1", "v2"])
def test_random_documents_single_changes_hold_and_none_is_missed(fw):
    for doc in random_documents(fw, seed=14, count=12, n_custodians=3):
        result = counterfactuals(fw, doc, max_changes=1)
        check_suggestions(fw, doc, result)
        assert_matches_brute_force(fw, doc, result, brute_force(fw, doc, 1), 1)


def test_random_documents_pairs_hold_and_none_is_missed():
    # One custodian keeps the exhaustive pair search small (a few thousand evaluations).
    checked = 0
    for doc in random_documents(FW1, seed=3, count=40, n_custodians=1):
        result = counterfactuals(FW1, doc)
        check_suggestions(FW1, doc, result)
        needs_pairs = [e for e in result["safes"] if not any(len(s["changes"]) == 1 for s in e["suggestions"])]
        if needs_pairs and checked < 2:
            assert all(e["complete"] for e in result["safes"])
            assert_matches_brute_force(FW1, doc, result, brute_force(FW1, doc, 2), 2)
            checked += 1
    assert checked == 2


def test_random_multi_custodian_documents_with_pairs_hold():
    for doc in random_documents(FW2, seed=5, count=10, n_custodians=3):
        check_suggestions(FW2, doc, counterfactuals(FW2, doc))


def test_deterministic():
    for fw, _, doc in EXAMPLE_DOCS:
        first = counterfactuals(fw, doc)
        again = counterfactuals(fw, copy.deepcopy(doc))
        assert json.dumps(first, sort_keys=False) == json.dumps(again, sort_keys=False)
    doc = random_documents(FW1, seed=9, count=1, n_custodians=3)[0]
    assert counterfactuals(FW1, doc) == counterfactuals(FW1, copy.deepcopy(doc))
