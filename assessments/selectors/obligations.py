"""Reads about approvals and obligations: what a project's approval needs before access starts,
who acts on an obligation, and each person's list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q

from ..models import Approval, Evidence, Membership, Obligation, User
from ..permissions import projects_visible_to

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import Project

OPEN_STATUSES = (Obligation.Status.OPEN, Obligation.Status.EVIDENCE_SUBMITTED, Obligation.Status.OVERDUE)


def approval_in_force(project: Project) -> Approval | None:
    return project.approvals.select_related("record").filter(status=Approval.Status.ACTIVE).first()


def access_may_start(project: Project) -> bool:
    """An approval is in force and every one of its blocking obligations is met or waived."""
    approval = approval_in_force(project)
    return approval is not None and not approval.obligations.filter(blocking=True, status__in=OPEN_STATUSES).exists()


def obligation_people(obligation: Obligation, *, owners: bool = False, checkers: bool = False) -> QuerySet[User]:
    """Who must meet an obligation (`owners`: its organisation's members, or the coordinator) and
    who checks it (`checkers`: the owning custodian's members, or every custodian's)."""
    q = Q(pk__in=[])
    if owners:
        q |= (
            Q(memberships__organisation_id=obligation.owner_organisation_id)
            if obligation.owner_organisation_id
            else Q(pk=obligation.project.coordinator_id)
        )
    if checkers:
        q |= (
            Q(memberships__organisation_id=obligation.checker_id)
            if obligation.checker_id
            else Q(memberships__organisation__assessments__project_id=obligation.project_id)
        )
    return User.objects.filter(q, is_active=True).distinct()


def _with_evidence(queryset: QuerySet[Obligation]) -> QuerySet[Obligation]:
    return queryset.select_related("checker", "owner_organisation", "signed_off_by", "project").prefetch_related(
        Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by").order_by("uploaded_at", "pk"))
    )


@dataclass
class ProjectObligations:
    approval: Approval | None
    obligations: list[Obligation]
    earlier: list[Approval] = field(default_factory=list)

    @property
    def blocking_open(self) -> list[Obligation]:
        return [o for o in self.obligations if o.blocking and o.status in OPEN_STATUSES]

    @property
    def access_may_start(self) -> bool:
        return self.approval is not None and not self.blocking_open

    @property
    def counts(self) -> dict[str, int]:
        found = {s.value: 0 for s in Obligation.Status}
        for o in self.obligations:
            found[o.status] += 1
        return found


def project_obligations(project: Project) -> ProjectObligations:
    """The approval in force (or the latest one) with its obligations and their evidence, and the
    approvals before it, in a fixed number of queries."""
    approvals = list(project.approvals.select_related("record").order_by("-valid_from", "-pk"))
    current = next((a for a in approvals if a.status == Approval.Status.ACTIVE), approvals[0] if approvals else None)
    obligations = (
        list(_with_evidence(Obligation.objects.filter(approval=current)).order_by("number")) if current else []
    )
    return ProjectObligations(current, obligations, [a for a in approvals if a is not current])


@dataclass
class ObligationFilters:
    status: str = ""  # an Obligation.Status, "open" for anything not settled, or "" for all
    role: str = ""  # "meet" (yours to meet), "check" (yours to sign off), or "" for both
    q: str = ""  # words in the project title or the obligation's text
    due_before: date | None = None


def obligations_for_user(user: User, filters: ObligationFilters | None = None) -> QuerySet[Obligation]:
    """The obligations of approvals in force that the user meets or checks ("your obligations")."""
    filters = filters or ObligationFilters()
    orgs = Membership.objects.filter(user=user).values("organisation_id")
    meet = Q(owner_organisation__in=orgs) | Q(owner_organisation__isnull=True, project__coordinator=user)
    check = Q(checker__in=orgs) | Q(
        Exists(Membership.objects.filter(user=user, organisation__assessments__project=OuterRef("project_id"))),
        checker__isnull=True,
    )
    mine = {"meet": meet, "check": check}.get(filters.role, meet | check)
    queryset = Obligation.objects.filter(mine, approval__status=Approval.Status.ACTIVE)
    if filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.q:
        queryset = queryset.filter(Q(project__title__icontains=filters.q) | Q(text__icontains=filters.q))
    if filters.due_before:
        queryset = queryset.filter(due_on__lte=filters.due_before)
    return (
        queryset.select_related("project", "checker", "owner_organisation", "approval")
        .annotate(evidence_count=Count("evidence"))
        # What stops access first, then by date.
        .order_by("-blocking", F("due_on").asc(nulls_last=True), "project__title", "number")
    )


def obligations_visible_to(user: User) -> QuerySet[Obligation]:
    """Every obligation of the projects the user may see: the API's list."""
    return Obligation.objects.filter(project__in=projects_visible_to(user).values("pk")).select_related(
        "project", "checker", "owner_organisation", "approval__record", "signed_off_by"
    )


def obligation_histories(obligations: list[Obligation]) -> dict[int, list[dict[str, Any]]]:
    """Each obligation's history from the audit trail (one query): what happened, who, when."""
    from ..models import AuditAction, AuditEvent

    found: dict[int, list[dict[str, Any]]] = {o.pk: [] for o in obligations}
    events = AuditEvent.objects.filter(object_type="obligation", object_id__in=[str(pk) for pk in found]).order_by(
        "sequence"
    )
    for e in events:
        data = e.data
        found[int(e.object_id)].append(
            {
                "label": AuditAction.label_of(e.action),
                "actor": e.actor,
                "at": e.timestamp,
                "note": data.get("note") or data.get("reason") or data.get("evidence") or "",
                "sequence": e.sequence,
            }
        )
    return found
