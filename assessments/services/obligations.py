"""After approval: the approval a record grants, and the obligations its conditions become.

An approving record opens an Approval (replacing the one before) whose expiry follows the
project's planned end and the framework guide's limit for the tier; each condition of the
approval, whoever set it, becomes an Obligation that the custodian who owns it signs off.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .. import limits
from ..errors import FieldInvalid, Forbidden, PriamError
from ..models import Approval, AuditAction, Obligation, Organisation, Vote
from ..permissions import can_check_obligation
from ..selectors.frameworks import engine_guide, framework_guide
from ..selectors.obligations import obligation_people
from .audit import audit_record
from .notifications import notify

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import DecisionRecord, Evaluation, Evidence, Project, User

APPROVING = (Vote.Choice.APPROVE, Vote.Choice.APPROVE_WITH_CONDITIONS)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def approval_expiry(*, project: Project, evaluation: Evaluation, valid_from: date) -> tuple[date, dict[str, Any]]:
    """When an approval granted today ends, and why then."""
    stored = framework_guide(evaluation.framework_version)
    months = engine_guide(evaluation.framework_version, stored).approval_limit(evaluation.overall) if stored else None
    if months is not None:
        cap = add_months(valid_from, months) - timedelta(days=1)
        if cap < project.end_date:
            return cap, {
                "text": f"Approvals at overall tier {evaluation.overall} last at most {months} months "
                f"({evaluation.framework_version.spec}); the project plans to run until "
                f"{project.end_date:%-d %B %Y}, so it must be renewed.",
                "months": months,
            }
    return project.end_date, {"text": "The project's planned end.", "months": months}


def approval_terms(
    *, project: Project, evaluation: Evaluation, outcome: str, issued_at: datetime
) -> dict[str, Any] | None:
    """What an approving record grants, as its snapshot states it: from when, until when, and why
    then; None for a record that approves nothing."""
    if outcome not in APPROVING:
        return None
    valid_from = timezone.localdate(issued_at)
    expires_on, reason = approval_expiry(project=project, evaluation=evaluation, valid_from=valid_from)
    return {
        "valid_from": valid_from.isoformat(),
        "expires_on": max(expires_on, valid_from).isoformat(),
        "why_then": reason["text"],
        "longest_months": reason["months"],
    }


def approval_open(*, project: Project, record: DecisionRecord, evaluation: Evaluation) -> Approval | None:
    """Grant the approval an approving record decides, with its obligations; the caller holds the
    project's row lock and is inside the record's transaction. Not approving: nothing."""
    # A final record replaces the approval in force whatever it decides: a declined renewal or
    # amendment leaves no approval to work under.
    replaced = list(project.approvals.select_related("record").filter(status=Approval.Status.ACTIVE))
    for old in replaced:
        old.status, old.ended_at = Approval.Status.REPLACED, timezone.now()
        old.save(update_fields=["status", "ended_at"])
    terms = record.snapshot.get("approval")
    if record.outcome not in APPROVING or not terms:
        return None
    # The record states the terms; the approval follows them exactly.
    approval = Approval.objects.create(
        record=record,
        project=project,
        valid_from=date.fromisoformat(terms["valid_from"]),
        expires_on=date.fromisoformat(terms["expires_on"]),
        expiry_reason={"text": terms["why_then"], "months": terms["longest_months"]},
    )
    now = timezone.now()
    due = min(approval.valid_from + timedelta(days=settings.PRIAM_OBLIGATION_DUE_DAYS), approval.expires_on)
    obligations = [
        Obligation(
            approval=approval,
            project=project,
            number=n,
            text=c["text"][: limits.CONDITION],
            rule=c.get("rule") or "",
            source=c["source"],
            blocking=c["blocking"],
            due_on=None if c["blocking"] else due,
            checker=c["checker"],
            status_changed_at=now,
        )
        for n, c in enumerate(_conditions(record, evaluation), start=1)
    ]
    Obligation.objects.bulk_create(obligations)
    audit_record(
        action=AuditAction.APPROVAL_GRANTED,
        obj=approval,
        project=project,
        data={
            "record": record.number,
            "valid_from": approval.valid_from.isoformat(),
            "expires_on": approval.expires_on.isoformat(),
            "why_then": terms["why_then"],
            "replaces": [a.record.number for a in replaced],
            "obligations": [
                {"number": o.number, "text": o.text, "blocking": o.blocking, "due_on": _iso(o.due_on)}
                for o in obligations
            ],
        },
    )
    return approval


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _conditions(record: DecisionRecord, evaluation: Evaluation) -> list[dict[str, Any]]:
    """Every condition of the approval once: the engine's (the framework's and the custodians'
    criteria), each approver's and the panel's, in that order."""
    by_name = {o.name: o for o in Organisation.objects.filter(projects=record.project)}
    found: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()

    def add(text: str, rule: str, blocking: bool, source: str, checker: Organisation | None) -> None:
        key = (rule, text.strip(), checker.name if checker else "")
        if text.strip() and key not in seen and (rule, text.strip(), "") not in seen:
            seen.add(key)
            found.append(
                {"text": text.strip(), "rule": rule, "blocking": blocking, "source": source, "checker": checker}
            )

    for c in evaluation.result.get("conditions", []):
        owner = by_name.get(c.get("custodian") or "")
        add(c["text"], c.get("rule", ""), bool(c.get("blocking")), "criteria" if owner else "framework", owner)
    decision = record.decision
    for s in evaluation.sign_offs.select_related("organisation").order_by("organisation__name"):
        if s.decision_id is None:
            for c in s.conditions:
                add(c["text"], c.get("rule", ""), bool(c.get("blocking")), "approver", s.organisation)
    if decision is not None:
        for c in decision.conditions:
            add(
                c["text"], c.get("rule") or "", bool(c.get("blocking")), "framework" if c.get("rule") else "panel", None
            )
    return found


# ---------------------------------------------------------------------- acting on an obligation


def _locked(obligation: Obligation) -> Obligation:
    return (
        Obligation.objects.select_for_update(of=("self",), no_key=True)
        .select_related("approval", "project")
        .get(pk=obligation.pk)
    )


def _check_live(obligation: Obligation) -> None:
    if obligation.approval.status != Approval.Status.ACTIVE:
        raise PriamError(
            f"Obligation {obligation.number} belongs to an approval that is "
            f"{obligation.approval.get_status_display().lower()}: it no longer changes."
        )


def _url(obligation: Obligation) -> str:
    return reverse("project_obligations", args=[obligation.project_id]) + f"#obligation-{obligation.pk}"


def _audit(action: str, obligation: Obligation, user: User | None, request: HttpRequest | None, **data: Any) -> None:
    audit_record(
        action=action,
        actor=user,
        obj=obligation,
        project_id=obligation.project_id,
        organisation=obligation.checker,
        request=request,
        data={"number": obligation.number, "text": obligation.text, "status": obligation.status, **data},
    )


def obligation_evidence_submitted(
    *, obligation: Obligation, evidence: Evidence, user: User, request: HttpRequest | None = None
) -> Obligation:
    """Evidence was attached (inside the upload's transaction): the obligation waits for its check."""
    obligation = _locked(obligation)
    _check_live(obligation)  # refused, the upload's transaction keeps nothing
    if obligation.is_settled:
        return obligation  # more evidence for a met obligation changes nothing
    obligation.status, obligation.status_changed_at = Obligation.Status.EVIDENCE_SUBMITTED, timezone.now()
    obligation.save(update_fields=["status", "status_changed_at"])
    _audit(AuditAction.OBLIGATION_EVIDENCE_SUBMITTED, obligation, user, request, evidence=evidence.name)
    notify(
        recipients=obligation_people(obligation, checkers=True),
        kind="evidence_submitted",
        subject=f"Evidence to check: {obligation.project.title}",
        body=f"{user.display_name} submitted “{evidence.name}” for obligation {obligation.number}: "
        f"{obligation.text}\nPlease check it and sign the obligation off, or say what is missing.",
        url=_url(obligation),
        project=obligation.project,
        exclude=user,
    )
    return obligation


def obligation_sign_off(
    *, obligation: Obligation, user: User, note: str = "", request: HttpRequest | None = None
) -> Obligation:
    """The custodian that owns the condition signs it off as met."""
    note = note.strip()
    limits.check_text(field="note", label="The note", value=note, limit=limits.NOTE)
    with transaction.atomic():
        obligation = _locked(obligation)
        if not can_check_obligation(user, obligation):
            raise Forbidden("Only the custodian that owns this condition signs it off.")
        _check_live(obligation)
        if obligation.is_settled:
            raise PriamError(f"Obligation {obligation.number} is already {obligation.get_status_display().lower()}.")
        now = timezone.now()
        obligation.status, obligation.status_changed_at = Obligation.Status.MET, now
        obligation.signed_off_by, obligation.signed_off_at, obligation.note = user, now, note
        obligation.save()
        _audit(AuditAction.OBLIGATION_MET, obligation, user, request, note=note)
        _tell_signed_off(obligation, user, "met", note)
    return obligation


def obligation_waive(
    *, obligation: Obligation, user: User, reason: str, request: HttpRequest | None = None
) -> Obligation:
    """The owning custodian decides the condition no longer applies, and says why."""
    reason = reason.strip()
    if not reason:
        raise FieldInvalid("Say why the obligation is waived: the coordinator and auditors read it.", field="reason")
    limits.check_text(field="reason", label="The reason", value=reason, limit=limits.NOTE)
    with transaction.atomic():
        obligation = _locked(obligation)
        if not can_check_obligation(user, obligation):
            raise Forbidden("Only the custodian that owns this condition waives it.")
        _check_live(obligation)
        if obligation.is_settled:
            raise PriamError(f"Obligation {obligation.number} is already {obligation.get_status_display().lower()}.")
        now = timezone.now()
        obligation.status, obligation.status_changed_at = Obligation.Status.WAIVED, now
        obligation.signed_off_by, obligation.signed_off_at, obligation.note = user, now, reason
        obligation.save()
        _audit(AuditAction.OBLIGATION_WAIVED, obligation, user, request, reason=reason)
        _tell_signed_off(obligation, user, "waived", reason)
    return obligation


def obligation_return(
    *, obligation: Obligation, user: User, reason: str, request: HttpRequest | None = None
) -> Obligation:
    """The evidence is not enough: the obligation is open again, with what is missing."""
    reason = reason.strip()
    if not reason:
        raise FieldInvalid("Say what is missing, so the coordinator knows what to send.", field="reason")
    limits.check_text(field="reason", label="The reason", value=reason, limit=limits.NOTE)
    with transaction.atomic():
        obligation = _locked(obligation)
        if not can_check_obligation(user, obligation):
            raise Forbidden("Only the custodian that owns this condition returns its evidence.")
        _check_live(obligation)
        if obligation.status != Obligation.Status.EVIDENCE_SUBMITTED:
            raise PriamError(f"Obligation {obligation.number} has no evidence waiting for a check.")
        overdue = obligation.due_on is not None and obligation.due_on < timezone.localdate()
        obligation.status = Obligation.Status.OVERDUE if overdue else Obligation.Status.OPEN
        obligation.status_changed_at, obligation.note = timezone.now(), reason
        obligation.save(update_fields=["status", "status_changed_at", "note"])
        _audit(AuditAction.OBLIGATION_RETURNED, obligation, user, request, reason=reason)
        notify(
            recipients=obligation_people(obligation, owners=True),
            kind="obligation_due",
            subject=f"More evidence needed: {obligation.project.title}",
            body=f"{user.display_name} returned obligation {obligation.number} ({obligation.text}): {reason}",
            url=_url(obligation),
            project=obligation.project,
            exclude=user,
        )
    return obligation


def obligation_set_due(
    *, obligation: Obligation, user: User, due_on: date | None, request: HttpRequest | None = None
) -> Obligation:
    """Move a non-blocking obligation's due date (the owning custodian agrees a new one)."""
    with transaction.atomic():
        obligation = _locked(obligation)
        if not can_check_obligation(user, obligation):
            raise Forbidden("Only the custodian that owns this condition moves its due date.")
        _check_live(obligation)
        if obligation.blocking:
            raise PriamError("A blocking obligation is due before access starts; it has no date to move.")
        if due_on is None or due_on < timezone.localdate():
            raise FieldInvalid("Choose a due date from today on.", field="due_on")
        before = obligation.due_on
        obligation.due_on, obligation.reminded_on = due_on, None
        if obligation.status == Obligation.Status.OVERDUE:
            obligation.status, obligation.status_changed_at = Obligation.Status.OPEN, timezone.now()
        obligation.save()
        _audit(
            AuditAction.OBLIGATION_DUE_CHANGED, obligation, user, request, due_before=_iso(before), due_on=_iso(due_on)
        )
    return obligation


def _tell_signed_off(obligation: Obligation, user: User, outcome: str, note: str) -> None:
    from ..selectors.obligations import access_may_start

    starts = obligation.blocking and access_may_start(obligation.project)
    done = "signed off obligation {n} as met" if outcome == "met" else "waived obligation {n}"
    organisation = obligation.checker or (
        Organisation.objects.filter(memberships__user=user, assessments__project=obligation.project).first()
    )
    lines = [
        f"{user.display_name}{f', for {organisation},' if organisation else ''} {done.format(n=obligation.number)}.",
        f"Obligation: {obligation.text}",
        *([f"{'Note' if outcome == 'met' else 'Why'}: {note}"] if note else []),
        *(["Every blocking obligation is now met: access may start."] if starts else []),
    ]
    notify(
        recipients=obligation_people(obligation, owners=True, checkers=True),
        kind="obligation_signed_off",
        subject=f"Obligation {obligation.number} {outcome}: {obligation.project.title}",
        body="\n".join(lines),
        url=_url(obligation),
        project=obligation.project,
        exclude=user,
    )
