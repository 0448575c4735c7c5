"""Conditions become obligations: who meets and who signs off each, "access may start", history."""

from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    Approval,
    AuditEvent,
    Evaluation,
    Evidence,
    Membership,
    Notification,
    Obligation,
    Project,
    User,
)
from assessments.selectors.obligations import access_may_start, obligations_for_user
from assessments.services.assessments import assessment_submit
from assessments.services.obligations import add_months, approval_expiry, obligation_evidence_submitted
from assessments.services.projects import project_request_amendment

pytestmark = pytest.mark.django_db


def _custodian_member(project):
    """A custodian's member who is not also the coordinator (who may not check what they meet)."""
    return (
        User.objects.filter(memberships__organisation__assessments__project=project)
        .exclude(pk=project.coordinator_id)
        .order_by("pk")
        .first()
    )


def _act(client, obligation, action, text=""):
    return client.post(reverse("obligation_act", args=[obligation.pk, action]), {"text": text})


def test_an_approval_turns_each_condition_into_an_obligation_and_is_audited(approved):
    project, record = approved
    approval = Approval.objects.get(project=project)
    assert approval.record == record and approval.status == "active"
    assert approval.valid_from == timezone.localdate()
    # E1 is tier 3: no framework limit, so it lasts until the project's planned end.
    assert approval.expires_on == project.end_date
    ethics, report = Obligation.objects.filter(approval=approval).order_by("number")
    assert (ethics.number, ethics.blocking, ethics.due_on, ethics.source) == (1, True, None, "panel")
    assert report.blocking is False
    assert report.due_on == min(timezone.localdate() + timedelta(days=90), approval.expires_on)
    assert ethics.owner_organisation is None and ethics.checker is None  # the coordinator meets; any custodian checks
    event = AuditEvent.objects.get(action="approval.granted")
    assert event.project_id == project.pk
    assert [o["text"] for o in event.data["obligations"]] == [ethics.text, report.text]
    assert event.data["record"] == record.number


def test_access_may_start_only_when_every_blocking_obligation_is_met(approved, client):
    project, _ = approved
    ethics = Obligation.objects.get(project=project, blocking=True)
    assert access_may_start(project) is False
    client.force_login(project.coordinator)
    page = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert 'data-access="waiting"' in page and "Access may not start yet" in page

    custodian = _custodian_member(project)
    client.force_login(custodian)
    response = _act(client, ethics, "sign-off", "Letter seen: REC 26/NW/0001.")
    assert response.status_code == 302
    ethics.refresh_from_db()
    assert (ethics.status, ethics.signed_off_by, ethics.note) == ("met", custodian, "Letter seen: REC 26/NW/0001.")
    assert access_may_start(project) is True
    event = AuditEvent.objects.get(action="obligation.met")
    assert (event.object_type, event.object_id, event.actor) == ("obligation", str(ethics.pk), custodian.username)
    # The non-blocking report does not hold access back.
    page = client.get(reverse("project_obligations", args=[project.pk])).content.decode()
    assert 'data-access="may-start"' in page and "Access may start." in page
    # The coordinator hears of it, and that access may start; the custodian who acted does not.
    told = Notification.objects.get(recipient=project.coordinator, kind="obligation_signed_off")
    assert told.subject == f"Obligation 1 met: {project.title}"
    assert told.body.splitlines() == [
        f"{custodian.display_name}, for {custodian.memberships.get().organisation}, signed off obligation 1 as met.",
        f"Obligation: {ethics.text}",
        "Note: Letter seen: REC 26/NW/0001.",
        "Every blocking obligation is now met: access may start.",
    ]
    assert not Notification.objects.filter(recipient=custodian, kind="obligation_signed_off").exists()


def test_only_a_custodian_of_the_project_signs_off_and_the_refusal_keeps_the_note(approved, client, chair):
    project, _ = approved
    ethics = Obligation.objects.get(project=project, blocking=True)
    for user in (project.coordinator, chair):
        client.force_login(user)
        response = _act(client, ethics, "sign-off", "I am sure it is fine.")
        assert response.status_code == 403
        assert "Only the custodian that owns this condition" in response.content.decode()
        assert "I am sure it is fine." in response.content.decode()
    ethics.refresh_from_db()
    assert ethics.status == "open"
    assert not AuditEvent.objects.filter(action="obligation.met").exists()


def test_an_outsider_gets_404_for_the_page_and_the_action(approved, client, outsider):
    project, _ = approved
    ethics = Obligation.objects.get(project=project, blocking=True)
    client.force_login(outsider)
    assert client.get(reverse("project_obligations", args=[project.pk])).status_code == 404
    assert _act(client, ethics, "sign-off").status_code == 404


def test_a_criteria_condition_is_signed_off_by_its_own_custodian_only(approved, client):
    project, _ = approved
    first, second = (a.organisation for a in project.assessments.select_related("organisation").order_by("pk"))
    own = Obligation.objects.get(project=project, blocking=True)
    own.checker = first
    own.save()

    def member(org):
        user = User.objects.create_user(f"{org.slug}-checker")
        Membership.objects.create(user=user, organisation=org)
        return user

    client.force_login(member(second))
    assert _act(client, own, "sign-off").status_code == 403
    client.force_login(member(first))
    assert _act(client, own, "sign-off").status_code == 302


def test_waiving_needs_a_reason_and_names_the_field(approved, client):
    project, _ = approved
    report = Obligation.objects.get(project=project, blocking=False)
    client.force_login(_custodian_member(project))
    response = _act(client, report, "waive", "   ")
    assert response.status_code == 400 and "Say why the obligation is waived" in response.content.decode()
    response = _act(client, report, "waive", "The custodians meet monthly with the team already.")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "waived" and report.note.startswith("The custodians meet")
    assert AuditEvent.objects.get(action="obligation.waived").data["reason"] == report.note
    # A settled obligation is not signed off again.
    assert _act(client, report, "sign-off").status_code == 409


def _evidence(project, obligation, user):
    return Evidence.objects.create(
        project=project,
        obligation=obligation,
        file=ContentFile(b"%PDF-1.4 letter", name="letter.pdf"),
        name="ethics-letter.pdf",
        content_type="application/pdf",
        size=15,
        sha256="0" * 64,
        uploaded_by=user,
    )


def test_evidence_waits_for_a_check_and_can_be_returned_with_what_is_missing(approved, client):
    project, _ = approved
    ethics = Obligation.objects.get(project=project, blocking=True)
    evidence = _evidence(project, ethics, project.coordinator)
    obligation_evidence_submitted(obligation=ethics, evidence=evidence, user=project.coordinator)
    ethics.refresh_from_db()
    assert ethics.status == "evidence_submitted"
    assert AuditEvent.objects.get(action="obligation.evidence_submitted").data["evidence"] == "ethics-letter.pdf"
    custodian = _custodian_member(project)
    assert Notification.objects.filter(recipient=custodian, kind="evidence_submitted").exists()

    client.force_login(custodian)
    response = _act(client, ethics, "return", "The letter is for another study.")
    assert response.status_code == 302
    ethics.refresh_from_db()
    assert ethics.status == "open" and ethics.note == "The letter is for another study."
    assert AuditEvent.objects.get(action="obligation.returned").actor == custodian.username
    told = Notification.objects.get(recipient=project.coordinator, kind="obligation_due")
    assert "another study" in told.body
    history = client.get(reverse("project_obligations", args=[project.pk])).content.decode()
    assert "Evidence submitted for an obligation" in history and "evidence returned as not enough" in history


def test_the_owning_custodian_moves_a_due_date_but_not_into_the_past(approved, client):
    project, _ = approved
    report = Obligation.objects.get(project=project, blocking=False)
    client.force_login(_custodian_member(project))
    yesterday = timezone.localdate() - timedelta(days=1)
    client.post(reverse("obligation_act", args=[report.pk, "due"]), {"due_on": yesterday.isoformat()})
    report.refresh_from_db()
    assert report.due_on != yesterday
    later = timezone.localdate() + timedelta(days=200)
    client.post(reverse("obligation_act", args=[report.pk, "due"]), {"due_on": later.isoformat()})
    report.refresh_from_db()
    assert report.due_on == later
    event = AuditEvent.objects.get(action="obligation.due_changed")
    assert event.data["due_on"] == later.isoformat()


def test_tier_4_approvals_end_after_the_guides_limit_even_if_the_project_runs_longer(approved):
    project, _ = approved
    evaluation = Evaluation.objects.filter(project=project).first()
    tier4 = Evaluation(framework_version=evaluation.framework_version, overall=4)
    project.end_date = date(2030, 6, 30)
    start = date(2027, 1, 31)
    ends, why = approval_expiry(project=project, evaluation=tier4, valid_from=start)
    assert ends == date(2028, 1, 30) and why["months"] == 12
    assert "at most 12 months" in why["text"]
    # Tier 3 has no limit: the planned end.
    tier3 = Evaluation(framework_version=evaluation.framework_version, overall=3)
    assert approval_expiry(project=project, evaluation=tier3, valid_from=start)[0] == date(2030, 6, 30)
    # A project ending before the limit ends when it ends.
    project.end_date = date(2027, 5, 1)
    assert approval_expiry(project=project, evaluation=tier4, valid_from=start)[0] == date(2027, 5, 1)


def test_adding_months_keeps_to_the_end_of_short_months():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2027, 11, 15), 12) == date(2028, 11, 15)


def test_a_later_approval_replaces_the_one_in_force_and_a_rejection_leaves_none(approved, approve):
    project, first = approved
    project_request_amendment(project=project, actor=project.coordinator, reason="Add a year of data.")
    project.refresh_from_db()
    # During the amendment the first approval stays in force.
    assert Approval.objects.get(record=first).status == "active"
    for assessment in project.assessments.all():
        assessment_submit(assessment=assessment, actor=_custodian_member(project))
    project.refresh_from_db()
    second = approve(project, outcome="reject", conditions=())
    assert Approval.objects.get(record=first).status == "replaced"
    assert not Approval.objects.filter(record=second).exists()
    assert access_may_start(project) is False


def test_your_obligations_lists_what_you_meet_and_check_with_filters_in_constant_queries(approved, client, outsider):
    project, _ = approved
    custodian = _custodian_member(project)
    assert {o.number for o in obligations_for_user(project.coordinator)} == {1, 2}
    from assessments.selectors.obligations import ObligationFilters

    assert [o.number for o in obligations_for_user(custodian, ObligationFilters(role="meet"))] == []
    assert [o.number for o in obligations_for_user(custodian, ObligationFilters(role="check"))] == [1, 2]
    assert list(obligations_for_user(outsider)) == []
    client.force_login(project.coordinator)
    page = client.get(reverse("my_obligations"), {"status": "open", "q": "ethics"}).content.decode()
    assert page.count("data-obligation=") == 1 and "ethics opinion" in page
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("my_obligations"))
    # Nine more obligations on the same approval: the page asks the database as often.
    approval = Approval.objects.get(project=project)
    Obligation.objects.bulk_create(
        Obligation(
            approval=approval,
            project=project,
            number=n,
            text=f"Condition {n}",
            source="panel",
            status_changed_at=timezone.now(),
        )
        for n in range(3, 12)
    )
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("my_obligations")).content.decode()
    assert page.count("data-obligation=") == 11
    assert len(many) == len(few)


def test_the_project_obligations_page_asks_the_database_a_fixed_number_of_times(approved, client):
    project, _ = approved
    client.force_login(project.coordinator)
    url = reverse("project_obligations", args=[project.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    approval = Approval.objects.get(project=project)
    Obligation.objects.bulk_create(
        Obligation(
            approval=approval, project=project, number=n, text=f"C{n}", source="panel", status_changed_at=timezone.now()
        )
        for n in range(3, 13)
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).content.decode().count("data-obligation=") == 12
    assert len(many) == len(few)


def test_an_expired_project_is_locked_until_renewed(approved):
    project, _ = approved
    Project.objects.filter(pk=project.pk).update(status="expired")
    project.refresh_from_db()
    from assessments.errors import ProjectLocked
    from assessments.services.projects import ensure_changeable

    with pytest.raises(ProjectLocked, match="renews it"):
        ensure_changeable(project)


def test_the_record_states_the_approvals_terms_and_the_approval_follows_them(approved, client, signing_ca):
    project, record = approved
    terms = record.snapshot["approval"]
    approval = Approval.objects.get(record=record)
    assert terms["valid_from"] == approval.valid_from.isoformat()
    assert terms["expires_on"] == approval.expires_on.isoformat() == project.end_date.isoformat()
    assert terms["why_then"] == "The project's planned end."
    client.force_login(project.coordinator)
    page = client.get(reverse("record_detail", args=[record.number])).content.decode()
    assert f"until <strong>{approval.expires_on:%-d %B %Y}</strong>" in page
    from assessments.services.records import record_pdf_html

    assert f"until <strong>{approval.expires_on:%-d %B %Y}</strong>" in record_pdf_html(record)


def test_a_rejection_states_no_approval(assessed_project, approve):
    record = approve(assessed_project, outcome="reject", conditions=())
    assert record.snapshot["approval"] is None
    assert not Approval.objects.filter(project=assessed_project).exists()


def test_the_coordinator_uploads_evidence_from_the_obligation_and_the_custodian_is_asked_to_check(approved, client):
    project, _ = approved
    ethics = Obligation.objects.get(project=project, blocking=True)
    client.force_login(project.coordinator)
    page = client.get(reverse("project_obligations", args=[project.pk])).content.decode()
    assert f'name="obligation" value="{ethics.pk}"' in page
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("evidence_upload", args=[project.pk]),
        {
            "obligation": ethics.pk,
            "question": "",
            "assessment": "",
            "next": reverse("project_obligations", args=[project.pk]),
            "file": SimpleUploadedFile("rec-opinion.pdf", pdf, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    ethics.refresh_from_db()
    assert ethics.status == "evidence_submitted"
    page = client.get(reverse("project_obligations", args=[project.pk])).content.decode()
    assert "rec-opinion.pdf" in page and 'data-status="evidence_submitted"' in page


def test_evidence_for_an_obligation_of_a_replaced_approval_is_refused_and_nothing_is_kept(approved):
    project, _ = approved
    ethics = Obligation.objects.get(project=project, blocking=True)
    Approval.objects.filter(project=project).update(status="replaced")
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessments.errors import PriamError
    from assessments.services.evidence import evidence_upload

    with pytest.raises(PriamError, match="no longer changes"):
        evidence_upload(
            project=project,
            user=project.coordinator,
            obligation=ethics,
            uploaded_file=SimpleUploadedFile("late.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
        )
    assert not Evidence.objects.filter(obligation=ethics).exists()
