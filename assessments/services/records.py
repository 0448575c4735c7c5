"""Decision records: the snapshot each is issued with, and its signed PDF (made idempotently, so a
retried task never makes two)."""

from __future__ import annotations

import hashlib
import logging
import os
from functools import partial
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from celery import shared_task
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.template.loader import render_to_string
from django.utils import timezone

from .. import engine, printed
from ..charts import five_safes_svg
from ..errors import ReviewError
from ..models import AuditAction, DecisionRecord, FrameworkVersion, RecordPdf, RecordPdfJob, Vote
from ..risk_profile import controls_context, risk_profile_context
from ..selectors.audit import audit_head
from ..selectors.evidence import evidence_at
from ..selectors.frameworks import engine_framework, engine_guide, framework_guide
from ..selectors.panels import quorum_of
from ..selectors.projects import project_record_in_force
from .audit import audit_lock, audit_record
from .notifications import record_issued_notify
from .obligations import approval_open, approval_terms
from .outbox import outbox_enqueue

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from celery import Task

    from ..models import Decision, Evaluation, PanelReview, Project, User
    from ..printed import SigningIdentity

logger = logging.getLogger(__name__)


def record_pdf_html(record: DecisionRecord, *, signature: SigningIdentity | None = None) -> str:
    """The record's printable HTML, made only from its snapshot (never from live data) and the
    instance's letterhead, public address and signing certificate (`signature`, by default the
    configured one), which the block under the decision names: the PDF is rendered before it is
    signed, so the block states who will sign it, and the reader's PDF viewer confirms it."""

    snapshot = record.snapshot
    result = snapshot["evaluation"]["result"]
    version = FrameworkVersion.objects.get(
        framework_id=result["framework"]["id"], version=result["framework"]["version"]
    )
    framework = engine_framework(version)
    evaluation = SimpleNamespace(
        result=result,
        document=snapshot["document"],
        outcome=result["outcome"],
        answers_sha256=result["answers_sha256"],
        revision=snapshot["evaluation"]["revision"],
    )
    context = risk_profile_context(None, evaluation, framework)
    # The controls as the record showed them when it was issued (a guide may improve later).
    shown = snapshot.get("guide") or {}
    context.update(controls=shown.get("controls", []), controls_total=shown.get("controls_total", {}))
    chart = five_safes_svg(
        result["tiers"],
        labels=framework.safe_labels,
        per_custodian=[(c["name"], c["tiers"]) for c in result["custodians"]],
        title=f"Five Safes tiers of {snapshot['project']['title']}",
        tier_names=[t["name"] for t in framework.tiers],
        safes=framework.safes,
        id_prefix="record",
    )
    verify_url = printed.verification_url()
    return render_to_string(
        "records/record_pdf.html",
        {
            **context,
            "record": record,
            "s": snapshot,
            "chart": chart,
            "framework": framework,
            "framework_name": printed.framework_name(framework, result["framework"]),
            "letterhead": printed.letterhead(),
            "signature": signature or printed.signing_identity(),
            "verify_url": verify_url,
            "verify_qr": printed.qr_png_data_uri(verify_url),
        },
    )


def record_pdf_make(
    *,
    record_id: int,
    sign: Callable[..., bytes] | None = None,
    render: Callable[[str], bytes] | None = None,
) -> RecordPdfJob:
    """Render and sign the record's PDF once. Safe to call again, or twice at once."""
    # WeasyPrint and pyHanko take a second to import; only the process that makes PDFs pays it.
    from ..pdf.render import render_pdf
    from ..pdf.signing import sign_pdf, signing_material, signs_within_pdf_1_7

    sign = sign or sign_pdf
    with transaction.atomic():
        job = RecordPdfJob.objects.select_for_update(no_key=True).get(record_id=record_id)
        if job.status == RecordPdfJob.Status.DONE:
            return job
        # Committed on its own, so the record page shows progress and a crashed attempt stays visible.
        job.status = RecordPdfJob.Status.RENDERING
        job.attempts += 1
        job.worker_pid = os.getpid()
        job.save(update_fields=["status", "attempts", "worker_pid", "updated_at"])

    with transaction.atomic():
        # Holding this lock while rendering makes a duplicate delivery wait, then find the PDF made.
        job = RecordPdfJob.objects.select_for_update(no_key=True).get(record_id=record_id)
        if RecordPdf.objects.filter(record_id=record_id).exists():
            job.status = RecordPdfJob.Status.DONE
            job.save(update_fields=["status", "updated_at"])
            return job
        record = DecisionRecord.objects.select_related("project").get(pk=record_id)
        if render is None:
            # PDF/A-3b only where the signature keeps the file PDF 1.7, which PDF/A-3 is a profile of.
            render = partial(render_pdf, archival=signs_within_pdf_1_7())
        signed = sign(
            render(record_pdf_html(record)),
            reason=f"Decision record {record.number}, issued by {printed.letterhead().name}",
        )
        digest = hashlib.sha256(signed).hexdigest()
        RecordPdf.objects.create(
            record=record,
            data=signed,
            sha256=digest,
            size=len(signed),
            signer=signing_material().signer.signing_cert.subject.human_friendly,
        )
        job.status, job.error = RecordPdfJob.Status.DONE, ""
        job.save(update_fields=["status", "error", "updated_at"])
        audit_record(
            action=AuditAction.RECORD_PDF_SIGNED,
            obj=record,
            project=record.project,
            data={"number": record.number, "sha256": digest, "size": len(signed), "attempts": job.attempts},
        )
    return job


def record_pdf_failed(*, record_id: int, error: BaseException) -> None:
    RecordPdfJob.objects.filter(record_id=record_id).exclude(status=RecordPdfJob.Status.DONE).update(
        status=RecordPdfJob.Status.FAILED, error=str(error)[:2000]
    )


def record_export(*, record: DecisionRecord, out: Path) -> None:
    """Write the record's signed PDF to the path `out`, with its audit event (the command line's export)."""
    with transaction.atomic():
        out.write_bytes(bytes(record.pdf.data))
        audit_record(
            action=AuditAction.RECORD_EXPORTED,
            obj=record,
            project=record.project,
            data={"number": record.number, "sha256": record.pdf.sha256, "out": str(out)},
        )


# The name stays where it was first published, so queued messages survive the move.
@shared_task(
    name="assessments.tasks.record_pdf_task",
    bind=True,
    acks_late=True,  # a worker that dies mid-render leaves the message to be redelivered
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    max_retries=3,
)
def record_pdf_task(self: Task, record_id: int) -> None:
    """Render and sign a decision record's PDF. Idempotent: see record_pdf_make."""
    try:
        record_pdf_make(record_id=record_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            record_pdf_failed(record_id=record_id, error=error)
        raise


# The snapshot a record is issued with: everything its page and PDF show, frozen.


def _person(user: User | None) -> dict[str, str] | None:
    return {"username": user.username, "name": user.display_name} if user else None


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def record_snapshot(
    *,
    project: Project,
    evaluation: Evaluation,
    outcome: str,
    review: PanelReview | None,
    decision: Decision | None,
    number: str,
    issued_at: datetime,
    audit_head: tuple[int, str],
    supersedes: DecisionRecord | None,
) -> dict[str, Any]:
    """The complete, self-contained content of a record and its SHA-256 (of canonical JSON).

    `review` and `decision` are the panel's, when a panel decided for some custodian; the
    sign-offs say who or what approved for each custodian."""
    result = evaluation.result
    snapshot = {
        "record": {
            "number": number,
            "issued_at": _when(issued_at),
            "supersedes": supersedes.number if supersedes else None,
        },
        "outcome": {"value": outcome, "label": Vote.Choice(outcome).label},
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
            "revision": evaluation.revision,
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
        "guide": _guide_shown(evaluation),
        "evaluation": {
            "revision": evaluation.revision,
            "evaluated_at": _when(evaluation.created_at),
            "result": result,
        },
        "sign_offs": _sign_offs(evaluation),
        # The documents behind the answers and conditions, by SHA-256, as they stood at issue.
        "evidence": evidence_at(project, issued_at),
        "approval": approval_terms(project=project, evaluation=evaluation, outcome=outcome, issued_at=issued_at),
        **(_panel_part(review, decision) if review is not None and decision is not None else _NO_PANEL),
        "audit_head": {"sequence": audit_head[0], "hash": audit_head[1]},
    }
    canonical = engine.canonical_json(snapshot)
    return {"snapshot": snapshot, "sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest()}


def _guide_shown(evaluation: Evaluation) -> dict[str, Any] | None:
    """Which of the framework version's explanatory texts the record shows, and what they said
    (the controls the tier needs): guides improve over time, a record never changes."""
    stored = framework_guide(evaluation.framework_version)
    if stored is None:
        return None
    version = evaluation.framework_version
    shown = controls_context(
        engine_framework(version), engine_guide(version, stored), evaluation.result, evaluation.document
    )
    return {"number": stored.number, "sha256": stored.sha256, **shown}


_NO_PANEL: dict[str, Any] = {"review": None, "declarations": [], "votes": [], "decision": None}


def _sign_offs(evaluation: Evaluation) -> list[dict[str, Any]]:
    """Each custodian's route, who or what signed off and when, and the versions applied."""
    criteria = {c["custodian"]: c for c in evaluation.result.get("criteria", [])}
    return [
        {
            "custodian": s.organisation.name,
            "route": s.route,
            "route_label": s.get_route_display(),
            "why": s.route_reason.get("text", ""),
            "appetite": s.route_reason.get("appetite") or {"default": True},
            "criteria": criteria.get(s.organisation.name),
            "status": s.status,
            "status_label": s.get_status_display(),
            "signed_by": _person(s.decided_by) if s.decided_by else None,
            "signed_at": _when(s.decided_at),
            "reason": s.reason,
            "conditions": s.conditions,
            "by_panel": s.decision_id is not None,
        }
        for s in evaluation.sign_offs.select_related("organisation", "decided_by").order_by("organisation__name")
    ]


def _panel_part(review: PanelReview, decision: Decision) -> dict[str, Any]:
    quorum = quorum_of(review)
    return {
        "review": {
            "panel": review.panel.name,
            "sent_by": _person(review.sent_by),
            "sent_at": _when(review.sent_at),
            "note": review.note,
            "quorum": {
                "members": quorum.members,
                "conflicted": quorum.conflicted,
                "needed": quorum.needed,
                "votes": quorum.votes,
            },
        },
        "declarations": [
            {
                "member": _person(d.member),
                "conflicted": d.conflicted,
                "details": d.details,
                "declared_at": _when(d.declared_at),
            }
            for d in review.declarations.select_related("member").order_by("declared_at", "pk")
        ],
        "votes": [
            {
                "member": _person(v.member),
                "choice": v.choice,
                "choice_label": v.get_choice_display(),
                "rationale": v.rationale,
                "cast_at": _when(v.cast_at),
            }
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
    }


# Issuing a record: by the panel's decision, or when the last custodian signs off without one.


def record_issue(
    *,
    project: Project,
    evaluation: Evaluation,
    outcome: str,
    review: PanelReview | None = None,
    decision: Decision | None = None,
) -> DecisionRecord:
    """Issue the project's next decision record and queue its PDF; the caller holds the project's
    row lock and writes the audit event of the action that issued it."""
    # A final decision supersedes the record in force or, when none is (a first review), the referral
    # that came before it. A referral decides nothing, so it supersedes nothing: during an amendment
    # the record in force stays in force.
    previous = None
    if outcome != Vote.Choice.REFER_BACK:
        previous = project_record_in_force(project) or (
            project.records.filter(superseded_by__isnull=True).order_by("-issued_at", "-pk").first()
        )
    # Numbers are the highest so far plus one: queue for the audit chain before reading it, as
    # the action issuing this record will at its event, so two records issued at once cannot each
    # hold what the other waits for (a number's unique key, the chain), and the head printed in
    # the record is the one its own events follow.
    audit_lock()
    issued_at = timezone.now()
    head_sequence, head_hash = audit_head()
    for _ in range(5):
        number = _next_number(issued_at)
        snapshot = record_snapshot(
            project=project,
            evaluation=evaluation,
            outcome=outcome,
            review=review,
            decision=decision,
            number=number,
            issued_at=issued_at,
            audit_head=(head_sequence, head_hash),
            supersedes=previous,
        )
        try:
            with transaction.atomic():
                record = DecisionRecord.objects.create(
                    number=number,
                    project=project,
                    decision=decision,
                    outcome=outcome,
                    supersedes=previous,
                    snapshot=snapshot["snapshot"],
                    snapshot_sha256=snapshot["sha256"],
                    audit_head_sequence=head_sequence,
                    audit_head_hash=head_hash,
                    issued_at=issued_at,
                )
        except IntegrityError:
            continue  # another record took this number at the same moment: take the next
        RecordPdfJob.objects.create(record=record)
        approval_open(project=project, record=record, evaluation=evaluation)
        # robust: the decision stands even if queueing (or, when eager, making) the PDF fails;
        # the record page shows the job's state and the task retries.
        outbox_enqueue(task=record_pdf_task, args=[record.pk], robust=True)
        record_issued_notify(record=record)
        return record
    raise ReviewError("Could not allocate a record number; try again.")


def _next_number(when: datetime) -> str:
    prefix = f"PRIAM-{when.year}-"
    # Longest first, then highest: "…-10000" comes after "…-9999" although it sorts before it as text.
    last = (
        DecisionRecord.objects.filter(number__startswith=prefix)
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) if last else 0) + 1:04d}"
