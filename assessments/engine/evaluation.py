"""Evaluation of a project assessment document (spec sections 3–5 and 8).

Phase 1: every custodian alone (its answers plus the project answers).
Phase 2: strictest wins per safe (recording the custodian(s) that set it), any
custodian BLOCK blocks, then the phase-2 rules once.
Phase 3: tier floors to a fixpoint, then every GAP/BLOCK/REFER whose condition
holds in the final state.  Outcome: the first framework outcome whose test holds.

``answers_sha256`` is the SHA-256 of ``canonical_json({"answers": <project
answers as given>, "custodians": [{"name": ..., "answers": <as given>}, ...]})``.
"""

from __future__ import annotations

from .canonical import canonical_json, sha256_hex
from .conditions import Env
from .documents import normalise
from .errors import DocumentInvalid

__all__ = ["evaluate", "answers_sha256"]


def answers_sha256(doc) -> str:
    return sha256_hex(canonical_json({
        "answers": doc["answers"],
        "custodians": [{"name": c["name"], "answers": c["answers"]} for c in doc["custodians"]],
    }))


def evaluate(fw, doc) -> dict:
    """Evaluate a document; raises :class:`DocumentInvalid` if it does not validate."""
    problems, norm = normalise(fw, doc)
    if problems:
        raise DocumentInvalid(problems)
    safes = fw.safes
    names = norm.names
    n_cust = len(names)

    # ---------------------------------------------------------------- phase 1
    cenvs = [Env(a) for a in norm.custodians]
    firings = []          # (rule, custodian index or None)
    cust_tiers = []
    cust_fired = []
    cust_blocked = []
    phase1 = fw._phase[1]
    for ci, env in enumerate(cenvs):
        floors = dict.fromkeys(safes, 0)
        fired = []
        blocked = False
        for r in phase1:
            if r.fn(env):
                fired.append(r)
                firings.append((r, ci))
                for safe, to in r.raises:
                    if to > floors[safe]:
                        floors[safe] = to
                if r.block:
                    blocked = True
        cust_tiers.append(floors)
        cust_fired.append(fired)
        cust_blocked.append(blocked)

    # ---------------------------------------------------------------- phase 2
    tiers = {}
    p1max = {}
    for s in safes:
        m = 0
        for ft in cust_tiers:
            if ft[s] > m:
                m = ft[s]
        tiers[s] = m
        p1max[s] = m
    tiers["overall"] = max(tiers[s] for s in safes)
    penv = Env(norm.project, cenvs, tiers)

    def raise_(r):
        changed = False
        for safe, to in r.raises:
            if to > tiers[safe]:
                tiers[safe] = to
                changed = True
                if to > tiers["overall"]:
                    tiers["overall"] = to
        return changed

    for r in fw._phase[2]:
        if r.fn(penv):
            firings.append((r, None))
            raise_(r)

    # ---------------------------------------------------------------- phase 3
    for r in fw._phase3_static:
        if r.fn(penv):
            raise_(r)
    dynamic = fw._phase3_dynamic
    changed = True
    while changed:
        changed = False
        for r in dynamic:
            if r.fn(penv) and raise_(r):
                changed = True
    for r in fw._phase[3]:
        if r.fn(penv):
            firings.append((r, None))

    # ---------------------------------------------------------------- collect
    fired_ids = sorted({r.id for r, _ in firings})
    cond_map = {}
    blocks = []
    refers = []
    any_gap = any_blocking = False
    for r, ci in firings:
        cname = names[ci] if ci is not None else None
        if r.gap is not None:
            blocking = r.gap == "blocking"
            any_gap = True
            any_blocking = any_blocking or blocking
            prev = cond_map.get(r.id)
            if prev is None:
                cond_map[r.id] = {"rule": r.id, "text": r.justification, "blocking": blocking}
        if r.block:
            blocks.append({"rule": r.id, "text": r.justification, "custodian": cname})
        if r.refer:
            refers.append({"rule": r.id, "text": r.justification, "custodian": cname})
    conditions = [cond_map[k] for k in sorted(cond_map)]
    overall = tiers["overall"]

    outcome = None
    for o in fw.outcomes:
        tests = o["tests"]
        if tests is None:
            outcome = o["id"]
            break
        hit = False
        for kind, safe, n in tests:
            if kind == "block":
                hit = bool(blocks)
            elif kind == "blocking_gap":
                hit = any_blocking
            elif kind == "refer":
                hit = bool(refers)
            elif kind == "gap":
                hit = any_gap
            else:
                hit = tiers[safe] >= n
            if hit:
                break
        if hit:
            outcome = o["id"]
            break

    # ---------------------------------------------------------------- explanation
    qmap = fw.questions_by_id
    raw_p = norm.raw_project
    raw_c = norm.raw_custodians
    explanation = {}
    for s in safes:
        t = tiers[s]
        entry_rules = []
        decisive = set()
        lower = {}
        dep_tiers = set()
        if t > 0:
            for r, ci in firings:
                for safe, to in r.raises:
                    if safe == s and to == t:
                        break
                else:
                    continue
                decisive.add(r.id)
                cname = names[ci] if ci is not None else None
                entry_rules.append({"id": r.id, "sentence": r.sentence,
                                    "justification": r.justification,
                                    "sources": list(r.sources), "custodian": cname})
                dep_tiers.update(r.tier_deps)
                for kind, qid in r.question_deps:
                    q = qmap[qid]
                    if kind == "c":
                        for cj in range(n_cust):
                            lower[(cj, q.index)] = qid
                    elif q.scope == "custodian" and ci is not None:
                        lower[(ci, q.index)] = qid
                    else:
                        lower[(-1, q.index)] = qid
        lower_by = []
        for (cj, _), qid in sorted(lower.items()):
            if cj < 0:
                ans = raw_p.get(qid)
                cn = None
            else:
                ans = raw_c[cj].get(qid)
                cn = names[cj]
            if _at_lowest_risk(qmap[qid], ans):
                continue  # already the least risky answer: changing it cannot lower the tier
            lower_by.append({"custodian": cn, "question": qid, "label": qmap[qid].label,
                             "answer": ans})
        # The strictest-wins step: who set the starting tier, even if a later rule raised it.
        set_by = ([names[i] for i in range(n_cust) if cust_tiers[i][s] == p1max[s]]
                  if p1max[s] > 0 else [])
        explanation[s] = {"tier": t, "tier_name": fw.tiers[t]["name"],
                          "decisive": sorted(decisive), "set_by": set_by,
                          "rules": entry_rules, "lower_by": lower_by,
                          "depends_on_tiers": sorted(dep_tiers)}

    return {
        "framework": {"id": fw.id, "version": fw.version, "sha256": fw.sha256},
        "answers_sha256": answers_sha256(doc),
        "tiers": {s: tiers[s] for s in safes},
        "overall": overall,
        "overall_name": fw.tiers[overall]["name"],
        "outcome": outcome,
        "fired": fired_ids,
        "conditions": conditions,
        "blocks": blocks,
        "refers": refers,
        "assumed_worst": norm.assumed_worst,
        "explanation": explanation,
        "custodians": [
            {"name": names[i], "tiers": cust_tiers[i],
             "fired": sorted({r.id for r in cust_fired[i]}), "blocked": cust_blocked[i]}
            for i in range(n_cust)
        ],
        "fired_details": [
            {"rule": r.id, "custodian": names[ci] if ci is not None else None,
             "phase": r.phase, "justification": r.justification, "sources": list(r.sources),
             "sentence": r.sentence}
            for r, ci in firings
        ],
        "ignored_answers": norm.ignored,
    }


def _at_lowest_risk(q, answer):
    """Whether an answer is already the question's least risky one (options are listed lowest first)."""
    if q.type == "int" or answer is None or answer == "unknown":
        return False
    if q.type == "multi":  # a multi answer's options are not ranked; only "none" is the floor
        return answer == ["none"] and "none" in q.option_set
    return answer == q.option_values[0]
