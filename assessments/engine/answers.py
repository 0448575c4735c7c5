"""Checking answers one at a time, for drafts that are not yet a whole document.

The web forms and the API both save partial answers; they check them here, with
the same rules :func:`validate_document` applies to a complete document, so a value
one of them accepts the other cannot refuse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .documents import _level_answers
from .errors import Problem

if TYPE_CHECKING:
    from .framework import Framework

__all__ = ["check_answers"]


def check_answers(
    framework: Framework, answers: dict[str, Any], scope: str, custodian: str | None = None
) -> list[Problem]:
    """Problems with ``answers`` given at ``scope`` ("project" or "custodian").

    ``None`` means unanswered and is always allowed: a draft may be incomplete.
    """
    given = {qid: value for qid, value in answers.items() if value is not None}
    problems: list[Problem] = []
    _level_answers(framework, given, custodian, scope, problems, {}, set())
    return problems
