"""One approval's life in a real browser: its conditions become obligations, the coordinator
uploads the evidence, the custodian signs it off and access may start; a reminder e-mail goes out
before the dated obligation is due; the approval expires and the coordinator renews it.

The scheduled work runs through the same command cron runs (`run_scheduled --today …`); e-mail
is Django's test outbox, filled by the real notification task after each commit.
"""

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

ETHICS = "Send the favourable ethics opinion before access starts."
REPORT = "Report progress to the custodians after six months."
EVIDENCE = Path("fixtures/demo-evidence/ethics-opinion.pdf")


def _approved(example_project):
    from assessments.models import Panel, User
    from assessments.services.panels import conflict_declare, review_decide, review_send, vote_cast

    project = example_project("E1")
    review = review_send(
        project=project, panel=Panel.objects.get(name="National Data Access Panel"), actor=project.coordinator
    )
    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflict_declare(review=review, member=member, conflicted=False)
        vote_cast(review=review, member=member, choice="approve_with_conditions", rationale="Fine.")
    record = review_decide(
        review=review,
        chair=User.objects.get(username="chair"),
        outcome="approve_with_conditions",
        conditions=[{"text": ETHICS, "rule": "", "blocking": True}, {"text": REPORT, "rule": "", "blocking": False}],
        rationale="Agreed.",
    )
    return project, record


def test_an_approval_from_its_conditions_to_access_reminder_expiry_and_renewal(
    live_server, open_page, sign_in, example_project, signing_ca
):
    from assessments.models import Approval, Obligation, User

    # Playwright runs an event loop in this thread, and signing the record's PDF (on commit) runs
    # its own: decide in another thread, as the server would.
    done = {}

    def decide():
        try:
            done["result"] = _approved(example_project)
        finally:
            connection.close()  # the thread's own connection, or PostgreSQL keeps the test database busy

    worker = threading.Thread(target=decide)
    worker.start()
    worker.join()
    project, record = done["result"]
    url = live_server.url
    obligations = url + reverse("project_obligations", args=[project.pk])

    # The coordinator sees that access waits for one condition, and attaches the evidence.
    page = sign_in(open_page(), "coordinator")
    page.goto(url + reverse("project_detail", args=[project.pk]))
    assert "Access may not start yet" in page.locator('[data-standing="decided"]').inner_text()
    page.get_by_role("link", name="Conditions and obligations").first.click()
    page.wait_for_url(obligations)
    first = page.locator('[data-obligation="1"]')
    assert ETHICS in first.inner_text() and "Before access starts" in first.inner_text()
    first.get_by_text("Attach evidence").click()
    first.get_by_label("Add a document").set_input_files(str(EVIDENCE))
    first.get_by_label("Description (optional)").fill("REC favourable opinion")
    first.get_by_role("button", name="Upload").click()
    page.wait_for_url(obligations + "*")
    first = page.locator('[data-obligation="1"]')
    assert first.get_attribute("data-status") == "evidence_submitted"
    assert "ethics-opinion.pdf" in first.inner_text()

    # A custodian of the project checks it and signs it off; access may start.
    custodian = (
        User.objects.filter(memberships__organisation__name="Genomics England")
        .exclude(pk=project.coordinator_id)
        .first()
    )
    page = sign_in(open_page(), custodian.username)
    page.goto(obligations)
    first = page.locator('[data-obligation="1"]')
    first.get_by_text("Sign off, waive").click()
    first.get_by_label("Note or reason").fill("Opinion matches the protocol.")
    first.get_by_role("button", name="Signed off as met").click()
    page.wait_for_url(obligations + "*")
    assert page.locator('[data-obligation="1"]').get_attribute("data-status") == "met"
    assert "Access may start." in page.locator('[data-access="may-start"]').inner_text()

    # Before the dated obligation is due, the coordinator is e-mailed a reminder, once.
    report = Obligation.objects.get(project=project, blocking=False)
    mail.outbox.clear()
    reminder_day = report.due_on - timedelta(days=14)
    call_command("run_scheduled", "--today", reminder_day.isoformat())
    call_command("run_scheduled", "--today", reminder_day.isoformat())
    reminders = [m for m in mail.outbox if m.to == [project.coordinator.email] and "Obligation due" in m.subject]
    assert len(reminders) == 1
    assert REPORT in reminders[0].body and reverse("project_obligations", args=[project.pk]) in reminders[0].body

    # At expiry the project says access should stop; the coordinator renews it.
    approval = Approval.objects.get(record=record)
    call_command("run_scheduled", "--today", (approval.expires_on + timedelta(days=1)).isoformat())
    assert any("Approval expired" in m.subject for m in mail.outbox if m.to == [project.coordinator.email])
    page = sign_in(open_page(), "coordinator")
    page.goto(url + reverse("project_detail", args=[project.pk]))
    banner = page.locator('[data-standing="expired"]')
    assert "access should stop" in banner.inner_text()
    banner.get_by_role("link", name="Renew the approval").click()
    page.wait_for_url(url + reverse("project_renew", args=[project.pk]))
    new_end = approval.expires_on + timedelta(days=365)
    page.get_by_label("New planned end").fill(new_end.isoformat())
    page.get_by_label("Why the project needs longer").fill("A second year of follow-up data.")
    page.get_by_role("button", name="Start the renewal").click()
    page.wait_for_url(url + reverse("project_detail", args=[project.pk]))
    assert "Renewal opened as revision 2" in page.get_by_role("status").first.inner_text()
    project.refresh_from_db()
    assert (project.status, project.revision, project.end_date) == ("assessing", 2, new_end)
