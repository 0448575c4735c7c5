"""Telling people: one notification row per recipient (the inbox), e-mailed after the commit.

notify() is the one way in. The flows' own services call the `*_notify` helpers below inside
their transaction, so a change that rolls back tells nobody; the actor is never told of their
own action.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..display import possessive
from ..forms.questionnaire import display_answer
from ..models import AuditAction, CustodianAssessment, Notification, SignOff, User
from ..selectors.projects import confirmation_changes
from .audit import audit_record
from .outbox import outbox_enqueue

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import Decision, DecisionRecord, Evaluation, Organisation, PanelReview, Project

OUTCOME_WORDS = {
    "approve": "approved",
    "approve_with_conditions": "approved with conditions",
    "reject": "rejected",
}


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    subject: str,
    body: str,
    url: str,
    project: Project | None = None,
    mandatory: bool = False,
    exclude: User | None = None,
) -> list[Notification]:
    """Notify each recipient once (the actor, `exclude`, is not told of their own action).

    Call inside the transaction that made the change: the rows commit with it, and the e-mail
    task is queued only once it has committed."""
    Notification.Kind(kind)  # an unknown kind is a programming error
    people = {u.pk: u for u in recipients if u.is_active and (exclude is None or u.pk != exclude.pk)}
    made = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kind,
            project=project,
            subject=subject[:200],
            body=body,
            url=url,
            mandatory=mandatory,
            email=(
                Notification.Email.PENDING
                if mandatory or user.email_notifications == user.EmailChoice.IMMEDIATE
                else Notification.Email.DIGEST
            ),
        )
        for user in people.values()
    )
    ids = [n.pk for n in made if n.email == Notification.Email.PENDING]
    if ids:
        from .notification_email import notification_email_task

        outbox_enqueue(task=notification_email_task, args=[ids], robust=True)
    return made


# Who is told -----------------------------------------------------------------------------------


def _members(organisations: Iterable[Organisation], *, approvers_only: bool = False) -> list[User]:
    people = User.objects.filter(is_active=True, memberships__organisation__in=list(organisations))
    if approvers_only:
        people = people.filter(memberships__approves=True)
    return list(people.distinct())


def _custodian_members(project: Project) -> list[User]:
    return _members(a.organisation for a in project.assessments.select_related("organisation"))


def project_people(project: Project) -> list[User]:
    """The coordinator and every member of the project's custodians: who hears when an approval ends."""
    return list(
        User.objects.filter(is_active=True, memberships__organisation__assessments__project=project).distinct()
    ) + [project.coordinator]


# The flows -------------------------------------------------------------------------------------


def assessments_waiting_notify(
    *, project: Project, actor: User | None, assessments: Iterable[CustodianAssessment] | None = None
) -> None:
    """Each custodian (of `assessments`, else all the project's) has its part to do."""
    chosen = list(assessments) if assessments is not None else list(project.assessments.select_related("organisation"))
    for assessment in chosen:
        organisation = assessment.organisation
        notify(
            recipients=_members([organisation]),
            kind=Notification.Kind.ASSESSMENT_WAITING,
            subject=f"{project.title}: {possessive(organisation.name)} assessment waits for you",
            body=(
                f"Revision {project.revision} of “{project.title}” needs {possessive(organisation.name)} part: "
                "answer its own questions and legal basis, submit, and confirm the project-wide answers."
            ),
            url=reverse("assessment_detail", args=[project.pk, assessment.pk]),
            project=project,
            exclude=actor,
        )


def confirmations_standing(project: Project) -> set[int]:
    """The assessments whose confirmation stands now: read before a change, to tell who it lapses."""
    return {a.pk for a in project.assessments.all() if _with_project(a, project).is_confirmed}


def _with_project(assessment: CustodianAssessment, project: Project) -> CustodianAssessment:
    assessment.project = project  # the caller's (locked, possibly unsaved) instance
    return assessment


def project_changed_notify(
    *,
    project: Project,
    actor: User,
    confirmed_before: set[int],
    new_revision: bool,
    changed: CustodianAssessment | None = None,
    added: Iterable[int] = (),
) -> None:
    """After a change of answers, details or framework: custodians whose confirmation it lapsed are
    told what changed (mandatory); on a new revision the custodians whose part now waits are told.

    `changed` is the one custodian whose own answers changed, if that was all: the other
    custodians' parts stand, so only its people hear that its part waits. `added` are the
    organisations just added to the project: their part waits whether or not a revision opened."""
    added = set(added)
    lapsed, waiting = [], []
    for assessment in project.assessments.select_related("organisation"):
        _with_project(assessment, project)
        if assessment.pk in confirmed_before and assessment.confirmation_lapsed:
            lapsed.append(assessment)
        elif assessment.organisation_id in added or (
            new_revision
            and (changed is None or assessment.pk == changed.pk)
            and not (assessment.is_submitted and assessment.is_confirmed)
        ):
            waiting.append(assessment)
    for assessment in lapsed:
        notify(
            recipients=_members([assessment.organisation]),
            kind=Notification.Kind.CONFIRMATION_LAPSED,
            subject=f"{project.title}: {possessive(assessment.organisation.name)} confirmation lapsed",
            body=_lapse_body(assessment),
            url=reverse("assessment_detail", args=[project.pk, assessment.pk]),
            project=project,
            mandatory=True,
            exclude=actor,
        )
    if waiting:
        assessments_waiting_notify(project=project, actor=actor, assessments=waiting)


def _lapse_body(assessment: CustodianAssessment) -> str:
    changes = confirmation_changes(assessment)
    lines = [
        f"What {assessment.organisation.name} confirmed on “{assessment.project.title}” changed, so the "
        "confirmation no longer stands. Review the changes, then confirm again:"
    ]
    if changes["framework_changed"]:
        lines.append(f"- The framework moved from {changes['framework_before']} to {changes['framework_after']}.")
    for change in changes["details"]:
        lines.append(f"- {change['label']}: “{change['before']}” → “{change['after']}”")
    for change in changes["answers"]:
        question = change["question"]
        if question is None:
            lines.append(f"- {change['qid']}: {change['before']} → {change['after']}")
        else:
            before, after = display_answer(question, change["before"]), display_answer(question, change["after"])
            lines.append(f"- {question.label}: {before} → {after}")
    return "\n".join(lines)


def signoffs_waiting_notify(*, evaluation: Evaluation, actor: User | None) -> None:
    """Each custodian whose appetite routes this evaluation to its own approver: its approvers."""
    project = evaluation.project
    if project.status == project.Status.DECIDED:
        return  # a custodian declined at once: nobody else signs
    for sign_off in evaluation.sign_offs.filter(
        route=SignOff.Route.CUSTODIAN_REVIEW, status=SignOff.Status.PENDING
    ).select_related("organisation"):
        notify(
            recipients=_members([sign_off.organisation], approvers_only=True),
            kind=Notification.Kind.SIGNOFF_WAITING,
            subject=f"{project.title}: {possessive(sign_off.organisation.name)} sign-off waits for you",
            body=(
                f"Every custodian has submitted and confirmed revision {evaluation.revision} of “{project.title}”. "
                f"{possessive(sign_off.organisation.name)} risk appetite sends it to its own approver: approve, approve "
                "with conditions, or decline, with your reason."
            ),
            url=reverse("sign_off", args=[sign_off.pk]),
            project=project,
            exclude=actor,
        )


def review_sent_notify(*, review: PanelReview, actor: User) -> None:
    project = review.project
    notify(
        recipients=[seat.user for seat in review.panel.seats.select_related("user")],
        kind=Notification.Kind.VOTE_WAITING,
        subject=f"{project.title}: the {review.panel.name} is asked to decide",
        body=(
            f"{actor.display_name} sent revision {review.revision} of “{project.title}” to the {review.panel.name}. "
            "Declare any conflict of interest, then vote." + (f"\n\nTheir note: {review.note}" if review.note else "")
        ),
        url=reverse("review_detail", args=[review.pk]),
        project=project,
        exclude=actor,
    )


def referral_notify(*, decision: Decision, project: Project, actor: User) -> None:
    questions = "\n".join(f"{q.number}. {q.text}" for q in decision.referral_questions.order_by("number"))
    notify(
        recipients=[project.coordinator, *_custodian_members(project)],
        kind=Notification.Kind.REFERRAL,
        subject=f"{project.title}: the panel referred it back with questions",
        body=(
            f"The {decision.review.panel.name} referred “{project.title}” back. Reply to each question, "
            f"then send the project back to the panel.\n\n{questions}"
        ),
        url=reverse("project_referral", args=[project.pk]),
        project=project,
        mandatory=False,
        exclude=actor,
    )


def record_issued_notify(*, record: DecisionRecord) -> None:
    """A final decision: the coordinator and every custodian's people, whatever they chose (mandatory).

    Whoever made the deciding move (the chair, or the approver whose sign-off was the last) is
    not told; an automatic decision has no such person, so everyone hears."""
    if record.outcome not in OUTCOME_WORDS:
        return
    project = record.project
    notify(
        recipients=[project.coordinator, *_custodian_members(project)],
        kind=Notification.Kind.DECISION,
        subject=f"{project.title}: {OUTCOME_WORDS[record.outcome]} ({record.number})",
        body=(
            f"“{project.title}” was {OUTCOME_WORDS[record.outcome]}. The decision record {record.number} "
            "states the decision, its conditions and its reasons."
        ),
        url=reverse("record_detail", args=[record.number]),
        project=project,
        mandatory=True,
        exclude=_last_decider(record),
    )


def _last_decider(record: DecisionRecord) -> User | None:
    # The panel's decision stamps its chair on the sign-offs it settles; an automatic one stamps nobody.
    revision = record.snapshot.get("project", {}).get("revision")
    last = (
        SignOff.objects.filter(project=record.project_id, revision=revision, decided_by__isnull=False)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
        .first()
    )
    return last.decided_by if last else None


# The recipient's own ---------------------------------------------------------------------------


def notification_read(*, notification: Notification) -> Notification:
    """Mark one of the caller's notifications read (the caller fetched it as theirs)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_read_all(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def user_notifications_change(*, user: User, choice: str, request: HttpRequest | None = None) -> bool:
    """Immediate e-mail or a daily digest; returns whether anything changed (then audited)."""
    User.EmailChoice(choice)
    with transaction.atomic():
        user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        before = user.email_notifications
        if before == choice:
            return False
        user.email_notifications = choice
        user.save(update_fields=["email_notifications"])
        data: dict[str, Any] = {"before": before, "after": choice}
        audit_record(action=AuditAction.USER_NOTIFICATIONS_CHANGED, actor=user, obj=user, request=request, data=data)
    return True
