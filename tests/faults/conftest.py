"""Stopping and starting the harness's Redis (scripts/with-test-services.sh) for the fault tests.

The harness runs one redis-server for the broker and the cache, on the port in
CELERY_BROKER_URL, with its pid file in PRIAM_TEST_WORK. A test that stops it must start it
again whatever happens, since every later test needs it: use the `harness_redis` fixture.
"""

import os
import signal
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.helpers import wait_for


class HarnessRedis:
    def __init__(self):
        self.port = urlsplit(os.environ["CELERY_BROKER_URL"]).port
        self.work = Path(os.environ["PRIAM_TEST_WORK"])
        self.pidfile = self.work / "redis.pid"

    def url(self, db):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        pid = int(self.pidfile.read_text())
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not self.answers() and not _alive(pid), 30, "Redis to stop")

    def start(self):
        if self.answers():
            return
        # As the harness starts it (its cleanup stops whatever pid the pid file then names).
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--daemonize", "yes", "--dir", str(self.work), "--pidfile", str(self.pidfile)]
            + ["--logfile", str(self.work / "redis.log")],
            check=True,
            timeout=30,
        )
        wait_for(self.answers, 30, "Redis to answer")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def harness_redis():
    """The harness's Redis, started again (and the harness's worker back on it) after the test."""
    redis = HarnessRedis()
    assert redis.answers(), "the harness's Redis is not running"
    try:
        yield redis
    finally:
        redis.start()
        # The worker reconnects on its own, after a back-off of a few seconds; later tests expect it.
        from assessments.tasks import ping

        ping.delay("back").get(timeout=90)
