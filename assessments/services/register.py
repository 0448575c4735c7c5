"""Writes for the public register: publishing a project, and withdrawing an approval."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .. import limits
from ..errors import FieldInvalid, Forbidden, PriamError
from ..models import Approval, AuditAction, Project, Publication
from ..permissions import can_publish_project, can_withdraw_approval
from ..selectors.register import publishable_approvals
from .audit import audit_record
from .notifications import notify, project_people

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import User


def _wordings(project: Project, condition_wording: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Keep only wordings of the project's own approving records' conditions, trimmed; blank ones go,
    so that condition stays unpublished."""
    known = {a.record.number: {str(o.number) for o in a.obligations.all()} for a in publishable_approvals(project)}
    if not known:
        raise PriamError(
            "This project has no approving decision record yet: only an approved project can be published."
        )
    cleaned: dict[str, dict[str, str]] = {}
    for number, wordings in (condition_wording or {}).items():
        if number not in known or not isinstance(wordings, dict):
            raise FieldInvalid(f"{number} is not an approving record of this project.", field="condition_wording")
        for condition, text in wordings.items():
            condition = str(condition)
            if condition not in known[number]:
                raise FieldInvalid(f"Record {number} has no condition {condition}.", field="condition_wording")
            text = (text or "").strip()
            limits.check_text(
                field=f"wording_{number}_{condition}",
                label=f"The public wording of condition {condition}",
                value=text,
                limit=limits.CONDITION,
            )
            if text:
                cleaned.setdefault(number, {})[condition] = text
    return cleaned


def project_publish(
    *,
    project: Project,
    user: User,
    lay_summary: str,
    condition_wording: dict[str, dict[str, str]] | None = None,
    request: HttpRequest | None = None,
) -> Publication:
    """Put an approved project on the public register, or change what it says there.

    There is no unpublishing: the register is a public record of approvals, and an entry that
    could vanish would let a project hide a withdrawn or expired approval. What the coordinator
    wrote can be reworded, and an approval is taken back by withdrawing it, which the register shows.
    """
    lay_summary = (lay_summary or "").strip()
    if not lay_summary:
        raise FieldInvalid("Write a lay summary: it is what the public reads first.", field="lay_summary")
    limits.check_text(field="lay_summary", label="The lay summary", value=lay_summary, limit=limits.LAY_SUMMARY)
    with transaction.atomic():
        project = Project.objects.select_for_update(of=("self",), no_key=True).get(pk=project.pk)
        if not can_publish_project(user, project):
            raise Forbidden("Only the project's coordinator publishes it on the public register.")
        wordings = _wordings(project, condition_wording or {})
        now = timezone.now()
        publication = Publication.objects.filter(project=project).first()
        data: dict[str, Any] = {"lay_summary": lay_summary, "condition_wording": wordings}
        if publication is None:
            publication = Publication.objects.create(
                project=project,
                lay_summary=lay_summary,
                condition_wording=wordings,
                published_by=user,
                published_at=now,
                updated_at=now,
            )
            action = AuditAction.PROJECT_PUBLISHED
        else:
            publication.lay_summary, publication.condition_wording, publication.updated_at = lay_summary, wordings, now
            publication.save(update_fields=["lay_summary", "condition_wording", "updated_at"])
            action = AuditAction.PROJECT_PUBLICATION_UPDATED
        audit_record(action=action, actor=user, obj=publication, project=project, request=request, data=data)
    return publication


def approval_withdraw(*, approval: Approval, by: User, reason: str, request: HttpRequest | None = None) -> Approval:
    """A custodian's approver (or an administrator) takes an approval back before it ends.

    The approval stays, marked withdrawn, so the register and the audit trail keep what was granted.
    """
    reason = (reason or "").strip()
    if not reason:
        raise FieldInvalid("Say why the approval is withdrawn: the coordinator and auditors read it.", field="reason")
    limits.check_text(field="reason", label="The reason", value=reason, limit=limits.NOTE)
    with transaction.atomic():
        approval = (
            Approval.objects.select_for_update(of=("self",), no_key=True)
            .select_related("project", "record")
            .get(pk=approval.pk)
        )
        if not can_withdraw_approval(by, approval):
            raise Forbidden("Only an approver of one of the project's custodians, or an administrator, withdraws it.")
        if approval.status != Approval.Status.ACTIVE:
            raise PriamError(
                f"This approval is {approval.get_status_display().lower()}: only one in force is withdrawn."
            )
        approval.status, approval.ended_at = Approval.Status.WITHDRAWN, timezone.now()
        approval.save(update_fields=["status", "ended_at"])
        audit_record(
            action=AuditAction.APPROVAL_WITHDRAWN,
            actor=by,
            obj=approval,
            project=approval.project,
            request=request,
            data={"record": approval.record.number, "reason": reason},
        )
        project = approval.project
        # Access must stop now, so the people running the project hear it at once, with the reason.
        notify(
            recipients=project_people(project),
            kind="approval_withdrawn",
            subject=f"Approval withdrawn: {project.title}",
            body=(
                f"The approval of “{project.title}” ({approval.record.number}) was withdrawn by "
                f"{by.display_name}. Access to the data must stop now. The reason given: {reason}"
            ),
            url=reverse("project_obligations", args=[project.pk]),
            project=project,
            mandatory=True,
            exclude=by,
        )
    return approval
