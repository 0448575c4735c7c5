"""The Celery tasks, for autodiscovery. Each lives next to the service it runs (ids in, call
the service); only the worker round trip has nothing else to live beside."""

import os
import socket

from celery import shared_task

from .services.audit_checks import audit_verify_chain_task
from .services.audit_export import audit_export_task
from .services.impact import impact_preview_task
from .services.notification_email import notification_email_task, notifications_digest_task
from .services.outbox import outbox_relay_task
from .services.records import record_pdf_task
from .services.scheduled import scheduled_after_approval_task

__all__ = [
    "audit_export_task",
    "audit_verify_chain_task",
    "impact_preview_task",
    "notification_email_task",
    "notifications_digest_task",
    "outbox_relay_task",
    "ping",
    "record_pdf_task",
    "scheduled_after_approval_task",
]


@shared_task
def ping(token):
    """Round trip used by the health check and the tests: proves a worker answers."""
    return {"token": token, "pid": os.getpid(), "host": socket.gethostname()}
