"""Withdrawing an approval: a custodian's approver or an administrator takes it back; it stays on
the register, marked withdrawn."""

import pytest

from assessments.errors import FieldInvalid, Forbidden, PriamError
from assessments.models import Approval, AuditEvent, Membership
from assessments.services.register import approval_withdraw
from tests.register.conftest import user

pytestmark = pytest.mark.django_db


def _approver(username="genomics"):
    person = user(username)
    Membership.objects.filter(user=person).update(approves=True)
    return person


def test_a_custodians_approver_withdraws_and_the_register_keeps_it_marked(published, client):
    approval = published.approval
    approval_withdraw(approval=approval, by=_approver(), reason="The environment lost its accreditation.")
    approval.refresh_from_db()
    assert approval.status == Approval.Status.WITHDRAWN and approval.ended_at is not None
    event = AuditEvent.objects.get(action="approval.withdrawn")
    assert event.data == {"record": published.number, "reason": "The environment lost its accreditation."}
    entry = client.get("/register.json").json()["results"][0]
    assert (entry["record_number"], entry["status"], entry["status_label"]) == (
        published.number,
        "withdrawn",
        "Withdrawn",
    )
    page = client.get(f"/register/{published.number}/").content.decode()
    assert 'data-status="withdrawn"' in page
    # The reason is for the coordinator and auditors, not the public.
    assert "accreditation" not in page and "accreditation" not in client.get("/register.csv").content.decode()
    assert client.get("/register/?status=withdrawn").context["page"].paginator.count == 1
    assert client.get("/register/?status=active").context["page"].paginator.count == 0


@pytest.mark.parametrize("username", ["coordinator", "genomics", "custodian", "panel", "auditor", "outsider"])
def test_no_one_else_withdraws(published, username):
    with pytest.raises(Forbidden):
        approval_withdraw(approval=published.approval, by=user(username), reason="Because.")
    assert Approval.objects.get(pk=published.approval.pk).status == Approval.Status.ACTIVE


def test_an_approver_of_an_unrelated_custodian_cannot(published):
    with pytest.raises(Forbidden):
        approval_withdraw(approval=published.approval, by=_approver("gp-approver"), reason="Because.")


def test_administrators_withdraw_through_the_obligations_page_and_a_reason_is_required(published, login):
    browser = login(user("admin"))
    url = f"/projects/{published.project.pk}/withdraw/"
    page = browser.get(f"/projects/{published.project.pk}/obligations/")
    assert f'action="{url}"' in page.content.decode()
    browser.post(url, {"reason": ""})
    assert Approval.objects.get(pk=published.approval.pk).status == Approval.Status.ACTIVE
    browser.post(url, {"reason": "Breach of the data sharing agreement."})
    assert Approval.objects.get(pk=published.approval.pk).status == Approval.Status.WITHDRAWN
    with pytest.raises(PriamError, match="withdrawn"):
        approval_withdraw(approval=published.approval, by=user("admin"), reason="Again.")


def test_a_blank_reason_is_refused(published):
    with pytest.raises(FieldInvalid):
        approval_withdraw(approval=published.approval, by=user("admin"), reason="  ")
