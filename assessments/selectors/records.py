"""Reads about decision records: which record a PDF is, and what replaced a record."""

from django.db.models import Q

from ..models import DecisionRecord, RecordPdf


def record_by_pdf_sha256(sha256):
    found = RecordPdf.objects.select_related("record").filter(sha256=sha256).first()
    return found.record if found else None


def record_successor(record):
    """The record that replaced this one, or None while it stands.

    A final decision is replaced by the record that supersedes it. A referral decides nothing
    and supersedes nothing, so it is replaced by the next record issued for its project.
    """
    successor = DecisionRecord.objects.filter(supersedes=record).only("number").first()
    if successor is None and record.decision.outcome == "refer_back":
        later = Q(issued_at__gt=record.issued_at) | Q(issued_at=record.issued_at, pk__gt=record.pk)
        successor = (
            DecisionRecord.objects.filter(later, project_id=record.project_id)
            .order_by("issued_at", "pk").only("number").first()
        )
    return successor
