"""Reads for the public register: one entry per approval of a published project.

Every fact comes from the approving record's immutable snapshot, the coordinator's Publication
and the approval's status, never from the project's live answers: the register shows what was
decided and what the coordinator chose to say, and it cannot drift when a draft changes. Each
entry is built from an allowlist of snapshot keys, so nothing private (answers, sign-off reasons,
votes, declarations, evidence, the people involved) can reach it by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from ..models import Approval, CustodianAssessment, DecisionRecord, Obligation, Project, Publication, Vote

APPROVING = (Vote.Choice.APPROVE, Vote.Choice.APPROVE_WITH_CONDITIONS)
SAFES = ("people", "projects", "settings", "data", "outputs")
PAGE_SIZE = 20
FEED_SIZE = 50
# The statuses the register shows and filters on; "expired" includes an approval past its last
# day that the nightly job has not marked yet.
STATUSES = {
    Approval.Status.ACTIVE: "In force",
    Approval.Status.EXPIRED: "Expired",
    Approval.Status.REPLACED: "Replaced by a later decision",
    Approval.Status.WITHDRAWN: "Withdrawn",
}


@dataclass(frozen=True)
class RegisterFilters:
    q: str = ""
    custodian: str = ""
    tier: int | None = None
    status: str = ""
    year: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> RegisterFilters:
        """Filters from query parameters; a value that cannot be one is ignored, as on any search page."""

        def number(name: str) -> int | None:
            value = (params.get(name) or "").strip()
            return int(value) if value.isdigit() and len(value) <= 4 else None

        status = (params.get("status") or "").strip()
        return cls(
            q=(params.get("q") or "").strip()[:200],
            custodian=(params.get("custodian") or "").strip()[:200],
            tier=number("tier"),
            status=status if status in STATUSES else "",
            # Year 0 is no calendar year: the database's date bounds for it would fail.
            year=year if (year := number("year")) else None,
        )

    def as_params(self) -> dict[str, str]:
        values = {"q": self.q, "custodian": self.custodian, "tier": self.tier, "status": self.status, "year": self.year}
        return {key: str(value) for key, value in values.items() if value not in ("", None)}


def _published() -> QuerySet[Approval]:
    return (
        Approval.objects.filter(project__publication__isnull=False, record__outcome__in=APPROVING)
        .select_related("record", "project__publication")
        .prefetch_related(
            Prefetch("obligations", queryset=Obligation.objects.select_related("checker").order_by("number"))
        )
        .order_by("-record__issued_at", "-pk")
    )


def register_approvals(filters: RegisterFilters | None = None) -> QuerySet[Approval]:
    """The approvals on the register, newest decision first, filtered."""
    filters = filters or RegisterFilters()
    approvals = _published()
    if filters.q:
        approvals = approvals.filter(
            Q(record__snapshot__project__title__icontains=filters.q)
            | Q(record__snapshot__project__purpose__icontains=filters.q)
            | Q(project__publication__lay_summary__icontains=filters.q)
        )
    if filters.custodian:
        approvals = approvals.filter(
            Exists(
                CustodianAssessment.objects.filter(project=OuterRef("project"), organisation__name=filters.custodian)
            )
        )
    if filters.tier is not None:
        approvals = approvals.filter(record__snapshot__evaluation__result__overall=filters.tier)
    if filters.year is not None:
        approvals = approvals.filter(record__issued_at__year=filters.year)
    if filters.status:
        today = timezone.localdate()
        if filters.status == Approval.Status.EXPIRED:
            approvals = approvals.filter(
                Q(status=Approval.Status.EXPIRED) | Q(status=Approval.Status.ACTIVE, expires_on__lt=today)
            )
        elif filters.status == Approval.Status.ACTIVE:
            approvals = approvals.filter(status=Approval.Status.ACTIVE, expires_on__gte=today)
        else:
            approvals = approvals.filter(status=filters.status)
    return approvals


def register_page(filters: RegisterFilters, page: Any) -> tuple[Page, list[dict[str, Any]]]:
    """One page of entries: a count, the page's approvals and their conditions, whatever the page size."""
    paginator = Paginator(register_approvals(filters), PAGE_SIZE)
    current = paginator.get_page(page)
    return current, [register_entry(approval) for approval in current.object_list]


def register_all(filters: RegisterFilters) -> list[dict[str, Any]]:
    """Every entry the filters match, for the CSV file."""
    return [register_entry(approval) for approval in register_approvals(filters)]


def register_latest() -> list[dict[str, Any]]:
    """The newest approvals, for the Atom feed."""
    return [register_entry(approval) for approval in register_approvals()[:FEED_SIZE]]


def register_entry_for(number: str) -> dict[str, Any] | None:
    """One entry by its record number; None when it is not on the register."""
    approval = _published().filter(record__number=number).first()
    return register_entry(approval) if approval is not None else None


def register_filter_choices() -> dict[str, Any]:
    """What the filters offer: the custodians and years that occur on the register."""
    published = Project.objects.filter(publication__isnull=False)
    custodians = (
        CustodianAssessment.objects.filter(project__in=published)
        .values_list("organisation__name", flat=True)
        .distinct()
        .order_by("organisation__name")
    )
    years = DecisionRecord.objects.filter(project__in=published, outcome__in=APPROVING, approval__isnull=False).dates(
        "issued_at", "year", order="DESC"
    )
    return {
        "custodians": list(custodians),
        "years": [d.year for d in years],
        "tiers": list(range(5)),
        "statuses": list(STATUSES.items()),
    }


def _status(approval: Approval, today: date) -> str:
    if approval.status == Approval.Status.ACTIVE and approval.expires_on < today:
        return Approval.Status.EXPIRED
    return approval.status


def _condition_setter(obligation: Obligation) -> str:
    if obligation.checker is not None:
        return obligation.checker.name
    return {
        Obligation.Source.PANEL: "the approval panel",
        Obligation.Source.FRAMEWORK: "the framework",
    }.get(obligation.source, "a custodian")


def _conditions(approval: Approval, publication: Publication) -> list[dict[str, Any]]:
    # A condition is public only in the words the coordinator wrote for it; otherwise the
    # register says that it exists and who set it, never the private text.
    wordings = (publication.condition_wording or {}).get(approval.record.number, {})
    conditions = []
    for obligation in approval.obligations.all():
        wording = (wordings.get(str(obligation.number)) or "").strip()
        setter = _condition_setter(obligation)
        conditions.append(
            {
                "number": obligation.number,
                "set_by": setter,
                "published": bool(wording),
                "text": wording or f"A condition set by {setter}; its wording is not published.",
            }
        )
    return conditions


def _controls(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    guide = snapshot.get("guide") or {}
    shown = []
    for safe in guide.get("controls") or []:
        in_place = [c["text"] for c in safe.get("controls", []) if c.get("in_place") is True]
        shown.append({"safe": safe.get("safe"), "label": safe.get("label"), "in_place": in_place})
    return shown


def register_entry(approval: Approval, today: date | None = None) -> dict[str, Any]:
    """The public facts of one approval, from its record's snapshot: an allowlist, key by key."""
    today = today or timezone.localdate()
    record = approval.record
    snapshot = record.snapshot
    project = snapshot["project"]
    result = snapshot["evaluation"]["result"]
    publication = approval.project.publication
    status = _status(approval, today)
    return {
        "record_number": record.number,
        "title": project["title"],
        "lay_summary": publication.lay_summary,
        "purpose": project["purpose"],
        "lead_organisation": project["lead_organisation"],
        "coordinating_organisation": project["coordinating_organisation"],
        "custodians": [c["name"] for c in snapshot.get("custodians", [])],
        "tiers": result_tiers(result),
        "overall_tier": result["overall"],
        "overall_tier_name": result.get("overall_name", ""),
        "controls": _controls(snapshot),
        "outcome": snapshot["outcome"]["value"],
        "outcome_label": snapshot["outcome"]["label"],
        "conditions": _conditions(approval, publication),
        "decision_date": timezone.localdate(record.issued_at),
        "valid_from": approval.valid_from,
        "expires_on": approval.expires_on,
        "status": status,
        "status_label": STATUSES.get(status, status),
        "supersedes": snapshot["record"].get("supersedes"),
        "url": reverse("register_detail", args=[record.number]),
        "verify_url": reverse("verify"),
    }


def entry_json(entry: dict[str, Any], absolute: Callable[[str], str]) -> dict[str, Any]:
    """An entry as the JSON feed and the API give it: dates in ISO 8601, links absolute."""
    row = dict(entry)
    for key in ("decision_date", "valid_from", "expires_on"):
        row[key] = entry[key].isoformat()
    row["url"], row["verify_url"] = absolute(entry["url"]), absolute(entry["verify_url"])
    return row


def publication_of(project: Project) -> Publication | None:
    return Publication.objects.filter(project=project).first()


def publishable_approvals(project: Project) -> list[Approval]:
    """The project's approvals whose conditions the coordinator words for the public, oldest first."""
    return list(
        project.approvals.filter(record__outcome__in=APPROVING)
        .select_related("record")
        .prefetch_related(Prefetch("obligations", queryset=Obligation.objects.order_by("number")))
        .order_by("valid_from", "pk")
    )


def register_numbers(project: Project) -> list[str]:
    """The record numbers under which a published project appears, newest first."""
    return list(
        project.approvals.filter(record__outcome__in=APPROVING)
        .order_by("-record__issued_at")
        .values_list("record__number", flat=True)
    )


def result_tiers(result: dict[str, Any]) -> list[dict[str, Any]]:
    """An evaluation result's tiers in the order of the Five Safes, each with its tier's name."""
    explanation = result.get("explanation", {})
    return [
        {
            "safe": safe,
            "label": safe.capitalize(),
            "tier": result["tiers"][safe],
            "tier_name": explanation.get(safe, {}).get("tier_name", ""),
        }
        for safe in SAFES
        if safe in result.get("tiers", {})
    ]
