"""Required answers a document lacks, filled at either end of their risk scale.

A project moved to a newer framework version lacks the answers to its new questions (v2's
DA10) until every custodian gives them. Evaluating it with each missing answer at its least
risky value and again at its worst shows what the new version does whatever the answers
(the same result both ways) and what depends on them, before anyone answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .framework import Framework, Question

Bound = Literal["lowest", "worst"]


@dataclass(frozen=True)
class Unanswered:
    custodian: str | None  # None: a project question
    question: str


def unanswered(framework: Framework, document: Any) -> list[Unanswered]:
    """Every required question without an answer, project questions first, in question order."""
    found: list[Unanswered] = []
    if not isinstance(document, dict):
        return found
    answers = document.get("answers")
    if isinstance(answers, dict):
        found += [Unanswered(None, q.id) for q in framework.project_questions if _lacks(answers, q)]
    for custodian in _custodians(document):
        name, given = custodian.get("name"), custodian.get("answers")
        if isinstance(name, str) and isinstance(given, dict):
            found += [Unanswered(name, q.id) for q in framework.custodian_questions if _lacks(given, q)]
    return found


def fill_unanswered(framework: Framework, document: Any, bound: Bound) -> tuple[Any, list[Unanswered]]:
    """A copy of the document with every missing required answer at `bound`, and what was
    missing. A question with no such answer (an int without a limit) stays unanswered, so the
    copy does not validate and says why."""
    missing = unanswered(framework, document)
    if not missing:
        return document, missing
    # Only the answer mappings change: copy those and share the rest (inline criteria can be
    # large, and a deep copy per project was a third of a framework impact preview's time).
    filled = {**document, "answers": _copied(document.get("answers"))}
    if isinstance(document.get("custodians"), list):
        filled["custodians"] = [
            {**c, "answers": _copied(c.get("answers"))} if isinstance(c, dict) else c for c in document["custodians"]
        ]
    by_name = {c.get("name"): c for c in _custodians(filled)}
    for gap in missing:
        question = framework.questions_by_id[gap.question]
        value = question.kind.lowest_answer(question) if bound == "lowest" else question.worst_answer
        if value is None:
            continue
        answers = filled["answers"] if gap.custodian is None else by_name[gap.custodian]["answers"]
        answers[gap.question] = sorted(value, key=question.option_values.index) if isinstance(value, list) else value
    return filled, missing


def _copied(answers: Any) -> Any:
    return dict(answers) if isinstance(answers, dict) else answers


def _lacks(answers: dict[str, Any], question: Question) -> bool:
    return question.required and question.id not in answers


def _custodians(document: dict[str, Any]) -> list[dict[str, Any]]:
    custodians = document.get("custodians")
    return [c for c in custodians if isinstance(c, dict)] if isinstance(custodians, list) else []
