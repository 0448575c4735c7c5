"""The transactional outbox, without the real services: eager as `make run` runs, and with a
broker (Celery's in-process memory transport, what CELERY_BROKER_URL falls back to here)."""

import pytest
from celery import current_app
from django.core import mail
from django.db import transaction

from assessments.models import Notification, OutboxMessage
from assessments.services.notification_email import notification_email_task
from assessments.services.notifications import notify
from assessments.services.outbox import outbox_enqueue, outbox_relay

pytestmark = [pytest.mark.django_db]


class Rollback(Exception):
    pass


@pytest.fixture
def broker():
    """Tasks published to a broker instead of run eagerly; yields what reached its queue."""
    conf = current_app.conf
    # Tests using it are marked `embedded`: make test's run on the real services deselects them.
    assert conf.broker_url.startswith("memory://"), "needs the in-process memory broker (the tests on SQLite)"
    eager = conf.task_always_eager
    conf.task_always_eager = False
    with current_app.connection_for_write() as connection:
        queue = connection.SimpleQueue(conf.task_default_queue)
        queue.clear()

        def received():
            names = []
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    return names
                names.append((message.headers["task"], message.decode()[0]))
                message.ack()

        try:
            yield received
        finally:
            conf.task_always_eager = eager
            queue.clear()
            queue.close()


def _notify(user, subject="Hello"):
    return notify(recipients=[user], kind="decision", subject=subject, body="Body.", url="/", mandatory=True)


def test_eager_the_task_runs_at_commit_and_nothing_is_stored(custodian, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _notify(custodian)
        assert mail.outbox == []  # not before the commit
    assert [m.to for m in mail.outbox] == [[custodian.email]]
    assert not OutboxMessage.objects.exists()


def test_eager_a_rolled_back_change_runs_nothing(custodian, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Rollback), transaction.atomic():
        _notify(custodian)
        raise Rollback
    assert mail.outbox == [] and not Notification.objects.exists()


@pytest.mark.embedded
def test_with_a_broker_the_message_is_stored_with_the_change_and_sent_at_commit(
    custodian, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        made = _notify(custodian)
        message = OutboxMessage.objects.get()
        assert message.sent_at is None  # stored, not yet published
        assert broker() == []
    message.refresh_from_db()
    assert message.task == notification_email_task.name
    assert message.args == [[made[0].pk]] and message.sent_at is not None and message.attempts == 1
    assert broker() == [(notification_email_task.name, [[made[0].pk]])]


@pytest.mark.embedded
def test_with_a_broker_a_rolled_back_change_stores_and_sends_nothing(
    custodian, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Rollback), transaction.atomic():
        outbox_enqueue(task=notification_email_task, args=[[1]])
        raise Rollback
    assert not OutboxMessage.objects.exists()
    assert broker() == []


@pytest.mark.embedded
def test_the_relay_sends_pending_messages_oldest_first_and_only_once(broker):
    sent_before = OutboxMessage.objects.create(task="assessments.tasks.ping", args=["sent"])
    OutboxMessage.objects.filter(pk=sent_before.pk).update(sent_at=sent_before.created_at)
    first = OutboxMessage.objects.create(task="assessments.tasks.ping", args=["first"], attempts=3, last_error="x")
    OutboxMessage.objects.create(task="assessments.tasks.ping", args=["second"])

    report = outbox_relay()

    assert (report.sent, report.pending) == (2, 0)
    assert broker() == [("assessments.tasks.ping", ["first"]), ("assessments.tasks.ping", ["second"])]
    first.refresh_from_db()
    assert first.sent_at and first.attempts == 4 and first.last_error == ""
    assert outbox_relay().sent == 0 and broker() == []
    assert str(outbox_relay()) == "0 queued task(s) sent to the workers, 0 still waiting for the broker"


@pytest.mark.embedded
def test_the_relay_takes_a_bounded_batch(broker):
    for i in range(3):
        OutboxMessage.objects.create(task="assessments.tasks.ping", args=[i])
    report = outbox_relay(batch=2)
    assert (report.sent, report.pending) == (2, 1)
    assert [args for _, args in broker()] == [[0], [1]]


def test_an_instance_without_a_broker_runs_what_an_outage_left_pending(custodian):
    """Messages left from a time with a broker, relayed where tasks run eagerly, run here."""
    mail.outbox.clear()
    made = Notification.objects.create(
        recipient=custodian, kind="decision", subject="Left behind", body="Body.", url="/", mandatory=True
    )
    OutboxMessage.objects.create(task=notification_email_task.name, args=[[made.pk]])
    assert outbox_relay().sent == 1
    assert [m.to for m in mail.outbox] == [[custodian.email]] and "Left behind" in mail.outbox[0].subject
    made.refresh_from_db()
    assert made.email == "sent"


@pytest.mark.embedded
def test_run_scheduled_relays_what_waits(broker, demo):
    from io import StringIO

    from django.core.management import call_command

    OutboxMessage.objects.create(task="assessments.tasks.ping", args=["waiting"])
    out = StringIO()
    call_command("run_scheduled", stdout=out)
    assert "1 queued task(s) sent to the workers, 0 still waiting for the broker." in out.getvalue()
    assert broker() == [("assessments.tasks.ping", ["waiting"])]


def test_celery_beat_relays_every_minute():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["outbox-relay"]
    current_app.loader.import_default_modules()
    assert entry["task"] in current_app.tasks


@pytest.mark.embedded
def test_the_relay_forgets_sent_messages_after_a_week(broker):
    from datetime import timedelta

    from django.utils import timezone

    old = OutboxMessage.objects.create(task="assessments.tasks.ping", args=["old"], sent_at=timezone.now())
    OutboxMessage.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=8))
    recent = OutboxMessage.objects.create(task="assessments.tasks.ping", args=["recent"], sent_at=timezone.now())
    waiting = OutboxMessage.objects.create(task="assessments.tasks.ping", args=["waiting"])
    OutboxMessage.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(days=30))
    outbox_relay()
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
