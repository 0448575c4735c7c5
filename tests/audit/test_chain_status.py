"""The scheduled verification: stored by the service, the task and the command; shown on /audit/."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from assessments.models import AuditAction, AuditChainCheck, AuditEvent
from assessments.services.audit import audit_record
from assessments.services.audit_checks import audit_verify_chain
from assessments.tasks import audit_verify_chain_task
from tests.audit.test_anchor import rewrite_consistently

pytestmark = pytest.mark.django_db
SUMMER = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # 13:00 in London


@pytest.fixture
def record(assessed_project, issue_record):
    return issue_record(assessed_project)


def _status_section(client):
    html = client.get(reverse("audit_events")).content.decode()
    return re.search(r"<section[^>]*data-chain-status>(.*?)</section>", html, re.S).group(1)


def test_the_service_stores_an_intact_check(record):
    check = audit_verify_chain()
    assert check.intact and check.first_bad_sequence is None and check.message == ""
    assert check.events_checked == AuditEvent.objects.count()
    assert check.records_checked == 1
    assert check.head_sequence == AuditEvent.objects.order_by("-sequence").first().sequence


def test_storing_a_check_writes_no_audit_event(record):
    before = AuditEvent.objects.count()
    audit_verify_chain()
    assert AuditEvent.objects.count() == before


def test_the_service_stores_a_rewrite_against_the_record(record):
    rewrite_consistently(2, actor="mallory")
    check = audit_verify_chain()
    assert not check.intact
    assert check.bad_record == record.number
    assert check.first_bad_sequence == record.audit_head_sequence
    assert f"{record.number} was issued with the chain head at event {record.audit_head_sequence}" in check.message


def test_the_task_runs_the_service(record):
    result = audit_verify_chain_task.delay().get()
    check = AuditChainCheck.objects.get()
    assert result == {"check": check.pk, "intact": True}


def test_celery_beat_schedules_the_task_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["verify-audit-chain"]
    assert entry["task"] == "assessments.tasks.audit_verify_chain_task"
    assert entry["schedule"] == timedelta(hours=1)
    from priam.celery import app

    assert entry["task"] in app.tasks


def test_the_command_stores_the_check_only_when_asked(record):
    call_command("verify_audit", stdout=StringIO())
    assert not AuditChainCheck.objects.exists()
    call_command("verify_audit", "--record", stdout=StringIO())
    assert AuditChainCheck.objects.get().intact


def test_the_command_stores_a_broken_check_and_fails(record):
    rewrite_consistently(2, actor="mallory")
    err = StringIO()
    with pytest.raises(SystemExit) as exit:
        call_command("verify_audit", "--record", stdout=StringIO(), stderr=err)
    assert exit.value.code == 1
    check = AuditChainCheck.objects.get()
    assert not check.intact and check.bad_record == record.number


def test_auditors_see_never_verified(login, auditor):
    section = _status_section(login(auditor))
    assert 'role="alert"' in section
    assert "Never verified" in section


def test_auditors_see_when_the_intact_chain_was_verified(login, auditor, record):
    with mock.patch("assessments.services.audit_checks.timezone.now", return_value=SUMMER):
        audit_verify_chain()
    with mock.patch("assessments.selectors.audit.timezone.now", return_value=SUMMER + timedelta(minutes=5)):
        section = _status_section(login(auditor))
    assert "Intact" in section
    assert "1 Jul 2026, 13:00" in section
    assert "decision record" in section
    assert 'role="alert"' not in section


def test_auditors_are_warned_prominently_when_the_chain_is_broken(login, auditor, record):
    rewrite_consistently(2, actor="mallory")
    audit_verify_chain()
    section = _status_section(login(auditor))
    alert = re.search(r'<div class="alert alert-danger" role="alert">(.*?)</div>', section, re.S).group(1)
    assert f"broken at or before event {record.audit_head_sequence}" in alert
    assert record.number in alert


def test_an_old_check_is_overdue(login, auditor, record):
    with mock.patch("assessments.services.audit_checks.timezone.now", return_value=SUMMER):
        audit_verify_chain()
    with mock.patch("assessments.selectors.audit.timezone.now", return_value=SUMMER + timedelta(hours=3)):
        section = _status_section(login(auditor))
    assert "seems to have stopped" in section


def test_a_later_clean_check_does_not_hide_an_earlier_break(login, auditor, db, demo):
    audit_record(action=AuditAction.DEMO_LOADED)
    AuditChainCheck.objects.create(
        checked_at=SUMMER,
        intact=False,
        first_bad_sequence=3,
        message="event 3 was altered (its hash does not match its content).",
    )
    audit_verify_chain()
    section = _status_section(login(auditor))
    assert "Intact" in section
    assert "An earlier verification, 1 Jul 2026, 13:00, found the chain broken at event 3" in section


def test_others_do_not_see_the_status(login, custodian):
    assert login(custodian).get(reverse("audit_events")).status_code == 404
