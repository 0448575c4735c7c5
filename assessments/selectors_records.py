"""What a decision record says: the snapshot, built once when the chair decides."""

import hashlib

from . import engine


def _person(user):
    return {"username": user.username, "name": user.display_name} if user else None


def _when(moment):
    return moment.isoformat(timespec="seconds") if moment else None


def record_snapshot(*, review, decision, number, issued_at, audit_head, supersedes):
    """The complete, self-contained content of a record and its SHA-256 (of canonical JSON)."""
    from .services.panels import quorum_of

    project = review.project
    evaluation = review.evaluation
    result = evaluation.result
    quorum = quorum_of(review)
    snapshot = {
        "record": {
            "number": number,
            "issued_at": _when(issued_at),
            "supersedes": supersedes.number if supersedes else None,
        },
        "project": {
            "id": project.pk,
            "title": project.title,
            "summary": project.summary,
            "lead_researcher": project.lead_researcher,
            "lead_organisation": project.lead_organisation,
            "purpose": project.purpose,
            "public_benefit": project.public_benefit,
            "start_date": project.start_date.isoformat(),
            "end_date": project.end_date.isoformat(),
            "coordinator": _person(project.coordinator),
            "coordinating_organisation": project.coordinating_organisation.name,
            "revision": review.revision,
        },
        "custodians": [
            {
                "name": a.organisation.name,
                "submitted_by": _person(a.submitted_by),
                "submitted_at": _when(a.submitted_at),
                "confirmed_by": _person(a.confirmed_by),
                "confirmed_at": _when(a.confirmed_at),
            }
            for a in project.assessments.select_related("organisation", "submitted_by", "confirmed_by").order_by(
                "organisation__name"
            )
        ],
        "document": evaluation.document,
        "evaluation": {
            "revision": evaluation.revision,
            "evaluated_at": _when(evaluation.created_at),
            "result": result,
        },
        "review": {
            "panel": review.panel.name,
            "sent_by": _person(review.sent_by),
            "sent_at": _when(review.sent_at),
            "note": review.note,
            "quorum": {"members": quorum.members, "conflicted": quorum.conflicted, "needed": quorum.needed,
                       "votes": quorum.votes},
        },
        "declarations": [
            {"member": _person(d.member), "conflicted": d.conflicted, "details": d.details,
             "declared_at": _when(d.declared_at)}
            for d in review.declarations.select_related("member").order_by("declared_at", "pk")
        ],
        "votes": [
            {"member": _person(v.member), "choice": v.choice, "choice_label": v.get_choice_display(),
             "rationale": v.rationale, "cast_at": _when(v.cast_at)}
            for v in review.votes.select_related("member").order_by("cast_at", "pk")
        ],
        "decision": {
            "outcome": decision.outcome,
            "outcome_label": decision.get_outcome_display(),
            "conditions": decision.conditions,
            "rationale": decision.rationale,
            "dissent": decision.dissent,
            "questions": decision.questions,
            "decided_by": _person(decision.decided_by),
            "decided_at": _when(decision.decided_at),
        },
        "audit_head": {"sequence": audit_head[0], "hash": audit_head[1]},
    }
    canonical = engine.canonical_json(snapshot)
    return {"snapshot": snapshot, "sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest()}


def record_by_pdf_sha256(sha256):
    from .models import RecordPdf

    found = RecordPdf.objects.select_related("record").filter(sha256=sha256).first()
    return found.record if found else None


def record_successor(record):
    """The record that replaced this one, or None while it stands.

    A final decision is replaced by the record that supersedes it. A referral decides nothing
    and supersedes nothing, so it is replaced by the next record issued for its project.
    """
    from django.db.models import Q

    from .models import DecisionRecord

    successor = DecisionRecord.objects.filter(supersedes=record).only("number").first()
    if successor is None and record.decision.outcome == "refer_back":
        later = Q(issued_at__gt=record.issued_at) | Q(issued_at=record.issued_at, pk__gt=record.pk)
        successor = (
            DecisionRecord.objects.filter(later, project_id=record.project_id)
            .order_by("issued_at", "pk").only("number").first()
        )
    return successor
