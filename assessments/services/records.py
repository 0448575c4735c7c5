"""Making a decision record's signed PDF: idempotent, so a retried task never makes two."""

import hashlib
import logging
import os
from types import SimpleNamespace

from django.db import transaction
from django.template.loader import render_to_string

from ..charts import five_safes_svg
from ..models import AuditAction, DecisionRecord, FrameworkVersion, RecordPdf, RecordPdfJob
from ..selectors_frameworks import engine_framework
from .audit import audit_record

logger = logging.getLogger(__name__)


def record_pdf_html(record):
    """The record's printable HTML, made only from its snapshot (never from live data)."""
    from ..views.risk import risk_profile_context

    snapshot = record.snapshot
    result = snapshot["evaluation"]["result"]
    version = FrameworkVersion.objects.get(
        framework_id=result["framework"]["id"], version=result["framework"]["version"]
    )
    framework = engine_framework(version)
    evaluation = SimpleNamespace(
        result=result, document=snapshot["document"], outcome=result["outcome"],
        answers_sha256=result["answers_sha256"], revision=snapshot["evaluation"]["revision"],
    )
    context = risk_profile_context(None, evaluation, framework)
    chart = five_safes_svg(
        result["tiers"],
        labels=framework.safe_labels,
        per_custodian=[(c["name"], c["tiers"]) for c in result["custodians"]],
        title=f"Five Safes tiers of {snapshot['project']['title']}",
        tier_names=[t["name"] for t in framework.tiers],
        safes=framework.safes,
        id_prefix="record",
    )
    return render_to_string(
        "records/record_pdf.html",
        {**context, "record": record, "s": snapshot, "chart": chart, "framework": framework},
    )


def record_pdf_make(*, record_id, sign=None, render=None):
    """Render and sign the record's PDF once. Safe to call again, or twice at once."""
    from ..pdf.render import render_pdf
    from ..pdf.signing import sign_pdf, signing_material

    sign, render = sign or sign_pdf, render or render_pdf
    with transaction.atomic():
        job = RecordPdfJob.objects.select_for_update().get(record_id=record_id)
        if job.status == RecordPdfJob.Status.DONE:
            return job
        # Committed on its own, so the record page shows progress and a crashed attempt stays visible.
        job.status = RecordPdfJob.Status.RENDERING
        job.attempts += 1
        job.worker_pid = os.getpid()
        job.save(update_fields=["status", "attempts", "worker_pid", "updated_at"])

    with transaction.atomic():
        # Holding this lock while rendering makes a duplicate delivery wait, then find the PDF made.
        job = RecordPdfJob.objects.select_for_update().get(record_id=record_id)
        if RecordPdf.objects.filter(record_id=record_id).exists():
            job.status = RecordPdfJob.Status.DONE
            job.save(update_fields=["status", "updated_at"])
            return job
        record = DecisionRecord.objects.select_related("project").get(pk=record_id)
        signed = sign(
            render(record_pdf_html(record)),
            reason=f"PRIAM decision record {record.number}",
        )
        digest = hashlib.sha256(signed).hexdigest()
        RecordPdf.objects.create(record=record, data=signed, sha256=digest, size=len(signed), signer=signing_material().signer.signing_cert.subject.human_friendly)
        job.status, job.error = RecordPdfJob.Status.DONE, ""
        job.save(update_fields=["status", "error", "updated_at"])
        audit_record(
            action=AuditAction.RECORD_PDF_SIGNED,
            obj=record,
            project=record.project,
            data={"number": record.number, "sha256": digest, "size": len(signed), "attempts": job.attempts},
        )
    return job


def record_pdf_failed(*, record_id, error):
    RecordPdfJob.objects.filter(record_id=record_id).exclude(status=RecordPdfJob.Status.DONE).update(
        status=RecordPdfJob.Status.FAILED, error=str(error)[:2000]
    )
