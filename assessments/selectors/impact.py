"""Reads for impact previews: the evaluations a custodian's draft would re-score, and the previews."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef

from ..models import Evaluation, ImpactPreview

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import FrameworkVersion, Organisation

# What a re-score reads of each evaluation: the stored document, and of the stored result only
# what a preview compares (tiers, overall, outcome, routes), extracted by the database.
IMPACT_FIELDS = (
    "project_id",
    "project__title",
    "revision",
    "framework_version_id",
    "document",
    "overall",
    "outcome",
    "result__tiers",
    "result__routes",
)


def latest_evaluations_of_custodian(
    organisation: Organisation, framework_version: FrameworkVersion | None = None
) -> QuerySet[Evaluation]:
    """Each project's latest evaluation, for the projects the organisation is a custodian of,
    in one query (no later evaluation of the same project exists); optionally only those
    evaluated under one framework version."""
    later = Evaluation.objects.filter(project_id=OuterRef("project_id"), revision__gt=OuterRef("revision"))
    evaluations = Evaluation.objects.filter(project__assessments__organisation=organisation).filter(~Exists(later))
    if framework_version is not None:
        evaluations = evaluations.filter(framework_version=framework_version)
    return evaluations.order_by("project_id")


def impact_rows(organisation: Organisation, framework_version: FrameworkVersion | None = None) -> QuerySet:
    """latest_evaluations_of_custodian as tuples of IMPACT_FIELDS."""
    return latest_evaluations_of_custodian(organisation, framework_version).values_list(*IMPACT_FIELDS)


def impact_preview_get(organisation: Organisation, preview_id: int) -> ImpactPreview | None:
    return (
        ImpactPreview.objects.filter(organisation=organisation, pk=preview_id)
        .select_related("requested_by", "framework_version")
        .first()
    )


def impact_previews_recent(organisation: Organisation, kind: str, limit: int = 10) -> list[ImpactPreview]:
    return list(
        ImpactPreview.objects.filter(organisation=organisation, kind=kind)
        .select_related("requested_by")
        .defer("result", "draft_data")[:limit]
    )
