"""Readiness of the services a web node depends on, for load balancers and /readyz.

Each check answers quickly even when its service is gone: every network call has an explicit
timeout (PRIAM_HEALTH_TIMEOUT seconds), so a stopped or unreachable Redis turns /readyz into a
503 within a few seconds instead of holding the probe until the balancer gives up. Details
name the kind of failure, never a host, address or message from the service: /readyz answers
anyone.
"""

import time
import uuid
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connections

OK = "ok"
FAILED = "failed"
SKIPPED = "skipped"


@dataclass
class Check:
    name: str
    status: str
    detail: str
    duration_ms: float

    @property
    def ok(self):
        return self.status == OK

    def as_dict(self):
        return {"status": self.status, "detail": self.detail, "duration_ms": self.duration_ms}


def _timed(name, probe):
    """Run probe() -> (status, detail); any exception is a failure named by its class."""
    start = time.perf_counter()
    try:
        status, detail = probe()
    except Exception as exc:  # a probe reports every failure, whatever raised it
        status, detail = FAILED, type(exc).__name__
    return Check(name, status, detail, round((time.perf_counter() - start) * 1000, 1))


def _timeout():
    return settings.PRIAM_HEALTH_TIMEOUT


def broker_is_eager():
    return settings.CELERY_TASK_ALWAYS_EAGER


def broker_redis():
    """A client for the Redis broker with short timeouts, or None when the broker is not Redis."""
    import redis

    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    return redis.Redis.from_url(
        url, socket_connect_timeout=_timeout(), socket_timeout=_timeout(), retry_on_timeout=False
    )


def _database():
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK, connection.vendor


def _broker():
    if broker_is_eager():
        return OK, "eager: tasks run in the web process"
    client = broker_redis()
    if client is not None:
        try:
            client.ping()
        finally:
            client.close()
        return OK, "redis"
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=_timeout())
    return OK, "connected"


def _cache():
    key = f"priam:readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    try:
        if cache.get(key) != "1":
            return FAILED, "the value written was not read back"
    finally:
        cache.delete(key)
    return OK, settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _worker():
    if broker_is_eager():
        return OK, "eager: tasks run in the web process"
    # An explicit connection that has answered once: control.ping() on a dead broker would
    # otherwise retry its connection for far longer than any probe waits.
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=_timeout())
        replies = current_app.control.ping(timeout=_timeout(), limit=1, connection=conn)
    if not replies:
        return FAILED, f"no worker answered within {_timeout():g} s"
    return OK, "a worker answered"


def readiness():
    """Every check, in order; the worker is not asked when the broker is down (it cannot be reached)."""
    checks = [_timed("database", _database), _timed("broker", _broker), _timed("cache", _cache)]
    if checks[1].ok:
        checks.append(_timed("worker", _worker))
    else:
        checks.append(Check("worker", SKIPPED, "the broker is not available", 0.0))
    return checks
