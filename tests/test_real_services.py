"""Against the real services `make test` starts: PostgreSQL, Redis and a Celery worker."""

import os
import uuid

import pytest
from django.core.management import call_command
from django.db import connection

from assessments.tasks import ping

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_the_suite_runs_on_postgresql_with_every_migration_applied():
    assert connection.vendor == "postgresql"
    # --check exits non-zero if any migration is unapplied.
    call_command("migrate", check=True, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'assessments'")
        assert cursor.fetchone()[0] >= 1


def test_models_and_migrations_agree():
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def test_a_task_travels_through_redis_to_a_worker_process_and_back(settings):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    token = uuid.uuid4().hex
    result = ping.delay(token).get(timeout=30)
    assert result["token"] == token
    assert result["pid"] != os.getpid()


def test_rate_limits_share_the_redis_cache_across_processes(settings):
    """With CACHE_URL set, a counter bumped by one process is seen by another."""
    import subprocess
    import sys

    url = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/2"
    env = {**os.environ, "CACHE_URL": url, "DJANGO_SETTINGS_MODULE": "priam.settings"}
    script = (
        "import django; django.setup(); from assessments import ratelimit; "
        "print(ratelimit.allow('shared-test', limit=1, window_seconds=86400))"
    )
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert (first.stdout.strip(), second.stdout.strip()) == ("True", "False"), first.stderr + second.stderr
