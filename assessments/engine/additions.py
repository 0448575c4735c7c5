"""What custodians add to an evaluation: their criteria and risk appetites (custodian-criteria
spec, section 3).

Each custodian of a document may carry ``criteria`` (a criteria set) and ``appetite``; a
Python caller may instead pass compiled ones by custodian name, which take precedence (the
Django side compiles a published version once and evaluates many projects with it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .appetite import DEFAULT_APPETITE, Appetite, cached_appetite, route_for
from .canonical import short_json
from .criteria import Criteria, cached_criteria
from .errors import AppetiteInvalid, CriteriaInvalid, Problem

if TYPE_CHECKING:
    from .framework import Framework

__all__ = ["Additions", "custodian_additions", "additions_problems", "additions_result"]

T = TypeVar("T")


class Additions:
    """Per custodian (document order): the criteria used (``None``: none, or ignored) and the
    appetite given (``None``: the default).  ``active``: some custodian has criteria or an
    appetite, so the result carries routes and attributions."""

    __slots__ = ("criteria", "appetites", "ignored", "active")

    def __init__(self, n: int) -> None:
        self.criteria: list[Criteria | None] = [None] * n
        self.appetites: list[Appetite | None] = [None] * n
        self.ignored: list[dict[str, Any]] = []
        self.active = False


def additions_problems(fw: Framework, doc: Any) -> list[Problem]:
    """The problems of the criteria and appetites inside a document."""
    return custodian_additions(fw, doc)[0]


def custodian_additions(
    fw: Framework,
    doc: Any,
    criteria: Mapping[str, Criteria] | None = None,
    appetites: Mapping[str, Appetite] | None = None,
) -> tuple[list[Problem], Additions]:
    """Criteria and appetites per custodian, from the document and the keyword mappings."""
    custodians = doc.get("custodians") if isinstance(doc, dict) else None
    if not isinstance(custodians, list):
        custodians = []
    names = [_name(c, i) for i, c in enumerate(custodians)]
    problems: list[Problem] = []
    adds = Additions(len(custodians))
    for i, c in enumerate(custodians):
        if isinstance(c, dict):
            adds.criteria[i] = _inline_criteria(fw, names[i], c.get("criteria"), problems)
            adds.appetites[i] = _inline_appetite(fw, names[i], c.get("appetite"), problems)
    _by_name(criteria, adds.criteria, names, "criteria", problems)
    _by_name(appetites, adds.appetites, names, "an appetite", problems)
    adds.active = any(c is not None for c in adds.criteria) or any(a is not None for a in adds.appetites)
    for i, crit in enumerate(adds.criteria):
        if crit is not None and not crit.applies_to(fw):
            adds.ignored.append(
                {
                    "custodian": names[i],
                    **crit.ref,
                    "framework": crit.framework,
                    "reason": f"these criteria are for {crit.framework}; this assessment is under {fw.id}@{fw.version}",
                }
            )
            adds.criteria[i] = None
    return problems, adds


def _by_name(
    given: Mapping[str, T] | None, slots: list[T | None], names: list[str], what: str, problems: list[Problem]
) -> None:
    for name, value in (given or {}).items():
        if name in names:
            slots[names.index(name)] = value
        else:
            problems.append(Problem(name, None, f"{what} given for a custodian that is not in the document"))


def _name(c: Any, i: int) -> str:
    name = c.get("name") if isinstance(c, dict) else None
    return name if isinstance(name, str) and name.strip() else f"#{i + 1}"


def _inline_criteria(fw: Framework, name: str, data: Any, problems: list[Problem]) -> Criteria | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(
            Problem(name, None, f'criteria: must be an object {{"id", "version", "rules"}}, got {short_json(data)}')
        )
        return None
    try:
        return cached_criteria(fw, data)
    except CriteriaInvalid as exc:
        problems.extend(Problem(name, None, f"criteria: {p}") for p in exc.problems)
        return None


def _inline_appetite(fw: Framework, name: str, data: Any, problems: list[Problem]) -> Appetite | None:
    if data is None:
        return None
    try:
        return cached_appetite(fw, data)
    except AppetiteInvalid as exc:
        problems.extend(Problem(name, None, f"appetite: {p}") for p in exc.problems)
        return None


def additions_result(
    fw: Framework, names: Sequence[str], adds: Additions, tiers: Mapping[str, int], outcome: str | None
) -> dict[str, Any]:
    """The result keys for custodians' additions: each custodian's route and why, and the
    criteria used and ignored."""
    decisions = [route_for(a if a is not None else DEFAULT_APPETITE, tiers, outcome) for a in adds.appetites]
    return {
        "routes": {n: d.route for n, d in zip(names, decisions, strict=True)},
        "route_reasons": {n: d.as_dict(fw) for n, d in zip(names, decisions, strict=True)},
        "criteria": [{"custodian": n, **c.ref} for n, c in zip(names, adds.criteria, strict=True) if c is not None],
        "criteria_ignored": adds.ignored,
    }
