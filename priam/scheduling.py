"""Celery beat's schedule, and a lock so that each scheduled run happens once even if two beats run.

One beat should run (README). If a second is started by mistake, each sends every due job. So:

- `every` runs a job at the multiples of its interval since the epoch (an hourly job at each
  o'clock), not counted from whenever that beat started: two beats send a run at the same moment;
- beat stamps each message it sends with that moment rounded to the nearest multiple (its slot);
- `once_per_beat_slot` makes the task claim its slot in Redis (SET NX) before doing anything; the
  second message of a slot finds it taken and returns without running.

Messages not sent by beat (a task queued by hand, `manage.py run_scheduled` in the embedded mode)
carry no slot and always run. Imported by the settings, so beat and the workers both load it.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any

from celery.schedules import schedstate, schedule
from celery.signals import before_task_publish

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

logger = logging.getLogger(__name__)

HEADER = "priam_beat_slot"
# A crontab entry's runs are at least this far apart (PRIAM's only one is daily).
CRONTAB_SLOT_SECONDS = 3600


class every(schedule):  # named in lower case like Celery's own crontab and schedule
    """Every `run_every` (a timedelta), at whole multiples of it since the epoch."""

    def is_due(self, last_run_at: datetime) -> schedstate:
        period = self.seconds
        now = self.now().timestamp()
        last = self.maybe_make_aware(last_run_at).timestamp()
        return schedstate(now // period > last // period, period - now % period)

    def remaining_estimate(self, last_run_at: datetime) -> Any:
        from datetime import timedelta

        return timedelta(seconds=self.is_due(last_run_at).next)

    def __repr__(self) -> str:
        return f"<every {self.human_seconds}, on the clock>"


def _period(task_name: str) -> float | None:
    from django.conf import settings

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        if entry["task"] == task_name:
            found = entry["schedule"]
            return found.seconds if isinstance(found, schedule) else CRONTAB_SLOT_SECONDS
    return None


@before_task_publish.connect
def _stamp_beat_slot(sender: str | None = None, headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    # Celery beat marks what it sends with celery_beat_task; this runs in the beat process.
    if not headers or not headers.get("celery_beat_task") or not sender:
        return
    period = _period(sender)
    if period:
        headers[HEADER] = [round(time.time() / period) * period, period]


def beat_slot_claim(task_name: str, slot: list[float]) -> bool:
    """True for the first message of this task and slot to ask, False for any later one."""
    import redis
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return True
    start, period = slot
    # Kept a little longer than the slot, for a message that waited in the queue.
    with redis.Redis.from_url(settings.CELERY_BROKER_URL) as client:
        return bool(client.set(f"priam:beat-slot:{task_name}:{int(start)}", "1", nx=True, ex=int(2 * period) + 60))


def once_per_beat_slot(run: Callable[..., Any]) -> Callable[..., Any]:
    """Under @shared_task: run the task body at most once per beat slot (see the module's text)."""

    @functools.wraps(run)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from celery import current_task

        slot = current_task.request.get(HEADER) if current_task else None
        if slot and not beat_slot_claim(current_task.name, slot):
            logger.info("Skipped %s: its run for the slot at %s was already taken", current_task.name, slot[0])
            return None
        return run(*args, **kwargs)

    return wrapper
