"""The engine's counterfactuals as sentences a custodian reads ("If GP records supplied …")."""

from __future__ import annotations

from typing import Any

OUTCOMES = {
    "approve": "approve",
    "approve_with_conditions": "approve with conditions",
    "refer": "refer to the panel",
    "not_approvable": "not approvable as proposed",
}


def change_clause(change: dict[str, Any]) -> str:
    """One changed answer: who gives it, the question, and from what to what."""
    who = change["custodian"] or "the project"
    return (
        f"{who} answered “{change['alternative_label']}” instead of “{change['answer_label']}” "
        f"to {change['label'][:1].lower()}{change['label'][1:]}"
    )


def changes_clause(changes: list[dict[str, Any]]) -> str:
    return " and ".join(change_clause(c) for c in changes)


def safe_sentences(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per safe above tier 0: what would lower it, one sentence each (or why nothing listed)."""
    rows = []
    for safe in result.get("safes", ()):
        sentences = [
            f"If {changes_clause(s['changes'])}, {safe['label']} would fall from tier {s['tier']} "
            f"to {s['new_tier']} (overall tier {s['overall']}, {OUTCOMES.get(s['outcome'], s['outcome'])})."
            for s in safe["suggestions"]
        ]
        rows.append(
            {
                "safe": safe["safe"],
                "label": safe["label"],
                "tier": safe["tier"],
                "sentences": sentences,
                "complete": safe.get("complete", True),
            }
        )
    return rows


def approvable_sentences(result: dict[str, Any]) -> list[str]:
    found = result.get("approvable")
    if not found:
        return []
    return [
        f"If {changes_clause(s['changes'])}, the outcome would be "
        f"“{OUTCOMES.get(s['outcome'], s['outcome'])}” (overall tier {s['overall']})."
        for s in found["suggestions"]
    ]
