"""Reads of custodians' sign-offs: what waits for whom, and where a project stands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F

from ..models import SignOff

if TYPE_CHECKING:
    from ..models import Evaluation, Project, User


def sign_offs_waiting_for(user: User) -> list[SignOff]:
    """Sign-offs of the current revisions that the user's organisations route to their own approvers."""
    return list(
        SignOff.objects.filter(
            route=SignOff.Route.CUSTODIAN_REVIEW,
            status=SignOff.Status.PENDING,
            organisation__memberships__user=user,
            organisation__memberships__approves=True,
            revision=F("project__revision"),
        )
        .exclude(project__status__in=["decided", "expired"])
        .select_related("project", "organisation", "evaluation")
        .order_by("project__title")
    )


def sign_offs_of(evaluation: Evaluation | None) -> list[SignOff]:
    if evaluation is None:
        return []
    return list(evaluation.sign_offs.select_related("organisation", "decided_by").order_by("organisation__name"))


def panel_sign_off_pending(project: Project) -> bool:
    """Whether some custodian's route on the current revision still waits for the panel (always,
    for a revision evaluated before custodians had routes)."""
    current = SignOff.objects.filter(project=project, revision=project.revision)
    return not current.exists() or current.filter(route=SignOff.Route.PANEL, status=SignOff.Status.PENDING).exists()
