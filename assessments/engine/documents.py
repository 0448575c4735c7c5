"""Validation and normalisation of project assessment documents (spec section 8).

A document is ``{"title": ..., "answers": {...project answers...},
"custodians": [{"name": ..., "answers": {...}}, ...]}`` (a custodian may also carry
``criteria`` and ``appetite``: see :mod:`.additions`).  Validation returns a
list of :class:`Problem`; normalisation turns answers into *effective* values
(``"unknown"`` -> the question's ``unknown_as``; multi answers -> frozensets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .additions import additions_problems
from .canonical import short_json
from .conditions import Env
from .errors import Problem
from .qtypes import Checker

if TYPE_CHECKING:
    from .framework import Framework, Question

__all__ = ["make_checker", "validate_document", "normalise", "effective_answers", "Normalised"]


def make_checker(q: Question) -> Checker:
    """A function ``raw -> (message|None, effective value, was_unknown)`` for one question."""
    return q.kind.make_checker(q)


class Normalised:
    """Effective values of a valid document."""

    __slots__ = ("project", "custodians", "names", "assumed_worst", "ignored", "raw_project", "raw_custodians")

    def __init__(self) -> None:
        self.project: dict[str, Any] = {}
        # merged effective answers (project + custodian), per custodian
        self.custodians: list[dict[str, Any]] = []
        self.names: list[str] = []
        self.assumed_worst: list[dict[str, Any]] = []
        self.ignored: list[dict[str, Any]] = []
        self.raw_project: dict[str, Any] = {}
        self.raw_custodians: list[dict[str, Any]] = []


def _level_answers(
    fw: Framework,
    answers: dict[str, Any],
    custodian: str | None,
    own_scope: str,
    problems: list[Problem],
    eff: dict[str, Any],
    unknowns: set[str],
) -> None:
    qmap = fw.questions_by_id
    for qid, raw in answers.items():
        q = qmap.get(qid)
        if q is None:
            problems.append(Problem(custodian, qid, "unknown question"))
            continue
        if q.scope != own_scope:
            if own_scope == "project":
                problems.append(
                    Problem(
                        custodian,
                        qid,
                        f"{qid} is a custodian question; answer it in each custodian's answers, not at project level",
                    )
                )
            else:
                problems.append(
                    Problem(
                        custodian,
                        qid,
                        f"{qid} is a project question; answer it once in the project answers, not per custodian",
                    )
                )
            continue
        msg, val, unk = q.check(raw)
        if msg is not None:
            problems.append(Problem(custodian, qid, msg))
            continue
        eff[qid] = val
        if unk:
            unknowns.add(qid)


_CustodianAnswers = tuple[str, dict[str, Any], dict[str, Any], set[str]]


def _check(fw: Framework, doc: Any, want_normalised: bool) -> tuple[list[Problem], Normalised | None]:
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        kind = {list: "a list", str: "a string", type(None): "null"}.get(type(doc), type(doc).__name__)
        return [
            Problem(None, None, f'the document must be a JSON object with "answers" and "custodians", got {kind}')
        ], None
    answers = doc.get("answers")
    proj_eff: dict[str, Any] = {}
    proj_unknown: set[str] = set()
    if answers is None:
        problems.append(Problem(None, None, 'missing "answers": an object holding every project question\'s answer'))
    elif not isinstance(answers, dict):
        problems.append(Problem(None, None, f'"answers" must be an object, got {short_json(answers)}'))
        answers = None
    else:
        _level_answers(fw, answers, None, "project", problems, proj_eff, proj_unknown)
        for q in fw.project_questions:
            if q.id not in answers and q.required:
                problems.append(Problem(None, q.id, "missing answer"))

    custs = doc.get("custodians")
    cust_data: list[_CustodianAnswers] = []
    if custs is None:
        problems.append(Problem(None, None, 'no custodians: "custodians" must list at least one custodian'))
    elif not isinstance(custs, list):
        problems.append(Problem(None, None, f'"custodians" must be a list, got {short_json(custs)}'))
    elif not custs:
        problems.append(Problem(None, None, "no custodians: at least one custodian is required"))
    else:
        seen: set[str] = set()
        for i, c in enumerate(custs):
            tag = f"#{i + 1}"
            if not isinstance(c, dict):
                problems.append(
                    Problem(tag, None, f'expected an object with "name" and "answers", got {short_json(c)}')
                )
                continue
            name = c.get("name")
            if not isinstance(name, str) or not name.strip():
                problems.append(
                    Problem(
                        tag,
                        None,
                        "missing custodian name"
                        if name is None
                        else f"custodian name must be a non-empty string, got {short_json(name)}",
                    )
                )
                name = tag
            elif name in seen:
                problems.append(Problem(name, None, "duplicate custodian name"))
            seen.add(name)
            ca = c.get("answers")
            eff: dict[str, Any] = {}
            unknown: set[str] = set()
            if not isinstance(ca, dict):
                problems.append(
                    Problem(name, None, '"answers" must be an object' if ca is not None else 'missing "answers"')
                )
                ca = {}
            else:
                _level_answers(fw, ca, name, "custodian", problems, eff, unknown)
                for q in fw.custodian_questions:
                    if q.id not in ca and q.required:
                        problems.append(Problem(name, q.id, "missing answer"))
            cust_data.append((name, ca, eff, unknown))

    if problems or not want_normalised or answers is None:
        return problems, None
    return problems, _normalised(fw, answers, proj_eff, proj_unknown, cust_data)


def _hidden(question: Question, env: Env) -> bool:
    test = question.show_if_fn
    return test is not None and not test(env)


def _normalised(
    fw: Framework,
    answers: dict[str, Any],
    proj_eff: dict[str, Any],
    proj_unknown: set[str],
    cust_data: list[_CustodianAnswers],
) -> Normalised:
    """Effective answers of a valid document: hidden answers dropped, unknowns recorded."""
    norm = Normalised()
    for q in fw.project_show_if:
        if q.id in proj_eff and _hidden(q, Env(proj_eff, [], None)):
            del proj_eff[q.id]
            norm.ignored.append({"custodian": None, "question": q.id})
    norm.project = proj_eff
    norm.raw_project = answers
    aw = norm.assumed_worst
    for q in fw.project_questions:
        if q.id in proj_unknown and q.id in proj_eff:
            aw.append({"custodian": None, "question": q.id})
    show_if = fw.custodian_show_if
    for name, ca, eff, unknown in cust_data:
        merged = dict(proj_eff)
        merged.update(eff)
        if show_if:
            env = Env(merged, [], None)
            for q in show_if:
                if q.id in merged and _hidden(q, env):
                    del merged[q.id]
                    norm.ignored.append({"custodian": name, "question": q.id})
        if unknown:
            for q in fw.custodian_questions:
                if q.id in unknown and q.id in merged:
                    aw.append({"custodian": name, "question": q.id})
        norm.custodians.append(merged)
        norm.names.append(name)
        norm.raw_custodians.append(ca)
    return norm


def validate_document(fw: Framework, doc: Any) -> list[Problem]:
    """All problems of a document (an empty list means it is valid), its custodians'
    criteria and appetites included."""
    return _check(fw, doc, False)[0] + additions_problems(fw, doc)


def normalise(fw: Framework, doc: Any) -> tuple[list[Problem], Normalised | None]:
    """``(problems, Normalised | None)``."""
    return _check(fw, doc, True)


def effective_answers(fw: Framework, answers: dict[str, Any]) -> dict[str, Any]:
    """Effective values of the valid answers in ``answers`` (others are left out).

    Used to decide show-if visibility while a questionnaire is still a draft.
    """
    out: dict[str, Any] = {}
    for qid, value in answers.items():
        q = fw.questions_by_id.get(qid)
        if q is None:
            continue
        message, effective, _ = q.check(value)
        if message is None:
            out[qid] = effective
    return out
