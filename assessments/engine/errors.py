"""Exceptions and the Problem record of the rules engine (no Django)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "FrameworkError",
    "Problem",
    "DocumentInvalid",
    "ConditionError",
    "framework_error",
    "DefinitionProblem",
    "CriteriaInvalid",
    "AppetiteInvalid",
]


class FrameworkError(Exception):
    """A framework definition is invalid.

    ``str(err)`` is one line naming the file, the rule/question id and the
    problem, e.g. ``rules.yaml: rule R-DA-99: unknown question "DA99"``.
    ``err.file``, ``err.item`` and ``err.problem`` hold the parts.
    """

    def __init__(
        self, message: str, *, file: str | None = None, item: str | None = None, problem: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.item = item
        self.problem = problem if problem is not None else message


def framework_error(file: str, item: str | None, problem: str) -> FrameworkError:
    """The error for one problem in one file, naming the item (rule, question...) if any."""
    msg = f"{file}: {item}: {problem}" if item else f"{file}: {problem}"
    return FrameworkError(msg, file=file, item=item, problem=problem)


class ConditionError(Exception):
    """A condition is invalid; the message says what is wrong (the loader adds file and id)."""


class Problem:
    """One problem found in a project assessment document.

    ``custodian`` is the custodian's name (``None`` for the project level or the
    document as a whole), ``question`` the question id (or ``None``), and
    ``message`` says what is wrong.  ``str(problem)`` is one line such as
    ``custodian "Custodian A": DA3: "none" cannot be combined with other options``
    or ``project: PE4: expected an integer ≥ 0, got "five"``.
    """

    __slots__ = ("custodian", "question", "message")

    def __init__(self, custodian: str | None, question: str | None, message: str) -> None:
        self.custodian = custodian
        self.question = question
        self.message = message

    def __str__(self) -> str:
        parts: list[str] = []
        if self.custodian is not None:
            parts.append(f'custodian "{self.custodian}"')
        elif self.question is not None:
            parts.append("project")
        if self.question is not None:
            parts.append(self.question)
        parts.append(self.message)
        return ": ".join(parts)

    def __repr__(self) -> str:
        return f"Problem({self.custodian!r}, {self.question!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.custodian, self.question, self.message) == (other.custodian, other.question, other.message)

    def __hash__(self) -> int:
        return hash((self.custodian, self.question, self.message))

    def as_dict(self) -> dict[str, Any]:
        return {"custodian": self.custodian, "question": self.question, "message": self.message, "text": str(self)}


class DocumentInvalid(Exception):
    """Raised by ``evaluate`` when the document does not validate; ``.problems``
    is the list of :class:`Problem`."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid document"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


class DefinitionProblem:
    """One problem in a custodian's criteria set or risk appetite.

    ``item`` names where it is (``rule GP-01``, ``rule #3`` for a rule without a usable id,
    ``routes #2``, ``safe_limits``; ``None`` for the whole definition), ``index`` the
    0-based position of that rule or route entry (so a form can put the message beside
    it) and ``message`` what is wrong.  ``str(problem)`` is ``item: message``."""

    __slots__ = ("item", "index", "message")

    def __init__(self, item: str | None, index: int | None, message: str) -> None:
        self.item = item
        self.index = index
        self.message = message

    def __str__(self) -> str:
        return f"{self.item}: {self.message}" if self.item else self.message

    def __repr__(self) -> str:
        return f"DefinitionProblem({self.item!r}, {self.index!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DefinitionProblem):
            return NotImplemented
        return (self.item, self.index, self.message) == (other.item, other.index, other.message)

    def __hash__(self) -> int:
        return hash((self.item, self.index, self.message))

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.item, "index": self.index, "message": self.message, "text": str(self)}


class _DefinitionInvalid(ValueError):
    what = "definition"

    def __init__(self, problems: Iterable[DefinitionProblem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else f"invalid {self.what}"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


class CriteriaInvalid(_DefinitionInvalid):
    """A criteria set does not validate; ``.problems`` lists every :class:`DefinitionProblem`."""

    what = "criteria set"


class AppetiteInvalid(_DefinitionInvalid):
    """A risk appetite does not validate; ``.problems`` lists every :class:`DefinitionProblem`."""

    what = "risk appetite"
