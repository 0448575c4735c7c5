"""Approval panels: sending, declarations, votes and the chair's decision."""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone

from ..errors import PriamError
from ..models import (
    AuditAction,
    ConflictDeclaration,
    CustodianAssessment,
    Decision,
    DecisionRecord,
    PanelMembership,
    PanelReview,
    Project,
    RecordPdfJob,
    Vote,
)
from ..selectors_records import record_snapshot
from .audit import audit_head, audit_record
from .projects import _evaluation_summary


class ReviewError(PriamError):
    pass


@dataclass(frozen=True)
class Quorum:
    members: int
    conflicted: int
    needed: int
    votes: int

    @property
    def eligible(self):
        return self.members - self.conflicted

    @property
    def met(self):
        return self.eligible > 0 and self.votes >= self.needed


def quorum_of(review):
    """Votes needed: the panel's quorum, or a majority of its non-conflicted members.

    A configured quorum never asks for more votes than there are members free to vote,
    and only the votes of current, non-conflicted members count.
    """
    seats = review.panel.seats.values("user")
    members = len(seats)
    conflicted = review.declarations.filter(conflicted=True, member__in=seats).count()
    eligible = members - conflicted
    needed = min(review.panel.quorum, eligible) if review.panel.quorum else eligible // 2 + 1
    votes = (
        review.votes.filter(member__in=seats)
        .exclude(member__in=review.declarations.filter(conflicted=True).values("member"))
        .count()
    )
    return Quorum(members=members, conflicted=conflicted, needed=needed, votes=votes)


def seat_of(review, user):
    return PanelMembership.objects.filter(panel=review.panel, user=user).first()


def review_send(*, project, panel, actor, note="", request=None):
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.status != Project.Status.ASSESSED:
            raise ReviewError(
                "Only a project whose custodians have all submitted and confirmed can go to a panel "
                f"(this one is “{project.get_status_display()}”)."
            )
        evaluation = project.evaluations.get(revision=project.revision)
        review = PanelReview.objects.create(
            project=project, panel=panel, evaluation=evaluation, revision=project.revision,
            sent_by=actor, note=note,
        )
        project.status = Project.Status.WITH_PANEL
        project.save(update_fields=["status", "updated_at"])
        audit_record(
            action=AuditAction.REVIEW_SENT, actor=actor, obj=review, project=project, request=request,
            data={"panel": panel.name, "revision": project.revision, "note": note, **_evaluation_summary(evaluation)},
        )
    return review


def _open_review_for_member(review, member):
    review = PanelReview.objects.select_for_update().select_related("panel", "project").get(pk=review.pk)
    if review.status != PanelReview.Status.OPEN:
        raise ReviewError("This review is closed: the panel has already decided.")
    if seat_of(review, member) is None:
        raise ReviewError("Only members of this panel take part in its review.")
    return review


def conflict_declare(*, review, member, conflicted, details="", request=None):
    with transaction.atomic():
        review = _open_review_for_member(review, member)
        if conflicted and not details.strip():
            raise ReviewError("Describe the conflict of interest, so the panel can record it.")
        previous = review.declarations.filter(member=member).first()
        if previous is not None:
            raise ReviewError(
                f"You declared on {previous.declared_at:%d %b %Y %H:%M}; a declaration cannot be changed. "
                "Ask the chair to record any change in the decision."
            )
        if conflicted and review.votes.filter(member=member).exists():
            raise ReviewError("You have already voted; declare conflicts before voting.")
        declaration = ConflictDeclaration.objects.create(
            review=review, member=member, conflicted=conflicted, details=details.strip()
        )
        audit_record(
            action=AuditAction.REVIEW_CONFLICT_DECLARED, actor=member, obj=declaration,
            project=review.project, request=request,
            data={"review": review.pk, "conflicted": conflicted, "details": details.strip()},
        )
    return declaration


def vote_cast(*, review, member, choice, rationale, request=None):
    """Cast or change a vote while the review is open; a change keeps the old vote in the audit trail."""
    with transaction.atomic():
        review = _open_review_for_member(review, member)
        declaration = review.declarations.filter(member=member).first()
        if declaration is None:
            raise ReviewError("Declare whether you have a conflict of interest before voting.")
        if declaration.conflicted:
            raise ReviewError("You declared a conflict of interest, so you cannot vote on this project.")
        if not rationale.strip():
            raise ReviewError("Give a rationale for your vote.")
        vote = review.votes.filter(member=member).first()
        before = {"choice": vote.choice, "rationale": vote.rationale} if vote else None
        if vote is None:
            vote = Vote(review=review, member=member)
        vote.choice, vote.rationale, vote.cast_at = choice, rationale.strip(), timezone.now()
        vote.save()
        audit_record(
            action=AuditAction.REVIEW_VOTED, actor=member, obj=vote, project=review.project, request=request,
            data={"review": review.pk, "before": before, "after": {"choice": choice, "rationale": vote.rationale}},
        )
    return vote


def review_decide(*, review, chair, outcome, conditions, rationale, dissent="", questions="", request=None):
    """The chair records the decision; a decision record and its PDF job are made with it."""
    from ..tasks import record_pdf_task

    with transaction.atomic():
        review = PanelReview.objects.select_for_update().select_related("panel", "project").get(pk=review.pk)
        seat = seat_of(review, chair)
        if seat is None or seat.role != PanelMembership.Role.CHAIR:
            raise ReviewError("Only the panel's chair records the decision.")
        if review.status != PanelReview.Status.OPEN:
            raise ReviewError("This review has already been decided.")
        quorum = quorum_of(review)
        if quorum.eligible == 0:
            raise ReviewError(
                "Every member of the panel has declared a conflict of interest, so it cannot decide: "
                "an administrator must add members without a conflict."
            )
        if not quorum.met:
            raise ReviewError(
                f"The panel is not quorate: {quorum.votes} of the {quorum.needed} votes needed "
                f"({quorum.eligible} members without a conflict)."
            )
        if not rationale.strip():
            raise ReviewError("Give the panel's rationale for the decision.")
        if outcome == Vote.Choice.APPROVE_WITH_CONDITIONS and not conditions:
            raise ReviewError("An approval with conditions needs at least one condition.")
        if outcome == Vote.Choice.REFER_BACK and not questions.strip():
            raise ReviewError("A referral needs the panel's questions for the custodians.")
        project = Project.objects.select_for_update().get(pk=review.project_id)
        decision = Decision.objects.create(
            review=review, outcome=outcome, conditions=conditions, rationale=rationale.strip(),
            dissent=dissent.strip(), questions=questions.strip(), decided_by=chair,
        )
        review.status = (
            PanelReview.Status.REFERRED_BACK if outcome == Vote.Choice.REFER_BACK else PanelReview.Status.DECIDED
        )
        review.save(update_fields=["status"])
        if outcome == Vote.Choice.REFER_BACK:
            # Back to the custodians: a new revision that each of them resubmits and confirms.
            project.status = Project.Status.ASSESSING
            project.revision += 1
            project.answers_version += 1
            CustodianAssessment.objects.filter(project=project).update(status=CustodianAssessment.Status.DRAFT)
        else:
            project.status = Project.Status.DECIDED
        project.save()
        record = _issue_record(review=review, decision=decision, project=project)
        audit_record(
            action=AuditAction.REVIEW_DECIDED, actor=chair, obj=decision, project=project, request=request,
            data={
                "review": review.pk, "outcome": outcome, "conditions": conditions, "rationale": decision.rationale,
                "dissent": decision.dissent, "questions": decision.questions, "record": record.number,
                "record_sha256": record.snapshot_sha256,
                "supersedes": record.supersedes.number if record.supersedes else None,
            },
        )
        # robust: the decision stands even if queueing (or, when eager, making) the PDF fails;
        # the record page shows the job's state and the task retries.
        transaction.on_commit(lambda: record_pdf_task.delay(record.pk), robust=True)
    return record


def _issue_record(*, review, decision, project):
    previous = project.records.filter(superseded_by__isnull=True).order_by("-issued_at", "-pk").first()
    issued_at = timezone.now()
    head_sequence, head_hash = audit_head()
    for _ in range(5):
        number = _next_number(issued_at)
        snapshot = record_snapshot(
            review=review, decision=decision, number=number, issued_at=issued_at,
            audit_head=(head_sequence, head_hash), supersedes=previous,
        )
        try:
            with transaction.atomic():
                record = DecisionRecord.objects.create(
                    number=number, project=project, decision=decision, supersedes=previous,
                    snapshot=snapshot["snapshot"], snapshot_sha256=snapshot["sha256"],
                    audit_head_sequence=head_sequence, audit_head_hash=head_hash, issued_at=issued_at,
                )
        except IntegrityError:
            continue  # another panel took this number at the same moment: take the next
        RecordPdfJob.objects.create(record=record)
        return record
    raise ReviewError("Could not allocate a record number; try again.")


def _next_number(when: datetime.datetime):
    prefix = f"PRIAM-{when.year}-"
    # Longest first, then highest: "…-10000" comes after "…-9999" although it sorts before it as text.
    last = (
        DecisionRecord.objects.filter(number__startswith=prefix)
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) if last else 0) + 1:04d}"
