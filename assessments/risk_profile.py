"""The risk profile as people read it: an evaluation explained (spec sections 3–5).

Built from the stored evaluation (its result and the exact document it evaluated) and the
framework version it was evaluated under, so an old revision reads as it did. The risk
profile page and the decision record (page and PDF) both show it.
"""

from .counterfactual_text import approvable_sentences, safe_sentences
from .engine import DocumentInvalid, cached_criteria, controls_for, evaluate_by_criteria
from .engine.counterfactuals import counterfactuals
from .forms.questionnaire import display_answer
from .templatetags.priam import outcome_label

PROJECT_WIDE = "project-wide rules"


# How each route reads, for the custodian it applies to (spec custodian-criteria section 2).
ROUTE_LABELS = {
    "automatic": "Approved automatically",
    "custodian_review": "The custodian's approver reviews",
    "panel": "The approval panel decides",
    "decline": "Declined",
}


def _sources(framework, ids, cited, details=None):
    """Sources by id: the framework's, or a custodian's own for its criteria rules (`details`)."""
    own = {d["id"]: d for d in details or []}
    out = []
    for sid in ids:
        source = own.get(sid) or framework.sources.get(sid, {})
        entry = {"id": sid, "title": source.get("title", sid), "url": source.get("url")}
        cited.setdefault(sid, entry)
        out.append(entry)
    return out


def _answer_text(framework, qid, answer):
    question = framework.questions_by_id.get(qid)
    if question is None:
        return str(answer)
    return display_answer(question, answer)


def risk_profile_context(project, evaluation, framework, guide=None):
    """The page's context for one evaluation; pure (no queries), so reusable for the PDF.

    `guide`: the framework version's explanatory texts (phases in words, the controls each
    tier needs), when it has any."""
    result = evaluation.result
    document = evaluation.document or {}
    labels = framework.safe_labels
    tier_names = [t["name"] for t in framework.tiers]
    custodian_results = result.get("custodians", [])
    custodian_names = [c["name"] for c in custodian_results]
    cited = {}

    # Each safe's tier, combined and per custodian.
    safe_rows = [
        {
            "id": safe,
            "label": labels[safe],
            "tier": result["tiers"][safe],
            "tier_name": tier_names[result["tiers"][safe]],
            "custodians": [
                {"name": c["name"], "tier": c["tiers"].get(safe, 0), "tier_name": tier_names[c["tiers"].get(safe, 0)]}
                for c in custodian_results
            ],
        }
        for safe in framework.safes
    ]

    # Why each safe above 0 has its tier, and what would lower it.
    explanations = []
    for safe in framework.safes:
        entry = result.get("explanation", {}).get(safe, {})
        tier = entry.get("tier", result["tiers"][safe])
        if not tier:
            continue
        rules = [
            {
                **rule,
                "sources": _sources(framework, rule.get("sources", []), cited, rule.get("source_details")),
                "set_by_text": rule.get("custodian") or PROJECT_WIDE,
                "criteria_version": (rule.get("criteria") or {}).get("version"),
            }
            for rule in entry.get("rules", [])
        ]
        set_by = list(entry.get("set_by", []))
        project_wide = any(rule.get("custodian") is None for rule in rules)
        explanations.append(
            {
                "safe": safe,
                "label": labels[safe],
                "tier": tier,
                "tier_name": entry.get("tier_name", tier_names[tier]),
                "rules": rules,
                "set_by": set_by,
                "project_wide": project_wide or not set_by,
                "depends_on": [
                    labels.get(s, "overall tier" if s == "overall" else s) for s in entry.get("depends_on_tiers", [])
                ],
                "lower_by": [
                    {
                        "question": item["question"],
                        "label": item.get("label") or item["question"],
                        "custodian": item.get("custodian"),
                        "answer_text": _answer_text(framework, item["question"], item.get("answer")),
                    }
                    for item in entry.get("lower_by", [])
                ],
            }
        )

    fired_rules = [
        {
            **item,
            "sources": _sources(framework, item.get("sources", []), cited, item.get("source_details")),
            "criteria_version": (item.get("criteria") or {}).get("version"),
            "phase_label": guide.phase_label(item["phase"]) if guide is not None and "phase" in item else "",
        }
        for item in result.get("fired_details", [])
    ]

    # The answers exactly as evaluated.
    assumed = {(a.get("custodian"), a["question"]) for a in result.get("assumed_worst", [])}
    ignored = {(a.get("custodian"), a["question"]) for a in result.get("ignored_answers", [])}
    project_answers = document.get("answers", {})
    doc_custodians = document.get("custodians", [])
    table_custodians = [c["name"] for c in doc_custodians]
    groups = {safe: [] for safe in framework.safes}
    for question in framework.questions:
        if question.scope == "project":
            answer = project_answers.get(question.id)
            cells = [_cell(question, answer, None, assumed, ignored)]
        else:
            cells = [
                _cell(question, c.get("answers", {}).get(question.id), c["name"], assumed, ignored)
                for c in doc_custodians
            ]
        groups.setdefault(question.safe, []).append(
            {
                "id": question.id,
                "text": question.text,
                "label": question.label,
                "scope": question.scope,
                "cells": cells,
            }
        )
    answer_groups = [
        {"safe": safe, "label": labels.get(safe, safe), "rows": rows} for safe, rows in groups.items() if rows
    ]

    assumed_worst = []
    for item in result.get("assumed_worst", []):
        question = framework.questions_by_id.get(item["question"])
        worst = question.kind.worst_answer(question) if question is not None else None
        assumed_worst.append(
            {
                "custodian": item.get("custodian"),
                "question": item["question"],
                "label": question.label if question is not None else item["question"],
                "text": question.text if question is not None else item["question"],
                "assessed_as": display_answer(question, worst) if question is not None else "",
            }
        )

    outcome = result.get("outcome", evaluation.outcome)
    return {
        "project": project,
        "evaluation": evaluation,
        "result": result,
        "framework": framework,
        "tier_names": tier_names,
        "overall": result["overall"],
        "overall_name": result.get("overall_name", tier_names[result["overall"]]),
        # What the tier means in the framework version the project was assessed under.
        "overall_meaning": framework.tiers[result["overall"]].get("meaning", ""),
        "outcome": outcome,
        "outcome_label": outcome_label(outcome, framework),
        "custodian_names": custodian_names,
        "routes": custodian_routes(result, custodian_names),
        "criteria_ignored": result.get("criteria_ignored", []),
        "safe_rows": safe_rows,
        "explanations": explanations,
        "fired_rules": fired_rules,
        "fired_ids": list(result.get("fired", [])),
        "conditions": result.get("conditions", []),
        "blocks": result.get("blocks", []),
        "refers": result.get("refers", []),
        "assumed_worst": assumed_worst,
        "answer_custodians": table_custodians,
        "answer_groups": answer_groups,
        # Before "sources", so the sources of the rules behind each difference are listed there.
        "criteria_comparison": criteria_comparison(framework, document, cited),
        "sources": [cited[sid] for sid in sorted(cited)],
        "framework_info": result.get("framework", {}),
        **controls_context(framework, guide, result, document),
        **_what_would_change(framework, document, result),
        "answers_sha256": result.get("answers_sha256", evaluation.answers_sha256),
    }


def controls_context(framework, guide, result, document):
    """Per safe, the controls the overall tier needs (the spec's controls table, from the
    guide) and whether the answers show each in place."""
    controls = []
    if guide is not None and document:
        try:
            controls = controls_for(framework, guide, result, document)
        except DocumentInvalid:
            controls = []
    total = {key: sum(safe[key] for safe in controls) for key in ("in_place", "missing", "not_asked")}
    return {"controls": controls, "controls_total": total}


def _what_would_change(framework, document, result):
    """The smallest answer changes that would lower each safe's tier or make the project
    approvable, found by the engine re-evaluating alternatives, as sentences."""
    if not document:
        return {"lower_by_safe": {}, "approvable": []}
    try:
        found = counterfactuals(framework, document, result=result)
    except DocumentInvalid:
        return {"lower_by_safe": {}, "approvable": []}
    return {
        "lower_by_safe": {row["safe"]: row for row in safe_sentences(found)},
        "approvable": approvable_sentences(found),
    }


def _cell(question, answer, custodian, assumed, ignored):
    return {
        "custodian": custodian,
        "text": display_answer(question, answer),
        "assumed_worst": (custodian, question.id) in assumed,
        "ignored": (custodian, question.id) in ignored,
    }


def custodian_routes(result, custodian_names):
    """Each custodian's route and why, or None when nobody stated criteria or an appetite
    (then the panel decides for everyone, as before custodians could state their own)."""
    routes = result.get("routes")
    if not routes:
        return None
    reasons = result.get("route_reasons", {})
    criteria = {c["custodian"]: c for c in result.get("criteria", [])}
    return [
        {
            "custodian": name,
            "route": routes[name],
            "route_label": ROUTE_LABELS.get(routes[name], routes[name]),
            "why": reasons.get(name, {}).get("text", ""),
            "appetite": reasons.get(name, {}).get("appetite") or {},
            "criteria": criteria.get(name),
        }
        for name in custodian_names
        if name in routes
    ]


def criteria_comparison(framework, document, cited=None):
    """Where custodians disagree: each safe's tier, the overall tier and the outcome under the
    framework alone and under each custodian's criteria alone, with the rules behind each
    difference (custodian-criteria spec, section 1). Pure (no queries): computed from the
    document as evaluated, so an old revision reads as it did. None when no custodian's
    criteria were applied."""
    with_criteria = {c["name"]: c["criteria"] for c in document.get("custodians", []) if c.get("criteria")}
    if not with_criteria:
        return None
    try:
        compared = evaluate_by_criteria(framework, document)
    except DocumentInvalid:
        # A stored document the engine now refuses: the rest of the page still reads it.
        return None
    if not compared["custodians"]:
        return None
    cited = {} if cited is None else cited
    tier_names = [t["name"] for t in framework.tiers]
    base = compared["framework"]
    base_tiers = {**base["tiers"], "overall": base["overall"]}
    safes = [(safe, framework.safe_labels[safe]) for safe in framework.safes] + [("overall", "Overall tier")]
    row_labels = dict(safes)

    custodians = []
    for c in compared["custodians"]:
        name = c["custodian"]
        own = {r.id: r for r in cached_criteria(framework, with_criteria[name]).rules}
        tiers = {**c["tiers"], "overall": c["overall"]}
        differences = [
            {
                "id": d["safe"],
                "label": row_labels[d["safe"]],
                "framework_text": f"{d['framework']} {tier_names[d['framework']]}",
                "criteria_text": f"{d['criteria']} {tier_names[d['criteria']]}",
                "rules": [_rule_entry(framework, own.get(rid), rid, cited, name) for rid in d["rules"]]
                + [_rule_entry(framework, framework.rules_by_id.get(rid), rid, cited) for rid in d["via"]],
            }
            for d in c["differences"]
        ]
        if c["outcome"] != base["outcome"]:
            # A different outcome follows from the tiers above, or from a criteria gap, referral
            # or block, which changes no tier: those rules are the ones not named already.
            named = {r["id"] for d in differences for r in d["rules"]}
            differences.append(
                {
                    "id": "outcome",
                    "label": "Recommended outcome",
                    "framework_text": outcome_label(base["outcome"], framework),
                    "criteria_text": outcome_label(c["outcome"], framework),
                    "rules": [
                        _rule_entry(framework, own.get(rid), rid, cited, name) for rid in c["fired"] if rid not in named
                    ],
                }
            )
        differs = {d["id"] for d in differences}
        cells = [
            {"id": safe, "text": f"{tiers[safe]} {tier_names[tiers[safe]]}", "differs": safe in differs}
            for safe, _ in safes
        ]
        cells.append({"id": "outcome", "text": outcome_label(c["outcome"], framework), "differs": "outcome" in differs})
        custodians.append({"custodian": name, "criteria": c["criteria"], "differences": differences, "cells": cells})

    framework_cells = [f"{base_tiers[safe]} {tier_names[base_tiers[safe]]}" for safe, _ in safes]
    framework_cells.append(outcome_label(base["outcome"], framework))
    rows = [
        {
            "id": row_id,
            "label": label,
            "framework": framework_cells[i],
            "cells": [{"custodian": c["custodian"], **c["cells"][i]} for c in custodians],
        }
        for i, (row_id, label) in enumerate([*safes, ("outcome", "Recommended outcome")])
    ]
    return {
        "custodians": custodians,
        "rows": rows,
        "agree": not any(c["differences"] for c in custodians),
    }


def _rule_entry(framework, rule, rid, cited, custodian=None):
    """A rule behind a difference: the custodian's own criteria rule, or (no custodian) a
    framework rule that read a tier the criteria raised."""
    if rule is None:
        return {"id": rid, "custodian": custodian, "sentence": "", "justification": "", "sources": []}
    details = getattr(rule, "source_details", None)
    return {
        "id": rid,
        "custodian": custodian,
        "sentence": rule.sentence,
        "justification": rule.justification,
        "sources": _sources(framework, list(rule.sources), cited, list(details) if details else None),
    }
