"""The demo's decided E1 project shows life after approval, made through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import Approval, AuditEvent, Comment, Evidence, Obligation, Project
from assessments.selectors.obligations import access_may_start
from assessments.services.demo import demo_load

pytestmark = pytest.mark.django_db


def test_the_decided_demo_project_has_a_met_and_a_due_obligation_evidence_comments_and_a_future_expiry(signing_ca):
    demo_load()
    project = Project.objects.get(title="Federated genomics across two TREs")
    approval = Approval.objects.get(project=project, status="active")
    today = timezone.localdate()
    assert approval.expires_on > today + timedelta(days=60)  # no reminder yet: it lies in the demo's future
    ethics, aggregate, renew = Obligation.objects.filter(approval=approval).order_by("number")
    assert (ethics.blocking, ethics.status, ethics.signed_off_by.username) == (True, "met", "genomics")
    assert (aggregate.status, aggregate.due_on) == ("open", today + timedelta(days=10))
    assert renew.status == "open"
    evidence = Evidence.objects.get(obligation=ethics)
    assert evidence.name == "ethics-opinion.pdf" and evidence.content_type == "application/pdf"
    assert evidence.file.read().startswith(b"%PDF")
    assert access_may_start(project)
    assert Comment.objects.filter(project=project).count() == 3
    assert Comment.objects.filter(project=project, question="OU3").exists()
    # Each step is in the audit trail, as a person did it.
    actions = set(AuditEvent.objects.filter(project_id=project.pk).values_list("action", flat=True))
    assert {"approval.granted", "evidence.uploaded", "obligation.met", "obligation.due_changed", "comment.posted"} <= (
        actions
    )
