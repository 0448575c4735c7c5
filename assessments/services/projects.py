"""Writes for projects: open, change details, amend, move to a newer framework. Each writes exactly
one audit event. Answers are in services/answers.py, submission and confirmation in
services/assessments.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from .. import limits
from ..errors import FieldInvalid, PriamError, ProjectLocked
from ..models import AuditAction, CustodianAssessment, Project
from ..selectors.framework_change import framework_change_preview
from ..selectors.projects import project_problems, project_record_in_force
from .audit import audit_record
from .notifications import assessments_waiting_notify, confirmations_standing, project_changed_notify

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date

    from django.http import HttpRequest

    from ..models import FrameworkVersion, Organisation, User

PROJECT, CUSTODIAN = "project", "custodian"
DETAIL_FIELDS = Project.DETAIL_FIELDS


def ensure_changeable(project: Project) -> None:
    """Refuse any change to a project the panel holds or has decided (the one shared guard).

    A decided project changes only through an amendment, which its coordinator requests.
    """
    if project.status == Project.Status.WITH_PANEL:
        raise ProjectLocked(
            "The project is with the approval panel: its details and answers are locked until the "
            "panel decides or refers it back."
        )
    if project.status == Project.Status.DECIDED:
        raise ProjectLocked(
            "The project has been decided, so its details, answers and confirmations no longer change. "
            "To change anything, its coordinator requests an amendment from the project page."
        )
    if project.status == Project.Status.EXPIRED:
        raise ProjectLocked(
            "The project's approval has expired, so nothing in it changes; its coordinator renews it "
            "from the project page, and the renewal is assessed and signed off again."
        )


def _has_evaluation(project: Project) -> bool:
    return project.evaluations.filter(revision=project.revision).exists()


def _open_new_revision(project: Project) -> None:
    """A change after this revision was evaluated: the next revision, assessed again.

    A referred project stays referred (with its questions) until it goes back to the panel.
    """
    project.revision += 1
    if project.status == Project.Status.ASSESSED:
        project.status = Project.Status.ASSESSING


def project_create(
    *,
    actor: User,
    coordinating_organisation: Organisation,
    custodians: Iterable[Organisation],
    framework_version: FrameworkVersion,
    request: HttpRequest | None = None,
    **details: Any,
) -> Project:
    custodians = list({org.pk: org for org in custodians}.values())
    if not custodians:
        raise PriamError("A project needs at least one custodian organisation.")
    _check_detail_lengths(details)
    with transaction.atomic():
        project = Project.objects.create(
            coordinator=actor,
            coordinating_organisation=coordinating_organisation,
            framework_version=framework_version,
            **{field: details[field] for field in DETAIL_FIELDS},
        )
        CustodianAssessment.objects.bulk_create(
            CustodianAssessment(project=project, organisation=org) for org in custodians
        )
        audit_record(
            action=AuditAction.PROJECT_CREATED,
            actor=actor,
            obj=project,
            project=project,
            organisation=coordinating_organisation,
            request=request,
            data={
                **{field: str(details[field]) for field in DETAIL_FIELDS},
                "custodians": sorted(org.name for org in custodians),
                "framework": framework_version.spec,
            },
        )
        assessments_waiting_notify(project=project, actor=actor)
    return project


def _check_detail_lengths(details: Mapping[str, Any]) -> None:
    limits.check_model_text(Project, **{f: details[f] for f in DETAIL_FIELDS if isinstance(details.get(f), str)})


def project_update_details(
    *,
    project: Project,
    actor: User,
    add_custodians: Iterable[Organisation] = (),
    request: HttpRequest | None = None,
    **details: Any,
) -> Project:
    """Change the project's details and/or add custodian organisations, as one audited change.

    A new custodian has its own assessment to complete, so an assessed project
    goes back to being assessed, as a new revision.
    """
    _check_detail_lengths(details)
    with transaction.atomic():
        project = Project.objects.select_for_update(no_key=True).get(pk=project.pk)
        confirmed_before = confirmations_standing(project)
        before = {field: str(getattr(project, field)) for field in DETAIL_FIELDS}
        for field in DETAIL_FIELDS:
            setattr(project, field, details[field])
        after = {field: str(getattr(project, field)) for field in DETAIL_FIELDS}
        changed = sorted(f for f in DETAIL_FIELDS if before[f] != after[f])
        present = set(project.assessments.values_list("organisation_id", flat=True))
        added = [org for org in add_custodians if org.pk not in present]
        if not changed and not added:
            return project
        ensure_changeable(project)
        data = {"before": {f: before[f] for f in changed}, "after": {f: after[f] for f in changed}}
        if changed:
            project.answers_version += 1  # custodians confirmed the details too
        if added:
            CustodianAssessment.objects.bulk_create(
                CustodianAssessment(project=project, organisation=org) for org in added
            )
        if _has_evaluation(project):
            _open_new_revision(project)
            data.update(revision=project.revision, reopened=True)
        if added:
            data.update(custodians_added=sorted(org.name for org in added), revision=project.revision)
        project.save()
        audit_record(
            action=AuditAction.PROJECT_UPDATED,
            actor=actor,
            obj=project,
            project=project,
            request=request,
            data=data,
        )
        project_changed_notify(
            project=project,
            actor=actor,
            confirmed_before=confirmed_before,
            new_revision=bool(data.get("reopened")),
            added=[org.pk for org in added],
        )
    return project


def _lock(project: Project, assessment: CustodianAssessment | None) -> tuple[Project, Project | CustodianAssessment]:
    project = Project.objects.select_for_update(no_key=True).get(pk=project.pk)
    ensure_changeable(project)
    if assessment is None:
        return project, project
    return project, CustodianAssessment.objects.select_for_update(of=("self",), no_key=True).select_related(
        "organisation"
    ).get(pk=assessment.pk)


def project_apply_framework(
    *, project: Project, version: FrameworkVersion, actor: User, request: HttpRequest | None = None
) -> Project:
    """Move the project to a newer framework version: a new revision, confirmed afresh."""
    with transaction.atomic():
        project = Project.objects.select_for_update(no_key=True).get(pk=project.pk)
        ensure_changeable(project)
        if (
            version.framework_id != project.framework_version.framework_id
            or version.loaded_at <= project.framework_version.loaded_at
        ):
            raise PriamError(f"{version.spec} is not a newer version of {project.framework_version.spec}.")
        before = project.framework_version.spec
        confirmed_before = confirmations_standing(project)
        preview = framework_change_preview(project=project, version=version)
        project.framework_version = version
        project.revision += 1
        project.answers_version += 1  # every custodian confirms again under the new version
        if project.status == Project.Status.ASSESSED:
            project.status = Project.Status.ASSESSING
        project.save()
        # Submissions stand only where the custodian's answers are still complete.
        withdrawn = []
        for assessment in project.assessments.select_related("organisation").select_for_update(
            of=("self",), no_key=True
        ):
            if assessment.is_submitted and project_problems(project, [assessment], scope=CUSTODIAN):
                assessment.status = CustodianAssessment.Status.DRAFT
                assessment.save(update_fields=["status"])
                withdrawn.append(assessment.organisation.name)
        audit_record(
            action=AuditAction.PROJECT_FRAMEWORK_CHANGED,
            actor=actor,
            obj=project,
            project=project,
            request=request,
            data={
                "before": before,
                "after": version.spec,
                "revision": project.revision,
                "submissions_withdrawn": withdrawn,
                "tiers_before": (preview["before"] or {}).get("tiers"),
                "tiers_after": (preview["after"] or {}).get("tiers"),
                "unanswered": [f"{u['custodian'] or 'project'}: {u['question']}" for u in preview["unanswered"]],
            },
        )
        project_changed_notify(project=project, actor=actor, confirmed_before=confirmed_before, new_revision=True)
    return project


def project_request_amendment(
    *, project: Project, actor: User, reason: str, request: HttpRequest | None = None
) -> Project:
    """Open a decided project for change: a new draft revision, assessed and reviewed like the first.

    The decision record in force stays in force until the amendment's own record supersedes it.
    Every custodian submits again; a confirmation stands while what it covers is unchanged.
    """
    return _open_amendment(project=project, actor=actor, reason=reason, request=request)


def project_renew(
    *, project: Project, actor: User, end_date: date, reason: str, request: HttpRequest | None = None
) -> Project:
    """Renew an approval that is expiring or has expired: an amendment from the approved revision
    (its answers and details as they were approved) with the new planned end, assessed, confirmed
    and signed off again. Until its record is issued the approval in force, if any, stands."""
    return _open_amendment(project=project, actor=actor, reason=reason, request=request, end_date=end_date)


def _open_amendment(
    *, project: Project, actor: User, reason: str, request: HttpRequest | None, end_date: date | None = None
) -> Project:
    renewal = end_date is not None
    reason = reason.strip()
    if not reason:
        raise FieldInvalid(
            "Say why the project needs longer, so the custodians and the panel know."
            if renewal
            else "Say what the amendment changes and why, so the custodians and the panel know.",
            field="reason",
        )
    limits.check_text(field="reason", label="The reason", value=reason, limit=limits.NOTE)
    with transaction.atomic():
        project = Project.objects.select_for_update(no_key=True).get(pk=project.pk)
        allowed = (Project.Status.DECIDED, Project.Status.EXPIRED) if renewal else (Project.Status.DECIDED,)
        if project.status not in allowed:
            raise ProjectLocked(
                f"Only a decided project is {'renewed' if renewal else 'amended'}; this one is "
                f"“{project.get_status_display()}”"
                + (", so renew it after its decision." if renewal else ", so change it directly.")
            )
        if end_date is not None and end_date <= project.end_date:
            raise FieldInvalid(
                f"A renewal runs longer: choose a planned end after {project.end_date:%-d %B %Y}.", field="end_date"
            )
        confirmed_before = confirmations_standing(project)
        in_force = project_record_in_force(project)
        before_end = project.end_date
        project.revision += 1
        project.status = Project.Status.ASSESSING
        project.amendment_reason = f"Renewal: {reason}" if renewal else reason
        if end_date is not None:
            project.end_date = end_date
            project.answers_version += 1  # custodians confirm the new end too
        project.save()
        withdrawn = list(
            project.assessments.filter(status=CustodianAssessment.Status.SUBMITTED)
            .order_by("organisation__name")
            .values_list("organisation__name", flat=True)
        )
        project.assessments.update(status=CustodianAssessment.Status.DRAFT)
        data = {
            "reason": reason,
            "revision": project.revision,
            "record_in_force": in_force.number if in_force else None,
            "submissions_withdrawn": withdrawn,
        }
        if renewal:
            data.update(end_date_before=before_end.isoformat(), end_date=project.end_date.isoformat())
        audit_record(
            action=AuditAction.PROJECT_RENEWAL_REQUESTED if renewal else AuditAction.PROJECT_AMENDMENT_REQUESTED,
            actor=actor,
            obj=project,
            project=project,
            request=request,
            data=data,
        )
        if renewal:
            project_changed_notify(project=project, actor=actor, confirmed_before=confirmed_before, new_revision=True)
        else:
            assessments_waiting_notify(project=project, actor=actor)
    return project
