"""Saving answers, a section at a time (the questionnaire) or a scope at once (the API's PUT).
Each save writes one audit event and says what it implies: section versions, lapsed
confirmations, a withdrawn submission, a new revision."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .. import engine
from ..errors import PreconditionFailed, SectionConflict
from ..models import AuditAction, CustodianAssessment
from ..selectors.frameworks import engine_framework
from .audit import audit_record
from .notifications import confirmations_standing, project_changed_notify
from .projects import CUSTODIAN, PROJECT, _has_evaluation, _lock, _open_new_revision

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from django.http import HttpRequest

    from ..models import Project, User


def section_save(
    *,
    project: Project,
    safe: str,
    answers: Mapping[str, Any],
    base_version: int,
    actor: User,
    assessment: CustodianAssessment | None = None,
    request: HttpRequest | None = None,
) -> tuple[Project | CustodianAssessment, bool]:
    """Save one section's answers (project scope, or one custodian's), as a draft.

    `answers` maps every question of the section to its value, or None for
    unanswered. `base_version` is the section version the user started from:
    if someone saved since, nothing is saved and SectionConflict says who.
    """
    with transaction.atomic():
        project, owner = _lock(project, assessment)
        meta = owner.sections.get(safe, {"version": 0})
        if meta["version"] != base_version:
            stored = {qid: owner.answers.get(qid) for qid in answers}
            raise SectionConflict(meta.get("saved_by", "someone"), meta.get("saved_at", ""), stored, meta["version"])
        changed = _apply_answers(project, owner, assessment, answers, [safe], actor, request, {"section": safe})
    return owner, changed


def answers_etag(owner: Project | CustodianAssessment) -> str:
    """A validator for the whole answer set of a project (its own answers) or an assessment."""
    return (
        '"'
        + hashlib.sha256(
            engine.canonical_json({"answers": owner.answers, "sections": owner.sections}).encode("utf-8")
        ).hexdigest()[:32]
        + '"'
    )


def answers_replace(
    *,
    project: Project,
    answers: Mapping[str, Any],
    matches_etag: Callable[[str], bool],
    actor: User,
    assessment: CustodianAssessment | None = None,
    request: HttpRequest | None = None,
) -> Project | CustodianAssessment:
    """Replace every answer of one scope at once (the API's PUT). `matches_etag(etag)` says whether
    the answers' ETag now is one the writer read (the API's If-Match), so a stale writer is refused
    (PreconditionFailed) instead of overwriting."""
    with transaction.atomic():
        project, owner = _lock(project, assessment)
        if not matches_etag(answers_etag(owner)):
            raise PreconditionFailed(
                "These answers changed since you read them (ETag mismatch): read them again and reapply."
            )
        framework = engine_framework(project.framework_version)
        scope = PROJECT if assessment is None else CUSTODIAN
        updates = {q.id: answers.get(q.id) for q in framework.questions_for(scope)}
        safes = sorted({q.safe for q in framework.questions_for(scope) if updates.get(q.id) != owner.answers.get(q.id)})
        _apply_answers(project, owner, assessment, updates, safes, actor, request, {"section": "all"})
    return owner


def _apply_answers(
    project: Project,
    owner: Project | CustodianAssessment,
    assessment: CustodianAssessment | None,
    updates: Mapping[str, Any],
    safes: Iterable[str],
    actor: User,
    request: HttpRequest | None,
    data: Mapping[str, Any],
) -> bool:
    """Merge `updates` (None = unanswered) into the owner's answers, with everything a change implies:
    section versions, lapsed confirmations or a withdrawn submission, a new revision if the project
    was already assessed, and one audit event. Returns whether anything changed."""
    framework = engine_framework(project.framework_version)
    merged = {**owner.answers, **{q: v for q, v in updates.items() if v is not None}}
    for qid, value in updates.items():
        if value is None:
            merged.pop(qid, None)
    # An answer to a question that its show-if hides is dropped, not kept out of sight.
    for qid in list(merged):
        question = framework.questions_by_id.get(qid)
        if question is not None and question.show_if and not _visible(framework, question, merged, project):
            merged.pop(qid)
    changed = sorted(q for q in set(owner.answers) | set(merged) if owner.answers.get(q) != merged.get(q))
    if not changed:
        return False

    reopened = _has_evaluation(project)
    # Only project-wide answers are confirmed by the custodians; their own answers lapse nothing.
    confirmed_before = confirmations_standing(project) if assessment is None else set()
    before = {q: owner.answers.get(q) for q in changed}
    owner.answers = merged
    stamp = {"saved_by": actor.display_name, "saved_at": timezone.now().isoformat()}
    owner.sections = {
        **owner.sections,
        **{safe: {"version": owner.sections.get(safe, {"version": 0})["version"] + 1, **stamp} for safe in safes},
    }
    withdrawn = False
    if assessment is None:
        # What every custodian confirmed changed: their confirmations lapse, and each sees the change.
        project.answers_version += 1
    else:
        # Only this custodian's own submission is withdrawn; the others' confirmations of the
        # project-wide answers stand, since those did not change.
        withdrawn = owner.status == CustodianAssessment.Status.SUBMITTED
        owner.status = CustodianAssessment.Status.DRAFT
        owner.save(update_fields=["answers", "sections", "status"])
    if reopened:
        _open_new_revision(project)
    project.save()

    audit_record(
        action=AuditAction.PROJECT_ANSWERS_SAVED if assessment is None else AuditAction.ASSESSMENT_ANSWERS_SAVED,
        actor=actor,
        obj=owner,
        project=project,
        organisation=owner.organisation if assessment is not None else None,
        request=request,
        data={
            **data,
            "before": before,
            "after": {q: merged.get(q) for q in changed},
            "revision": project.revision,
            "reopened": reopened,
            "submission_withdrawn": withdrawn,
        },
    )
    project_changed_notify(
        project=project, actor=actor, confirmed_before=confirmed_before, new_revision=reopened, changed=assessment
    )
    return True


def _visible(
    framework: engine.Framework, question: engine.Question, answers: Mapping[str, Any], project: Project
) -> bool:
    # Show-if conditions of custodian questions look at the custodian's answers
    # together with the project's; effective values treat unknown as worst.
    effective = {**project.answers, **answers}
    return framework.is_visible(question, engine.effective_answers(framework, effective))
