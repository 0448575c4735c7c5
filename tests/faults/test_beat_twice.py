"""Two Celery beats started by mistake: each sends every scheduled job, yet each runs once a slot.

Both beats send the audit chain check every 3 seconds, on the clock; the harness's worker (two
processes) receives both messages of each slot, and the first to claim the slot in Redis runs it.
Each run stores an AuditChainCheck, so the database shows how many ran."""

import os
import re
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from assessments.models import AuditChainCheck
from priam.scheduling import every
from tests.faults.pg import BIN, ROOT, stop
from tests.helpers import wait_for

PERIOD = 3
SENT = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[,.]\d{3}).*Sending due task verify-audit-chain")


@pytest.fixture
def two_beats(tmp_path):
    env = {**os.environ, "PRIAM_AUDIT_VERIFY_SECONDS": str(PERIOD)}
    beats = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        log = folder / "beat.log"
        process = subprocess.Popen(
            [BIN / "celery", "-A", "priam", "beat", "--loglevel=INFO", f"--logfile={log}"]
            + [f"--schedule={folder / 'schedule'}", f"--pidfile={folder / 'beat.pid'}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        beats.append((process, log))
    yield beats
    for process, _ in beats:
        stop(process)


def _sent_at(log):
    """When this beat sent the check, from its log (written in the settings' time zone)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    text = log.read_text() if log.exists() else ""
    return [
        datetime.strptime(found.replace(",", "."), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=zone).timestamp()
        for found in SENT.findall(text)
    ]


def _slot(timestamp):
    return round(timestamp / PERIOD) * PERIOD


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_beats_run_each_scheduled_slot_once(two_beats):
    # Long enough for each beat to send the job at least twice.
    wait_for(lambda: all(len(_sent_at(log)) >= 2 for _, log in two_beats), 60, "both beats to send the check twice")
    for process, _ in two_beats:
        stop(process)
    sent = [_sent_at(log) for _, log in two_beats]
    slots = {_slot(moment) for moments in sent for moment in moments}
    assert sum(len(moments) for moments in sent) > len(slots), "the beats never sent the same slot"

    # Every slot either beat sent was claimed, and ran, once: as many checks as slots.
    wait_for(lambda: AuditChainCheck.objects.count() >= len(slots), 60, "the worker to run every slot")
    wait_for(lambda: _claimed_slots() == slots, 60, "the worker to take every message")
    assert AuditChainCheck.objects.count() == len(slots)
    assert all(check.intact for check in AuditChainCheck.objects.all())


def _claimed_slots():
    """The slots of the chain check claimed in Redis (priam/scheduling.py), as start times."""
    import redis

    prefix = "priam:beat-slot:assessments.tasks.audit_verify_chain_task:"
    with redis.Redis.from_url(settings.CELERY_BROKER_URL) as client:
        return {int(key.decode()[len(prefix) :]) for key in client.scan_iter(match=prefix + "*")}


def test_every_runs_on_the_clock_whenever_beat_started():
    from datetime import UTC, timedelta

    def at(hh, mm, ss):
        return datetime(2026, 11, 30, hh, mm, ss, tzinfo=UTC)

    def hourly(now):
        return every(timedelta(hours=1), nowfun=lambda: now)

    # Beat started (or last ran) at 10:20: the next run is at 11:00, not 11:20.
    assert not hourly(at(10, 59, 59)).is_due(at(10, 20, 0)).is_due
    assert hourly(at(10, 59, 59)).is_due(at(10, 20, 0)).next == pytest.approx(1)
    assert hourly(at(11, 0, 1)).is_due(at(10, 20, 0)).is_due
    # Once per hour: a run at 11:00:01 is not due again until 12:00.
    assert not hourly(at(11, 40, 0)).is_due(at(11, 0, 1)).is_due
    # A beat that was down for hours runs once when it returns, then back on the clock.
    assert hourly(at(15, 10, 0)).is_due(at(11, 0, 1)) == (True, 50 * 60)
    # It compares equal to its interval, as Celery's own schedule does.
    assert every(timedelta(hours=1)) == timedelta(hours=1)
