"""A worker killed while rendering: the task is redelivered and exactly one signed PDF exists."""

import os
import signal
import subprocess

import pytest

from assessments.models import AuditEvent, RecordPdf, RecordPdfJob
from tests.helpers import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_killing_the_worker_mid_render_still_gives_exactly_one_signed_pdf(example_project, signing_ca, tmp_path):
    # A long record (every text at its length limit, many conditions) takes long enough to render
    # to be interrupted.
    from assessments import limits
    from assessments.models import Panel, User
    from assessments.services.panels import conflict_declare, review_decide, review_send, vote_cast

    paragraph = "The custodians’ data stay where they are; ŵ ŷ. "
    project = example_project("E1", details={"summary": (paragraph * 200)[: limits.LONG_TEXT]})
    conditions = [
        {"text": f"Condition {i}: " + (paragraph * 30)[: limits.CONDITION - 20], "rule": None, "blocking": i % 2 == 0}
        for i in range(150)
    ]
    panel = Panel.objects.get(name="National Data Access Panel")
    review = review_send(project=project, panel=panel, actor=project.coordinator)
    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflict_declare(review=review, member=member, conflicted=False)
        vote_cast(review=review, member=member, choice="approve", rationale="Fine.")
    record = review_decide(
        review=review,
        chair=User.objects.get(username="chair"),
        outcome="approve_with_conditions",
        conditions=conditions,
        rationale="Agreed.",
    )  # commits, so the task goes to the real worker

    job = wait_for(
        lambda: RecordPdfJob.objects.filter(record=record, status="rendering", worker_pid__isnull=False).first(),
        60,
        "the worker to start rendering",
    )
    assert job.worker_pid != os.getpid()
    os.kill(job.worker_pid, signal.SIGKILL)

    done = wait_for(
        lambda: RecordPdfJob.objects.filter(record=record, status="done").first(), 180, "the redelivered task"
    )
    assert done.attempts >= 2, "the kill did not interrupt a render"
    assert RecordPdf.objects.filter(record=record).count() == 1
    assert AuditEvent.objects.filter(action="record.pdf_signed", object_id=str(record.pk)).count() == 1
    path = tmp_path / "record.pdf"
    path.write_bytes(bytes(RecordPdf.objects.get(record=record).data))
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in out and "Total document signed" in out
