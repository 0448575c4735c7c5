"""A custodian submits its own answers and confirms the project-wide ones; when every custodian
has done both, the revision is evaluated once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .. import engine
from ..display import possessive
from ..errors import ConfirmationStale, SubmissionIncomplete
from ..models import AuditAction, CustodianAssessment, Evaluation, Project
from ..selectors.frameworks import engine_framework
from ..selectors.projects import evaluation_document, project_problems
from .answers import answers_etag
from .audit import audit_record
from .notifications import signoffs_waiting_notify
from .projects import CUSTODIAN, PROJECT, _has_evaluation, _lock
from .signoffs import signoffs_open

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

    from ..models import User


def assessment_submit(
    *, assessment: CustodianAssessment, actor: User, request: HttpRequest | None = None
) -> tuple[CustodianAssessment, Evaluation | None]:
    with transaction.atomic():
        project, assessment = _lock(assessment.project, assessment)
        problems = project_problems(project, [assessment], scope=CUSTODIAN)
        if problems:
            raise SubmissionIncomplete(
                f"{possessive(assessment.organisation.name)} assessment is not complete: "
                f"{len(problems)} question(s) need an answer or a correction.",
                problems,
            )
        assessment.status = CustodianAssessment.Status.SUBMITTED
        assessment.submitted_at = timezone.now()
        assessment.submitted_by = actor
        assessment.save(update_fields=["status", "submitted_at", "submitted_by"])
        evaluation = _evaluate_if_complete(project)
        audit_record(
            action=AuditAction.ASSESSMENT_SUBMITTED,
            actor=actor,
            obj=assessment,
            project=project,
            organisation=assessment.organisation,
            request=request,
            data={"revision": project.revision, **_evaluation_summary(evaluation)},
        )
        if evaluation is not None:
            signoffs_waiting_notify(evaluation=evaluation, actor=actor)
    return assessment, evaluation


def assessment_confirm(
    *,
    assessment: CustodianAssessment,
    actor: User,
    answers_version: int | None = None,
    matches_etag: Callable[[str], bool] | None = None,
    request: HttpRequest | None = None,
) -> tuple[CustodianAssessment, Evaluation | None]:
    """The custodian confirms the project-scope answers it reviewed.

    `answers_version` (the web form) or `matches_etag` (the API: does the project answers' ETag
    now match the one read?) says which answers the custodian saw; if they changed since,
    nothing is confirmed.
    """
    with transaction.atomic():
        project, assessment = _lock(assessment.project, assessment)
        problems = project_problems(project, [], scope=PROJECT)
        if problems:
            raise SubmissionIncomplete(
                f"The project-scope answers are not complete ({len(problems)} question(s)): "
                "the coordinator must finish them before custodians confirm.",
                problems,
            )
        seen = (
            answers_version == project.answers_version
            if answers_version is not None
            else (matches_etag is None or matches_etag(answers_etag(project)))
        )
        if not seen:
            raise ConfirmationStale(
                "The project-wide answers changed since you reviewed them. Nothing was confirmed: "
                "review them again, then confirm."
            )
        assessment.confirmed_version = project.answers_version
        assessment.confirmed_snapshot = {
            "project": project.confirmation_content(),
            "custodians": {a.organisation.name: a.answers for a in project.assessments.select_related("organisation")},
        }
        assessment.confirmed_at = timezone.now()
        assessment.confirmed_by = actor
        assessment.save(update_fields=["confirmed_version", "confirmed_snapshot", "confirmed_at", "confirmed_by"])
        evaluation = _evaluate_if_complete(project)
        audit_record(
            action=AuditAction.ASSESSMENT_CONFIRMED,
            actor=actor,
            obj=assessment,
            project=project,
            organisation=assessment.organisation,
            request=request,
            data={
                "answers_version": project.answers_version,
                "project_answers": project.answers,
                "revision": project.revision,
                **_evaluation_summary(evaluation),
            },
        )
        if evaluation is not None:
            signoffs_waiting_notify(evaluation=evaluation, actor=actor)
    return assessment, evaluation


def _evaluate_if_complete(project: Project) -> Evaluation | None:
    """When every custodian has submitted and confirmed, evaluate this revision once."""
    assessments = list(project.assessments.select_related("organisation"))
    for a in assessments:
        a.project = project  # the locked instance, with any change not yet saved
    complete = assessments and all(a.is_submitted and a.is_confirmed for a in assessments)
    if (
        not complete
        or project.status not in (Project.Status.ASSESSING, Project.Status.REFERRED)
        or _has_evaluation(project)
    ):
        return None
    framework = engine_framework(project.framework_version)
    document = evaluation_document(project, assessments)
    result = engine.evaluate(framework, document)
    evaluation = Evaluation.objects.create(
        project=project,
        revision=project.revision,
        framework_version=project.framework_version,
        document=document,
        result=result,
        answers_sha256=result["answers_sha256"],
        overall=result["overall"],
        outcome=result["outcome"],
    )
    if project.status == Project.Status.ASSESSING:
        project.status = Project.Status.ASSESSED
        project.save(update_fields=["status", "updated_at"])
    signoffs_open(project=project, evaluation=evaluation, assessments=assessments)
    return evaluation


def _evaluation_summary(evaluation: Evaluation | None) -> dict[str, Any]:
    if evaluation is None:
        return {"evaluated": False}
    return {
        "evaluated": True,
        "evaluation_id": evaluation.pk,
        "tiers": evaluation.result["tiers"],
        "overall": evaluation.overall,
        "outcome": evaluation.outcome,
        "answers_sha256": evaluation.answers_sha256,
    }
