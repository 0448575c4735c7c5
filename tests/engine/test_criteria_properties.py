"""Property tests (hypothesis) for custodians' criteria and appetites: the ratchet (removing
criteria never raises a tier, an outcome or a route) and phase-1 isolation (another
custodian's answers never change which of C's phase-1 criteria rules fire).

Criteria sets are generated from the framework's own questions, in the condition language
the spec allows for each phase; documents come from the framework property tests."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assessments.engine import (
    DEFAULT_APPETITE,
    ROUTES,
    canonical_json,
    compile_criteria,
    criteria_problems,
    evaluate,
    evaluate_by_criteria,
    route_for,
    route_rank,
)
from tests.engine.conftest import make_doc
from tests.engine.test_properties import FW, answer_strategy, custodian_answers, documents

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SAFES = FW.safes
# The framework lists outcomes from the most severe to the least.
SEVERITY = {o["id"]: len(FW.outcomes) - i for i, o in enumerate(FW.outcomes)}
SOURCES = [{"id": "POL-1", "title": "Our policy"}]


# ---------------------------------------------------------------------- conditions


def question_condition(q):
    """A condition on one question, with values of the right type."""
    qid = q.id
    if q.type == "int":
        return st.builds(lambda op, n: {op: [qid, n]}, st.sampled_from(["lt", "le", "gt", "ge"]), st.integers(0, 250))
    values = list(q.option_values)
    if q.type in ("enum", "bool"):
        some = st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True)
        return st.one_of(
            st.builds(lambda op, v: {op: [qid, v]}, st.sampled_from(["eq", "ne"]), st.sampled_from(values)),
            st.builds(lambda op, vs: {op: [qid, vs]}, st.sampled_from(["in", "not_in"]), some),
        )
    some = st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)
    return st.one_of(
        st.builds(lambda v: {"contains": [qid, v]}, st.sampled_from(values)),
        st.builds(lambda op, vs: {op: [qid, vs]}, st.sampled_from(["intersects", "any_except"]), some),
        st.builds(lambda vs, n: {"count_in": {"question": qid, "set": vs, "at_least": n}}, some, st.integers(0, 2)),
    )


def combined(leaf):
    """all / any / not over leaves, two levels deep."""
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda c: {"not": c}, inner),
        ),
        max_leaves=4,
    )


def _questions(scope):
    return [q for q in FW.questions if q.scope == scope]


# phase 1: this custodian's answers and the project's
custodian_level = combined(st.one_of(*(question_condition(q) for q in FW.questions)))
# custodian questions looked at across custodians (phase 3 only)
across = st.one_of(
    st.builds(lambda c: {"any_custodian": c}, st.one_of(*(question_condition(q) for q in _questions("custodian")))),
    st.builds(
        lambda n, c: {"count_custodians": {"at_least": n, "where": c}},
        st.integers(1, 3),
        st.one_of(*(question_condition(q) for q in _questions("custodian"))),
    ),
)
tier = st.builds(
    lambda s, n: {"tier": {"safe": s, "at_least": n}}, st.sampled_from([*SAFES, "overall"]), st.integers(0, 4)
)
project_leaf = st.one_of(*(question_condition(q) for q in _questions("project")), across)
# phase 3: project answers, custodians across, and tiers (which may not be negated)
project_level = st.one_of(
    combined(project_leaf),
    st.builds(lambda t, c: {"all": [t, c]}, tier, combined(project_leaf)),
    st.builds(lambda t, c: {"any": [t, c]}, tier, project_leaf),
    tier,
)

# Mostly raises: with many blocks nearly every result is not approvable, and every route
# is then "decline", which would hide the routes from the ratchet test.
raise_effect = st.builds(lambda s, n: {"raise": s, "to": n}, st.sampled_from(SAFES), st.integers(1, 4))
effect = st.one_of(
    raise_effect,
    raise_effect,
    raise_effect,
    st.sampled_from([{"gap": True}, {"gap": True}, "refer", {"gap": "blocking"}, "block"]),
)
effects = st.lists(effect, min_size=1, max_size=2)


@st.composite
def criteria_sets(draw, phases=(1, 3)):
    rules = []
    for i in range(draw(st.integers(1, 5))):
        phase = draw(st.sampled_from(phases))
        when = draw(custodian_level if phase == 1 else project_level)
        rules.append(
            {
                "id": f"X-{i + 1}",
                "phase": phase,
                "when": when,
                "effects": draw(effects),
                "justification": "generated",
                "sources": SOURCES,
            }
        )
    return {"id": f"gen-{draw(st.integers(0, 3))}", "version": "1", "rules": rules}


@st.composite
def appetites(draw):
    ups = sorted(draw(st.sets(st.integers(0, 4), max_size=4)))
    ranks = sorted(draw(st.lists(st.integers(0, 3), min_size=len(ups) + 1, max_size=len(ups) + 1)))
    limits = draw(st.dictionaries(st.sampled_from(SAFES), st.integers(0, 4), max_size=2))
    out = {
        "routes": [{"up_to": u, "route": ROUTES[r]} for u, r in zip(ups, ranks, strict=False)],
        "otherwise": ROUTES[ranks[-1]],
    }
    if limits:
        out["safe_limits"] = limits
    return out


@st.composite
def mild_documents(draw):
    """The spec's baseline answers with a few answers changed: mostly approvable, so tiers,
    outcomes and routes all vary (fully random documents are nearly all not approvable)."""
    names = [f"Custodian {i}" for i in range(draw(st.integers(1, 3)))]
    doc = make_doc({}, [(n, {}) for n in names])
    for answers in [doc["answers"]] + [c["answers"] for c in doc["custodians"]]:
        for qid in draw(st.lists(st.sampled_from(sorted(answers)), max_size=2, unique=True)):
            answers[qid] = draw(answer_strategy(FW.question(qid)))
    return doc


@st.composite
def documents_with_additions(draw):
    doc = draw(st.one_of(documents(max_custodians=3), mild_documents()))
    for c in doc["custodians"]:
        if draw(st.booleans()):
            c["criteria"] = draw(criteria_sets())
        if draw(st.booleans()):
            c["appetite"] = draw(appetites())
    return doc


# ---------------------------------------------------------------------- properties


@SETTINGS
@given(criteria_sets())
def test_generated_criteria_are_valid(data):
    assert criteria_problems(FW, data) == []


@SETTINGS
@given(documents_with_additions(), st.data())
def test_removing_criteria_never_raises_a_tier_an_outcome_or_a_route(doc, data):
    with_criteria = [i for i, c in enumerate(doc["custodians"]) if "criteria" in c]
    assume(with_criteria)
    remove = data.draw(st.sampled_from([with_criteria, *([i] for i in with_criteria)]))
    full = evaluate(FW, doc)
    less_doc = copy.deepcopy(doc)
    for i in remove:
        del less_doc["custodians"][i]["criteria"]
    less = evaluate(FW, less_doc)
    assert all(less["tiers"][s] <= full["tiers"][s] for s in SAFES)
    assert SEVERITY[less["outcome"]] <= SEVERITY[full["outcome"]]
    for name, route in full["routes"].items():
        assert route_rank(routes_of(less)[name]) <= route_rank(route), name


def routes_of(result):
    """Without criteria or appetites a result has no routes: each custodian's is the default."""
    if "routes" in result:
        return result["routes"]
    return {
        c["name"]: route_for(DEFAULT_APPETITE, result["tiers"], result["outcome"]).route for c in result["custodians"]
    }


@SETTINGS
@given(documents_with_additions())
def test_each_custodians_criteria_alone_lie_between_the_framework_and_all(doc):
    out = evaluate_by_criteria(FW, doc)
    for alone in out["custodians"]:
        for s in SAFES:
            assert out["framework"]["tiers"][s] <= alone["tiers"][s] <= out["combined"]["tiers"][s]
        changed = {d["safe"] for d in alone["differences"]}
        assert changed == {
            s
            for s in [*SAFES, "overall"]
            if (alone["tiers"][s] if s != "overall" else alone["overall"])
            != (out["framework"]["tiers"][s] if s != "overall" else out["framework"]["overall"])
        }
    assert out["combined"]["tiers"] == evaluate(FW, doc)["tiers"]


def _phase1_firings_of(result, name):
    return sorted(
        d["rule"] for d in result["fired_details"] if d.get("criteria") and d["custodian"] == name and d["phase"] == 1
    )


@SETTINGS
@given(documents(min_custodians=2, max_custodians=4), criteria_sets(phases=(1,)), st.data())
def test_phase1_criteria_never_read_another_custodians_answers(doc, crit, data):
    doc["custodians"][0]["criteria"] = crit
    name = doc["custodians"][0]["name"]
    before = evaluate(FW, doc)
    changed = copy.deepcopy(doc)
    for c in changed["custodians"][1:]:
        c["answers"] = data.draw(custodian_answers)
    after = evaluate(FW, changed)
    assert _phase1_firings_of(after, name) == _phase1_firings_of(before, name)
    assert after["custodians"][0] == before["custodians"][0]
    # C's phase-1 criteria are never reported under another custodian
    others = {c["name"] for c in doc["custodians"][1:]}
    assert not [d for d in after["fired_details"] if d.get("criteria") and d["custodian"] in others]


@SETTINGS
@given(across)
def test_phase1_criteria_looking_across_custodians_are_refused(condition):
    rule = {
        "id": "X-1",
        "phase": 1,
        "when": {"all": [{"eq": ["DA5", True]}, condition]},
        "effects": [{"gap": True}],
        "justification": "generated",
        "sources": SOURCES,
    }
    (p,) = criteria_problems(FW, {"id": "x", "version": "1", "rules": [rule]})
    assert p.item == "rule X-1" and "reads every custodian's answers" in p.message
    rule["phase"] = 3
    rule["when"] = condition
    assert compile_criteria(FW, {"id": "x", "version": "1", "rules": [rule]}).rules


@settings(SETTINGS, max_examples=50)
@given(documents_with_additions())
def test_deterministic_with_additions(doc):
    assert canonical_json(evaluate(FW, doc)) == canonical_json(evaluate(FW, copy.deepcopy(doc)))
