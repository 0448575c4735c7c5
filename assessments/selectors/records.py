"""Reads about decision records: who may see which, which record a PDF is, and what replaced a record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from ..models import DecisionRecord, RecordPdf, RecordPdfJob
from ..permissions import projects_visible_to

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import User


def records_visible_to(user: User) -> QuerySet[DecisionRecord]:
    """The records of the projects the user may see: the one permission path for pages and API."""
    visible = projects_visible_to(user).values("pk")
    return (
        DecisionRecord.objects.filter(project__in=visible)
        .select_related("project", "decision", "supersedes", "pdf")
        .defer("supersedes__snapshot", "pdf__data")
        .order_by("-issued_at", "-pk")
    )


def record_for(user: User, number: str) -> DecisionRecord | None:
    """The record with this number if the user may see it, else None."""
    return records_visible_to(user).filter(number=number).first()


def record_pdf_job(record: DecisionRecord) -> RecordPdfJob | None:
    return RecordPdfJob.objects.filter(record=record).first()


def record_by_pdf_sha256(sha256: str) -> DecisionRecord | None:
    found = RecordPdf.objects.select_related("record").filter(sha256=sha256).first()
    return found.record if found else None


def record_successor(record: DecisionRecord) -> DecisionRecord | None:
    """The record that replaced this one, or None while it stands.

    A final decision is replaced by the record that supersedes it. A referral decides nothing
    and supersedes nothing, so it is replaced by the next record issued for its project.
    """
    successor = DecisionRecord.objects.filter(supersedes=record).only("number").first()
    if successor is None and record.outcome == "refer_back":
        later = Q(issued_at__gt=record.issued_at) | Q(issued_at=record.issued_at, pk__gt=record.pk)
        successor = (
            DecisionRecord.objects.filter(later, project_id=record.project_id)
            .order_by("issued_at", "pk")
            .only("number")
            .first()
        )
    return successor
