"""A consistent rewrite of the chain is caught by the chain heads signed into decision records."""

import pytest
from django.core.management import call_command
from django.db import connection

from assessments.models import AuditAction, AuditEvent, DecisionRecord
from assessments.services.audit import GENESIS_HASH, audit_record, audit_verify, event_hash

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table
FIELDS = (
    "timestamp",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "organisation_id",
    "project_id",
    "ip_address",
    "user_agent",
    "data_json",
)


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _bypassing_triggers(work):
    """As an intruder with database access would: on PostgreSQL, switch off the append-only trigger."""
    if connection.vendor == "postgresql":
        _sql(f"ALTER TABLE {TABLE} DISABLE TRIGGER priam_audit_append_only")
    try:
        work()
    finally:
        if connection.vendor == "postgresql":
            _sql(f"ALTER TABLE {TABLE} ENABLE TRIGGER priam_audit_append_only")


def rewrite_consistently(sequence, **changes):
    """Change one event, then recompute its hash, every later hash and the chain head."""

    def work():
        prev = GENESIS_HASH if sequence == 1 else AuditEvent.objects.get(sequence=sequence - 1).hash
        for event in AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"):
            fields = {name: getattr(event, name) for name in FIELDS}
            if event.sequence == sequence:
                fields.update(changes)
            digest = event_hash(sequence=event.sequence, prev_hash=prev, **fields)
            assignments = ", ".join(f"{name} = %s" for name in fields)
            _sql(
                f"UPDATE {TABLE} SET {assignments}, prev_hash = %s, hash = %s WHERE sequence = %s",
                [*fields.values(), prev, digest, event.sequence],
            )
            prev = digest
        _sql("UPDATE assessments_auditchainhead SET hash = %s WHERE id = 1", [prev])

    _bypassing_triggers(work)


def _verify_cli(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()


@pytest.fixture
def record(assessed_project, issue_record):
    record = issue_record(assessed_project)
    for i in range(3):  # later activity, after the record's chain head
        audit_record(action=AuditAction.DEMO_LOADED, data={"after": i})
    return record


def test_an_intact_chain_agrees_with_every_record(record):
    report = audit_verify()
    assert report.ok, report.problem
    assert report.records_checked == 1
    code, out, _ = _verify_cli()
    assert code == 0
    assert "1 decision record's chain head agrees" in out


def test_a_consistent_rewrite_passes_the_hashes_but_contradicts_the_record(record):
    anchored = record.audit_head_sequence
    target = AuditEvent.objects.filter(sequence__lt=anchored).order_by("sequence").first()
    rewrite_consistently(target.sequence, actor="mallory")

    report = audit_verify()
    assert not report.ok
    assert report.bad_record == record.number
    assert report.bad_sequence == anchored
    new_hash = AuditEvent.objects.get(sequence=anchored).hash
    assert report.problem == (
        f"{record.number} was issued with the chain head at event {anchored} = "
        f"{record.audit_head_hash[:16]}…, but event {anchored} now hashes to {new_hash[:16]}…"
    )
    code, _, err = _verify_cli()
    assert code == 1
    assert f"{record.number} was issued with the chain head at event {anchored}" in err
    assert f"BROKEN at or before event {anchored}" in err


def test_a_rewrite_after_the_last_anchor_is_not_blamed_on_a_record(record):
    last = AuditEvent.objects.order_by("-sequence").first().sequence
    rewrite_consistently(last, actor="mallory")
    # The hashes agree and the record's chain head is untouched: nothing can tell.
    assert audit_verify().ok


def test_the_first_contradicted_record_is_named(record, assessed_project, issue_record, example_project):
    second = issue_record(example_project("E4"))
    assert second.audit_head_sequence > record.audit_head_sequence
    between = record.audit_head_sequence + 1
    rewrite_consistently(between, actor="mallory")
    report = audit_verify()
    assert (report.ok, report.bad_record, report.bad_sequence) == (False, second.number, second.audit_head_sequence)
    # The earlier record still agrees, so the change lies after its chain head.
    assert f"after event {record.audit_head_sequence}, which {record.number} confirms" in report.detail


def test_a_missing_anchored_event_is_named(record):
    anchored = record.audit_head_sequence
    _bypassing_triggers(lambda: _sql(f"DELETE FROM {TABLE} WHERE sequence >= %s", [anchored]))
    previous = AuditEvent.objects.order_by("-sequence").first()
    _sql(
        "UPDATE assessments_auditchainhead SET sequence = %s, hash = %s WHERE id = 1",
        [previous.sequence, previous.hash],
    )
    report = audit_verify()
    assert not report.ok and report.bad_record == record.number
    assert f"but event {anchored} is missing" in report.problem
    assert DecisionRecord.objects.count() == 1
