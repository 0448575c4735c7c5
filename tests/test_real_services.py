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


@pytest.mark.django_db(transaction=True)
def test_a_notification_is_e_mailed_by_the_worker_once_its_transaction_commits(settings):
    """notify() queues the e-mail on commit; the worker process sends it (in `make test`, to its
    mail folder: no EMAIL_HOST is set, so the embedded file backend)."""
    import time
    from pathlib import Path

    from django.db import transaction

    from assessments.models import Notification, User
    from assessments.services.notifications import notify

    user = User.objects.create_user("mail-reader", email="mail-reader@example.org")
    subject = f"Worker mail {uuid.uuid4().hex}"
    folder = Path(settings.EMAIL_FILE_PATH)
    with transaction.atomic():
        made = notify(recipients=[user], kind="decision", subject=subject, body="Decided.", url="/", mandatory=True)
    deadline = time.monotonic() + 30
    found = []
    while time.monotonic() < deadline and not found:
        found = [p for p in folder.glob("*") if subject in p.read_text(errors="replace")] if folder.exists() else []
        time.sleep(0.2)
    assert found, f"no e-mail with {subject!r} in {folder}"
    assert "mail-reader@example.org" in found[0].read_text()
    for _ in range(50):  # the worker marks it sent just after sending
        if Notification.objects.get(pk=made[0].pk).email == "sent":
            break
        time.sleep(0.1)
    assert Notification.objects.get(pk=made[0].pk).email == "sent"
