"""The risk profile as people read it: an evaluation explained (spec sections 3–5).

Built from the stored evaluation (its result and the exact document it evaluated) and the
framework version it was evaluated under, so an old revision reads as it did. The risk
profile page and the decision record (page and PDF) both show it.
"""

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


def risk_profile_context(project, evaluation, framework):
    """The page's context for one evaluation; pure (no queries), so reusable for the PDF."""
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
        "sources": [cited[sid] for sid in sorted(cited)],
        "framework_info": result.get("framework", {}),
        "answers_sha256": result.get("answers_sha256", evaluation.answers_sha256),
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
