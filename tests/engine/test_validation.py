"""Document validation: every kind of problem, with custodian, question and message."""

from __future__ import annotations

import pytest

from assessments.engine import DocumentInvalid, Problem, evaluate, validate_document


def problems(fw, doc):
    return [(p.custodian, p.question, p.message) for p in validate_document(fw, doc)]


def test_valid_baseline(fw, doc_factory):
    assert validate_document(fw, doc_factory()) == []


@pytest.mark.parametrize("doc, kind", [([], "a list"), ("x", "a string"), (None, "null"), (5, "int")])
def test_not_an_object(fw, doc, kind):
    (p,) = validate_document(fw, doc)
    assert p.custodian is None and p.question is None
    assert p.message.startswith("the document must be a JSON object") and kind in p.message


def test_missing_answer(fw, doc_factory):
    assert problems(fw, doc_factory({"PE4": None})) == [(None, "PE4", "missing answer")]
    assert problems(fw, doc_factory({}, [("A", {"DA1": None})])) == [("A", "DA1", "missing answer")]


def test_da7_is_optional(fw, doc_factory):
    doc = doc_factory()
    assert "DA7" not in doc["custodians"][0]["answers"]
    assert validate_document(fw, doc) == []


def test_unknown_question(fw, doc_factory):
    assert problems(fw, doc_factory({"XX1": 3})) == [(None, "XX1", "unknown question")]
    assert problems(fw, doc_factory({}, [("A", {"DA99": 1})])) == [("A", "DA99", "unknown question")]


def test_option_not_allowed(fw, doc_factory):
    (p,) = validate_document(fw, doc_factory({"PE1": "phd"}))
    assert (p.custodian, p.question) == (None, "PE1")
    assert p.message == (
        '"phd" is not an option; allowed: accredited_safe_researcher, institutional_dp_training, none or "unknown"'
    )
    assert str(p).startswith('project: PE1: "phd" is not an option')
    (p,) = validate_document(fw, doc_factory({}, [("A", {"DA3": ["health", "gnomes"]})]))
    assert (p.custodian, p.question) == ("A", "DA3") and '"gnomes" is not an option' in p.message


def test_wrong_types(fw, doc_factory):
    (p,) = validate_document(fw, doc_factory({"PE4": "five"}))
    assert str(p) == 'project: PE4: expected an integer ≥ 0, got "five"'
    doc = doc_factory()
    doc["answers"]["PE4"] = None
    assert problems(fw, doc) == [(None, "PE4", "expected an integer ≥ 0, got null")]
    for bad in (True, False, 5.0, "unknown", [5]):
        (p,) = validate_document(fw, doc_factory({"PE4": bad}))
        assert p.question == "PE4" and p.message.startswith("expected an integer ≥ 0, got")
    for bad in (1, 0, "true", "yes"):
        (p,) = validate_document(fw, doc_factory({"PE5": bad}))
        assert p.message.startswith('expected true, false or "unknown", got')
    (p,) = validate_document(fw, doc_factory({"PE1": 3}))
    assert p.message.startswith("expected one of the options (a string), got 3")
    (p,) = validate_document(fw, doc_factory({"OU1": "aggregate_tables"}))
    assert p.message == 'expected a list of options or "unknown", got "aggregate_tables"'
    (p,) = validate_document(fw, doc_factory({"OU1": [1]}))
    assert p.message.startswith('expected a list of options or "unknown"')


def test_int_out_of_range(fw, doc_factory):
    (p,) = validate_document(fw, doc_factory({"PR6": 121}))
    assert str(p) == "project: PR6: 121 is out of range: expected an integer from 1 to 120"
    (p,) = validate_document(fw, doc_factory({"PR6": 0}))
    assert p.question == "PR6" and "out of range" in p.message
    (p,) = validate_document(fw, doc_factory({}, [("A", {"DA7": 0})]))
    assert (p.custodian, p.question) == ("A", "DA7") and "out of range" in p.message


def test_none_combined(fw, doc_factory):
    (p,) = validate_document(fw, doc_factory({}, [("Custodian A", {"DA3": ["none", "health"]})]))
    assert str(p) == 'custodian "Custodian A": DA3: "none" cannot be combined with other options'


def test_empty_multi_and_duplicates(fw, doc_factory):
    (p,) = validate_document(fw, doc_factory({}, [("A", {"DA4": []})]))
    assert p.question == "DA4" and p.message.startswith("empty list")
    (p,) = validate_document(fw, doc_factory({"OU1": []}))
    assert p.question == "OU1" and p.message.startswith("empty list")
    (p,) = validate_document(fw, doc_factory({"OU1": ["graphs", "graphs"]}))
    assert p.message == '"graphs" is listed more than once'


def test_unknown_accepted_except_int(fw, doc_factory):
    doc = doc_factory(
        {"PE1": "unknown", "PE5": "unknown", "OU1": "unknown"}, [("A", {"DA3": "unknown", "DA1": "unknown"})]
    )
    assert validate_document(fw, doc) == []
    (p,) = validate_document(fw, doc_factory({}, [("A", {"DA8": "unknown"})]))
    assert p.question == "DA8"
    (p,) = validate_document(fw, doc_factory({}, [("A", {"DA3": ["unknown"]})]))
    assert "whole answer" in p.message


def test_wrong_level(fw, doc_factory):
    (p,) = validate_document(fw, doc_factory({"DA1": "pseudonymised"}))
    assert (p.custodian, p.question) == (None, "DA1")
    assert "custodian question" in p.message
    assert str(p).startswith("project: DA1: DA1 is a custodian question")
    (p,) = validate_document(fw, doc_factory({}, [("A", {"PE1": "none"})]))
    assert (p.custodian, p.question) == ("A", "PE1") and "project question" in p.message


def test_custodian_names(fw, doc_factory):
    doc = doc_factory({}, [("A", {}), ("A", {})])
    assert problems(fw, doc) == [("A", None, "duplicate custodian name")]
    doc = doc_factory()
    del doc["custodians"][0]["name"]
    assert problems(fw, doc) == [("#1", None, "missing custodian name")]
    doc = doc_factory()
    doc["custodians"][0]["name"] = ""
    (p,) = validate_document(fw, doc)
    assert p.custodian == "#1" and "non-empty string" in p.message


def test_no_custodians(fw, doc_factory):
    doc = doc_factory()
    doc["custodians"] = []
    (p,) = validate_document(fw, doc)
    assert (p.custodian, p.question) == (None, None) and p.message.startswith("no custodians")
    del doc["custodians"]
    (p,) = validate_document(fw, doc)
    assert p.message.startswith("no custodians")
    doc["custodians"] = [5]
    (p,) = validate_document(fw, doc)
    assert p.custodian == "#1"


def test_answers_not_object(fw, doc_factory):
    doc = doc_factory()
    doc["answers"] = []
    (p,) = validate_document(fw, doc)
    assert p.message.startswith('"answers" must be an object')
    del doc["answers"]
    (p,) = validate_document(fw, doc)
    assert p.message.startswith('missing "answers"')


def test_collects_all_problems_and_evaluate_raises(fw, doc_factory):
    doc = doc_factory({"PE4": -1, "PR6": None}, [("A", {"DA3": []}), ("B", {"PR3": "maybe"})])
    got = problems(fw, doc)
    assert [(c, q) for c, q, _ in got] == [(None, "PE4"), (None, "PR6"), ("A", "DA3"), ("B", "PR3")]
    with pytest.raises(DocumentInvalid) as info:
        evaluate(fw, doc)
    assert [str(p) for p in info.value.problems] == [str(p) for p in validate_document(fw, doc)]
    assert all(isinstance(p, Problem) for p in info.value.problems)


def test_hidden_answer_still_type_checked(fw, doc_factory):
    (p,) = validate_document(fw, doc_factory({}, [("A", {"DA1": "identifiable", "DA7": "small"})]))
    assert p.question == "DA7"
