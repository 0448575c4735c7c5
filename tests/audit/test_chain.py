"""The hash chain: appends link up, and verify_audit catches every kind of tampering."""

import subprocess
import sys
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from assessments.models import AuditAction, AuditEvent
from assessments.services.audit import GENESIS_HASH, audit_head, audit_record, audit_verify

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table


@pytest.fixture
def chain(db):
    return [
        audit_record(action=AuditAction.DEMO_LOADED, object_type="demo", data={"n": i, "note": "café"})
        for i in range(1, 7)
    ]


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def raw_tamper():
    """Run raw SQL as an intruder with database access would: on PostgreSQL the
    append-only trigger must refuse first, then the intruder disables it."""

    def tamper(statement, params=()):
        if connection.vendor == "postgresql":
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                _sql(statement, params)
            _sql(f"ALTER TABLE {TABLE} DISABLE TRIGGER priam_audit_append_only")
            try:
                _sql(statement, params)
            finally:
                _sql(f"ALTER TABLE {TABLE} ENABLE TRIGGER priam_audit_append_only")
        else:
            _sql(statement, params)

    return tamper


def _verify_cli():
    try:
        call_command("verify_audit")
    except SystemExit as exit:
        return exit.code
    return 0


def test_events_link_into_a_chain(chain):
    assert chain[0].sequence == 1 and chain[0].prev_hash == GENESIS_HASH
    for before, after in pairwise(chain):
        assert after.sequence == before.sequence + 1
        assert after.prev_hash == before.hash
    assert audit_head() == (6, chain[-1].hash)


def test_verify_audit_reports_an_intact_chain(chain, capsys):
    assert _verify_cli() == 0
    out = capsys.readouterr().out
    assert "6 events" in out and f"#6 {chain[-1].hash}" in out


def test_an_empty_chain_is_intact(db):
    report = audit_verify()
    assert report.ok and report.count == 0


@pytest.mark.parametrize(
    "statement, bad",
    [
        (f"UPDATE {TABLE} SET actor = 'mallory' WHERE sequence = 3", 3),
        (f"UPDATE {TABLE} SET data_json = '{{\"n\":99}}' WHERE sequence = 2", 2),
    ],
)
def test_verify_names_the_altered_event(chain, raw_tamper, capsys, statement, bad):
    raw_tamper(statement)
    report = audit_verify()
    assert not report.ok and report.bad_sequence == bad
    assert _verify_cli() == 1
    assert f"BROKEN at event {bad}" in capsys.readouterr().err


def test_verify_catches_a_deleted_event(chain, raw_tamper):
    raw_tamper(f"DELETE FROM {TABLE} WHERE sequence = 4")
    report = audit_verify()
    assert (report.ok, report.bad_sequence) == (False, 4)


def test_verify_catches_the_last_event_deleted(chain, raw_tamper):
    raw_tamper(f"DELETE FROM {TABLE} WHERE sequence = 6")
    report = audit_verify()
    assert (report.ok, report.bad_sequence) == (False, 6)


def test_verify_catches_an_inserted_event(chain, raw_tamper):
    # An intruder renumbers the tail to make room and slips an event in at 3.
    raw_tamper(f"UPDATE {TABLE} SET sequence = sequence + 100 WHERE sequence >= 3")
    raw_tamper(f"UPDATE {TABLE} SET sequence = sequence - 99 WHERE sequence >= 103")
    first = AuditEvent.objects.get(sequence=2)
    _sql(
        f"INSERT INTO {TABLE} (sequence, timestamp, actor, action, object_type, object_id, user_agent, "
        "data_json, prev_hash, hash) VALUES (3, %s, 'mallory', 'demo.loaded', '', '', '', '{}', %s, %s)",
        [first.timestamp, first.hash, "f" * 64],
    )
    report = audit_verify()
    assert (report.ok, report.bad_sequence) == (False, 3)


def test_verify_catches_an_appended_forgery(chain):
    last = chain[-1]
    _sql(
        f"INSERT INTO {TABLE} (sequence, timestamp, actor, action, object_type, object_id, user_agent, "
        "data_json, prev_hash, hash) VALUES (7, %s, 'mallory', 'demo.loaded', '', '', '', '{}', %s, %s)",
        [last.timestamp, last.hash, "e" * 64],
    )
    report = audit_verify()
    assert (report.ok, report.bad_sequence) == (False, 7)


def test_verify_catches_reordered_events(chain, raw_tamper):
    raw_tamper(f"UPDATE {TABLE} SET sequence = 1000 WHERE sequence = 2")
    raw_tamper(f"UPDATE {TABLE} SET sequence = 2 WHERE sequence = 5")
    raw_tamper(f"UPDATE {TABLE} SET sequence = 5 WHERE sequence = 1000")
    report = audit_verify()
    assert (report.ok, report.bad_sequence) == (False, 2)


def test_the_model_refuses_updates_and_deletes(chain):
    event = chain[0]
    event.actor = "mallory"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(sequence=1).update(actor="mallory")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert audit_verify().ok


def test_secrets_are_masked_in_event_data(db):
    event = audit_record(
        action=AuditAction.DEMO_LOADED,
        data={"password": "hunter2", "nested": {"api_token": "abc", "ok": 1}, "passphrase": ""},
    )
    assert event.data == {"password": "********", "nested": {"api_token": "********", "ok": 1}, "passphrase": ""}


def test_an_unknown_action_is_refused(db):
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record(action="project.teleported")
    assert not AuditEvent.objects.exists()


def test_a_rolled_back_change_leaves_no_event(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action=AuditAction.DEMO_LOADED)
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()
    assert audit_verify().ok


APPENDER = """
import sys, django
django.setup()
from assessments.models import AuditAction
from assessments.services.audit import audit_record
for i in range(int(sys.argv[1])):
    audit_record(action=AuditAction.DEMO_LOADED, data={"writer": sys.argv[2], "i": i})
"""


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_processes_appending_at_once_leave_an_intact_chain(tmp_path):
    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
    env = {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "priam.settings", "PATH": "/usr/bin:/bin"}
    writers = [
        subprocess.Popen([sys.executable, "-c", APPENDER, "150", name], env=env, cwd=str(_root()))
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    report = audit_verify()
    assert report.ok, report.problem
    assert report.count == 300
    writers_seen = {e.data["writer"] for e in AuditEvent.objects.all()}
    assert writers_seen == {"a", "b"}


def _root():
    from django.conf import settings

    return settings.BASE_DIR
