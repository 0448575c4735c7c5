"""Reads. Views and the API ask here rather than building querysets themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import models

from ..models import Membership, PanelMembership

if TYPE_CHECKING:
    from ..models import CustodianAssessment, PanelReview, Project, User


@dataclass(frozen=True)
class Roles:
    memberships: list = field(default_factory=list)
    panel_seats: list = field(default_factory=list)
    is_auditor: bool = False
    is_administrator: bool = False

    @property
    def is_custodian(self) -> bool:
        return bool(self.memberships)

    @property
    def is_coordinator(self) -> bool:
        return any(m.role == Membership.Role.COORDINATOR for m in self.memberships)

    @property
    def is_panel_member(self) -> bool:
        return bool(self.panel_seats)

    @property
    def is_panel_chair(self) -> bool:
        return any(s.role == PanelMembership.Role.CHAIR for s in self.panel_seats)

    @property
    def has_any(self) -> bool:
        return self.is_custodian or self.is_panel_member or self.is_auditor or self.is_administrator


def roles_of(user: User) -> Roles:
    """Everything a user may act as, in two queries."""
    return Roles(
        memberships=list(user.memberships.select_related("organisation")),
        panel_seats=list(user.panel_seats.select_related("panel")),
        is_auditor=user.is_auditor,
        is_administrator=user.is_superuser,
    )


def assessments_waiting_for(user: User) -> list[CustodianAssessment]:
    """Custodian assessments of the user's organisations that still need a submit or a confirm."""
    from ..models import CustodianAssessment, Project

    candidates = (
        CustodianAssessment.objects.filter(organisation__memberships__user=user)
        .exclude(project__status__in=[Project.Status.WITH_PANEL, Project.Status.DECIDED, Project.Status.EXPIRED])
        .select_related("project", "organisation")
        .order_by("project__title", "organisation__name")
    )
    return [a for a in candidates if not a.is_submitted or not a.is_confirmed]


def referrals_waiting_for(user: User) -> list[Project]:
    """Referred projects the user coordinates or holds data for, while a panel question has no reply."""
    from ..models import CustodianAssessment, Project, ReferralQuestion

    referred = (
        Project.objects.filter(status=Project.Status.REFERRED)
        .filter(
            models.Q(coordinator=user)
            | models.Q(
                pk__in=CustodianAssessment.objects.filter(organisation__memberships__user=user).values("project_id")
            )
        )
        .order_by("title")
    )
    # A project goes back to the panel only once every question has a reply, so any question
    # still without one belongs to the referral it is answering now.
    unanswered = ReferralQuestion.objects.filter(decision__review__project=models.OuterRef("pk"), replies__isnull=True)
    return list(referred.filter(models.Exists(unanswered)))


def projects_coordinated_by(user: User) -> list[Project]:
    return list(user.coordinated_projects.order_by("-updated_at"))


def reviews_waiting_for(user: User) -> list[PanelReview]:
    """Open reviews of the panels the user sits on, with what the user still has to do."""
    from ..models import ConflictDeclaration, PanelReview, Vote

    reviews = list(
        PanelReview.objects.filter(status=PanelReview.Status.OPEN, panel__seats__user=user)
        .select_related("project", "panel")
        .order_by("sent_at")
    )
    ids = [r.pk for r in reviews]
    declared = dict(
        ConflictDeclaration.objects.filter(review_id__in=ids, member=user).values_list("review_id", "conflicted")
    )
    voted = set(Vote.objects.filter(review_id__in=ids, member=user).values_list("review_id", flat=True))
    presiding = {s.panel_id for s in user.panel_seats.exclude(role=PanelMembership.Role.MEMBER)}
    for review in reviews:
        review.user_declared = review.pk in declared
        review.user_conflicted = declared.get(review.pk) is True
        review.user_voted = review.pk in voted
        # Only for panels the user chairs or deputises: whether the decision now waits for them.
        review.user_decides = False
        if review.panel_id in presiding:
            from .panels import decider_of, quorum_of

            review.user_decides = decider_of(review).can_decide(user) and quorum_of(review).met
    return reviews
