import copy
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import Approval, DecisionRecord, User
from assessments.services.register import project_publish

CONDITIONS = [
    {"text": "Outputs are checked by two people before release.", "blocking": False},
    {"text": "Only aggregate tables leave the environment.", "blocking": False},
]


@pytest.fixture
def approved(assessed_project, issue_record):
    """E1 approved with two panel conditions: its record, not yet published."""
    return issue_record(assessed_project, outcome="approve_with_conditions", conditions=CONDITIONS, pdf=False)


@pytest.fixture
def published(approved):
    """The approved project on the register: the first condition worded for the public, the second not."""
    project_publish(
        project=approved.project,
        user=approved.project.coordinator,
        lay_summary="Researchers study how genes affect health, using data that never leaves two secure environments.",
        condition_wording={approved.number: {"1": "Every result is checked by two people before it is released."}},
    )
    return approved


def more_entries(record, count, *, status=Approval.Status.REPLACED, expires_in_days=300):
    """More approvals on the register, cheaply: copies of a published record's snapshot under new
    numbers, each with its approval (replaced, so the one in force stays the original's)."""
    made = []
    now = timezone.now()
    start = DecisionRecord.objects.count()
    for n in range(start, start + count):
        snapshot = copy.deepcopy(record.snapshot)
        number = f"PRIAM-2020-{n + 1:04d}"
        snapshot["record"]["number"] = number
        snapshot["project"]["title"] = f"Copy {n + 1} of {snapshot['project']['title']}"
        copied = DecisionRecord.objects.create(
            number=number,
            project=record.project,
            outcome=record.outcome,
            snapshot=snapshot,
            snapshot_sha256="0" * 64,
            audit_head_sequence=record.audit_head_sequence,
            audit_head_hash=record.audit_head_hash,
            issued_at=now - timedelta(days=n + 1),
        )
        made.append(
            Approval.objects.create(
                record=copied,
                project=record.project,
                valid_from=timezone.localdate(),
                expires_on=timezone.localdate() + timedelta(days=expires_in_days),
                status=status,
            )
        )
    return made


@pytest.fixture
def anonymous(client):
    return client


def user(username):
    return User.objects.get(username=username)
