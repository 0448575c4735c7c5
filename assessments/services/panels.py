"""Approval panels: sending, declarations, votes and the chair's decision."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .. import limits
from ..display import readable_time
from ..errors import ReviewError
from ..models import (
    AuditAction,
    ConflictDeclaration,
    Decision,
    DecisionRecord,
    PanelMembership,
    PanelReview,
    Project,
    ReferralQuestion,
    ReferralReply,
    Vote,
)
from ..selectors.panels import decider_of, quorum_of, seat_of
from ..selectors.signoffs import panel_sign_off_pending
from .assessments import _evaluation_summary
from .audit import audit_record
from .notifications import referral_notify, review_sent_notify
from .projects import _has_evaluation
from .records import record_issue
from .signoffs import signoffs_from_panel

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest

    from ..models import Organisation, Panel, User


def _check_lengths(model: type[Model], **values: str) -> None:
    """Text over its limit is refused like any other review error, naming the field and the limit."""
    try:
        limits.check_model_text(model, **values)
    except limits.TextTooLong as error:
        raise ReviewError(str(error)) from error


def review_send(
    *, project: Project, panel: Panel, actor: User, note: str = "", request: HttpRequest | None = None
) -> PanelReview:
    _check_lengths(PanelReview, note=note)
    with transaction.atomic():
        project = Project.objects.select_for_update(no_key=True).get(pk=project.pk)
        if project.status == Project.Status.REFERRED:
            _check_referral_replied(project)
            if not _has_evaluation(project):
                raise ReviewError(
                    f"Revision {project.revision} changed answers: every custodian must submit and confirm it "
                    "before it goes back to the panel."
                )
        elif project.status != Project.Status.ASSESSED:
            raise ReviewError(
                "Only a project whose custodians have all submitted and confirmed can go to a panel "
                f"(this one is “{project.get_status_display()}”)."
            )
        evaluation = project.evaluations.get(revision=project.revision)
        if not panel_sign_off_pending(project):
            raise ReviewError(
                f"No custodian's risk appetite sends revision {project.revision} to a panel: "
                "each custodian signs off on its own route (see the project page)."
            )
        review = PanelReview.objects.create(
            project=project,
            panel=panel,
            evaluation=evaluation,
            revision=project.revision,
            sent_by=actor,
            note=note,
        )
        project.status = Project.Status.WITH_PANEL
        project.save(update_fields=["status", "updated_at"])
        audit_record(
            action=AuditAction.REVIEW_SENT,
            actor=actor,
            obj=review,
            project=project,
            request=request,
            data={"panel": panel.name, "revision": project.revision, "note": note, **_evaluation_summary(evaluation)},
        )
        review_sent_notify(review=review, actor=actor)
    return review


def _open_review_for_member(review: PanelReview, member: User) -> PanelReview:
    review = (
        PanelReview.objects.select_for_update(of=("self",), no_key=True)
        .select_related("panel", "project")
        .get(pk=review.pk)
    )
    if review.status != PanelReview.Status.OPEN:
        raise ReviewError("This review is closed: the panel has already decided.")
    if seat_of(review, member) is None:
        raise ReviewError("Only members of this panel take part in its review.")
    return review


def conflict_declare(
    *,
    review: PanelReview,
    member: User,
    conflicted: bool,
    details: str = "",
    request: HttpRequest | None = None,
) -> ConflictDeclaration:
    _check_lengths(ConflictDeclaration, details=details)
    with transaction.atomic():
        review = _open_review_for_member(review, member)
        if conflicted and not details.strip():
            raise ReviewError("Describe the conflict of interest, so the panel can record it.")
        previous = review.declarations.filter(member=member).first()
        if previous is not None:
            raise ReviewError(
                f"You declared on {readable_time(previous.declared_at)}; a declaration cannot be changed. "
                "Ask the chair to record any change in the decision."
            )
        if conflicted and review.votes.filter(member=member).exists():
            raise ReviewError("You have already voted; declare conflicts before voting.")
        declaration = ConflictDeclaration.objects.create(
            review=review, member=member, conflicted=conflicted, details=details.strip()
        )
        audit_record(
            action=AuditAction.REVIEW_CONFLICT_DECLARED,
            actor=member,
            obj=declaration,
            project=review.project,
            request=request,
            data={"review": review.pk, "conflicted": conflicted, "details": details.strip()},
        )
    return declaration


def vote_cast(
    *, review: PanelReview, member: User, choice: str, rationale: str, request: HttpRequest | None = None
) -> Vote:
    """Cast or change a vote while the review is open; a change keeps the old vote in the audit trail."""
    _check_lengths(Vote, rationale=rationale)
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
            action=AuditAction.REVIEW_VOTED,
            actor=member,
            obj=vote,
            project=review.project,
            request=request,
            data={"review": review.pk, "before": before, "after": {"choice": choice, "rationale": vote.rationale}},
        )
    return vote


def _referral_questions(questions: str) -> list[str]:
    return [line.strip() for line in questions.splitlines() if line.strip()]


def review_decide_check(
    *,
    review: PanelReview,
    chair: User,
    outcome: str,
    conditions: list[dict[str, Any]],
    rationale: str,
    questions: str = "",
) -> None:
    """Everything that would make review_decide refuse, so the confirmation page is only shown for a
    decision that can be recorded. Raises ReviewError; review_decide runs it again under the lock."""
    seat = seat_of(review, chair)
    if seat is None or seat.role == PanelMembership.Role.MEMBER:
        raise ReviewError("Only the panel's chair (or its deputy chair) records the decision.")
    if review.status != PanelReview.Status.OPEN:
        raise ReviewError("This review has already been decided.")
    quorum = quorum_of(review)
    if quorum.eligible == 0:
        raise ReviewError(
            "Every member of the panel has declared a conflict of interest, so it cannot decide: "
            "an administrator must add members without a conflict."
        )
    decider = decider_of(review)
    if not decider.can_decide(chair):
        raise ReviewError(decider.blocked or "The chair, not the deputy chair, records this decision.")
    if not quorum.met:
        raise ReviewError(
            f"The panel is not quorate: {quorum.votes} of the {quorum.needed} votes needed "
            f"({quorum.eligible} members without a conflict)."
        )
    if not rationale.strip():
        raise ReviewError("Give the panel's rationale for the decision.")
    if outcome == Vote.Choice.APPROVE_WITH_CONDITIONS and not conditions:
        raise ReviewError("An approval with conditions needs at least one condition.")
    if outcome != Vote.Choice.APPROVE_WITH_CONDITIONS and conditions:
        raise ReviewError(
            "Conditions belong to an approval with conditions: choose “Approve with conditions”, "
            "or delete the conditions."
        )
    if outcome == Vote.Choice.REFER_BACK and not _referral_questions(questions):
        raise ReviewError("A referral needs the panel's questions for the custodians.")
    if outcome != Vote.Choice.REFER_BACK and questions.strip():
        raise ReviewError(
            "Questions for the custodians go with a referral: choose “Refer back to the custodians”, "
            "or clear the questions."
        )


def review_decide(
    *,
    review: PanelReview,
    chair: User,
    outcome: str,
    conditions: list[dict[str, Any]],
    rationale: str,
    dissent: str = "",
    questions: str = "",
    request: HttpRequest | None = None,
) -> DecisionRecord:
    """The chair (or, when the chair is conflicted, the deputy chair) records the decision;
    a decision record and its PDF job are made with it."""
    _check_lengths(Decision, rationale=rationale, dissent=dissent, questions=questions)
    for condition in conditions:
        if len(condition.get("text") or "") > limits.CONDITION:
            raise ReviewError(limits.too_long("Condition", limits.CONDITION, len(condition["text"])))
    with transaction.atomic():
        review = (
            PanelReview.objects.select_for_update(of=("self",), no_key=True)
            .select_related("panel", "project")
            .get(pk=review.pk)
        )
        review_decide_check(
            review=review, chair=chair, outcome=outcome, conditions=conditions, rationale=rationale, questions=questions
        )
        referral_questions = _referral_questions(questions)
        project = Project.objects.select_for_update(no_key=True).get(pk=review.project_id)
        decision = Decision.objects.create(
            review=review,
            outcome=outcome,
            conditions=conditions,
            rationale=rationale.strip(),
            dissent=dissent.strip(),
            questions=questions.strip(),
            decided_by=chair,
        )
        review.status = (
            PanelReview.Status.REFERRED_BACK if outcome == Vote.Choice.REFER_BACK else PanelReview.Status.DECIDED
        )
        review.save(update_fields=["status"])
        if outcome == Vote.Choice.REFER_BACK:
            # Back to the coordinator and custodians with questions. Submissions and confirmations
            # stand; a changed answer opens a new revision as usual. Replies go back with the project.
            project.status = Project.Status.REFERRED
            ReferralQuestion.objects.bulk_create(
                ReferralQuestion(decision=decision, number=n, text=text) for n, text in enumerate(referral_questions, 1)
            )
            project.save()
            record = record_issue(
                project=project, evaluation=review.evaluation, outcome=outcome, review=review, decision=decision
            )
        else:
            # The panel signs off for the custodians routed to it; the record waits for the others.
            project.status = Project.Status.ASSESSED
            project.save()
            record = signoffs_from_panel(project=project, review=review, decision=decision)
        audit_record(
            action=AuditAction.REVIEW_DECIDED,
            actor=chair,
            obj=decision,
            project=project,
            request=request,
            data={
                "review": review.pk,
                "outcome": outcome,
                "conditions": conditions,
                "rationale": decision.rationale,
                "dissent": decision.dissent,
                "questions": decision.questions,
                "record": record.number if record else None,
                "record_sha256": record.snapshot_sha256 if record else None,
                "supersedes": record.supersedes.number if record and record.supersedes else None,
            },
        )
        if outcome == Vote.Choice.REFER_BACK:
            referral_notify(decision=decision, project=project, actor=chair)
    return record


def open_referral(project: Project) -> Decision | None:
    """The referral the project is answering: the questions of its latest referral, while referred."""
    if project.status != Project.Status.REFERRED:
        return None
    return (
        Decision.objects.filter(review__project=project, outcome=Vote.Choice.REFER_BACK)
        .select_related("review__panel", "decided_by")
        .order_by("-decided_at", "-pk")
        .first()
    )


def _check_referral_replied(project: Project) -> None:
    referral = open_referral(project)
    if referral is None:
        return
    unanswered = [q for q in referral.referral_questions.all() if not q.replies.exists()]
    if unanswered:
        listed = "; ".join(f"{q.number}. {q.text}" for q in unanswered)
        raise ReviewError(
            f"Reply to every question of the panel before sending the project back. Still unanswered: {listed}"
        )


def referral_reply(
    *,
    question: ReferralQuestion,
    author: User,
    text: str,
    organisation: Organisation | None = None,
    request: HttpRequest | None = None,
) -> ReferralReply:
    """The coordinator (organisation None) or a custodian replies to one referral question."""
    text = text.strip()
    if not text:
        raise ReviewError(f"Write a reply to question {question.number}.")
    limits.check_text(field="text", label="Your reply", value=text, limit=limits.LONG_TEXT)
    with transaction.atomic():
        project = Project.objects.select_for_update(no_key=True).get(pk=question.decision.review.project_id)
        referral = open_referral(project)
        if referral is None or referral.pk != question.decision_id:
            raise ReviewError("The panel is no longer waiting for replies to these questions.")
        reply = ReferralReply.objects.create(question=question, author=author, organisation=organisation, text=text)
        audit_record(
            action=AuditAction.REFERRAL_REPLIED,
            actor=author,
            obj=reply,
            project=project,
            organisation=organisation,
            request=request,
            data={
                "question": question.number,
                "question_text": question.text,
                "reply": text,
                "record": getattr(getattr(referral, "record", None), "number", None),
            },
        )
    return reply
