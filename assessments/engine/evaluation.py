"""Evaluation of a project assessment document (spec sections 3–5 and 8).

Phase 1: every custodian alone (its answers plus the project answers).
Phase 2: strictest wins per safe (recording the custodian(s) that set it), any
custodian BLOCK blocks, then the phase-2 rules once.
Phase 3: tier floors to a fixpoint, then every GAP/BLOCK/REFER whose condition
holds in the final state.  Outcome: the first framework outcome whose test holds.

Custodians' criteria (custodian-criteria spec): custodian C's phase-1 criteria rules run
in C's phase-1 environment only, after the framework's; every custodian's phase-3 criteria
rules run in the same fixpoint as the framework's.  Each firing remembers whose criteria
fired, so results attribute it to that custodian and criteria version.

``answers_sha256`` is the SHA-256 of ``canonical_json({"answers": <project
answers as given>, "custodians": [{"name": ..., "answers": <as given>}, ...]})``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .additions import additions_result, custodian_additions
from .canonical import canonical_json, sha256_hex
from .conditions import READS_EVERY_CUSTODIAN, Env
from .documents import Normalised, normalise
from .errors import DocumentInvalid

if TYPE_CHECKING:
    from .appetite import Appetite
    from .criteria import Criteria
    from .framework import Framework, Rule

__all__ = ["evaluate", "answers_sha256", "run_phases", "Run"]

# A rule that fired: the rule, the index of the custodian whose answers it read (None: the
# project), and the index of the custodian whose criteria it is (None: the framework's).
Firing = tuple["Rule", "int | None", "int | None"]
Tiers = dict[str, int]
# Per custodian (document order): the criteria in use, or None.  Empty: no criteria at all.
CriteriaList = Sequence["Criteria | None"]


def answers_sha256(doc: dict[str, Any]) -> str:
    return sha256_hex(
        canonical_json(
            {
                "answers": doc["answers"],
                "custodians": [{"name": c["name"], "answers": c["answers"]} for c in doc["custodians"]],
            }
        )
    )


def evaluate(
    fw: Framework,
    doc: Any,
    *,
    criteria: Mapping[str, Criteria] | None = None,
    appetites: Mapping[str, Appetite] | None = None,
) -> dict[str, Any]:
    """Evaluate a document; raises :class:`DocumentInvalid` if it does not validate.

    ``criteria`` and ``appetites`` map custodian names to compiled criteria sets and
    appetites, used instead of any the document's custodians carry.

    When some custodian has criteria or an appetite the result also has ``routes``
    ({name: route}, every custodian), ``route_reasons`` ({name: RouteDecision.as_dict}),
    ``criteria`` ([{custodian, id, version, sha256}], those used) and ``criteria_ignored``
    (those for another framework version, with ``framework`` and ``reason``); entries of
    ``fired_details``, ``explanation[safe]["rules"]``, ``conditions``, ``blocks`` and
    ``refers`` that come from criteria carry ``custodian`` (whose criteria) and
    ``criteria`` ({id, version, sha256}); ``fired_details`` and explanation rules add
    ``source_details`` ([{id, title, url}], the custodian's own sources).  Without them the
    result is exactly the framework's."""
    problems, norm = normalise(fw, doc)
    more, adds = custodian_additions(fw, doc, criteria, appetites)
    if problems or more or norm is None:
        raise DocumentInvalid(problems + more)
    crit: CriteriaList = adds.criteria if adds.active else ()
    run = run_phases(fw, norm, crit)
    alone, tiers, strictest, firings, effects = (run.alone, run.tiers, run.strictest, run.firings, run.effects)
    result = {
        "framework": {"id": fw.id, "version": fw.version, "sha256": fw.sha256},
        "answers_sha256": answers_sha256(doc),
        "tiers": {s: tiers[s] for s in fw.safes},
        "overall": tiers["overall"],
        "overall_name": fw.tiers[tiers["overall"]]["name"],
        "outcome": run.outcome,
        "fired": sorted({r.id for r, _, _ in firings}),
        "conditions": effects.conditions,
        "blocks": effects.blocks,
        "refers": effects.refers,
        "assumed_worst": norm.assumed_worst,
        "explanation": {
            s: _explain_safe(fw, s, tiers[s], firings, norm, alone.tiers, strictest[s], crit) for s in fw.safes
        },
        "custodians": [
            {
                "name": name,
                "tiers": alone.tiers[i],
                "fired": sorted({r.id for r in alone.fired[i]}),
                "blocked": alone.blocked[i],
            }
            for i, name in enumerate(norm.names)
        ],
        "fired_details": [
            {
                "rule": r.id,
                "custodian": _whose(ci, owner, norm.names),
                "phase": r.phase,
                "justification": r.justification,
                "sources": list(r.sources),
                "sentence": r.sentence,
                **_criteria_keys(r, owner, crit),
            }
            for r, ci, owner in firings
        ],
        "ignored_answers": norm.ignored,
    }
    if adds.active:
        result.update(additions_result(fw, norm.names, adds, result["tiers"], run.outcome))
    return result


class Run:
    """The phases run over a normalised document: each custodian alone, the final tiers
    (with ``overall``), the strictest-wins tiers, every firing, its effects and the outcome."""

    __slots__ = ("alone", "tiers", "strictest", "firings", "effects", "outcome")

    def __init__(
        self,
        alone: _Phase1,
        tiers: Tiers,
        strictest: Tiers,
        firings: list[Firing],
        effects: _Effects,
        outcome: str | None,
    ) -> None:
        self.alone = alone
        self.tiers = tiers
        self.strictest = strictest
        self.firings = firings
        self.effects = effects
        self.outcome = outcome


def run_phases(fw: Framework, norm: Normalised, crit: CriteriaList = ()) -> Run:
    """Phases 1–3, effects and outcome, with ``crit[i]`` as custodian i's criteria."""
    custodian_envs = [Env(answers) for answers in norm.custodians]
    alone = _phase1(fw, custodian_envs, crit)
    tiers, strictest = _strictest_wins(fw, alone.tiers)
    project_env = Env(norm.project, custodian_envs, tiers)
    firings = alone.firings
    _phase2(fw, project_env, tiers, firings)
    _phase3(fw, project_env, tiers, firings, crit)
    effects = _Effects(firings, norm.names, crit)
    return Run(alone, tiers, strictest, firings, effects, _outcome(fw, tiers, effects))


def _whose(ci: int | None, owner: int | None, names: list[str]) -> str | None:
    """The custodian a firing is reported under: whose criteria, else whose answers."""
    if owner is not None:
        return names[owner]
    return names[ci] if ci is not None else None


def _criteria_keys(rule: Rule, owner: int | None, crit: CriteriaList, sources: bool = True) -> dict[str, Any]:
    """What a criteria rule's entries add: its criteria version and its own sources."""
    if owner is None:
        return {}
    c = crit[owner]
    assert c is not None
    if not sources:
        return {"criteria": c.ref}
    return {"criteria": c.ref, "source_details": [c.sources[s] for s in rule.sources]}


# ---------------------------------------------------------------------- phase 1


class _Phase1:
    """Each custodian alone: its tier floors, fired rules and whether it blocks."""

    __slots__ = ("tiers", "fired", "blocked", "firings")

    def __init__(self) -> None:
        self.tiers: list[Tiers] = []
        self.fired: list[list[Rule]] = []
        self.blocked: list[bool] = []
        self.firings: list[Firing] = []  # in custodian order, then rule order


def _phase1(fw: Framework, custodian_envs: list[Env], crit: CriteriaList) -> _Phase1:
    out = _Phase1()
    rules = fw.rules_by_phase[1]
    for ci, env in enumerate(custodian_envs):
        floors = dict.fromkeys(fw.safes, 0)
        fired: list[Rule] = []
        blocked = _fire_alone(rules, env, ci, None, floors, fired, out.firings)
        c = crit[ci] if crit else None
        if c is not None and c.phase1:
            # Only in C's own environment: C's criteria never judge another custodian's data.
            blocked = _fire_alone(c.phase1, env, ci, ci, floors, fired, out.firings) or blocked
        out.tiers.append(floors)
        out.fired.append(fired)
        out.blocked.append(blocked)
    return out


def _fire_alone(
    rules: Sequence[Rule], env: Env, ci: int, owner: int | None, floors: Tiers, fired: list[Rule], firings: list[Firing]
) -> bool:
    """Run phase-1 rules for one custodian; whether one of them blocks."""
    blocked = False
    for r in rules:
        if r.test(env):
            fired.append(r)
            firings.append((r, ci, owner))
            for safe, to in r.raises:
                if to > floors[safe]:
                    floors[safe] = to
            if r.block:
                blocked = True
    return blocked


# ---------------------------------------------------------------------- phases 2 and 3


def _strictest_wins(fw: Framework, custodian_tiers: list[Tiers]) -> tuple[Tiers, Tiers]:
    """The project's starting tiers (the highest of any custodian, and ``overall``), and a
    copy of them per safe, kept for the explanation after later rules raise them."""
    tiers: Tiers = {}
    for s in fw.safes:
        m = 0
        for ft in custodian_tiers:
            if ft[s] > m:
                m = ft[s]
        tiers[s] = m
    strictest = dict(tiers)
    tiers["overall"] = max(tiers[s] for s in fw.safes)
    return tiers, strictest


def _raise_floors(rule: Rule, tiers: Tiers) -> bool:
    """Apply a rule's raises; whether any tier went up."""
    changed = False
    for safe, to in rule.raises:
        if to > tiers[safe]:
            tiers[safe] = to
            changed = True
            if to > tiers["overall"]:
                tiers["overall"] = to
    return changed


def _phase2(fw: Framework, env: Env, tiers: Tiers, firings: list[Firing]) -> None:
    for r in fw.rules_by_phase[2]:
        if r.test(env):
            firings.append((r, None, None))
            _raise_floors(r, tiers)


def _phase3(fw: Framework, env: Env, tiers: Tiers, firings: list[Firing], crit: CriteriaList) -> None:
    """Tier floors to a fixpoint, then record every phase-3 rule that holds at the end."""
    extra = [(ci, c) for ci, c in enumerate(crit) if c is not None and c.phase3]
    fixed = fw.phase3_fixed_raisers
    dynamic = fw.phase3_tier_raisers
    if extra:  # criteria rules join the framework's in one fixpoint
        fixed += tuple(r for _, c in extra for r in c.phase3_fixed_raisers)
        dynamic += tuple(r for _, c in extra for r in c.phase3_tier_raisers)
    for r in fixed:
        if r.test(env):
            _raise_floors(r, tiers)
    changed = True
    while changed:
        changed = False
        for r in dynamic:
            if r.test(env) and _raise_floors(r, tiers):
                changed = True
    for r in fw.rules_by_phase[3]:
        if r.test(env):
            firings.append((r, None, None))
    for owner, c in extra:
        for r in c.phase3:
            if r.test(env):
                firings.append((r, None, owner))


# ---------------------------------------------------------------------- effects and outcome


class _Effects:
    """The conditions of approval (gaps), blocks and referrals of the rules that fired."""

    __slots__ = ("conditions", "blocks", "refers", "any_gap", "any_blocking_gap")

    def __init__(self, firings: list[Firing], names: list[str], crit: CriteriaList) -> None:
        # keyed by (rule id, "" or the custodian whose criteria it is): two custodians'
        # criteria may use the same rule id
        by_rule: dict[tuple[str, str], dict[str, Any]] = {}
        self.blocks: list[dict[str, Any]] = []
        self.refers: list[dict[str, Any]] = []
        self.any_gap = self.any_blocking_gap = False
        for r, ci, owner in firings:
            cname = _whose(ci, owner, names)
            attribution = _criteria_keys(r, owner, crit, sources=False)
            if r.gap is not None:
                blocking = r.gap == "blocking"
                self.any_gap = True
                self.any_blocking_gap = self.any_blocking_gap or blocking
                key = (r.id, names[owner] if owner is not None else "")
                if key not in by_rule:
                    by_rule[key] = {"rule": r.id, "text": r.justification, "blocking": blocking}
                    if owner is not None:
                        by_rule[key].update(custodian=cname, **attribution)
            if r.block:
                self.blocks.append({"rule": r.id, "text": r.justification, "custodian": cname, **attribution})
            if r.refer:
                self.refers.append({"rule": r.id, "text": r.justification, "custodian": cname, **attribution})
        self.conditions = [by_rule[k] for k in sorted(by_rule)]


def _outcome(fw: Framework, tiers: Tiers, effects: _Effects) -> str | None:
    """The first framework outcome one of whose tests holds (the last one has none)."""
    for o in fw.outcomes:
        tests = o["tests"]
        if tests is None:
            return str(o["id"])
        for kind, safe, n in tests:
            if kind == "block":
                hit = bool(effects.blocks)
            elif kind == "blocking_gap":
                hit = effects.any_blocking_gap
            elif kind == "refer":
                hit = bool(effects.refers)
            elif kind == "gap":
                hit = effects.any_gap
            else:
                hit = tiers[safe] >= n
            if hit:
                return str(o["id"])
    return None


# ---------------------------------------------------------------------- explanation


def _explain_safe(
    fw: Framework,
    safe: str,
    tier: int,
    firings: list[Firing],
    norm: Normalised,
    custodian_tiers: list[Tiers],
    strictest: int,
    crit: CriteriaList,
) -> dict[str, Any]:
    """Why ``safe`` has its tier: the decisive rules, who set the starting tier, and which
    answers could lower it."""
    names = norm.names
    entry_rules = []
    decisive = set()
    lower: dict[tuple[int, int], str] = {}  # (custodian index or -1, question index) -> id
    dep_tiers: set[str] = set()
    if tier > 0:
        for r, ci, owner in firings:
            if (safe, tier) not in r.raises:
                continue
            decisive.add(r.id)
            entry_rules.append(
                {
                    "id": r.id,
                    "sentence": r.sentence,
                    "justification": r.justification,
                    "sources": list(r.sources),
                    "custodian": _whose(ci, owner, names),
                    **_criteria_keys(r, owner, crit),
                }
            )
            dep_tiers.update(r.tier_deps)
            _collect_lowering(fw, r, ci, len(names), lower)
    # The strictest-wins step: who set the starting tier, even if a later rule raised it.
    set_by = [names[i] for i in range(len(names)) if custodian_tiers[i][safe] == strictest] if strictest > 0 else []
    return {
        "tier": tier,
        "tier_name": fw.tiers[tier]["name"],
        "decisive": sorted(decisive),
        "set_by": set_by,
        "rules": entry_rules,
        "lower_by": _lower_by(fw, lower, norm),
        "depends_on_tiers": sorted(dep_tiers),
    }


def _collect_lowering(
    fw: Framework, rule: Rule, ci: int | None, n_custodians: int, lower: dict[tuple[int, int], str]
) -> None:
    """Record the answers a decisive rule read, keyed by whose answer it is."""
    for kind, qid in rule.question_deps:
        q = fw.questions_by_id[qid]
        if kind == READS_EVERY_CUSTODIAN:
            for cj in range(n_custodians):
                lower[(cj, q.index)] = qid
        elif q.scope == "custodian" and ci is not None:
            lower[(ci, q.index)] = qid
        else:
            lower[(-1, q.index)] = qid


def _lower_by(fw: Framework, lower: dict[tuple[int, int], str], norm: Normalised) -> list[dict[str, Any]]:
    out = []
    for (cj, _), qid in sorted(lower.items()):
        if cj < 0:
            answer = norm.raw_project.get(qid)
            custodian = None
        else:
            answer = norm.raw_custodians[cj].get(qid)
            custodian = norm.names[cj]
        q = fw.questions_by_id[qid]
        if q.is_lowest_risk(answer):
            continue  # already the least risky answer: changing it cannot lower the tier
        out.append({"custodian": custodian, "question": qid, "label": q.label, "answer": answer})
    return out
