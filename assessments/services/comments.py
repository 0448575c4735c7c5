"""Conversations: posting a comment on a project or on one of its questions, and telling people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from .. import limits, permissions
from ..errors import InvalidInput, PriamError
from ..models import AuditAction, Comment, Notification, PanelMembership
from ..selectors.comments import mentioned_names, thread_followers, thread_url
from ..selectors.frameworks import engine_framework
from .audit import audit_record
from .notifications import notify

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import CustodianAssessment, Project, User

# How much of a comment a notification carries: enough to know whether to open it.
EXCERPT = 500


class CommentNotAllowed(PriamError):
    """The user reads the conversation but does not take part in it (auditors, administrators)."""

    status, kind, title = 403, "forbidden", "Not allowed"


class CommentInvalid(InvalidInput):
    """A comment refused for one field: the message names it, so a page can show it beside that field."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field

    def errors(self) -> list[dict[str, str]]:
        return [{"field": self.field, "message": str(self)}]


def _check_thread(project: Project, question: str, assessment: CustodianAssessment | None) -> None:
    if assessment is not None and assessment.project_id != project.pk:
        raise CommentInvalid("That custodian's assessment belongs to another project.", field="assessment")
    if not question:
        if assessment is not None:
            raise CommentInvalid(
                "The project's own conversation is not about one custodian's answer: name the question.",
                field="question",
            )
        return
    framework = engine_framework(project.framework_version)
    found = framework.questions_by_id.get(question)
    if found is None:
        raise CommentInvalid(
            f"There is no question “{question}” in {project.framework_version.spec}, "
            "the framework version this project is assessed under.",
            field="question",
        )
    if found.scope == "custodian" and assessment is None:
        raise CommentInvalid(
            f"Each custodian answers question {question} for its own data: say whose answer you mean.",
            field="assessment",
        )
    if found.scope == "project" and assessment is not None:
        raise CommentInvalid(
            f"Question {question} is answered once for the whole project, not by each custodian.",
            field="assessment",
        )


def _role(user: User, project: Project, assessment: CustodianAssessment | None) -> str:
    """What the author speaks as here: the custodian whose answer it is about, the coordinator, their
    custodians on the project, else their panel."""
    memberships = list(
        user.memberships.filter(organisation__assessments__project=project)
        .select_related("organisation")
        .distinct()
        .order_by("organisation__name")
    )

    def as_custodian(membership):
        return f"{membership.organisation.name} ({'approver' if membership.approves else 'custodian'})"

    own = next((m for m in memberships if assessment and m.organisation_id == assessment.organisation_id), None)
    if own is not None:
        role = as_custodian(own)
    elif project.coordinator_id == user.pk:
        role = "Coordinator"
    elif memberships:
        role = "; ".join(as_custodian(m) for m in memberships)
    else:
        seat = (
            PanelMembership.objects.filter(user=user, panel__reviews__project=project)
            .select_related("panel")
            .order_by("panel__name")
            .first()
        )
        role = "" if seat is None else f"{seat.panel.name} ({seat.get_role_display().lower()})"
    return role[: limits.NAME]


def comment_post(
    *,
    project: Project,
    user: User,
    text: str,
    question: str = "",
    assessment: CustodianAssessment | None = None,
    request: HttpRequest | None = None,
) -> Comment:
    """Post a comment; tell those it @mentions and those already in the thread.

    Mentions reach only people who take part in the project; any other name stays as text and is
    listed on the returned comment's `not_notified`, so the author can see nobody was told."""
    if not permissions.can_comment(user, project):
        raise CommentNotAllowed(
            "Only the coordinator, the custodians and the panels reviewing this project take part in its "
            "conversations; you can read them."
        )
    text = (text or "").strip()
    if not text:
        raise CommentInvalid("Write your comment before posting it.", field="text")
    try:
        limits.check_text(field="text", label="Your comment", value=text, limit=limits.LONG_TEXT)
    except limits.TextTooLong as error:
        raise CommentInvalid(str(error), field="text") from error
    question = (question or "").strip()
    _check_thread(project, question, assessment)

    names = mentioned_names(text)
    mentioned = list(permissions.project_commenters(project).filter(username__in=names)) if names else []
    known = {u.username for u in mentioned}
    with transaction.atomic():
        # Followers are read before this comment exists, so the author's first comment does not follow itself.
        followers = list(
            permissions.project_commenters(project).filter(
                pk__in=thread_followers(project, question, assessment.pk if assessment else None).values("pk")
            )
        )
        comment = Comment.objects.create(
            project=project,
            question=question,
            assessment=assessment,
            author=user,
            role=_role(user, project, assessment),
            text=text,
        )
        comment.mentions.set(mentioned)
        custodian = assessment.organisation.name if assessment else None
        audit_record(
            action=AuditAction.COMMENT_POSTED,
            actor=user,
            obj=comment,
            project=project,
            organisation_id=assessment.organisation_id if assessment else None,
            request=request,
            data={
                "question": question,
                "custodian": custodian,
                "role": comment.role,
                "text": text,
                "mentions": sorted(known),
            },
        )
        _notify(comment, project, user, mentioned, followers, custodian)
    comment.not_notified = [name for name in names if name not in known]
    return comment


def _notify(comment, project, author, mentioned, followers, custodian):
    where = f"“{project.title}”"
    if comment.question:
        where = f"question {comment.question} of {where}" + (f", {custodian}'s answer" if custodian else "")
    url = thread_url(project, comment.question, comment.assessment)
    excerpt = comment.text if len(comment.text) <= EXCERPT else comment.text[: EXCERPT - 1] + "…"
    # The role may carry its own brackets ("Genomics England (custodian)"): a dash reads better.
    body = f"{author.display_name}{' – ' + comment.role if comment.role else ''} wrote on {where}:\n\n{excerpt}"
    notify(
        recipients=mentioned,
        kind=Notification.Kind.MENTION,
        subject=f"{author.display_name} mentioned you on {where}",
        body=body,
        url=url,
        project=project,
        exclude=author,
    )
    told = {u.pk for u in mentioned}
    notify(
        recipients=[u for u in followers if u.pk not in told],
        kind=Notification.Kind.COMMENT,
        subject=f"New comment on {where}",
        body=body,
        url=url,
        project=project,
        exclude=author,
    )
