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
