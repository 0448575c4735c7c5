"""Scheduled work: overdue obligations, reminders, expiry, renewal; running it twice changes nothing more."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from assessments.models import Approval, AuditChainCheck, AuditEvent, Notification, Obligation, Project
from assessments.services.scheduled import after_approval_run

pytestmark = pytest.mark.django_db


def _counts():
    return (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        AuditChainCheck.objects.count(),
        list(Obligation.objects.values_list("status", "reminded_on").order_by("pk")),
        list(Approval.objects.values_list("status", "reminders_sent").order_by("pk")),
        list(Project.objects.values_list("status", flat=True).order_by("pk")),
    )


def test_a_dated_obligation_is_reminded_once_then_marked_overdue_once(approved):
    project, _ = approved
    report = Obligation.objects.get(project=project, blocking=False)
    reminder_day = report.due_on - timedelta(days=settings.PRIAM_OBLIGATION_REMINDER_DAYS)
    assert after_approval_run(today=reminder_day - timedelta(days=1)).obligation_reminders == 0
    assert after_approval_run(today=reminder_day).obligation_reminders == 1
    assert after_approval_run(today=reminder_day + timedelta(days=1)).obligation_reminders == 0
    reminded = Notification.objects.get(recipient=project.coordinator, kind="obligation_due")
    assert f"due on {report.due_on:%-d %B %Y}" in reminded.body
    assert AuditEvent.objects.filter(action="obligation.reminded", object_id=str(report.pk)).count() == 1

    late = report.due_on + timedelta(days=1)
    first = after_approval_run(today=late)
    assert first.overdue == 1
    report.refresh_from_db()
    assert report.status == "overdue"
    event = AuditEvent.objects.get(action="obligation.overdue")
    assert event.actor == "system" and event.data["due_on"] == report.due_on.isoformat()
    assert Notification.objects.filter(kind="obligation_overdue", recipient=project.coordinator).count() == 1
    assert after_approval_run(today=late).overdue == 0
    # The blocking obligation has no date: it is never overdue, it holds access back instead.
    assert Obligation.objects.get(project=project, blocking=True).status == "open"


def test_expiry_reminders_go_60_and_14_days_before_once_each(approved):
    project, record = approved
    approval = Approval.objects.get(record=record)
    end = approval.expires_on
    assert after_approval_run(today=end - timedelta(days=61)).approval_reminders == 0
    assert after_approval_run(today=end - timedelta(days=60)).approval_reminders == 1
    assert after_approval_run(today=end - timedelta(days=59)).approval_reminders == 0
    assert after_approval_run(today=end - timedelta(days=14)).approval_reminders == 1
    assert after_approval_run(today=end - timedelta(days=3)).approval_reminders == 0
    approval.refresh_from_db()
    assert approval.reminders_sent == [60, 14]
    subjects = list(
        Notification.objects.filter(recipient=project.coordinator, kind="approval_expiring")
        .order_by("pk")
        .values_list("subject", flat=True)
    )
    assert subjects == [
        f"Approval expires in 60 days: {project.title}",
        f"Approval expires in 14 days: {project.title}",
    ]
    assert all(
        n.mandatory for n in Notification.objects.filter(kind="approval_expiring")
    )  # e-mailed even to digest readers
    assert AuditEvent.objects.filter(action="approval.reminded").count() == 2


def test_an_approval_found_late_gets_one_reminder_not_two(approved):
    _, record = approved
    end = Approval.objects.get(record=record).expires_on
    assert after_approval_run(today=end - timedelta(days=10)).approval_reminders == 1
    assert Approval.objects.get(record=record).reminders_sent == [60, 14]


def test_at_expiry_the_project_expires_access_stops_and_everyone_is_told(approved, client):
    project, record = approved
    end = Approval.objects.get(record=record).expires_on
    assert after_approval_run(today=end).expired == 0  # the last day is still covered
    assert after_approval_run(today=end + timedelta(days=1)).expired == 1
    project.refresh_from_db()
    assert project.status == "expired"
    assert Approval.objects.get(record=record).status == "expired"
    event = AuditEvent.objects.get(action="approval.expired")
    assert event.actor == "system" and event.data["record"] == record.number
    custodians = set(Notification.objects.filter(kind="approval_expired").values_list("recipient__username", flat=True))
    assert project.coordinator.username in custodians and len(custodians) >= 2
    client.force_login(project.coordinator)
    page = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert 'data-standing="expired"' in page and "access should stop" in page
    assert reverse("project_renew", args=[project.pk]) in page


def test_renewal_opens_a_new_revision_from_the_approved_answers_with_the_new_end(approved, client, custodian):
    project, record = approved
    end = Approval.objects.get(record=record).expires_on
    after_approval_run(today=end + timedelta(days=1))
    project.refresh_from_db()
    answers, revision = dict(project.answers), project.revision
    url = reverse("project_renew", args=[project.pk])
    client.force_login(custodian)
    assert client.get(url).status_code in (302, 404)  # only the coordinator renews
    client.force_login(project.coordinator)
    # Bad input: an end that is not later is refused, naming the field, keeping the reason.
    response = client.post(url, {"end_date": project.end_date.isoformat(), "reason": "Another cohort year."})
    assert response.status_code == 400
    page = response.content.decode()
    assert "A renewal runs longer" in page and "Another cohort year." in page
    new_end = project.end_date + timedelta(days=365)
    response = client.post(url, {"end_date": new_end.isoformat(), "reason": "Another cohort year."})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.revision, project.end_date) == ("assessing", revision + 1, new_end)
    assert project.answers == answers  # prefilled from the approved revision
    assert project.amendment_reason == "Renewal: Another cohort year."
    event = AuditEvent.objects.get(action="project.renewal_requested")
    assert event.data["end_date"] == new_end.isoformat() and event.data["record_in_force"] == record.number
    assert set(project.assessments.values_list("status", flat=True)) == {"draft"}


def test_the_scheduled_command_is_idempotent(approved):
    project, record = approved
    late = Approval.objects.get(record=record).expires_on + timedelta(days=1)
    out = StringIO()
    call_command("run_scheduled", "--today", late.isoformat(), stdout=out)
    assert "1 approval(s) expired" in out.getvalue() and "Audit chain intact" in out.getvalue()
    after_first = _counts()
    assert after_first[2] == 1  # the chain check stored once
    out = StringIO()
    call_command("run_scheduled", "--today", late.isoformat(), stdout=out)
    assert "0 obligation(s) became overdue, 0 obligation reminder(s), 0 expiry reminder(s), 0 approval(s) expired" in (
        out.getvalue()
    )
    assert _counts() == after_first


def test_the_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_scheduled", "--today", "30/11/2026")


def test_celery_beat_runs_the_same_work_as_a_registered_task():
    from priam.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["after-approval"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


def test_the_command_sends_the_digest_once_a_day_however_often_it_runs(demo, custodian):
    from datetime import datetime, time

    from django.utils import timezone

    from assessments.services.notifications import notify

    custodian.email_notifications = "digest"
    custodian.save()
    day = timezone.localdate() - timedelta(days=3)
    before = timezone.make_aware(datetime.combine(day, time(settings.PRIAM_DIGEST_HOUR - 1)))
    made = notify(recipients=[custodian], kind="comment", subject="A new comment", body="Hello.", url="/")
    Notification.objects.filter(pk=made[0].pk).update(created_at=before)
    mail.outbox.clear()
    out = StringIO()
    call_command("run_scheduled", "--today", day.isoformat(), stdout=out)
    assert "1 daily digest e-mail(s) sent." in out.getvalue()
    assert [m.to for m in mail.outbox] == [[custodian.email]]
    # Arriving after the digest hour, it waits for the next day's digest.
    later = notify(recipients=[custodian], kind="comment", subject="Another", body="Hi.", url="/")
    Notification.objects.filter(pk=later[0].pk).update(created_at=before + timedelta(hours=3))
    call_command("run_scheduled", "--today", day.isoformat(), stdout=StringIO())
    assert len(mail.outbox) == 1
    call_command("run_scheduled", "--today", (day + timedelta(days=1)).isoformat(), stdout=StringIO())
    assert len(mail.outbox) == 2 and "Another" in mail.outbox[1].body
