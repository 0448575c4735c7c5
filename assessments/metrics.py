"""PRIAM's own Prometheus metrics, and the registry /metrics and the worker's exporter read.

Requests by view come from django-prometheus's middleware. Here: audit events written and
records issued (counted when their transaction commits, so a rolled-back change counts
nothing), Celery tasks run and their durations (priam/celery.py feeds these from the worker's
signals), and the length of the Celery queue in Redis, read at scrape time.

Gunicorn runs several worker processes and Celery several children, each with its own
counters. With PROMETHEUS_MULTIPROC_DIR set (before start, the same folder for every process
on the machine, emptied at each start) prometheus_client writes them to files there and a
scrape adds them up, so one scrape of /metrics on a machine sees its web processes and any
Celery worker sharing the folder. A worker on another machine exports its own on
PRIAM_WORKER_METRICS_PORT.
"""

import os

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily

AUDIT_EVENTS = Counter("priam_audit_events", "Audit events written (committed), by action.", ["action"])
RECORDS_ISSUED = Counter("priam_records_issued", "Decision records issued (committed), by outcome.", ["outcome"])
TASKS = Counter("priam_celery_tasks", "Celery tasks finished, by task and final state.", ["task", "state"])
TASK_DURATION = Histogram(
    "priam_celery_task_duration_seconds",
    "Time a Celery task ran, by task.",
    ["task"],
    # PDF rendering and re-scoring take seconds to minutes; e-mails and pings milliseconds.
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)

# Celery's Redis transport keeps a queue's prioritised messages in sibling lists named
# "<queue>\x06\x16<priority>"; the queue's length is the sum.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)


def _audit_event_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        transaction.on_commit(AUDIT_EVENTS.labels(action=instance.action).inc)


def _record_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        transaction.on_commit(RECORDS_ISSUED.labels(outcome=instance.outcome or "unknown").inc)


def connect_receivers():
    post_save.connect(_audit_event_saved, sender="assessments.AuditEvent", dispatch_uid="priam-metrics-audit")
    post_save.connect(_record_saved, sender="assessments.DecisionRecord", dispatch_uid="priam-metrics-records")


class QueueLengthCollector:
    """Messages waiting in each Celery queue, read from Redis when Prometheus scrapes.

    Nothing when tasks run eagerly (there is no queue) or the broker is not Redis; when Redis
    does not answer, priam_celery_broker_up is 0 and the lengths are left out rather than
    reported as an empty queue.
    """

    def collect(self):
        from .selectors.health import broker_is_eager, broker_redis

        if broker_is_eager():
            return
        client = broker_redis()
        if client is None:
            return
        up = GaugeMetricFamily("priam_celery_broker_up", "Whether the Redis broker answered this scrape.")
        queues = GaugeMetricFamily(
            "priam_celery_queue_length", "Messages waiting in the Celery queue in Redis.", labels=["queue"]
        )
        try:
            names = _queue_names()
            with client.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.llen(name)
                    for step in _PRIORITY_STEPS:
                        pipe.llen(f"{name}{_PRIORITY_SEPARATOR}{step}")
                lengths = pipe.execute()
        except Exception:  # a scrape reports the broker down; it never fails because of it
            up.add_metric([], 0)
            yield up
            return
        finally:
            client.close()
        per_queue = 1 + len(_PRIORITY_STEPS)
        for index, name in enumerate(names):
            queues.add_metric([name], sum(lengths[index * per_queue : (index + 1) * per_queue]))
        up.add_metric([], 1)
        yield up
        yield queues


def _queue_names():
    from celery import current_app

    names = {current_app.conf.task_default_queue}
    names.update(getattr(queue, "name", str(queue)) for queue in current_app.conf.task_queues or ())
    return sorted(names)


def multiprocess_mode():
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def scrape_registry():
    """What a scrape exposes: every process's counters (multiprocess mode) or this one's, plus the queue."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessMetrics())
    registry.register(QueueLengthCollector())
    return registry


class _ProcessMetrics:
    """The default registry's metrics (this process's), inside a scrape's own registry."""

    def collect(self):
        return REGISTRY.collect()


def worker_metrics_server():
    """Start the worker's exporter on PRIAM_WORKER_METRICS_PORT, if set (a worker on another machine)."""
    from prometheus_client import start_http_server

    port = settings.PRIAM_WORKER_METRICS_PORT
    if not port:
        return None
    return start_http_server(port, addr=settings.PRIAM_WORKER_METRICS_ADDR, registry=scrape_registry())
