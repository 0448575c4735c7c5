"""Celery tasks: thin wrappers that take ids and call a service."""

import os
import socket

from celery import shared_task


@shared_task
def ping(token):
    """Round trip used by the health check and the tests: proves a worker answers."""
    return {"token": token, "pid": os.getpid(), "host": socket.gethostname()}
