"""Reads of the audit trail: one filter for the list page, the timeline and the exports."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..models import (
    AuditAction,
    AuditChainCheck,
    AuditChainHead,
    AuditEvent,
    AuditExport,
    Organisation,
    User,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from django.db.models import QuerySet

# The hash before the first event.
GENESIS_HASH = "0" * 64


def audit_head() -> tuple[int, str]:
    """(sequence, hash) of the newest event, as published in decision records."""
    head = AuditChainHead.objects.filter(pk=1).first()
    return (head.sequence, head.hash) if head else (0, GENESIS_HASH)


FILTER_KEYS = ("project", "organisation", "user", "action", "date_from", "date_to")


def _as_date(value: object) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in settings.TIME_ZONE, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def filters_to_json(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The non-empty filters as JSON-safe values (ids and ISO dates), for AuditExport.filters
    and for the audit.exported event."""
    out = {}
    for key in FILTER_KEYS:
        value = (filters or {}).get(key)
        if value in (None, ""):
            continue
        if isinstance(value, Organisation):
            value = value.pk
        elif isinstance(value, date):
            value = value.isoformat()
        out[key] = value
    return out


def audit_events_filtered(*, filters: Mapping[str, Any] | None) -> QuerySet[AuditEvent]:
    """Audit events matching the cleaned filters, oldest first.

    filters: project (id), organisation (id or Organisation), user (username or
    actor id), action (an AuditAction value, or a prefix such as "auth."),
    date_from / date_to (dates, inclusive, in settings.TIME_ZONE). Empty values
    do not filter.
    """
    filters = filters or {}
    events = AuditEvent.objects.all()
    project = filters.get("project")
    if project not in (None, ""):
        events = events.filter(project_id=int(project))
    organisation = filters.get("organisation")
    if organisation not in (None, ""):
        organisation_id = organisation.pk if isinstance(organisation, Organisation) else int(organisation)
        events = events.filter(organisation_id=organisation_id)
    user = str(filters.get("user") or "").strip()
    if user:
        match = Q(actor=user)
        if user.isascii() and user.isdecimal() and len(user) <= 18:  # "²" is a digit, but no int
            match |= Q(actor_id=int(user))
        events = events.filter(match)
    action = str(filters.get("action") or "")
    if action:
        if action in AuditAction.values:
            events = events.filter(action=action)
        else:
            events = events.filter(action__startswith=action)
    date_from = _as_date(filters.get("date_from"))
    if date_from:
        events = events.filter(timestamp__gte=_start_of(date_from))
    date_to = _as_date(filters.get("date_to"))
    if date_to and date_to < date.max:  # the last representable day has no end to compute
        events = events.filter(timestamp__lt=_start_of(date_to + timedelta(days=1)))
    return events.order_by("sequence")


def audit_chain_status() -> dict[str, Any]:
    """What /audit/ says about the chain: the newest stored check, whether it is overdue,
    and the newest check that found it broken (a later clean check does not erase that)."""
    latest = AuditChainCheck.objects.first()
    last_broken = AuditChainCheck.objects.filter(intact=False).first()
    interval = settings.CELERY_BEAT_SCHEDULE["verify-audit-chain"]["schedule"].run_every
    overdue = latest is not None and latest.checked_at < timezone.now() - 2 * interval
    return {"latest": latest, "overdue": overdue, "last_broken": last_broken if last_broken != latest else None}


def _actor_names(actor_ids: Iterable[int | None]) -> dict[int, str]:
    """{user id: name} for the actors still known; the event keeps the username it was made with."""
    users = User.objects.filter(pk__in={i for i in actor_ids if i is not None})
    return {user.pk: user.display_name for user in users.only("username", "first_name", "last_name")}


def audit_rows(events: Iterable[AuditEvent]) -> list[tuple[AuditEvent, str, str | None, str | None]]:
    """(event, action label, organisation name, actor's name) for a page, with one query each."""
    events = list(events)
    organisations = dict(Organisation.objects.values_list("id", "name"))
    names = _actor_names(event.actor_id for event in events)
    return [
        (event, AuditAction.label_of(event.action), organisations.get(event.organisation_id), names.get(event.actor_id))
        for event in events
    ]


def audit_event_get(sequence: int) -> tuple[AuditEvent, str | None, str | None] | None:
    """(event, organisation name, actor's name), or None if no event has that sequence."""
    event = AuditEvent.objects.filter(sequence=sequence).first()
    if event is None:
        return None
    organisation = (
        Organisation.objects.filter(pk=event.organisation_id).values_list("name", flat=True).first()
        if event.organisation_id is not None
        else None
    )
    return event, organisation, _actor_names([event.actor_id]).get(event.actor_id)


def audit_export_get(export_id: int) -> AuditExport | None:
    return AuditExport.objects.filter(pk=export_id).first()
