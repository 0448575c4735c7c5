"""What moving a project to a newer framework version would change, before anyone moves it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import engine
from .frameworks import engine_framework
from .projects import evaluation_document

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..models import CustodianAssessment, FrameworkVersion, Project


def framework_change_preview(*, project: Project, version: FrameworkVersion) -> dict[str, Any]:
    """The project under its own version and under `version`: tiers, outcome, routes and fired
    rules, with each custodian's criteria in force for each version.

    Questions new in `version` have no answers yet. Until every custodian answers them the
    result under `version` is a range: every missing answer at its least risky value
    (`lowest`) and at its worst (`worst`). What both ends agree on holds whatever the answers.
    """
    assessments = list(project.assessments.select_related("organisation"))
    current, proposed = engine_framework(project.framework_version), engine_framework(version)
    before_document = evaluation_document(project, assessments)
    after_document = evaluation_document(project, assessments, version)
    missing = engine.unanswered(proposed, after_document)
    preview: dict[str, Any] = {
        "current": project.framework_version.spec,
        "proposed": version.spec,
        **_definition_changes(current, proposed),
        "unanswered": [
            {"custodian": m.custodian, "question": m.question, "text": proposed.questions_by_id[m.question].text}
            for m in missing
        ],
        "before": _evaluate(current, before_document),
        "after": None,
        "lowest": None,
        "worst": None,
    }
    if missing:
        preview["lowest"] = _evaluate(proposed, engine.fill_unanswered(proposed, after_document, "lowest")[0])
        preview["worst"] = _evaluate(proposed, engine.fill_unanswered(proposed, after_document, "worst")[0])
    else:
        preview["after"] = preview["lowest"] = preview["worst"] = _evaluate(proposed, after_document)
    before_problems = {str(p) for p in engine.validate_document(current, before_document)}
    still_missing = {(m.custodian, m.question) for m in missing}
    preview["problems"] = [
        str(p)
        for p in engine.validate_document(proposed, after_document)
        if str(p) not in before_problems and (p.custodian, p.question) not in still_missing
    ]
    preview["can_evaluate"] = preview["after"] is not None
    preview["tiers"] = _tier_rows(proposed.safes, preview)
    preview["rules"] = _rule_rows(current, proposed, preview)
    preview["routes"] = _route_rows(assessments, preview)
    if preview["before"] and preview["after"]:
        before, after = preview["before"], preview["after"]
        preview["fired_added"] = sorted(set(after["fired"]) - set(before["fired"]))
        preview["fired_removed"] = sorted(set(before["fired"]) - set(after["fired"]))
    return preview


def _evaluate(framework: engine.Framework, document: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return engine.evaluate(framework, document)
    except engine.DocumentInvalid:
        return None


def _definition_changes(current: engine.Framework, proposed: engine.Framework) -> dict[str, list[str]]:
    shared = set(current.rules_by_id) & set(proposed.rules_by_id)
    questions_shared = set(current.questions_by_id) & set(proposed.questions_by_id)
    return {
        "questions_added": sorted(set(proposed.questions_by_id) - set(current.questions_by_id)),
        "questions_removed": sorted(set(current.questions_by_id) - set(proposed.questions_by_id)),
        "questions_changed": sorted(
            q for q in questions_shared if current.questions_by_id[q].as_dict() != proposed.questions_by_id[q].as_dict()
        ),
        "rules_added": sorted(set(proposed.rules_by_id) - set(current.rules_by_id)),
        "rules_removed": sorted(set(current.rules_by_id) - set(proposed.rules_by_id)),
        "rules_changed": sorted(
            r for r in shared if current.rules_by_id[r].as_dict() != proposed.rules_by_id[r].as_dict()
        ),
    }


def _tier_rows(safes: Sequence[str], preview: dict[str, Any]) -> list[dict[str, Any]]:
    """Each safe and the overall tier: before, and after as lowest–worst (equal when settled)."""
    before, lowest, worst = preview["before"], preview["lowest"], preview["worst"]

    def tier(result: dict[str, Any] | None, safe: str) -> int | None:
        if result is None:
            return None
        return int(result["overall"] if safe == "overall" else result["tiers"][safe])

    rows = []
    for safe in [*safes, "overall"]:
        row = {"safe": safe, "before": tier(before, safe), "lowest": tier(lowest, safe), "worst": tier(worst, safe)}
        row["settled"] = row["lowest"] == row["worst"]
        row["changed"] = row["before"] is not None and row["lowest"] is not None and row["lowest"] != row["before"]
        row["may_change"] = not row["changed"] and row["worst"] is not None and row["worst"] != row["before"]
        rows.append(row)
    return rows


def _rule_rows(current: engine.Framework, proposed: engine.Framework, preview: dict[str, Any]) -> list[dict[str, Any]]:
    """Every rule that fires under either version, and where: before; after "yes", "no", or
    "depends" (fires only with the new questions' worst answers)."""

    def fired(result: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
        return {d["rule"]: d for d in (result or {}).get("fired_details", ())}

    before, lowest, worst = fired(preview["before"]), fired(preview["lowest"]), fired(preview["worst"])
    rows = []
    for rule_id in sorted({*before, *lowest, *worst}):
        detail = worst.get(rule_id) or lowest.get(rule_id) or before[rule_id]
        after = "yes" if rule_id in lowest else "depends" if rule_id in worst else "no"
        if preview["worst"] is None and preview["lowest"] is None:
            after = "unknown"
        rows.append(
            {
                "rule": rule_id,
                "justification": detail.get("justification", ""),
                "custodian": detail.get("custodian"),
                "before": rule_id in before,
                "after": after,
                "new": rule_id in proposed.rules_by_id and rule_id not in current.rules_by_id,
                "changed": rule_id in preview["rules_changed"],
            }
        )
    return rows


def _route_rows(assessments: Sequence[CustodianAssessment], preview: dict[str, Any]) -> list[dict[str, Any]]:
    def routes(result: dict[str, Any] | None) -> dict[str, str]:
        if result is None:
            return {}
        given = result.get("routes") or {}
        names = [a.organisation.name for a in assessments]
        default = engine.DEFAULT_APPETITE
        return {n: given.get(n) or engine.route_for(default, result["tiers"], result["outcome"]).route for n in names}

    before, lowest, worst = routes(preview["before"]), routes(preview["lowest"]), routes(preview["worst"])
    return [
        {"custodian": name, "before": before.get(name), "lowest": lowest.get(name), "worst": worst.get(name)}
        for name in sorted(a.organisation.name for a in assessments)
    ]
