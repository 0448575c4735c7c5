"""Custodians' criteria sets (custodian-criteria spec section 1): loading, hashing, caching,
and every kind of invalid set refused with the rule and the problem named."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from assessments.engine import canonical_json
from assessments.engine.criteria import Criteria, cached_criteria, compile_criteria, criteria_problems
from assessments.engine.errors import CriteriaInvalid, DefinitionProblem

CRITERIA_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "examples" / "criteria"
GP_YAML = (CRITERIA_DIR / "gp-records.criteria.yaml").read_text(encoding="utf-8")


def a_rule(**over):
    r = {
        "id": "C-01",
        "phase": 1,
        "when": {"ge": ["DA8", 1000000]},
        "effects": [{"raise": "data", "to": 4}],
        "justification": "Very many people",
        "sources": [{"id": "POL-1", "title": "Our data access policy"}],
    }
    for k, v in over.items():
        if v is None:
            r.pop(k, None)
        else:
            r[k] = v
    return r


def a_set(*rules, **over):
    s = {"id": "ours", "version": "1", "rules": list(rules) or [a_rule()]}
    s.update(over)
    return s


def found(fw, data):
    return [(p.item, p.index, p.message) for p in criteria_problems(fw, data)]


def one(fw, data):
    (p,) = criteria_problems(fw, data)
    return p


# ---------------------------------------------------------------------- loading


def test_the_worked_example_loads_from_yaml(fw):
    c = compile_criteria(fw, GP_YAML)
    assert isinstance(c, Criteria)
    assert (c.id, c.version, c.framework) == ("gp-records", "1", "five-safes@1")
    assert c.applies_to(fw)
    (r,) = c.rules
    assert (r.id, r.phase, r.raises) == ("GP-01", 1, (("data", 4),))
    assert r.sentence == "Number of individuals is at least 1000000"
    assert c.phase1 == (r,) and c.phase3 == ()
    assert r.sources == ("GP-DAP-3",)
    assert r.source_details == (
        {"id": "GP-DAP-3", "title": "GP records data access policy, section 3 (illustrative)", "url": None},
    )


def test_sha256_is_the_canonical_json_of_the_set_as_given(fw):
    data = yaml.safe_load(GP_YAML)
    c = compile_criteria(fw, GP_YAML)
    assert c.sha256 == hashlib.sha256(canonical_json(data).encode()).hexdigest()
    # a dict, a JSON text and the YAML text of one set hash alike, whatever the key order
    reordered = json.loads(json.dumps(data, sort_keys=True))
    assert compile_criteria(fw, reordered).sha256 == c.sha256
    assert compile_criteria(fw, json.dumps(data)).sha256 == c.sha256
    data["version"] = "2"
    assert compile_criteria(fw, data).sha256 != c.sha256
    assert c.ref == {"id": "gp-records", "version": "1", "sha256": c.sha256}
    assert c.as_dict() == yaml.safe_load(GP_YAML)


def test_phase3_rules_are_split_for_the_fixpoint(fw):
    c = compile_criteria(
        fw,
        a_set(
            a_rule(
                id="A", phase=3, when={"tier": {"safe": "data", "at_least": 3}}, effects=[{"raise": "outputs", "to": 3}]
            ),
            a_rule(
                id="B",
                phase=3,
                when={"eq": ["PR1", "commercial_rd"]},
                effects=[{"raise": "projects", "to": 3}, "refer"],
            ),
            a_rule(
                id="C", phase=3, when={"any_custodian": {"eq": ["DA1", "identifiable"]}}, effects=[{"gap": "blocking"}]
            ),
        ),
    )
    a, b, cc = c.rules
    assert c.phase3_tier_raisers == (a,) and c.phase3_fixed_raisers == (b,)
    assert (b.refer, cc.gap, a.tier_deps) == (True, "blocking", ("data",))
    assert cc.sentence == "for at least one custodian, Identifiability is identifiable"


def test_an_empty_set_is_valid(fw):
    assert compile_criteria(fw, a_set(rules=[])).rules == ()


def test_the_compiled_set_is_a_copy(fw):
    data = a_set()
    c = compile_criteria(fw, data)
    data["rules"][0]["id"] = "changed"
    assert c.as_dict()["rules"][0]["id"] == "C-01"


def test_cached_criteria_compiles_one_set_once(fw):
    first = cached_criteria(fw, a_set(id="cache-test"))
    assert cached_criteria(fw, json.loads(json.dumps(a_set(id="cache-test")))) is first
    assert cached_criteria(fw, a_set(id="cache-test", version="2")) is not first
    with pytest.raises(CriteriaInvalid):
        cached_criteria(fw, a_set(a_rule(phase=2)))


def test_a_set_for_another_framework_version_is_not_checked_here(fw):
    data = a_set(a_rule(when={"eq": ["NEW9", "x"]}), framework="five-safes@2")
    c = compile_criteria(fw, data)
    assert not c.compiled and not c.applies_to(fw)
    assert c.framework == "five-safes@2" and c.rules == ()


# ---------------------------------------------------------------------- invalid sets


@pytest.mark.parametrize(
    "rule, message",
    [
        (a_rule(when={"eq": ["DA99", "x"]}), 'when: unknown question "DA99"'),
        (
            a_rule(when={"ge": ["DA8", "a million"]}),
            'when: ge: wrong value type for DA8 (int): expected an integer, got "a million"',
        ),
        (
            a_rule(when={"eq": ["DA5", "yes"]}),
            'when: eq: wrong value type for DA5 (bool): expected true or false, got "yes"',
        ),
        (a_rule(when={"eq": ["DA1", "secret"]}), 'when: eq: unknown option "secret" for DA1'),
        (
            a_rule(phase=2),
            "phase 2 is not allowed in criteria (it combines custodians); use "
            "phase 1 for this custodian's data or phase 3 for the project",
        ),
        (a_rule(phase=4), "phase must be 1 or 3, got 4"),
        (a_rule(phase=True), "phase must be 1 or 3, got true"),
        (a_rule(phase="1"), 'phase must be 1 or 3, got "1"'),
        (
            a_rule(id="R-DA-01"),
            'id "R-DA-01" is the id of a framework rule; criteria rule ids must differ from the framework\'s',
        ),
        (
            a_rule(effects=[{"lower": "data", "to": 1}]),
            'effect "lower" could lower a tier or cancel a framework rule; criteria can only make '
            "an assessment stricter: {raise: SAFE, to: N}, {gap: true}, {gap: blocking}, refer or "
            "block",
        ),
        (
            a_rule(effects=["cancel"]),
            'effect "cancel" could lower a tier or cancel a framework '
            "rule; criteria can only make an assessment stricter",
        ),
        (a_rule(effects=[{"raise": "data", "to": 0}]), "raise to must be an integer from 1 to 4, got 0"),
        (a_rule(effects=[{"raise": "data", "to": 5}]), "raise to must be an integer from 1 to 4, got 5"),
        (a_rule(effects=[{"raise": "overall", "to": 3}]), 'unknown safe "overall"'),
        (a_rule(effects=[{"raise": "data"}]), "a raise effect is {raise: SAFE, to: N}"),
        (a_rule(effects=[{"gap": "maybe"}]), "gap must be true or blocking, got 'maybe'"),
        (a_rule(effects=["frob"]), 'unknown effect "frob"; criteria can only make an assessment stricter'),
        (a_rule(effects=[]), "effects must be a non-empty list; criteria can only make an assessment stricter"),
        (a_rule(justification=None), 'missing "justification"'),
        (a_rule(justification="  "), 'missing justification: it must be a non-empty string, got "  "'),
        (a_rule(sources=None), 'missing "sources"'),
        (a_rule(sources=[]), "sources must be a non-empty list of {id, title, url?}, got []"),
        (a_rule(sources=["T1"]), 'sources #1: a source is {id, title, url?}, got "T1"'),
        (a_rule(sources=[{"id": "P"}]), 'sources #1: "title" must be a non-empty string, got null'),
        (
            a_rule(sources=[{"id": "P", "title": "t", "page": 3}]),
            'sources #1: unknown key "page" (a source is {id, title, url?})',
        ),
        (
            a_rule(sources=[{"id": "P", "title": "t", "url": "ftp://x"}]),
            'sources #1: "url" must be an http(s) address, got "ftp://x"',
        ),
        (
            a_rule(sources=[{"id": "P", "title": "t"}, {"id": "P", "title": "t"}]),
            'sources #2: source "P" is listed twice',
        ),
        (a_rule(when=None), 'missing "when"'),
        (a_rule(unless={"eq": ["DA5", True]}), 'unknown key "unless"'),
    ],
)
def test_each_problem_names_the_rule(fw, rule, message):
    p = one(fw, a_set(rule))
    assert (p.item, p.index) == (f"rule {rule['id']}", 0)
    assert p.message.startswith(message), p.message
    assert str(p) == f"rule {rule['id']}: {p.message}"


@pytest.mark.parametrize(
    "when, part",
    [
        ({"any_custodian": {"eq": ["DA1", "identifiable"]}}, '"any_custodian"'),
        ({"count_custodians": {"at_least": 2}}, '"count_custodians"'),
        ({"contains": [{"union": "DA3"}, "health"]}, '"union"'),
        ({"all": [{"eq": ["PR1", "commercial_rd"]}, {"ref": "linked"}]}, 'the definition "linked"'),
        ({"not": {"any_custodian": {"eq": ["DA5", True]}}}, '"any_custodian"'),
    ],
)
def test_phase1_rules_never_read_other_custodians_answers(fw, when, part):
    p = one(fw, a_set(a_rule(when=when)))
    assert p.item == "rule C-01"
    assert p.message == (
        f"when: {part} reads every custodian's answers; a phase-1 criteria "
        f"rule sees only its own custodian's answers and the project answers "
        f"(look across custodians in phase 3)"
    )
    # the same condition is fine for the project as a whole
    assert criteria_problems(fw, a_set(a_rule(phase=3, when=when))) == []


def test_phase1_may_read_its_custodian_and_the_project(fw):
    when = {"all": [{"ref": "record_level"}, {"eq": ["PR1", "commercial_rd"]}, {"intersects": ["DA3", "STIGMA"]}]}
    (r,) = compile_criteria(fw, a_set(a_rule(when=when))).rules
    assert {q for _, q in r.question_deps} == {"DA1", "PR1", "DA3"}


def test_tier_conditions_only_in_phase3(fw):
    when = {"tier": {"safe": "data", "at_least": 3}}
    assert one(fw, a_set(a_rule(when=when))).message == ("when: tier conditions are only allowed in phase-3 rules")
    assert one(fw, a_set(a_rule(phase=3, when={"not": when}))).message == (
        "when: tier conditions may not be negated (phase 3 only ratchets up)"
    )


def test_phase3_reads_custodians_only_across_them(fw):
    p = one(fw, a_set(a_rule(phase=3)))
    assert p.message.startswith('when: ge: question "DA8" is custodian-scope')


def test_duplicate_and_missing_ids_are_named_by_position(fw):
    assert found(fw, a_set(a_rule(), a_rule(), a_rule(id=None), a_rule(id=""))) == [
        ("rule C-01", 1, "duplicate rule id (also rule #1)"),
        ("rule #3", 2, 'missing "id"'),
        ("rule #4", 3, '"id" must be a non-empty string, got ""'),
    ]


def test_a_source_id_means_one_source_in_the_set(fw):
    other = a_rule(id="C-02", sources=[{"id": "POL-1", "title": "Another title"}])
    assert found(fw, a_set(a_rule(), other)) == [
        ("rule C-02", 1, 'sources #1: source "POL-1" differs from the one of the same id in rule C-01')
    ]


def test_every_problem_of_every_rule_is_reported(fw):
    bad = a_set(
        a_rule(id="R-DA-01", phase=2, justification="", sources=[]),
        a_rule(id="C-02", effects=["lower"], when={"eq": ["DA99", 1]}),
        "not a rule",
    )
    assert found(fw, bad) == [
        (
            "rule R-DA-01",
            0,
            'id "R-DA-01" is the id of a framework rule; criteria rule ids must differ from the framework\'s',
        ),
        (
            "rule R-DA-01",
            0,
            "phase 2 is not allowed in criteria (it combines custodians); use "
            "phase 1 for this custodian's data or phase 3 for the project",
        ),
        ("rule R-DA-01", 0, 'missing justification: it must be a non-empty string, got ""'),
        ("rule R-DA-01", 0, "sources must be a non-empty list of {id, title, url?}, got []"),
        ("rule C-02", 1, 'when: unknown question "DA99"'),
        (
            "rule C-02",
            1,
            'effect "lower" could lower a tier or cancel a framework rule; '
            "criteria can only make an assessment stricter: {raise: SAFE, to: N}, "
            "{gap: true}, {gap: blocking}, refer or block",
        ),
        ("rule #3", 2, 'a rule is a mapping with id, phase, when, effects, justification, sources, got "not a rule"'),
    ]
    with pytest.raises(CriteriaInvalid) as info:
        compile_criteria(fw, bad)
    assert len(info.value.problems) == 7
    assert str(info.value) == (
        'rule R-DA-01: id "R-DA-01" is the id of a framework rule; '
        "criteria rule ids must differ from the framework's "
        "(and 6 more)"
    )


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "a criteria set is a mapping with id, version and rules, got []"),
        ({"version": "1", "rules": []}, 'missing "id"'),
        ({"id": "x", "rules": []}, 'missing "version"'),
        ({"id": "x", "version": "1"}, 'missing "rules"'),
        (a_set(version=2), '"version" must be a non-empty string (quote it), got 2'),
        (a_set(id=""), '"id" must be a non-empty string, got ""'),
        (a_set(rules={"C-01": a_rule()}), '"rules" must be a list'),
        (a_set(title="x"), 'unknown key "title"'),
        (a_set(framework="five-safes"), '"framework" must be "ID@VERSION" (e.g. "five-safes@1")'),
        ("id: x\nrules: [", "malformed YAML"),
    ],
)
def test_envelope_problems(fw, data, message):
    p = one(fw, data)
    assert (p.item, p.index) == (None, None)
    assert p.message.startswith(message), p.message


def test_problem_records(fw):
    p = one(fw, a_set(a_rule(phase=5)))
    assert p == DefinitionProblem("rule C-01", 0, "phase must be 1 or 3, got 5")
    assert p.as_dict() == {
        "item": "rule C-01",
        "index": 0,
        "message": "phase must be 1 or 3, got 5",
        "text": "rule C-01: phase must be 1 or 3, got 5",
    }
