"""Celery tasks: thin wrappers that take ids and call a service."""

import os
import socket

from celery import shared_task


@shared_task
def ping(token):
    """Round trip used by the health check and the tests: proves a worker answers."""
    return {"token": token, "pid": os.getpid(), "host": socket.gethostname()}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def audit_export_task(export_id):
    """Write a large audit export to a file (see services.audit_export)."""
    from .services.audit_export import audit_export_run

    export = audit_export_run(export_id=export_id)
    return {"export": export.pk, "status": export.status}


@shared_task(
    bind=True,
    acks_late=True,  # a worker that dies mid-render leaves the message to be redelivered
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    max_retries=3,
)
def record_pdf_task(self, record_id):
    """Render and sign a decision record's PDF. Idempotent: see services.records."""
    from .services.records import record_pdf_failed, record_pdf_make

    try:
        record_pdf_make(record_id=record_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            record_pdf_failed(record_id=record_id, error=error)
        raise


@shared_task
def audit_verify_chain_task():
    """Verify the audit chain and store the outcome; Celery beat runs it (CELERY_BEAT_SCHEDULE)."""
    from .services.audit_checks import audit_verify_chain

    check = audit_verify_chain()
    return {"check": check.pk, "intact": check.intact}
