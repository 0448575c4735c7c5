"""Work for the workers that survives a broker outage: a transactional outbox.

A change that needs a worker (render a record's PDF, e-mail a notification, write an export,
re-score a preview) writes an OutboxMessage in its own transaction. Once that commits, the
message is published to the broker at once; if the broker (Redis) is down, the request still
succeeds, the message stays pending, and outbox_relay (Celery beat every minute, or
`manage.py run_scheduled`) publishes it when the broker is back. A message is published at
least once: if marking it sent fails after the broker took it, it goes again, so every task
sent this way must be idempotent.

Without a broker (`make run`, the tests on SQLite) tasks run eagerly in the web process: there
nothing can be lost in transit, so no message is stored and the task runs at commit, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from celery import Task, current_app, shared_task
from django.db import transaction
from django.utils import timezone

from ..models import OutboxMessage

log = logging.getLogger(__name__)

# One relay run publishes at most this many; the next run (a minute later) takes the rest, so a
# long backlog after an outage drains without one run holding the worker for long.
RELAY_BATCH = 500
# Sent messages are kept this long (to see what went when), then the relay deletes them.
KEEP_SENT = timedelta(days=7)


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def outbox_enqueue(*, task: Task, args: Sequence[Any], robust: bool = False) -> OutboxMessage | None:
    """Queue `task(*args)` to run once the caller's transaction commits; nothing if it rolls back.

    With a broker, the message is stored in the caller's transaction and published at commit
    (a failed publish is logged and left to the relay). Eager, the task runs at commit;
    `robust` then says whether its failure is only logged (as transaction.on_commit's robust).
    """
    args = list(args)
    if _eager():
        transaction.on_commit(partial(task.apply_async, args=args), robust=robust)
        return None
    message = OutboxMessage.objects.create(task=task.name, args=args)
    transaction.on_commit(partial(_publish_at_commit, message.pk))
    return message


def _publish_at_commit(message_id: int) -> None:
    # Never raises: the change it follows has committed, and the relay retries what is pending.
    try:
        _publish_if_pending(message_id)
    except Exception:
        log.exception("Outbox message %s: could not publish at commit; the relay will retry", message_id)


def _publish_if_pending(message_id: int) -> bool | None:
    """Publish one pending message and mark it sent, under its row lock so the relay (which skips
    locked rows) cannot publish it at the same time. None when it is gone, sent or being sent."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        try:
            _publish(message)
        except Exception as error:
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            message.save(update_fields=["attempts", "last_error"])
            log.warning(
                "Outbox message %s (%s): publish failed (attempt %s), left pending: %s",
                message.pk,
                message.task,
                message.attempts,
                message.last_error,
            )
            return False
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "last_error", "sent_at"])
        return True


def _publish(message: OutboxMessage) -> None:
    if _eager():
        # A message left from a time with a broker, relayed by an instance now without one.
        # It runs here and now; a savepoint keeps its failure from spoiling this transaction.
        current_app.loader.import_default_modules()
        with transaction.atomic():
            current_app.tasks[message.task].apply_async(args=message.args)
        return
    # The retry policy and socket timeouts in settings (CELERY_TASK_PUBLISH_RETRY_POLICY,
    # CELERY_BROKER_TRANSPORT_OPTIONS) bound how long a stopped broker holds the caller.
    # ignore_result: nobody waits on these results, and subscribing to one would touch Redis again.
    current_app.send_task(message.task, args=message.args, ignore_result=True)


@dataclass
class RelayReport:
    sent: int = 0
    pending: int = 0

    def __str__(self) -> str:
        return f"{self.sent} queued task(s) sent to the workers, {self.pending} still waiting for the broker"


def outbox_relay(*, batch: int = RELAY_BATCH) -> RelayReport:
    """Publish pending messages, oldest first, up to `batch`; stop at the first the broker refuses
    (it is down: the rest would wait their turn for nothing). Safe to run concurrently: each
    message is published under its row lock, and a locked one is skipped."""
    report = RelayReport()
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    for message_id in ids:
        outcome = _publish_if_pending(message_id)
        if outcome:
            report.sent += 1
        elif outcome is False and not _eager():
            break
    report.pending = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    OutboxMessage.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    return report


@shared_task(name="assessments.tasks.outbox_relay_task")
def outbox_relay_task() -> str:
    """Celery beat runs it every minute (CELERY_BEAT_SCHEDULE)."""
    return str(outbox_relay())
