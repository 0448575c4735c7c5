"""The engine's question types, operator table and show-if dependencies (issue 11, items 5/6)."""

from __future__ import annotations

import pytest

from assessments.engine import OPERATOR_TABLE, OPERATORS, QUESTION_TYPES, ShowIfDependencies, render_condition
from assessments.engine.conditions import Operator, Sentences


def _referenced(condition):
    """The questionnaire view's own walk over a show-if condition (what it computes today)."""
    if isinstance(condition, dict):
        found = set()
        for op, arg in condition.items():
            if op in ("eq", "ne", "in", "not_in") and isinstance(arg, list) and arg:
                found.add(arg[0])
            else:
                found |= _referenced(arg)
        return found
    if isinstance(condition, list):
        return set().union(*(_referenced(c) for c in condition)) if condition else set()
    return set()


def test_every_question_has_the_type_object_named_by_its_type(fw):
    assert set(QUESTION_TYPES) == {"enum", "bool", "multi", "int"}
    for q in fw.questions:
        assert q.kind is QUESTION_TYPES[q.type]
        assert q.has_unknown is (q.type != "int")


def test_one_table_entry_per_operator_with_a_test_and_a_sentence():
    assert tuple(OPERATOR_TABLE) == OPERATORS
    for name, entry in OPERATOR_TABLE.items():
        assert entry.name == name
        assert isinstance(entry, Operator)
        assert type(entry).compile is not Operator.compile
        assert type(entry).sentence is not Operator.sentence


@pytest.mark.parametrize(
    "condition, sentence",
    [
        ({"eq": ["PE5", True]}, None),
        ({"ne": ["PE5", True]}, None),
        ({"le": ["PE4", 3]}, "is at most 3"),
        ({"not_in": ["DA1", ["identifiable", "pseudonymised"]]}, "is neither"),
    ],
)
def test_sentences_come_from_the_operator_entries(fw, condition, sentence):
    ((op, arg),) = condition.items()
    text = render_condition(fw, condition)
    assert text == OPERATOR_TABLE[op].sentence(Sentences(fw), arg, "top")
    assert sentence is None or sentence in text


def test_show_if_dependencies_match_what_the_questionnaire_view_computes(fw):
    with_show_if = [q for q in fw.questions if q.show_if]
    assert with_show_if
    for q in with_show_if:
        deps = fw.show_if_dependencies(q)
        assert isinstance(deps, ShowIfDependencies)
        assert deps.questions == _referenced(q.show_if)
        expected_unknown_as = {
            qid: fw.question(qid).unknown_as for qid in deps.questions if fw.question(qid).type == "enum"
        }
        assert deps.unknown_as == expected_unknown_as
        assert fw.show_if_spec(q) == {"when": q.show_if, "unknown_as": expected_unknown_as}


def test_a_question_without_show_if_depends_on_nothing(fw):
    q = next(q for q in fw.questions if not q.show_if)
    assert fw.show_if_dependencies(q).questions == frozenset()
    assert fw.show_if_dependencies(q).unknown_as == {}


def test_worst_answer_lists_multi_options_in_option_order(fw):
    for q in fw.questions:
        if q.type == "multi":
            assert q.worst_answer == [v for v in q.option_values if v in q.unknown_as]
        else:
            assert q.worst_answer == q.unknown_as


def test_lowest_risk_answers(fw):
    for q in fw.questions:
        assert not q.is_lowest_risk(None)
        if q.type == "int":
            assert not q.is_lowest_risk(q.min if q.min is not None else 0)
            continue
        assert not q.is_lowest_risk("unknown")
        if q.type == "multi":
            assert q.is_lowest_risk(["none"]) is ("none" in q.option_set)
        else:
            assert q.is_lowest_risk(q.option_values[0])
            assert not q.is_lowest_risk(q.option_values[-1])
