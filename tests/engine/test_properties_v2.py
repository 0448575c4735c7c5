"""Property tests (hypothesis) for five-safes@2, with v1's strategies
(tests/engine/test_properties.py) over v2's questions: monotone in risk (DA9's new `none`
and DA10 included), unknown evaluated as the worst answer, deterministic, and a document
lacking DA10 filled at the lowest end never above the worst end."""

from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import assume, given
from hypothesis import strategies as st

from assessments.engine import (
    canonical_json,
    evaluate,
    fill_unanswered,
    load_framework_dir,
    unanswered,
    validate_document,
)
from tests.engine.test_properties import SETTINGS, answers_strategy, federated_exception, riskier_values

FW2 = load_framework_dir(Path(__file__).resolve().parents[2] / "fixtures" / "frameworks" / "five-safes" / "v2")
SAFES = FW2.safes

custodian_answers = answers_strategy("custodian", FW2)
project_answers = answers_strategy("project", FW2)


@st.composite
def documents(draw, min_custodians=1, max_custodians=4):
    n = draw(st.integers(min_custodians, max_custodians))
    return {
        "title": "generated",
        "answers": draw(project_answers),
        "custodians": [{"name": f"Custodian {i}", "answers": draw(custodian_answers)} for i in range(n)],
    }


def tiers(doc):
    return evaluate(FW2, doc)["tiers"]


def not_lower(new, old):
    return all(new[s] >= old[s] for s in SAFES)


def answers_at(doc, where):
    return doc["answers"] if where == "project" else doc["custodians"][where]["answers"]


def with_answer(doc, where, qid, value):
    out = copy.deepcopy(doc)
    answers_at(out, where)[qid] = value
    return out


def pick(doc, data):
    where = data.draw(st.sampled_from(["project", *range(len(doc["custodians"]))]))
    qid = data.draw(st.sampled_from(sorted(answers_at(doc, where))))
    return where, qid


def test_the_strategies_cover_v2s_new_answers():
    assert FW2.question("DA10") in FW2.questions_for("custodian")
    assert riskier_values(FW2.question("DA9"), "none") == ["trivial", "low", "high"]
    assert riskier_values(FW2.question("DA10"), "opportunistic") == ["motivated", "sophisticated"]


@SETTINGS
@given(documents())
def test_generated_documents_are_valid_and_evaluate(doc):
    assert validate_document(FW2, doc) == []
    res = evaluate(FW2, doc)
    assert res["overall"] == max(res["tiers"].values())
    assert res["fired"] == sorted(set(res["fired"]))


@SETTINGS
@given(documents(), st.data())
def test_riskier_answer_never_lowers_a_tier(doc, data):
    where, qid = pick(doc, data)
    q, old = FW2.question(qid), answers_at(doc, where)[qid]
    options = riskier_values(q, old)
    assume(options)
    new = data.draw(st.sampled_from(options))
    assume(not federated_exception(q, old, new))
    doc2 = with_answer(doc, where, qid, new)
    assert validate_document(FW2, doc2) == []
    assert not_lower(tiers(doc2), tiers(doc)), (qid, old, new)


@SETTINGS
@given(documents(), st.data())
def test_da9_and_da10_scales_are_monotone(doc, data):
    """Walk one custodian's DA9 (none, trivial, low, high) or DA10 (opportunistic, motivated,
    sophisticated) up its whole scale: no step lowers a tier."""
    i = data.draw(st.integers(0, len(doc["custodians"]) - 1))
    qid = data.draw(st.sampled_from(["DA9", "DA10"]))
    previous = None
    for value in FW2.question(qid).option_values:
        now = tiers(with_answer(doc, i, qid, value))
        if previous is not None:
            assert not_lower(now, previous), (qid, value)
        previous = now


@SETTINGS
@given(documents(), st.data())
def test_unknown_is_evaluated_as_the_worst_answer(doc, data):
    where, qid = pick(doc, data)
    q, known = FW2.question(qid), answers_at(doc, where)[qid]
    assume(q.type != "int")
    as_unknown = evaluate(FW2, with_answer(doc, where, qid, "unknown"))
    as_worst = evaluate(FW2, with_answer(doc, where, qid, q.worst_answer))
    for key in ("tiers", "overall", "outcome", "fired", "conditions", "blocks", "refers"):
        assert as_unknown[key] == as_worst[key], (qid, key)
    if known != "unknown" and not federated_exception(q, known, "unknown"):
        assert not_lower(as_unknown["tiers"], tiers(doc)), (qid, known)


@SETTINGS
@given(documents(max_custodians=3), custodian_answers)
def test_adding_a_custodian_never_lowers_a_tier(doc, extra):
    doc2 = copy.deepcopy(doc)
    doc2["custodians"].append({"name": "Added custodian", "answers": extra})
    assert not_lower(tiers(doc2), tiers(doc))


@SETTINGS
@given(documents(), st.randoms(use_true_random=False))
def test_deterministic_and_key_order_irrelevant(doc, rnd):
    first = canonical_json(evaluate(FW2, doc))
    assert canonical_json(evaluate(FW2, copy.deepcopy(doc))) == first

    def shuffled(d):
        items = list(d.items())
        rnd.shuffle(items)
        return dict(items)

    doc2 = shuffled(
        {
            "title": doc["title"],
            "answers": shuffled(doc["answers"]),
            "custodians": [shuffled({"name": c["name"], "answers": shuffled(c["answers"])}) for c in doc["custodians"]],
        }
    )
    assert canonical_json(evaluate(FW2, doc2)) == first


@SETTINGS
@given(documents(), st.data())
def test_fill_lowest_never_above_fill_worst(doc, data):
    """A v2 document some of whose custodians lack DA10 (a project moved from v1): the
    lowest fill is never above the worst fill, tier by tier, and whatever those custodians
    answer lies between the two."""
    n = len(doc["custodians"])
    lacking_at = data.draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any))
    lacking = copy.deepcopy(doc)
    for c, lacks in zip(lacking["custodians"], lacking_at, strict=True):
        if lacks:
            del c["answers"]["DA10"]
    names = [c["name"] for c, lacks in zip(doc["custodians"], lacking_at, strict=True) if lacks]
    assert [(u.custodian, u.question) for u in unanswered(FW2, lacking)] == [(name, "DA10") for name in names]
    assert validate_document(FW2, lacking) != []

    lowest, missing = fill_unanswered(FW2, lacking, "lowest")
    worst, _ = fill_unanswered(FW2, lacking, "worst")
    assert len(missing) == len(names)
    assert validate_document(FW2, lowest) == [] and validate_document(FW2, worst) == []
    low_t, worst_t, answered_t = tiers(lowest), tiers(worst), tiers(doc)
    assert not_lower(worst_t, low_t), (low_t, worst_t)
    assert not_lower(answered_t, low_t) and not_lower(worst_t, answered_t)
    # the worst fill is what "unknown" would have been assessed as
    as_unknown = copy.deepcopy(lacking)
    for c in as_unknown["custodians"]:
        c["answers"].setdefault("DA10", "unknown")
    assert tiers(as_unknown) == worst_t
