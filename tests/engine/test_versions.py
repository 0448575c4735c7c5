"""five-safes@1 stays as it was, and five-safes@2 differs from it by exactly what spec
five-safes-v2 names (questionnaire changes, rule changes, tier meanings)."""

from __future__ import annotations

from pathlib import Path

import yaml

from assessments.engine import load_framework_dir

FRAMEWORKS = Path(__file__).resolve().parents[2] / "fixtures" / "frameworks" / "five-safes"
V1_DIR, V2_DIR = FRAMEWORKS / "v1", FRAMEWORKS / "v2"
FW1 = load_framework_dir(V1_DIR)
FW2 = load_framework_dir(V2_DIR)

# Framework.sha256 of v1's three files as they were at commit fae116b, the parent of the
# commit that added v2: computed with `git show fae116b:fixtures/frameworks/five-safes/v1/<file>`
# for each file into a temporary directory, then load_framework_dir(that directory).sha256.
# Evaluations stored under five-safes@1 carry this hash; v1 must never change.
V1_SHA256_AT_FAE116B = "df001a4a2d4d8f2d8e4b005b5db3b9089092243bb57124496de9e79a6b9e3eb2"


def test_v1_is_byte_for_byte_what_it_was():
    # guide/ holds explanatory texts, outside the hash (load_framework_dir reads top-level files only)
    assert sorted(p.name for p in V1_DIR.iterdir()) == ["framework.yaml", "guide", "questions.yaml", "rules.yaml"]
    assert FW1.sha256 == V1_SHA256_AT_FAE116B
    assert (FW1.id, FW1.version) == ("five-safes", "1")


def test_v2_is_a_new_version_of_the_same_framework():
    assert (FW2.id, FW2.version) == ("five-safes", "2")
    assert FW2.sha256 != FW1.sha256


def _diff(a: dict, b: dict) -> set[str]:
    assert a.keys() == b.keys()
    return {k for k in a if a[k] != b[k]}


def test_question_differences():
    ids1 = [q.id for q in FW1.questions]
    ids2 = [q.id for q in FW2.questions]
    assert set(ids2) - set(ids1) == {"DA10"}
    assert set(ids1) - set(ids2) == set()
    assert [i for i in ids2 if i != "DA10"] == ids1  # v1's order kept
    changed = {
        q.id: _diff(q.as_dict(), FW2.question(q.id).as_dict())
        for q in FW1.questions
        if q.as_dict() != FW2.question(q.id).as_dict()
    }
    # DA9's help text describes its new first option; nothing else about DA9 changed.
    assert changed == {"DA9": {"options", "help"}}
    assert all(q.riskier == FW2.question(q.id).riskier for q in FW1.questions)  # not in as_dict


def test_da9_gained_none_first():
    old, new = FW1.question("DA9"), FW2.question("DA9")
    assert new.option_values == ("none", *old.option_values)
    assert new.options[1:] == old.options
    assert new.unknown_as == old.unknown_as == "high"


def test_da10_is_the_spec_question():
    d = FW2.question("DA10").as_dict()
    assert (d["scope"], d["safe"], d["type"], d["required"], d["show_if"]) == ("custodian", "data", "enum", True, None)
    assert d["text"] == "Who might try to re-identify people in this data or misuse it?"
    assert [v for v, _label in d["options"]] == ["opportunistic", "motivated", "sophisticated"]
    assert d["unknown_as"] == "sophisticated"


def test_rule_differences():
    ids1 = [r.id for r in FW1.rules]
    ids2 = [r.id for r in FW2.rules]
    assert set(ids2) - set(ids1) == {"R-DA-13", "R-DA-14", "R-DA-15"}
    assert set(ids1) - set(ids2) == set()
    assert [i for i in ids2 if i in set(ids1)] == ids1  # v1's order kept
    changed = {r.id: _diff(r.as_dict(), FW2.rule(r.id).as_dict()) for r in FW1.rules}
    assert {rid for rid, keys in changed.items() if keys} == {"R-DA-02", "R-DA-12"}
    # R-DA-02 widens its condition (and so its sentence) and renames itself; still data ≥ 3 from T1
    assert changed["R-DA-02"] == {"when", "sentence", "justification"}
    # R-DA-12 raises data to 2 instead of 1, now also from T1; its condition is the same
    assert changed["R-DA-12"] == {"effects", "justification", "sources"}


def test_new_and_changed_rules_as_the_spec_tables_say():
    def summary(rid):
        r = FW2.rule(rid)
        return r.phase, r.effects, list(r.sources), r.justification

    assert summary("R-DA-02") == (
        1,
        [{"raise": "data", "to": 3}],
        ["T1"],
        "Special-category record-level data that could be re-identified",
    )
    assert summary("R-DA-12") == (
        1,
        [{"raise": "data", "to": 2}],
        ["T1", "T2"],
        "Confidential data with low consequences of disclosure",
    )
    assert summary("R-DA-13") == (
        1,
        [{"raise": "data", "to": 1}],
        ["T1", "T2"],
        "Confidential data with trivial consequences of disclosure",
    )
    assert summary("R-DA-14") == (
        1,
        [{"raise": "data", "to": 4}],
        ["T1", "T2"],
        "Likely target of sophisticated attackers, with weak protection or high stakes",
    )
    assert summary("R-DA-15") == (
        1,
        [{"gap": True}],
        ["T1", "I1"],
        "Absolute confidence is impossible while a re-identification key exists: "
        "say who holds the key and how it is kept apart",
    )
    assert FW2.rule("R-DA-12").condition == FW1.rule("R-DA-12").condition == {"eq": ["DA9", "low"]}


def test_framework_header_differs_only_in_version_and_tier_meanings():
    h1 = yaml.safe_load((V1_DIR / "framework.yaml").read_text(encoding="utf-8"))
    h2 = yaml.safe_load((V2_DIR / "framework.yaml").read_text(encoding="utf-8"))
    assert (h1.pop("version"), h2.pop("version")) == ("1", "2")
    t1, t2 = h1.pop("tiers"), h2.pop("tiers")
    assert h1 == h2  # title, safes, sets, definitions, outcomes, sources
    assert [(t["level"], t["name"]) for t in t1] == [(t["level"], t["name"]) for t in t2]
    assert [a["meaning"] != b["meaning"] for a, b in zip(t1, t2, strict=True)] == [True] * 5
    # the new routes to tiers 1, 2 and 4 are named in the meanings
    assert "trivial consequences" in t2[1]["meaning"]
    assert "low consequences" in t2[2]["meaning"]
    assert "sophisticated attackers" in t2[4]["meaning"]
