"""Log lines that carry the request id, as JSON in production or as text in `make run`.

django-guid's middleware takes the id from the proxy's X-Request-ID (when it is a UUID, in any
usual spelling: nginx's $request_id is one) or makes one, and returns it in the response's
X-Request-ID. priam/celery.py carries it into the tasks a request queues, so the worker's
lines for that work carry the same id.
"""

import logging

from django_guid import get_guid

JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or `default` outside any request or task) on every record."""

    def __init__(self, default=None):
        super().__init__()
        self.default = default

    def filter(self, record):
        record.request_id = get_guid() or self.default
        return True


def json_formatter():
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(JSON_FORMAT, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
