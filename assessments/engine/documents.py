"""Validation and normalisation of project assessment documents (spec section 8).

A document is ``{"title": ..., "answers": {...project answers...},
"custodians": [{"name": ..., "answers": {...}}, ...]}``.  Validation returns a
list of :class:`Problem`; normalisation turns answers into *effective* values
(``"unknown"`` -> the question's ``unknown_as``; multi answers -> frozensets).
"""

from __future__ import annotations

import json

from .conditions import Env
from .errors import Problem

__all__ = ["make_checker", "validate_document", "normalise", "effective_answers"]


def _show(v) -> str:
    try:
        s = json.dumps(v, ensure_ascii=False)
    except (TypeError, ValueError):
        s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _int_desc(q) -> str:
    if q.min is not None and q.max is not None:
        return f"an integer from {q.min} to {q.max}"
    if q.min is not None:
        return f"an integer ≥ {q.min}"
    if q.max is not None:
        return f"an integer ≤ {q.max}"
    return "an integer"


def make_checker(q):
    """A function ``raw -> (message|None, effective value, was_unknown)`` for one question."""
    t = q.type
    if t == "int":
        lo, hi, desc = q.min, q.max, _int_desc(q)

        def check(v):
            if v.__class__ is int:  # bool is excluded: its class is bool
                if (lo is not None and v < lo) or (hi is not None and v > hi):
                    return f"{v} is out of range: expected {desc}", None, False
                return None, v, False
            return f"expected {desc}, got {_show(v)}", None, False
        return check

    allowed = ", ".join(str(v).lower() if isinstance(v, bool) else v for v in q.option_values)
    allowed = f'{allowed} or "unknown"'
    ua = q.unknown_as

    if t == "bool":
        def check(v):
            if v is True or v is False:
                return None, v, False
            if v == "unknown":
                return None, ua, True
            return f'expected true, false or "unknown", got {_show(v)}', None, False
        return check

    opts = q.option_set
    if t == "enum":
        def check(v):
            if v.__class__ is str:
                if v in opts:
                    return None, v, False
                if v == "unknown":
                    return None, ua, True
                return f'"{v}" is not an option; allowed: {allowed}', None, False
            return (f'expected one of the options (a string), got {_show(v)}; allowed: '
                    f'{allowed}'), None, False
        return check

    # multi
    has_none = "none" in opts

    def check(v):
        if v.__class__ is list:
            if not v:
                hint = ' (choose "none" explicitly)' if has_none else ""
                return f"empty list: choose at least one option{hint}", None, False
            for o in v:
                if o.__class__ is not str:
                    return (f'expected a list of options or "unknown", got {_show(v)}', None,
                            False)
                if o not in opts:
                    if o == "unknown":
                        return ('"unknown" must be the whole answer, not an item of the list',
                                None, False)
                    return f'"{o}" is not an option; allowed: {allowed}', None, False
            s = frozenset(v)
            if len(s) != len(v):
                dup = next(o for o in v if v.count(o) > 1)
                return f'"{dup}" is listed more than once', None, False
            if has_none and "none" in s and len(s) > 1:
                return '"none" cannot be combined with other options', None, False
            return None, s, False
        if v == "unknown":
            return None, ua, True
        return f'expected a list of options or "unknown", got {_show(v)}', None, False
    return check


class Normalised:
    """Effective values of a valid document."""

    __slots__ = ("project", "custodians", "names", "assumed_worst", "ignored", "raw_project",
                 "raw_custodians")

    def __init__(self):
        self.project = {}
        self.custodians = []      # merged effective answers (project + custodian), per custodian
        self.names = []
        self.assumed_worst = []
        self.ignored = []
        self.raw_project = {}
        self.raw_custodians = []


def _level_answers(fw, answers, custodian, own_scope, problems, eff, unknowns):
    qmap = fw.questions_by_id
    for qid, raw in answers.items():
        q = qmap.get(qid)
        if q is None:
            problems.append(Problem(custodian, qid, "unknown question"))
            continue
        if q.scope != own_scope:
            if own_scope == "project":
                problems.append(Problem(custodian, qid, f"{qid} is a custodian question; "
                                        f"answer it in each custodian's answers, not at "
                                        f"project level"))
            else:
                problems.append(Problem(custodian, qid, f"{qid} is a project question; "
                                        f"answer it once in the project answers, not per "
                                        f"custodian"))
            continue
        msg, val, unk = q.check(raw)
        if msg is not None:
            problems.append(Problem(custodian, qid, msg))
            continue
        eff[qid] = val
        if unk:
            unknowns.add(qid)


def _check(fw, doc, want_normalised: bool):
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        kind = {list: "a list", str: "a string", type(None): "null"}.get(type(doc),
                                                                           type(doc).__name__)
        return [Problem(None, None, 'the document must be a JSON object with "answers" and '
                                    f'"custodians", got {kind}')], None
    norm = Normalised() if want_normalised else None

    answers = doc.get("answers")
    proj_eff: dict = {}
    proj_unknown: set = set()
    if answers is None:
        problems.append(Problem(None, None, 'missing "answers": an object holding every '
                                            "project question's answer"))
    elif not isinstance(answers, dict):
        problems.append(Problem(None, None, f'"answers" must be an object, got {_show(answers)}'))
        answers = None
    else:
        _level_answers(fw, answers, None, "project", problems, proj_eff, proj_unknown)
        for q in fw._project_qs:
            if q.id not in answers and q.required:
                problems.append(Problem(None, q.id, "missing answer"))

    custs = doc.get("custodians")
    cust_data = []
    if custs is None:
        problems.append(Problem(None, None, 'no custodians: "custodians" must list at least '
                                            "one custodian"))
    elif not isinstance(custs, list):
        problems.append(Problem(None, None, f'"custodians" must be a list, got {_show(custs)}'))
    elif not custs:
        problems.append(Problem(None, None, "no custodians: at least one custodian is "
                                            "required"))
    else:
        seen = set()
        for i, c in enumerate(custs):
            tag = f"#{i + 1}"
            if not isinstance(c, dict):
                problems.append(Problem(tag, None, 'expected an object with "name" and '
                                                   f'"answers", got {_show(c)}'))
                continue
            name = c.get("name")
            if not isinstance(name, str) or not name.strip():
                problems.append(Problem(tag, None, "missing custodian name" if name is None
                                        else f"custodian name must be a non-empty string, "
                                             f"got {_show(name)}"))
                name = tag
            elif name in seen:
                problems.append(Problem(name, None, "duplicate custodian name"))
            seen.add(name)
            ca = c.get("answers")
            eff: dict = {}
            unknown: set = set()
            if not isinstance(ca, dict):
                problems.append(Problem(name, None, '"answers" must be an object' if ca is not None
                                        else 'missing "answers"'))
                ca = {}
            else:
                _level_answers(fw, ca, name, "custodian", problems, eff, unknown)
                for q in fw._custodian_qs:
                    if q.id not in ca and q.required:
                        problems.append(Problem(name, q.id, "missing answer"))
            cust_data.append((name, ca, eff, unknown))

    if problems or not want_normalised:
        return problems, None

    # normalise (document is valid)
    for q in fw._project_show_if:
        if q.id in proj_eff and not q.show_if_fn(Env(proj_eff, [], None)):
            del proj_eff[q.id]
            norm.ignored.append({"custodian": None, "question": q.id})
    norm.project = proj_eff
    norm.raw_project = answers
    aw = norm.assumed_worst
    for q in fw._project_qs:
        if q.id in proj_unknown and q.id in proj_eff:
            aw.append({"custodian": None, "question": q.id})
    show_if = fw._custodian_show_if
    for name, ca, eff, unknown in cust_data:
        merged = dict(proj_eff)
        merged.update(eff)
        if show_if:
            env = Env(merged, [], None)
            for q in show_if:
                if q.id in merged and not q.show_if_fn(env):
                    del merged[q.id]
                    norm.ignored.append({"custodian": name, "question": q.id})
        if unknown:
            for q in fw._custodian_qs:
                if q.id in unknown and q.id in merged:
                    aw.append({"custodian": name, "question": q.id})
        norm.custodians.append(merged)
        norm.names.append(name)
        norm.raw_custodians.append(ca)
    return problems, norm


def validate_document(fw, doc) -> list[Problem]:
    """All problems of a document (an empty list means it is valid)."""
    return _check(fw, doc, False)[0]


def normalise(fw, doc):
    """``(problems, Normalised | None)``."""
    return _check(fw, doc, True)


def effective_answers(fw, answers) -> dict:
    """Effective values of the valid answers in ``answers`` (others are left out).

    Used to decide show-if visibility while a questionnaire is still a draft.
    """
    out = {}
    for qid, value in answers.items():
        q = fw.questions_by_id.get(qid)
        if q is None:
            continue
        message, effective, _ = q.check(value)
        if message is None:
            out[qid] = effective
    return out
