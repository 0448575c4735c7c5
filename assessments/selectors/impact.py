"""Reads for impact previews: the evaluations a custodian's draft or a new framework version would
re-score, and the previews."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef

from ..models import CriteriaVersion, Evaluation, FrameworkVersion, ImpactPreview, Organisation
from .criteria import criteria_in_force

if TYPE_CHECKING:
    from django.db.models import QuerySet


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
    evaluations = _latest().filter(project__assessments__organisation=organisation)
    if framework_version is not None:
        evaluations = evaluations.filter(framework_version=framework_version)
    return evaluations.order_by("project_id")


def impact_rows(organisation: Organisation, framework_version: FrameworkVersion | None = None) -> QuerySet:
    """latest_evaluations_of_custodian as tuples of IMPACT_FIELDS."""
    return latest_evaluations_of_custodian(organisation, framework_version).values_list(*IMPACT_FIELDS)


def impact_chunk_rows(evaluation_ids: list[int], *, framework: bool = False) -> QuerySet:
    """One chunk of a preview's evaluations as tuples of IMPACT_FIELDS (FRAMEWORK_IMPACT_FIELDS for
    a framework preview), in project order."""
    fields = FRAMEWORK_IMPACT_FIELDS if framework else IMPACT_FIELDS
    return Evaluation.objects.filter(pk__in=evaluation_ids).order_by("project_id").values_list(*fields)


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


def _latest() -> QuerySet[Evaluation]:
    """Each project's latest evaluation: no later evaluation of the same project exists."""
    later = Evaluation.objects.filter(project_id=OuterRef("project_id"), revision__gt=OuterRef("revision"))
    return Evaluation.objects.filter(~Exists(later))


# --- framework previews (administrators) ------------------------------------------------------

# A framework preview also compares which framework rules fire.
FRAMEWORK_IMPACT_FIELDS = (*IMPACT_FIELDS, "result__fired")


def latest_evaluations_before(framework_version: FrameworkVersion) -> QuerySet[Evaluation]:
    """Each project's latest evaluation, where that was made under an older version of the same
    framework (loaded before this one, as project_apply_framework counts newer), in one query."""
    return (
        _latest()
        .filter(
            framework_version__framework_id=framework_version.framework_id,
            framework_version__loaded_at__lt=framework_version.loaded_at,
        )
        .order_by("project_id")
    )


def framework_impact_rows(framework_version: FrameworkVersion) -> QuerySet:
    """latest_evaluations_before as tuples of FRAMEWORK_IMPACT_FIELDS."""
    return latest_evaluations_before(framework_version).values_list(*FRAMEWORK_IMPACT_FIELDS)


def framework_criteria_published(framework_version: FrameworkVersion) -> dict[str, CriteriaVersion]:
    """{organisation name: its latest criteria published for this version}, in two queries
    whatever the number of projects (documents name custodians by organisation name)."""
    organisations = list(
        Organisation.objects.filter(
            criteria_versions__status=CriteriaVersion.Status.PUBLISHED,
            criteria_versions__framework_version=framework_version,
        )
        .distinct()
        .only("pk", "name")
    )
    names = {organisation.pk: organisation.name for organisation in organisations}
    return {names[pk]: version for pk, version in criteria_in_force(organisations, framework_version).items()}


def latest_evaluations_not_before(framework_version: FrameworkVersion) -> int:
    """How many projects' latest evaluation is already under this version or a newer one."""
    return (
        _latest()
        .filter(
            framework_version__framework_id=framework_version.framework_id,
            framework_version__loaded_at__gte=framework_version.loaded_at,
        )
        .count()
    )


def framework_versions_previewable() -> list[FrameworkVersion]:
    """Loaded versions with an older version of the same framework loaded: those a preview can
    re-score projects under, newest first. Without the definition files (large)."""
    older = FrameworkVersion.objects.filter(framework_id=OuterRef("framework_id"), loaded_at__lt=OuterRef("loaded_at"))
    return list(
        FrameworkVersion.objects.filter(Exists(older)).defer("texts").order_by("framework_id", "-loaded_at", "-pk")
    )


def framework_preview_get(preview_id: int) -> ImpactPreview | None:
    return (
        ImpactPreview.objects.filter(kind=ImpactPreview.Kind.FRAMEWORK, pk=preview_id)
        .select_related("requested_by", "framework_version")
        .first()
    )


def framework_previews_recent(limit: int = 10) -> list[ImpactPreview]:
    return list(
        ImpactPreview.objects.filter(kind=ImpactPreview.Kind.FRAMEWORK)
        .select_related("requested_by", "framework_version")
        .defer("result", "framework_version__texts")[:limit]
    )
