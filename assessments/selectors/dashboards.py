"""What each person's lists show: projects with what each waits for, searchable and filterable,
in a number of queries that does not grow with the rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Q, Subquery

from ..models import Approval, Obligation, PanelReview, Project, SignOff
from .obligations import OPEN_STATUSES
from .projects import project_rows

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import User


@dataclass
class ProjectFilters:
    q: str = ""  # words in the title, lead researcher or lead organisation
    status: str = ""  # a Project.Status
    mine: bool = False  # only the projects the user coordinates


def project_dashboard(user: User, filters: ProjectFilters | None = None) -> QuerySet[Project]:
    """The projects page's rows, with what each waits for annotated."""
    filters = filters or ProjectFilters()
    rows = project_rows(user)
    if filters.q:
        rows = rows.filter(
            Q(title__icontains=filters.q)
            | Q(lead_researcher__icontains=filters.q)
            | Q(lead_organisation__icontains=filters.q)
        )
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.mine:
        rows = rows.filter(coordinator=user)
    active = Approval.objects.filter(project=OuterRef("pk"), status=Approval.Status.ACTIVE)
    latest_ended = Approval.objects.filter(project=OuterRef("pk")).order_by("-valid_from", "-pk")
    # Filtered on the project directly: an OuterRef inside a nested `approval__in=active` would
    # refer to the obligation, not the project, and match by coincidence of ids.
    blocking = (
        Obligation.objects.filter(
            project=OuterRef("pk"),
            approval__status=Approval.Status.ACTIVE,
            blocking=True,
            status__in=OPEN_STATUSES,
        )
        .order_by()
        .values("project")
        .annotate(n=Count("pk"))
        .values("n")
    )
    pending = (
        SignOff.objects.filter(project=OuterRef("pk"), revision=OuterRef("revision"), status=SignOff.Status.PENDING)
        .order_by()
        .values("project")
        .annotate(n=Count("pk"))
        .values("n")
    )
    open_review = PanelReview.objects.filter(project=OuterRef("pk"), status=PanelReview.Status.OPEN)
    return rows.annotate(
        approval_expires_on=Subquery(active.values("expires_on")[:1]),
        approval_ended_on=Subquery(latest_ended.values("expires_on")[:1]),
        blocking_open=Subquery(blocking[:1]),
        sign_offs_pending=Subquery(pending[:1]),
        panel_name=Subquery(open_review.values("panel__name")[:1]),
    )


def waits_for(project: Project) -> str:
    """What the project waits for, in words, from project_dashboard's annotations."""
    assessments = list(project.assessments.all())
    if project.status == Project.Status.ASSESSING:
        unsubmitted = [a.organisation.name for a in assessments if not a.is_submitted]
        if unsubmitted:
            return f"Submissions from {', '.join(unsubmitted)}"
        return "Every custodian's confirmation of the project-wide answers"
    if project.status == Project.Status.ASSESSED:
        n = project.sign_offs_pending or 0
        return f"{n} custodian sign-off{'s' if n != 1 else ''}" if n else "The coordinator sends it to a panel"
    if project.status == Project.Status.WITH_PANEL:
        return f"The decision of {project.panel_name}" if project.panel_name else "The panel's decision"
    if project.status == Project.Status.REFERRED:
        return "Replies to the panel's questions"
    if project.status == Project.Status.EXPIRED:
        return f"Renewal: the approval ended on {project.approval_ended_on:%-d %B %Y}"
    if project.approval_expires_on is None:
        return "Nothing: decided without an approval"
    if project.blocking_open:
        n = project.blocking_open
        return f"{n} condition{'s' if n != 1 else ''} to meet before access starts"
    return f"Nothing: access may start; approved until {project.approval_expires_on:%-d %B %Y}"
