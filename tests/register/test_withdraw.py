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


def test_the_coordinator_and_every_custodian_hear_of_a_withdrawal_at_once(published):
    from assessments.models import Notification

    approver = _approver()
    approval_withdraw(approval=published.approval, by=approver, reason="The environment lost its accreditation.")
    told = Notification.objects.filter(kind="approval_withdrawn", project=published.project)
    people = set(told.values_list("recipient__username", flat=True))
    assert published.project.coordinator.username in people
    assert approver.username not in people  # not told of their own action
    custodian_people = {
        m.user.username
        for a in published.project.assessments.all()
        for m in a.organisation.memberships.select_related("user")
        if m.user_id != approver.pk
    }
    assert custodian_people and custodian_people <= people
    assert all(n.mandatory for n in told)
    # The reason travels to the people who must act on it (not to the public register).
    assert all("accreditation" in n.body for n in told)


def test_a_refused_withdrawal_keeps_the_typed_reason_beside_the_form(published, login):
    browser = login(_approver())
    long_reason = "Too long. " * 400  # over the note limit: refused with the field named
    response = browser.post(f"/projects/{published.project.pk}/withdraw/", {"reason": long_reason})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Too long. Too long." in page  # what was typed is still there
    assert 'aria-invalid="true"' in page
    assert Approval.objects.get(pk=published.approval.pk).status == Approval.Status.ACTIVE


def test_the_project_page_says_the_approval_was_withdrawn_not_that_it_stands(published, login):
    approval_withdraw(approval=published.approval, by=_approver(), reason="The environment lost its accreditation.")
    page = login(published.project.coordinator).get(f"/projects/{published.project.pk}/").content.decode()
    assert 'data-standing="withdrawn"' in page and 'data-standing="decided"' not in page
    assert "was withdrawn on" in page and "access must stop" in page
    assert 'data-access="may-start"' not in page
