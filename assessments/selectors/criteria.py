"""Reads of custodians' criteria and risk appetites, and the engine objects built from them."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from django.db.models import F

from .. import engine
from ..models import AppetiteVersion, CriteriaVersion, Organisation
from .frameworks import engine_framework

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet

    from ..models import FrameworkVersion

_Version = TypeVar("_Version", CriteriaVersion, AppetiteVersion)

PUBLISHED = CriteriaVersion.Status.PUBLISHED


def criteria_versions(organisation: Organisation) -> list[CriteriaVersion]:
    """The organisation's draft (if any) first, then its published versions, newest first."""
    return list(
        CriteriaVersion.objects.filter(organisation=organisation)
        .select_related("framework_version", "updated_by", "published_by")
        .order_by("status", "-number")  # "draft" sorts before "published"
    )


def appetite_versions(organisation: Organisation) -> list[AppetiteVersion]:
    return list(
        AppetiteVersion.objects.filter(organisation=organisation)
        .select_related("updated_by", "published_by")
        .order_by("status", "-number")
    )


def criteria_draft(organisation: Organisation) -> CriteriaVersion | None:
    return CriteriaVersion.objects.filter(organisation=organisation, status=CriteriaVersion.Status.DRAFT).first()


def appetite_draft(organisation: Organisation) -> AppetiteVersion | None:
    return AppetiteVersion.objects.filter(organisation=organisation, status=AppetiteVersion.Status.DRAFT).first()


def criteria_in_force(
    organisations: Iterable[Organisation], framework_version: FrameworkVersion
) -> dict[int, CriteriaVersion]:
    """{organisation id: its latest published criteria for this framework version}."""
    found = {}
    versions = CriteriaVersion.objects.filter(
        organisation__in=organisations, status=PUBLISHED, framework_version=framework_version
    ).order_by("organisation_id", "-number")
    for version in versions:
        found.setdefault(version.organisation_id, version)
    return found


def appetites_in_force(organisations: Iterable[Organisation]) -> dict[int, AppetiteVersion]:
    """{organisation id: its latest published appetite}."""
    found = {}
    versions = AppetiteVersion.objects.filter(organisation__in=organisations, status=PUBLISHED).order_by(
        "organisation_id", "-number"
    )
    for version in versions:
        found.setdefault(version.organisation_id, version)
    return found


def engine_criteria(version: CriteriaVersion) -> engine.Criteria:
    """The compiled criteria of a published version, built once per process."""
    framework = engine_framework(version.framework_version)
    return _compiled_criteria(framework.sha256, version.sha256, version.pk)


@lru_cache(maxsize=256)
def _compiled_criteria(framework_sha256: str, sha256: str, pk: int) -> engine.Criteria:
    version = CriteriaVersion.objects.select_related("framework_version").get(pk=pk)
    criteria = engine.compile_criteria(engine_framework(version.framework_version), version.data)
    if criteria.sha256 != sha256:
        raise ValueError(f"Stored criteria {pk} do not match their recorded sha256 {sha256}.")
    return criteria


def engine_appetite(version: AppetiteVersion, framework: engine.Framework) -> engine.Appetite:
    """A published appetite, checked against the framework a project is evaluated under."""
    return engine.cached_appetite(framework, version.data)


# The API's reads: organisations by slug and single published versions by number.


def organisation_list() -> QuerySet[Organisation]:
    return Organisation.objects.order_by("name")


def organisation_by_slug(slug: str) -> Organisation | None:
    return Organisation.objects.filter(slug=slug).first()


def _listed(model: type[_Version], organisation: Organisation, with_draft: bool) -> QuerySet[_Version]:
    versions = model.objects.filter(organisation=organisation).select_related("published_by")
    if not with_draft:
        versions = versions.filter(status=PUBLISHED)
    # The draft (no number yet) first, then published versions newest first, on every database.
    return versions.order_by(F("number").desc(nulls_first=True))


def criteria_versions_listed(organisation: Organisation, *, with_draft: bool) -> QuerySet[CriteriaVersion]:
    return _listed(CriteriaVersion, organisation, with_draft).select_related("framework_version").defer("text", "data")


def appetite_versions_listed(organisation: Organisation, *, with_draft: bool) -> QuerySet[AppetiteVersion]:
    return _listed(AppetiteVersion, organisation, with_draft).defer("data")


def criteria_published(organisation: Organisation, number: int) -> CriteriaVersion | None:
    return (
        CriteriaVersion.objects.filter(organisation=organisation, status=PUBLISHED, number=number)
        .select_related("framework_version", "published_by")
        .first()
    )


def appetite_published(organisation: Organisation, number: int) -> AppetiteVersion | None:
    return (
        AppetiteVersion.objects.filter(organisation=organisation, status=PUBLISHED, number=number)
        .select_related("published_by")
        .first()
    )


def draft_starting_point(organisation: Organisation) -> CriteriaVersion | None:
    """The latest published criteria, which a new draft starts from."""
    return (
        CriteriaVersion.objects.filter(organisation=organisation, status=CriteriaVersion.Status.PUBLISHED)
        .select_related("framework_version")
        .order_by("-number")
        .first()
    )
