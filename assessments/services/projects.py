"""Writes for projects and custodian assessments. Each writes exactly one audit event."""

import hashlib

from django.db import transaction
from django.utils import timezone

from .. import engine, limits
from ..display import possessive
from ..errors import (
    ConfirmationStale,
    PreconditionFailed,
    PriamError,
    ProjectLocked,
    SectionConflict,
    SubmissionIncomplete,
)
from ..models import AuditAction, CustodianAssessment, Evaluation, Project
from ..selectors.frameworks import engine_framework
from ..selectors.projects import (
    framework_change_preview,
    project_document,
    project_problems,
    project_record_in_force,
)
from .audit import audit_record

PROJECT, CUSTODIAN = "project", "custodian"
DETAIL_FIELDS = Project.DETAIL_FIELDS


def ensure_changeable(project):
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


def _has_evaluation(project):
    return project.evaluations.filter(revision=project.revision).exists()


def _open_new_revision(project):
    """A change after this revision was evaluated: the next revision, assessed again.

    A referred project stays referred (with its questions) until it goes back to the panel.
    """
    project.revision += 1
    if project.status == Project.Status.ASSESSED:
        project.status = Project.Status.ASSESSING


def project_create(*, actor, coordinating_organisation, custodians, framework_version, request=None, **details):
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
    return project


def _check_detail_lengths(details):
    limits.check_model_text(Project, **{f: details[f] for f in DETAIL_FIELDS if isinstance(details.get(f), str)})


def project_update_details(*, project, actor, add_custodians=(), request=None, **details):
    """Change the project's details and/or add custodian organisations, as one audited change.

    A new custodian has its own assessment to complete, so an assessed project
    goes back to being assessed, as a new revision.
    """
    _check_detail_lengths(details)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
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
            action=AuditAction.PROJECT_UPDATED, actor=actor, obj=project, project=project, request=request,
            data=data,
        )
    return project


def section_save(*, project, safe, answers, base_version, actor, assessment=None, request=None):
    """Save one section's answers (project scope, or one custodian's), as a draft.

    `answers` maps every question of the section to its value, or None for
    unanswered. `base_version` is the section version the user started from:
    if someone saved since, nothing is saved and SectionConflict says who.
    """
    with transaction.atomic():
        project, owner = _lock(project, assessment)
        meta = owner.sections.get(safe, {"version": 0})
        if meta["version"] != base_version:
            stored = {qid: owner.answers.get(qid) for qid in answers}
            raise SectionConflict(meta.get("saved_by", "someone"), meta.get("saved_at", ""), stored, meta["version"])
        changed = _apply_answers(project, owner, assessment, answers, [safe], actor, request, {"section": safe})
    return owner, changed


def answers_etag(owner):
    """A validator for the whole answer set of a project (its own answers) or an assessment."""
    return '"' + hashlib.sha256(
        engine.canonical_json({"answers": owner.answers, "sections": owner.sections}).encode("utf-8")
    ).hexdigest()[:32] + '"'


def answers_replace(*, project, answers, matches_etag, actor, assessment=None, request=None):
    """Replace every answer of one scope at once (the API's PUT). `matches_etag(etag)` says whether
    the answers' ETag now is one the writer read (the API's If-Match), so a stale writer is refused
    (PreconditionFailed) instead of overwriting."""
    with transaction.atomic():
        project, owner = _lock(project, assessment)
        if not matches_etag(answers_etag(owner)):
            raise PreconditionFailed(
                "These answers changed since you read them (ETag mismatch): read them again and reapply."
            )
        framework = engine_framework(project.framework_version)
        scope = PROJECT if assessment is None else CUSTODIAN
        updates = {q.id: answers.get(q.id) for q in framework.questions_for(scope)}
        safes = sorted({
            q.safe for q in framework.questions_for(scope) if updates.get(q.id) != owner.answers.get(q.id)
        })
        _apply_answers(project, owner, assessment, updates, safes, actor, request, {"section": "all"})
    return owner


def _lock(project, assessment):
    project = Project.objects.select_for_update().get(pk=project.pk)
    ensure_changeable(project)
    if assessment is None:
        return project, project
    return project, CustodianAssessment.objects.select_for_update().select_related("organisation").get(pk=assessment.pk)


def _apply_answers(project, owner, assessment, updates, safes, actor, request, data):
    """Merge `updates` (None = unanswered) into the owner's answers, with everything a change implies:
    section versions, lapsed confirmations or a withdrawn submission, a new revision if the project
    was already assessed, and one audit event. Returns whether anything changed."""
    framework = engine_framework(project.framework_version)
    merged = {**owner.answers, **{q: v for q, v in updates.items() if v is not None}}
    for qid, value in updates.items():
        if value is None:
            merged.pop(qid, None)
    # An answer to a question that its show-if hides is dropped, not kept out of sight.
    for qid in list(merged):
        question = framework.questions_by_id.get(qid)
        if question is not None and question.show_if and not _visible(framework, question, merged, project):
            merged.pop(qid)
    changed = sorted(q for q in set(owner.answers) | set(merged) if owner.answers.get(q) != merged.get(q))
    if not changed:
        return False

    reopened = _has_evaluation(project)
    before = {q: owner.answers.get(q) for q in changed}
    owner.answers = merged
    stamp = {"saved_by": actor.display_name, "saved_at": timezone.now().isoformat()}
    owner.sections = {
        **owner.sections,
        **{safe: {"version": owner.sections.get(safe, {"version": 0})["version"] + 1, **stamp} for safe in safes},
    }
    withdrawn = False
    if assessment is None:
        # What every custodian confirmed changed: their confirmations lapse, and each sees the change.
        project.answers_version += 1
    else:
        # Only this custodian's own submission is withdrawn; the others' confirmations of the
        # project-wide answers stand, since those did not change.
        withdrawn = owner.status == CustodianAssessment.Status.SUBMITTED
        owner.status = CustodianAssessment.Status.DRAFT
        owner.save(update_fields=["answers", "sections", "status"])
    if reopened:
        _open_new_revision(project)
    project.save()

    audit_record(
        action=AuditAction.PROJECT_ANSWERS_SAVED if assessment is None else AuditAction.ASSESSMENT_ANSWERS_SAVED,
        actor=actor,
        obj=owner,
        project=project,
        organisation=owner.organisation if assessment is not None else None,
        request=request,
        data={
            **data,
            "before": before,
            "after": {q: merged.get(q) for q in changed},
            "revision": project.revision,
            "reopened": reopened,
            "submission_withdrawn": withdrawn,
        },
    )
    return True


def _visible(framework, question, answers, project):
    # Show-if conditions of custodian questions look at the custodian's answers
    # together with the project's; effective values treat unknown as worst.
    effective = {**project.answers, **answers}
    return framework.is_visible(question, engine.effective_answers(framework, effective))


def assessment_submit(*, assessment, actor, request=None):
    with transaction.atomic():
        project, assessment = _lock(assessment.project, assessment)
        problems = project_problems(project, [assessment], scope=CUSTODIAN)
        if problems:
            raise SubmissionIncomplete(
                f"{possessive(assessment.organisation.name)} assessment is not complete: "
                f"{len(problems)} question(s) need an answer or a correction.",
                problems,
            )
        assessment.status = CustodianAssessment.Status.SUBMITTED
        assessment.submitted_at = timezone.now()
        assessment.submitted_by = actor
        assessment.save(update_fields=["status", "submitted_at", "submitted_by"])
        evaluation = _evaluate_if_complete(project)
        audit_record(
            action=AuditAction.ASSESSMENT_SUBMITTED,
            actor=actor,
            obj=assessment,
            project=project,
            organisation=assessment.organisation,
            request=request,
            data={"revision": project.revision, **_evaluation_summary(evaluation)},
        )
    return assessment, evaluation


def assessment_confirm(*, assessment, actor, answers_version=None, matches_etag=None, request=None):
    """The custodian confirms the project-scope answers it reviewed.

    `answers_version` (the web form) or `matches_etag` (the API: does the project answers' ETag
    now match the one read?) says which answers the custodian saw; if they changed since,
    nothing is confirmed.
    """
    with transaction.atomic():
        project, assessment = _lock(assessment.project, assessment)
        problems = project_problems(project, [], scope=PROJECT)
        if problems:
            raise SubmissionIncomplete(
                f"The project-scope answers are not complete ({len(problems)} question(s)): "
                "the coordinator must finish them before custodians confirm.",
                problems,
            )
        seen = answers_version == project.answers_version if answers_version is not None else (
            matches_etag is None or matches_etag(answers_etag(project))
        )
        if not seen:
            raise ConfirmationStale(
                "The project-wide answers changed since you reviewed them. Nothing was confirmed: "
                "review them again, then confirm."
            )
        assessment.confirmed_version = project.answers_version
        assessment.confirmed_snapshot = {
            "project": project.confirmation_content(),
            "custodians": {
                a.organisation.name: a.answers for a in project.assessments.select_related("organisation")
            },
        }
        assessment.confirmed_at = timezone.now()
        assessment.confirmed_by = actor
        assessment.save(update_fields=["confirmed_version", "confirmed_snapshot", "confirmed_at", "confirmed_by"])
        evaluation = _evaluate_if_complete(project)
        audit_record(
            action=AuditAction.ASSESSMENT_CONFIRMED,
            actor=actor,
            obj=assessment,
            project=project,
            organisation=assessment.organisation,
            request=request,
            data={
                "answers_version": project.answers_version,
                "project_answers": project.answers,
                "revision": project.revision,
                **_evaluation_summary(evaluation),
            },
        )
    return assessment, evaluation


def _evaluate_if_complete(project):
    """When every custodian has submitted and confirmed, evaluate this revision once."""
    assessments = list(project.assessments.select_related("organisation"))
    for a in assessments:
        a.project = project  # the locked instance, with any change not yet saved
    complete = assessments and all(a.is_submitted and a.is_confirmed for a in assessments)
    if (
        not complete
        or project.status not in (Project.Status.ASSESSING, Project.Status.REFERRED)
        or _has_evaluation(project)
    ):
        return None
    framework = engine_framework(project.framework_version)
    document = project_document(project, assessments)
    result = engine.evaluate(framework, document)
    evaluation = Evaluation.objects.create(
        project=project,
        revision=project.revision,
        framework_version=project.framework_version,
        document=document,
        result=result,
        answers_sha256=result["answers_sha256"],
        overall=result["overall"],
        outcome=result["outcome"],
    )
    if project.status == Project.Status.ASSESSING:
        project.status = Project.Status.ASSESSED
        project.save(update_fields=["status", "updated_at"])
    return evaluation


def _evaluation_summary(evaluation):
    if evaluation is None:
        return {"evaluated": False}
    return {
        "evaluated": True,
        "evaluation_id": evaluation.pk,
        "tiers": evaluation.result["tiers"],
        "overall": evaluation.overall,
        "outcome": evaluation.outcome,
        "answers_sha256": evaluation.answers_sha256,
    }


def project_apply_framework(*, project, version, actor, request=None):
    """Move the project to a newer framework version: a new revision, confirmed afresh."""
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        ensure_changeable(project)
        if version.framework_id != project.framework_version.framework_id or version.loaded_at <= project.framework_version.loaded_at:
            raise PriamError(f"{version.spec} is not a newer version of {project.framework_version.spec}.")
        before = project.framework_version.spec
        preview = framework_change_preview(project=project, version=version)
        project.framework_version = version
        project.revision += 1
        project.answers_version += 1  # every custodian confirms again under the new version
        if project.status == Project.Status.ASSESSED:
            project.status = Project.Status.ASSESSING
        project.save()
        # Submissions stand only where the custodian's answers are still complete.
        withdrawn = []
        for assessment in project.assessments.select_related("organisation").select_for_update():
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
            },
        )
    return project


def project_request_amendment(*, project, actor, reason, request=None):
    """Open a decided project for change: a new draft revision, assessed and reviewed like the first.

    The decision record in force stays in force until the amendment's own record supersedes it.
    Every custodian submits again; a confirmation stands while what it covers is unchanged.
    """
    reason = reason.strip()
    if not reason:
        raise PriamError("Say what the amendment changes and why, so the custodians and the panel know.")
    limits.check_text(field="reason", label="The reason", value=reason, limit=limits.NOTE)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.status != Project.Status.DECIDED:
            raise ProjectLocked(
                f"Only a decided project is amended; this one is “{project.get_status_display()}”, "
                "so change it directly."
            )
        in_force = project_record_in_force(project)
        project.revision += 1
        project.status = Project.Status.ASSESSING
        project.amendment_reason = reason
        project.save()
        withdrawn = list(
            project.assessments.filter(status=CustodianAssessment.Status.SUBMITTED)
            .order_by("organisation__name").values_list("organisation__name", flat=True)
        )
        project.assessments.update(status=CustodianAssessment.Status.DRAFT)
        audit_record(
            action=AuditAction.PROJECT_AMENDMENT_REQUESTED, actor=actor, obj=project, project=project,
            request=request,
            data={
                "reason": reason,
                "revision": project.revision,
                "record_in_force": in_force.number if in_force else None,
                "submissions_withdrawn": withdrawn,
            },
        )
    return project
