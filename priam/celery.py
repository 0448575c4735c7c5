import logging
import os
import time
import uuid

from celery import Celery, signals
from django_guid import clear_guid, get_guid, set_guid

from assessments import metrics
from assessments.logs import RequestIdFilter, json_formatter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "priam.settings")

app = Celery("priam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger("priam.tasks")


# --- request ids and metrics -------------------------------------------------------------------
# The request id (django-guid) travels in each task message's headers, so the worker's log
# lines for work a request queued carry the request's id; scheduled tasks get one of their own.
# Eager tasks run inside the request, which already has its id (and keeps it afterwards).
# django-guid's own Celery integration would replace and then clear the request's id around an
# eager task, leaving the response without one, hence these few receivers instead.

REQUEST_ID_HEADER = "priam_request_id"
_task_started_at = {}


@signals.before_task_publish.connect
def _carry_request_id(headers=None, **kwargs):
    request_id = get_guid()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    _task_started_at[task_id] = time.perf_counter()
    if not task.request.is_eager:
        set_guid(task.request.get(REQUEST_ID_HEADER) or uuid.uuid4().hex)
    log.info("Task %s[%s] started", task.name, task_id)


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _task_started_at.pop(task_id, None)
    if started is not None:
        metrics.TASK_DURATION.labels(task=task.name).observe(time.perf_counter() - started)
    metrics.TASKS.labels(task=task.name, state=state or "UNKNOWN").inc()
    if not task.request.is_eager:
        clear_guid()


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _log_request_ids(logger=None, format=None, colorize=False, **kwargs):
    """The worker's log lines (in its --logfile too) carry the request id, as JSON when so configured."""
    from django.conf import settings

    for handler in logger.handlers:
        handler.addFilter(RequestIdFilter(default="-"))
        if settings.PRIAM_LOG_FORMAT == "json":
            handler.setFormatter(json_formatter())
        elif format:
            formatter_class = type(handler.formatter) if handler.formatter is not None else logging.Formatter
            fmt = format.replace("%(message)s", "[%(request_id)s] %(message)s")
            try:
                handler.setFormatter(formatter_class(fmt, use_color=colorize))
            except TypeError:  # a plain logging.Formatter
                handler.setFormatter(logging.Formatter(fmt))


@signals.worker_ready.connect
def _worker_metrics(**kwargs):
    server = metrics.worker_metrics_server()
    if server is not None:
        log.info("Worker metrics on %s:%s", *server[0].server_address[:2])
