"""Where custodians disagree: each safe's tier under the framework alone and under each
custodian's criteria alone (custodian-criteria spec, section 1).

The document is validated and normalised once; then the phases run once for the framework
alone, once per custodian with criteria (that custodian's criteria only) and once with every
custodian's criteria (what :func:`~assessments.engine.evaluate` reports).  No explanation
or other result keys are built, so this costs little more than those runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .additions import custodian_additions
from .documents import normalise
from .errors import DocumentInvalid
from .evaluation import Run, run_phases

if TYPE_CHECKING:
    from .appetite import Appetite
    from .criteria import Criteria
    from .framework import Framework

__all__ = ["evaluate_by_criteria"]


def evaluate_by_criteria(
    fw: Framework,
    doc: Any,
    *,
    criteria: Mapping[str, Criteria] | None = None,
    appetites: Mapping[str, Appetite] | None = None,
) -> dict[str, Any]:
    """``{"framework": summary, "custodians": [...], "combined": summary,
    "criteria_ignored": [...]}``.

    A summary is ``{"tiers", "overall", "outcome"}``.  Each custodian with criteria in use
    has its summary under its criteria alone plus ``custodian``, ``criteria`` (id, version,
    sha256), ``fired`` (its criteria rules that fired) and ``differences``: per safe (and
    ``overall``) whose tier differs from the framework's, ``{"safe", "framework",
    "criteria", "rules", "via"}`` where ``rules`` are its criteria rules that set that tier
    and ``via`` the other rules that set it (a framework rule reading a tier the criteria
    raised).  Raises :class:`DocumentInvalid` like ``evaluate``."""
    problems, norm = normalise(fw, doc)
    more, adds = custodian_additions(fw, doc, criteria, appetites)
    if problems or more or norm is None:
        raise DocumentInvalid(problems + more)
    base = run_phases(fw, norm, ())
    combined = base
    custodians = []
    for i, c in enumerate(adds.criteria):
        if c is None:
            continue
        alone: list[Criteria | None] = [None] * len(adds.criteria)
        alone[i] = c
        run = run_phases(fw, norm, alone)
        combined = run
        custodians.append(
            {
                "custodian": norm.names[i],
                "criteria": c.ref,
                **_summary(fw, run),
                "fired": sorted({r.id for r, _, owner in run.firings if owner == i}),
                "differences": _differences(fw, base, run, i),
            }
        )
    if len(custodians) > 1:  # with one, its criteria alone are all the criteria
        combined = run_phases(fw, norm, adds.criteria)
    return {
        "framework": _summary(fw, base),
        "custodians": custodians,
        "combined": _summary(fw, combined),
        "criteria_ignored": adds.ignored,
    }


def _summary(fw: Framework, run: Run) -> dict[str, Any]:
    return {"tiers": {s: run.tiers[s] for s in fw.safes}, "overall": run.tiers["overall"], "outcome": run.outcome}


def _differences(fw: Framework, base: Run, run: Run, owner: int) -> list[dict[str, Any]]:
    out = []
    for safe in (*fw.safes, "overall"):
        tier = run.tiers[safe]
        if tier == base.tiers[safe]:
            continue
        targets = fw.safes if safe == "overall" else (safe,)
        own: set[str] = set()
        via: set[str] = set()
        for r, _, o in run.firings:
            if any(s in targets and to == tier for s, to in r.raises):
                (own if o == owner else via).add(r.id)
        out.append(
            {"safe": safe, "framework": base.tiers[safe], "criteria": tier, "rules": sorted(own), "via": sorted(via)}
        )
    return out
