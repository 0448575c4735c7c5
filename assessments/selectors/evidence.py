"""Reads for evidence: a project's documents, and those beside one questionnaire section."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from .. import engine
from ..models import Evidence
from .frameworks import engine_framework

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from django.db.models import QuerySet

    from ..models import CustodianAssessment, Obligation, Project


def _with_related(queryset: QuerySet[Evidence]) -> QuerySet[Evidence]:
    return queryset.select_related("uploaded_by", "obligation", "assessment__organisation")


def project_evidence(project: Project) -> list[Evidence]:
    """Every document of the project, newest first, with what each is attached to."""
    return list(_with_related(Evidence.objects.filter(project=project)))


def evidence_by_question(
    project: Project, assessment: CustodianAssessment | None, question_ids: Iterable[str]
) -> dict[tuple[str, int | None], list[Evidence]]:
    """The documents beside a section's questions, in one query, keyed by (question, assessment id):
    a custodian's page shows its own questions' documents and those of the project-wide questions
    it reviews (assessment id None)."""
    found: dict[tuple[str, int | None], list[Evidence]] = defaultdict(list)
    mine = Q(assessment__isnull=True) if assessment is None else Q(assessment__isnull=True) | Q(assessment=assessment)
    queryset = Evidence.objects.filter(mine, project=project, obligation__isnull=True, question__in=list(question_ids))
    for evidence in _with_related(queryset):
        found[(evidence.question, evidence.assessment_id)].append(evidence)
    return found


def attached_to(evidence: Evidence, framework: engine.Framework | None = None) -> dict[str, Any]:
    """What a document supports, as the decision record names it: an obligation (number and text)
    or a question (id, its text when the framework is given, and the custodian for its own)."""
    if evidence.obligation_id is not None:
        return {"obligation": evidence.obligation.number, "text": evidence.obligation.text}
    found = {
        "question": evidence.question,
        "custodian": evidence.assessment.organisation.name if evidence.assessment_id else None,
    }
    if framework is not None and evidence.question in framework.questions_by_id:
        found["text"] = framework.questions_by_id[evidence.question].text
    return found


def evidence_at(project: Project, moment: datetime) -> list[dict[str, Any]]:
    """The project's documents uploaded up to `moment`, oldest first, as a decision record keeps
    them: each with its SHA-256, so the record names exactly which file supported what."""
    found = _with_related(Evidence.objects.filter(project=project, uploaded_at__lte=moment)).order_by(
        "uploaded_at", "pk"
    )
    framework = engine_framework(project.framework_version)
    return [
        {
            "name": e.name,
            "sha256": e.sha256,
            "size": e.size,
            "content_type": e.content_type,
            "attached_to": attached_to(e, framework),
            "uploaded_by": {"username": e.uploaded_by.username, "name": e.uploaded_by.display_name},
            "uploaded_at": e.uploaded_at.isoformat(timespec="seconds"),
        }
        for e in found
    ]


def obligation_evidence(obligation: Obligation) -> list[Evidence]:
    """An obligation's documents, newest first."""
    return list(_with_related(Evidence.objects.filter(obligation=obligation)))


def evidence_upload_target(
    project: Project,
    *,
    next_url: str,
    question: str = "",
    assessment: CustodianAssessment | None = None,
    obligation: Obligation | None = None,
) -> dict[str, object]:
    """What templates/evidence/_upload.html needs to post one document to its target."""
    key = f"o{obligation.pk}" if obligation is not None else f"q{question}-{assessment.pk if assessment else 'p'}"
    return {
        "project_id": project.pk,
        "question": question,
        "assessment": assessment.pk if assessment is not None else "",
        "obligation": obligation.pk if obligation is not None else "",
        "next": next_url,
        "key": key,
    }


def upload_target_objects(
    project: Project, *, assessment_id: int | None, obligation_id: int | None
) -> tuple[CustodianAssessment | None, Obligation | None]:
    """The assessment and obligation an upload names, if they are this project's; else NotFound."""
    from ..errors import NotFound

    assessment = obligation = None
    if assessment_id is not None:
        assessment = project.assessments.select_related("organisation").filter(pk=assessment_id).first()
        if assessment is None:
            raise NotFound("No such custodian assessment on this project.")
    if obligation_id is not None:
        obligation = project.obligations.select_related("project").filter(pk=obligation_id).first()
        if obligation is None:
            raise NotFound("No such obligation on this project.")
    return assessment, obligation
