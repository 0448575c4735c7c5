"""Every data owner signs off (custodian-criteria spec section 4).

An evaluation opens one sign-off per custodian on the route its appetite gives:
`automatic` approves and `decline` declines at once (naming the appetite version), a
`custodian_review` waits for that custodian's approver, a `panel` one for the panel. The
decision record is issued when every custodian has signed off, or as soon as one declines.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .. import engine, limits
from ..errors import InvalidInput, PreconditionFailed, PriamError
from ..models import AuditAction, Project, SignOff, Vote
from .audit import audit_record
from .records import record_issue

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

    from ..models import CustodianAssessment, Decision, DecisionRecord, Evaluation, PanelReview, User

# Without any custodian's criteria or appetite, the engine computes no routes: the panel decides.
NO_APPETITE = {
    "text": "No custodian on this project has stated a risk appetite, so the approval panel decides.",
    "appetite": {"default": True},
}
# Routes whose sign-off needs nobody: recorded with the evaluation.
SETTLED_AT_ONCE = {SignOff.Route.AUTOMATIC: SignOff.Status.APPROVED, SignOff.Route.DECLINE: SignOff.Status.DECLINED}
# An approver's decision, as a sign-off status.
APPROVER_OUTCOMES = {
    "approve": SignOff.Status.APPROVED,
    "approve_with_conditions": SignOff.Status.APPROVED_WITH_CONDITIONS,
    "decline": SignOff.Status.DECLINED,
}
# The panel's decision, as the sign-off of each custodian routed to it.
PANEL_OUTCOMES = {
    Vote.Choice.APPROVE: SignOff.Status.APPROVED,
    Vote.Choice.APPROVE_WITH_CONDITIONS: SignOff.Status.APPROVED_WITH_CONDITIONS,
    Vote.Choice.REJECT: SignOff.Status.DECLINED,
}


def signoffs_open(*, project: Project, evaluation: Evaluation, assessments: list[CustodianAssessment]) -> None:
    """One sign-off per custodian for a new evaluation; the caller holds the project's row lock."""
    routes = evaluation.result.get("routes") or {}
    reasons = evaluation.result.get("route_reasons") or {}
    now = timezone.now()
    for assessment in assessments:
        name = assessment.organisation.name
        route = routes.get(name, SignOff.Route.PANEL)
        status = SETTLED_AT_ONCE.get(route, SignOff.Status.PENDING)
        reason = reasons.get(name) or NO_APPETITE
        sign_off = SignOff.objects.create(
            project=project,
            evaluation=evaluation,
            organisation=assessment.organisation,
            revision=evaluation.revision,
            route=route,
            route_reason=reason,
            status=status,
            decided_at=now if status != SignOff.Status.PENDING else None,
            reason=reason["text"] if status != SignOff.Status.PENDING else "",
        )
        if sign_off.is_final:
            audit_record(
                action=AuditAction.SIGNOFF_RECORDED,
                obj=sign_off,
                organisation=assessment.organisation,
                project=project,
                data={
                    "revision": evaluation.revision,
                    "route": route,
                    "status": status,
                    "appetite": reason.get("appetite"),
                    "why": reason["text"],
                },
            )
    signoffs_settle(project=project, evaluation=evaluation)


def signoff_etag(sign_off: SignOff) -> str:
    """A validator for one sign-off's own state (a new revision leaves it as it was: that is a 409)."""
    state = {
        "id": sign_off.pk,
        "revision": sign_off.revision,
        "route": sign_off.route,
        "status": sign_off.status,
        "decided_by": sign_off.decided_by_id,
        "decided_at": sign_off.decided_at.isoformat() if sign_off.decided_at else None,
        "reason": sign_off.reason,
        "conditions": sign_off.conditions,
    }
    return '"' + hashlib.sha256(engine.canonical_json(state).encode("utf-8")).hexdigest()[:32] + '"'


def signoff_decide(
    *,
    sign_off: SignOff,
    approver: User,
    outcome: str,
    reason: str,
    conditions: list[str] | None = None,
    matches_etag: Callable[[str], bool] | None = None,
    request: HttpRequest | None = None,
) -> DecisionRecord | None:
    """A custodian's approver approves (with or without conditions) or declines, with a reason.
    Returns the decision record when this was the last sign-off (or a decline). `matches_etag(etag)`
    (the API's If-Match) says whether the sign-off is still as the approver read it."""
    conditions = [c.strip() for c in conditions or [] if c.strip()]
    limits.check_model_text(SignOff, reason=reason)
    for text in conditions:
        limits.check_text(field="conditions", label="Condition", value=text, limit=limits.CONDITION)
    if outcome not in APPROVER_OUTCOMES:
        raise InvalidInput("Choose approve, approve with conditions, or decline.")
    if not reason.strip():
        raise InvalidInput("Give your reason: the coordinator and the decision record show it.")
    if outcome == "approve_with_conditions" and not conditions:
        raise InvalidInput("An approval with conditions needs at least one condition.")
    if outcome != "approve_with_conditions" and conditions:
        raise InvalidInput("Conditions go with an approval with conditions: choose it, or clear the conditions.")
    with transaction.atomic():
        project = Project.objects.select_for_update(no_key=True).get(pk=sign_off.project_id)
        sign_off = (
            SignOff.objects.select_for_update(of=("self",), no_key=True)
            .select_related("organisation")
            .get(pk=sign_off.pk)
        )
        if matches_etag is not None and not matches_etag(signoff_etag(sign_off)):
            raise PreconditionFailed(
                "This sign-off changed since you read it (ETag mismatch): read it again before you sign."
            )
        _check_open(sign_off, project)
        sign_off.status = APPROVER_OUTCOMES[outcome]
        sign_off.decided_by, sign_off.decided_at = approver, timezone.now()
        sign_off.reason = reason.strip()
        sign_off.conditions = [{"text": text, "blocking": False} for text in conditions]
        sign_off.save()
        audit_record(
            action=AuditAction.SIGNOFF_DECIDED,
            actor=approver,
            obj=sign_off,
            organisation=sign_off.organisation,
            project=project,
            request=request,
            data={
                "revision": sign_off.revision,
                "status": sign_off.status,
                "reason": sign_off.reason,
                "conditions": conditions,
            },
        )
        return signoffs_settle(project=project, evaluation=sign_off.evaluation)


def _check_open(sign_off: SignOff, project: Project) -> None:
    if sign_off.route != SignOff.Route.CUSTODIAN_REVIEW:
        raise PriamError(f"{sign_off.organisation}'s route is “{sign_off.get_route_display()}”: no approver signs.")
    if sign_off.is_final:
        raise PriamError(
            f"{sign_off.organisation} already signed off on revision {sign_off.revision}: "
            f"{sign_off.get_status_display().lower()}."
        )
    if sign_off.revision != project.revision:
        raise PriamError(
            f"Revision {sign_off.revision} has been replaced by revision {project.revision}: "
            "sign off the current revision once every custodian has confirmed it."
        )
    if project.status == Project.Status.DECIDED:
        raise PriamError("The project is decided: its record is issued.")


def signoffs_from_panel(*, project: Project, review: PanelReview, decision: Decision) -> DecisionRecord | None:
    """The panel's decision signs off for every custodian routed to it; the record is issued if that
    was the last sign-off. The caller holds the project's row lock."""
    status = PANEL_OUTCOMES[decision.outcome]
    review.evaluation.sign_offs.filter(route=SignOff.Route.PANEL, status=SignOff.Status.PENDING).update(
        status=status,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
        reason=decision.rationale,
        conditions=decision.conditions,
        decision=decision,
    )
    return signoffs_settle(project=project, evaluation=review.evaluation)


def signoffs_settle(*, project: Project, evaluation: Evaluation) -> DecisionRecord | None:
    """Issue the record once every custodian has signed off or one has declined; else nothing."""
    sign_offs = list(evaluation.sign_offs.select_related("decision__review"))
    decided = project.records.exclude(outcome=Vote.Choice.REFER_BACK).filter(
        snapshot__project__revision=evaluation.revision
    )
    if not sign_offs or decided.exists():
        return None
    declined = any(s.status == SignOff.Status.DECLINED for s in sign_offs)
    if not declined and not all(s.is_final for s in sign_offs):
        return None
    decision = next((s.decision for s in sign_offs if s.decision_id is not None), None)
    outcome = _outcome(sign_offs, declined, decision)
    # Still waiting sign-offs are moot once one custodian declines.
    if declined:
        evaluation.sign_offs.filter(status=SignOff.Status.PENDING).update(
            reason="Not needed: another custodian declined."
        )
    project.status = Project.Status.DECIDED
    project.save(update_fields=["status", "updated_at"])
    return record_issue(
        project=project,
        evaluation=evaluation,
        outcome=outcome,
        review=decision.review if decision else None,
        decision=decision,
    )


def _outcome(sign_offs: list[SignOff], declined: bool, decision: Decision | None) -> str:
    if declined:
        return Vote.Choice.REJECT
    conditions: list[Any] = [c for s in sign_offs for c in s.conditions]
    if conditions or (decision and decision.outcome == Vote.Choice.APPROVE_WITH_CONDITIONS):
        return Vote.Choice.APPROVE_WITH_CONDITIONS
    return Vote.Choice.APPROVE
