"""Assessments received from trusted peers, and which local projects started from one."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..models import AuditAction, AuditEvent, ReceivedAssessment

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import Project


def received_list() -> QuerySet[ReceivedAssessment]:
    return ReceivedAssessment.objects.select_related("peer", "received_by").defer("pdf", "document", "result")


def received_get(pk: int) -> ReceivedAssessment | None:
    return ReceivedAssessment.objects.select_related("peer", "received_by").filter(pk=pk).first()


def received_origin(project: Project) -> dict[str, Any] | None:
    """Where the project started from, as its audit event recorded it (no project field is
    needed: the event is written in the transaction that creates the project, and never changes)."""
    event = (
        AuditEvent.objects.filter(project_id=project.pk, action=AuditAction.PROJECT_CREATED_FROM_RECEIVED)
        .only("data_json")
        .first()
    )
    return json.loads(event.data_json) if event else None
