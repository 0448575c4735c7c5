"""Reads for the criteria pages beyond selectors/criteria.py: every custodian's latest published
versions side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import OuterRef, Subquery

from ..models import AppetiteVersion, CriteriaVersion, Organisation

if TYPE_CHECKING:
    from django.db.models import QuerySet

_Version = TypeVar("_Version", CriteriaVersion, AppetiteVersion)

PUBLISHED = CriteriaVersion.Status.PUBLISHED


def latest_published_by_organisation() -> list[tuple[Organisation, CriteriaVersion | None, AppetiteVersion | None]]:
    """Every organisation, each with its latest published criteria and appetite (or None), in
    three queries whatever the number of organisations and versions."""
    organisations = list(Organisation.objects.order_by("name"))
    criteria = {v.organisation_id: v for v in _latest(CriteriaVersion).select_related("framework_version")}
    appetites = {v.organisation_id: v for v in _latest(AppetiteVersion)}
    return [(org, criteria.get(org.pk), appetites.get(org.pk)) for org in organisations]


def _latest(model: type[_Version]) -> QuerySet[_Version]:
    newest = (
        model.objects.filter(organisation=OuterRef("organisation"), status=PUBLISHED)
        .order_by("-number")
        .values("number")[:1]
    )
    return model.objects.filter(status=PUBLISHED, number=Subquery(newest)).select_related("published_by")
