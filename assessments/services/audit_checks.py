"""The scheduled verification of the audit chain, stored for the auditors' page.

Celery beat runs it in production (CELERY_BEAT_SCHEDULE); the embedded mode runs
`manage.py verify_audit --record` from cron. Storing a check is deliberately not
an audited action: an event would extend the chain being checked, so every check
would change what the next one verifies, and a broken chain would be extended
with an entry claiming otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from priam.scheduling import once_per_beat_slot

from ..models import AuditChainCheck
from .audit import audit_verify

if TYPE_CHECKING:
    from datetime import datetime

    from .audit import ChainReport


def audit_chain_check_save(*, report: ChainReport, checked_at: datetime | None = None) -> AuditChainCheck:
    """Store one verification's outcome (a ChainReport from audit_verify)."""
    message = "" if report.ok else " ".join(part for part in (report.problem + ".", report.detail) if part)
    with transaction.atomic():
        return AuditChainCheck.objects.create(
            checked_at=checked_at or timezone.now(),
            intact=report.ok,
            events_checked=report.count,
            records_checked=report.records_checked,
            head_sequence=report.head_sequence,
            head_hash=report.head_hash,
            first_bad_sequence=report.bad_sequence,
            bad_record=report.bad_record,
            message=message,
        )


def audit_verify_chain() -> AuditChainCheck:
    """Verify the chain and the records' chain heads now, and store the outcome."""
    checked_at = timezone.now()
    return audit_chain_check_save(report=audit_verify(), checked_at=checked_at)


# The name stays where it was first published: CELERY_BEAT_SCHEDULE names it.
@shared_task(name="assessments.tasks.audit_verify_chain_task")
@once_per_beat_slot
def audit_verify_chain_task() -> dict[str, Any] | None:
    """Verify the audit chain and store the outcome; Celery beat runs it (CELERY_BEAT_SCHEDULE)."""
    check = audit_verify_chain()
    return {"check": check.pk, "intact": check.intact}
