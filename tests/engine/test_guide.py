"""A framework version's guide (guide/guide.yaml): loaded and checked against the version it
explains, outside that version's hash; and the controls a result's tier requires, with
whether the answers show each in place (spec section 1, "Required controls")."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessments.engine import (
    FrameworkError,
    controls_for,
    evaluate,
    guide_sha256,
    load_framework_dir,
    load_framework_texts,
    load_guide,
    load_guide_dir,
)

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ROOT / "fixtures" / "frameworks" / "five-safes"
V1_DIR, V2_DIR = FRAMEWORKS / "v1", FRAMEWORKS / "v2"
EXAMPLES = ROOT / "fixtures" / "examples"
FW1 = load_framework_dir(V1_DIR)
FW2 = load_framework_dir(V2_DIR)
GUIDE1_TEXT = (V1_DIR / "guide" / "guide.yaml").read_text(encoding="utf-8")
GUIDE2_TEXT = (V2_DIR / "guide" / "guide.yaml").read_text(encoding="utf-8")
G1 = load_guide(FW1, GUIDE1_TEXT)
G2 = load_guide(FW2, GUIDE2_TEXT)
# tests/engine/test_versions.py pins the same hash: the guide subfolder must not change it.
V1_SHA256 = "df001a4a2d4d8f2d8e4b005b5db3b9089092243bb57124496de9e79a6b9e3eb2"

# The glossary terms the issue asks for, by the ids pages link to (#term-<id>).
REQUIRED_TERMS = {
    "people",
    "projects",
    "settings",
    "data",
    "outputs",
    "tier",
    "tier-0",
    "tier-1",
    "tier-2",
    "tier-3",
    "tier-4",
    "quasi-identifier",
    "special-category-data",
    "pseudonymised",
    "anonymised",
    "k-anonymity",
    "equivalence-class",
    "motivated-intruder",
    "trusted-third-party",
    "statistical-disclosure-control",
    "acro",
    "tre",
    "code-only-federation",
    "egress",
    "dspt",
    "safe-researcher",
    "criteria",
    "risk-appetite",
    "sign-off",
}


def _example(name: str, folder: Path = EXAMPLES) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((folder / f"{name}.json").read_text())
    return doc


def _by_id(sections: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for s in sections for c in s["controls"]}


def _statuses(sections: list[dict[str, Any]]) -> dict[str, bool | None]:
    return {cid: c["in_place"] for cid, c in _by_id(sections).items()}


def _data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(GUIDE1_TEXT)
    return data


def _control(data: dict[str, Any], cid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in data["controls"] if c["id"] == cid)
    return found


# ---------------------------------------------------------------------- the guide files


def test_the_guides_sit_outside_the_version_hashes():
    assert (V1_DIR / "guide" / "guide.yaml").is_file() and (V2_DIR / "guide" / "guide.yaml").is_file()
    assert FW1.sha256 == V1_SHA256
    assert sorted(FW1.texts) == sorted(FW2.texts) == ["framework.yaml", "questions.yaml", "rules.yaml"]
    assert G1.framework_sha256 == FW1.sha256 and G2.framework_sha256 == FW2.sha256
    assert (G1.framework, G2.framework) == ("five-safes@1", "five-safes@2")
    assert load_guide_dir(FW1, V1_DIR).sha256 == G1.sha256


def test_the_glossary_has_every_term_the_pages_use():
    for guide in (G1, G2):
        assert set(guide.terms) >= REQUIRED_TERMS
        for safe in FW1.safes:  # each safe's term is linkable by the safe's own id
            assert FW1.safe_labels[safe].casefold() in guide.terms[safe].term.casefold()
        for tier in FW1.tiers:  # each tier name, under tier-<level>
            assert guide.terms[f"tier-{tier['level']}"].term.startswith(tier["name"])
        # a definition from a public source names it
        assert guide.terms["motivated-intruder"].source["title"].startswith("ICO anonymisation guidance")
        assert guide.terms["acro"].source["url"] == "https://github.com/AI-SDC/ACRO"
        sorted_terms = [t.term.casefold() for t in guide.glossary_sorted()]
        assert sorted_terms == sorted(sorted_terms)


def test_phases_have_plain_labels():
    assert [G1.phase_label(n) for n in (1, 2, 3)] == [
        "each custodian's data on its own",
        "the data once linked across custodians",
        "the project as a whole",
    ]


def test_the_controls_are_the_spec_table():
    # Every cell of the spec's table holds at least one control; Data at tier 1 holds none ("–").
    cells = {(c.safe, c.tier) for c in G1.controls}
    expected = {(s, t) for s in FW1.safes for t in (1, 2, 3, 4)} - {("data", 1)}
    assert cells == expected
    # A control's rule is one that turns its absence into a condition (a gap) or a block.
    for c in G1.controls:
        for rid in c.rules:
            rule = FW1.rule(rid)
            assert rule.gap is not None or rule.block, (c.id, rid)
    # Per-custodian where the answer is per custodian (legal basis, identifiers, k).
    assert {c.id for c in G1.controls if c.context == "custodian"} == {
        "projects-3-legal-basis",
        "data-2-no-direct-identifiers",
        "data-4-evidence-of-k",
    }


def test_v2s_guide_differs_only_where_v2_differs():
    d1, d2 = G1.data, G2.data
    assert d1["controls"] == d2["controls"] and d1["phases"] == d2["phases"] and d1["labels"] == d2["labels"]
    t1 = {t["id"]: t for t in d1["glossary"]}
    t2 = {t["id"]: t for t in d2["glossary"]}
    # v2: new tier meanings, the attacker question (DA10) and the consequence "none" (DA9)
    assert set(t2) - set(t1) == {"likely-attacker", "sophisticated-attacker", "consequence-of-disclosure"}
    assert {i for i in t1 if t1[i] != t2[i]} == {"tier-0", "tier-1", "tier-2", "tier-3", "tier-4", "motivated-intruder"}
    assert "sophisticated attackers" in t2["tier-4"]["definition"]


def test_the_guide_hash_is_of_its_content_not_its_layout():
    assert G1.sha256 == guide_sha256(yaml.safe_load(GUIDE1_TEXT))
    assert load_guide(FW1, "# a new comment\n" + GUIDE1_TEXT).sha256 == G1.sha256
    assert load_guide(FW1, _data()).sha256 == G1.sha256
    better = GUIDE1_TEXT.replace("The project is described.", "The project is described in plain words.")
    assert load_guide(FW1, better).sha256 != G1.sha256


# ---------------------------------------------------------------------- refused guides


def _refused(data: Any, framework=FW1) -> FrameworkError:
    with pytest.raises(FrameworkError) as error:
        load_guide(framework, data)
    assert error.value.file == "guide/guide.yaml"
    return error.value


def test_a_bad_condition_is_refused_naming_the_control():
    data = _data()
    _control(data, "settings-3-no-download")["in_place"] = {"eq": ["SE9", "tre_remote"]}
    error = _refused(data)
    assert error.item == "control settings-3-no-download"
    assert 'unknown question "SE9"' in str(error)

    data = _data()
    _control(data, "settings-3-no-download")["in_place"] = {"not_in": ["SE1", ["usb_stick"]]}
    assert 'unknown option "usb_stick"' in str(_refused(data))


def test_an_unknown_safe_or_tier_or_rule_is_refused_naming_the_control():
    data = _data()
    _control(data, "people-4-vetting")["safe"] = "persons"
    error = _refused(data)
    assert error.item == "control people-4-vetting" and 'unknown safe "persons"' in str(error)

    data = _data()
    _control(data, "people-4-vetting")["tier"] = 5
    assert "tier must be an integer from 1 to 4" in str(_refused(data))

    data = _data()
    _control(data, "people-3-accredited")["rule"] = "R-PE-99"
    error = _refused(data)
    assert error.item == "control people-3-accredited" and 'unknown rule "R-PE-99"' in str(error)


def test_a_custodian_answer_needs_the_custodian_context():
    # DA1 is answered by each custodian: as a project-level condition it has no single value.
    data = _data()
    del _control(data, "data-2-no-direct-identifiers")["context"]
    error = _refused(data)
    assert error.item == "control data-2-no-direct-identifiers"
    assert "custodian-scope" in str(error) and "any_custodian" in str(error)
    # ... and said for some custodian, it compiles
    _control(data, "data-2-no-direct-identifiers")["in_place"] = {
        "not": {"any_custodian": {"eq": ["DA1", "identifiable"]}}
    }
    assert load_guide(FW1, data).sha256 != G1.sha256


def test_a_question_v1_does_not_have_is_refused_in_v1():
    data = yaml.safe_load(GUIDE2_TEXT)
    _control(data, "people-4-vetting")["in_place"] = {"eq": ["DA10", "opportunistic"]}
    _control(data, "people-4-vetting")["context"] = "custodian"
    assert load_guide(FW2, data).sha256  # v2 asks DA10
    assert 'unknown question "DA10"' in str(_refused(data, FW1))


def test_other_mistakes_are_refused_naming_the_item():
    data = _data()
    data["glossary"][0]["see_also"] = ["nonsense"]
    error = _refused(data)
    assert error.item == "term five-safes" and 'unknown term "nonsense"' in str(error)

    data = _data()
    data["glossary"].append(dict(data["glossary"][0]))
    assert "duplicate term id" in str(_refused(data))

    data = _data()
    data["glossary"][0]["source"] = "Z9"
    assert 'unknown source "Z9"' in str(_refused(data))

    data = _data()
    data["phases"] = data["phases"][:2]
    assert _refused(data).item == "phase 3"

    data = _data()
    data["framework"] = "six-safes"
    assert 'unknown key "framework"' in str(_refused(data))

    data = _data()
    _control(data, "people-4-vetting")["context"] = "custodian"  # a context without a condition
    assert _refused(data).item == "control people-4-vetting"

    assert "malformed YAML" in str(_refused("controls: [\n"))


def test_a_set_the_framework_leaves_unlabelled_needs_a_label_in_the_guide():
    texts = dict(FW1.texts)
    texts["framework.yaml"] = texts["framework.yaml"].replace("    label: stigmatising categories\n", "", 1)
    unlabelled = load_framework_texts(texts)
    assert unlabelled.sets["STIGMA"]["label"] == "STIGMA"
    error = _refused(_data(), unlabelled)
    assert error.item == "labels sets" and "STIGMA" in str(error)
    data = _data()
    data["labels"]["sets"] = {"STIGMA": "stigmatising categories of data"}
    guide = load_guide(unlabelled, data)
    assert guide.set_label(unlabelled, "STIGMA") == "stigmatising categories of data"
    assert G1.set_label(FW1, "HIGH_QI") == "high-risk quasi-identifiers"  # framework.yaml's own


# ---------------------------------------------------------------------- controls of a result


def test_e2_tier_3_has_every_control_it_asks_about_in_place():
    """E2 reaches data 3 (linked, pseudonymised health data) and outputs 2: overall 3, approve.

    The rules test the overall tier ("T ≥ 3"), so every safe needs its tier-1..3 controls.
    From E2's answers: accredited researchers (PE1), signed agreements (PE7), DSPT (PE3);
    ethics approved (PR2), a legal basis for all three custodians (PR3), a public register
    (PR5); remote TRE access (SE1), ISO 27001 or DSPT (SE2), MFA and logs (SE3), automated
    plus manual egress (SE4), the UK (SE5, PE5); no identifiable custodian (DA1); linkage
    through a trusted third party (PR7); ACRO rules (OU2) and a trained human check (OU3).
    So no control it asks about is missing, which is why approval has no condition."""
    doc = _example("E2")
    result = evaluate(FW1, doc)
    assert (result["overall"], result["tiers"]["data"], result["tiers"]["settings"]) == (3, 3, 0)
    sections = controls_for(FW1, G1, result, doc)
    assert [(s["safe"], s["tier"], s["safe_tier"]) for s in sections] == [
        ("people", 3, 0),
        ("projects", 3, 0),
        ("settings", 3, 0),
        ("data", 3, 3),
        ("outputs", 3, 2),
    ]
    statuses = _statuses(sections)
    asked = {cid for cid, s in statuses.items() if s is not None}
    assert asked == {
        "people-1-terms",
        "people-2-trained",
        "people-2-user-agreement",
        "people-3-accredited",
        "people-3-organisation-assurance",
        "projects-3-ethics",
        "projects-3-legal-basis",
        "projects-3-public-register",
        "settings-3-no-download",
        "settings-3-assured",
        "settings-3-mfa-audit",
        "settings-3-egress",
        "settings-3-uk",
        "data-2-no-direct-identifiers",
        "data-3-keys-apart",
        "data-3-ttp-linkage",
        "outputs-1-self-check",
        "outputs-2-acro",
        "outputs-2-spot-checks",
        "outputs-3-human-check",
    }
    assert all(statuses[cid] is True for cid in asked)
    # the table's other tier-1..3 controls are not asked: the TRE or the process confirms them
    assert {cid for cid, s in statuses.items() if s is None} == {
        "people-2-registered",
        "projects-1-description",
        "projects-2-custodian-approval",
        "projects-2-public-benefit",
        "projects-3-panel-review",
        "settings-1-managed-storage",
        "settings-2-encryption",
        "settings-2-access-control",
        "data-2-minimised",
    }
    assert not any(c.tier == 4 for c in G1.controls if c.id in statuses)  # tier 4 not reached
    assert result["conditions"] == [] and result["outcome"] == "approve"
    by_id = _by_id(sections)
    assert by_id["settings-3-no-download"]["rule"] == "R-SE-01"
    assert by_id["settings-3-no-download"]["rule_fired"] is False
    assert by_id["projects-3-legal-basis"]["lacking"] == []
    assert G1.status_text(None) == "not asked: the TRE confirms"


def test_e2_by_each_safes_own_tier():
    doc = _example("E2")
    sections = controls_for(FW1, G1, evaluate(FW1, doc), doc, level="safe")
    counts = {s["safe"]: len(s["controls"]) for s in sections}
    # people, projects and settings stay at 0; data 3 (no tier-1 control); outputs 2
    assert counts == {"people": 0, "projects": 0, "settings": 0, "data": 4, "outputs": 3}


def test_e4b_the_missing_user_agreement_is_the_condition():
    """E4b is E4 (overall 2) with PE7 false: tier 1's accepted terms and tier 2's signed user
    agreement are both missing, and R-PE-04 made the second a condition."""
    doc = _example("E4b")
    result = evaluate(FW1, doc)
    assert result["overall"] == 2
    sections = controls_for(FW1, G1, result, doc)
    missing = {c["id"]: c for s in sections for c in s["controls"] if c["in_place"] is False}
    assert set(missing) == {"people-1-terms", "people-2-user-agreement"}
    assert missing["people-2-user-agreement"]["rule_fired"] is True
    assert [c["rule"] for c in result["conditions"]] == ["R-PE-04"]
    # tier 2 needs no TRE: E4's licensed download is no missing control here
    assert "settings-3-no-download" not in _statuses(sections)


def test_e4_sophisticated_under_v2_reaches_tier_4_and_lacks_what_its_conditions_say():
    """Under v2, E4 with DA9 high and DA10 sophisticated reaches data 4, overall 4.

    From the table and E4's answers: institutional training, not accredited (PE1); licensed
    download (SE1), so neither a TRE nor an isolated setting; an automated plus human check,
    not two people (OU3); 24 months (PR6), over 12; and the survey archive's k was never
    measured (DA7), though tier 4 asks for evidence of k. Everything else asked is in place:
    DSPT (PE3), ethics (PR2), register (PR5), assurance (SE2), MFA (SE3), egress (SE4), the UK
    (SE5, PE5), reviewed imports (SE6), pseudonymised (DA1), no linkage (PR7), ACRO (OU2)."""
    doc = _example("E4-sophisticated", EXAMPLES / "v2")
    result = evaluate(FW2, doc)
    assert result["overall"] == 4
    sections = controls_for(FW2, G2, result, doc)
    missing = {c["id"]: c for s in sections for c in s["controls"] if c["in_place"] is False}
    assert set(missing) == {
        "people-3-accredited",
        "settings-3-no-download",
        "settings-4-isolated",
        "outputs-4-two-person",
        "projects-4-twelve-months",
        "data-4-evidence-of-k",
    }
    assert missing["data-4-evidence-of-k"]["lacking"] == ["Survey archive"]
    assert missing["data-4-evidence-of-k"]["rule"] is None  # no rule makes it a condition
    # each missing control with a rule is one of the result's conditions, and vice versa
    with_rules = {c["rule"] for c in missing.values() if c["rule"]}
    assert with_rules == {c["rule"] for c in result["conditions"]}
    assert all(c["rule_fired"] for c in missing.values() if c["rule"])
    statuses = _statuses(sections)
    for cid in ("people-3-organisation-assurance", "settings-4-reviewed-imports", "data-3-keys-apart"):
        assert statuses[cid] is True
    for cid in ("people-4-named", "people-4-vetting", "projects-4-every-custodian", "outputs-4-custodian-approval"):
        assert statuses[cid] is None


def test_a_custodian_control_names_the_custodians_that_lack_it():
    doc = copy.deepcopy(_example("E2"))
    custodians = {c["name"]: c for c in doc["custodians"]}
    custodians["Census and education"]["answers"]["PR3"] = "unclear"
    custodians["GP records"]["answers"]["DA1"] = "unknown"  # assessed as identifiable
    result = evaluate(FW1, doc)
    by_id = _by_id(controls_for(FW1, G1, result, doc))
    basis = by_id["projects-3-legal-basis"]
    assert (basis["in_place"], basis["lacking"], basis["rule_fired"]) == (False, ["Census and education"], True)
    identifiers = by_id["data-2-no-direct-identifiers"]
    assert (identifiers["in_place"], identifiers["lacking"]) == (False, ["GP records"])
    assert identifiers["assumed_worst"] == [{"custodian": "GP records", "question": "DA1"}]
    assert basis["assumed_worst"] == []  # "unclear" was answered, not assumed


def test_controls_for_refuses_a_mismatch():
    doc = _example("E2")
    result = evaluate(FW1, doc)
    with pytest.raises(ValueError, match="another framework version"):
        controls_for(FW2, G1, result, doc)
    with pytest.raises(ValueError, match="evaluated under another"):
        controls_for(FW1, G1, {**result, "framework": {"sha256": FW2.sha256}}, doc)
    with pytest.raises(ValueError, match="level"):
        controls_for(FW1, G1, result, doc, level="custodian")
