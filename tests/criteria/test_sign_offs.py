"""Every data owner signs off (custodian-criteria spec section 4): automatic approvals and declines
are recorded at once, approvers sign for their custodian, the panel for those routed to it, and the
decision record is issued when the last one signs off, or as soon as one declines."""

import json
from pathlib import Path

import pytest

from assessments.models import AuditEvent, Membership, Organisation, Panel, Project, SignOff, User
from assessments.services.criteria import appetite_draft_save, appetite_publish
from assessments.services.panels import conflict_declare, review_decide, review_send, vote_cast
from assessments.services.signoffs import signoff_decide

PASSWORD = "not-used-to-sign-in"

E2 = json.loads(Path("fixtures/examples/E2.json").read_text())  # overall tier 3, outcome approve
NAMES = [c["name"] for c in E2["custodians"]]  # GP records, Met and pollution grid, Census and education

REVIEW = [{"up_to": 3, "route": "custodian_review"}]
AUTOMATIC = [{"up_to": 3, "route": "automatic"}]
DECLINE_ABOVE_2 = [{"up_to": 2, "route": "automatic"}]


def _project(example_project, appetites):
    """E2 with the given appetite routes per custodian name (None: no appetite); an approver each."""
    for name in NAMES:
        organisation = Organisation.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        approver = User.objects.create_user(f"{organisation.slug}-approver", password=PASSWORD)
        Membership.objects.create(user=approver, organisation=organisation, approves=True)
        routes = appetites.get(name)
        if routes is not None:
            otherwise = "decline" if routes is DECLINE_ABOVE_2 else "panel"
            draft, problems = appetite_draft_save(
                organisation=organisation, data={"routes": routes, "otherwise": otherwise}, actor=approver
            )
            assert problems == []
            appetite_publish(draft=draft, actor=approver)
    return example_project("E2")


def _sign_offs(project):
    return {s.organisation.name: (s.route, s.status) for s in SignOff.objects.filter(project=project)}


def _panel_decides(project, outcome="approve"):
    review = review_send(project=project, panel=Panel.objects.get(), actor=project.coordinator)
    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflict_declare(review=review, member=member, conflicted=False)
        vote_cast(review=review, member=member, choice=outcome, rationale="Fine.")
    return review_decide(
        review=review,
        chair=User.objects.get(username="chair"),
        outcome=outcome,
        conditions=[],
        rationale="The panel agrees.",
    )


def test_automatic_approver_and_panel_each_sign_and_the_last_issues_the_record(example_project, client):
    project = _project(example_project, {"GP records": REVIEW, "Met and pollution grid": AUTOMATIC})
    assert _sign_offs(project) == {
        "GP records": ("custodian_review", "pending"),
        "Met and pollution grid": ("automatic", "approved"),
        "Census and education": ("panel", "pending"),
    }
    recorded = AuditEvent.objects.get(action="signoff.recorded")
    assert recorded.data["route"] == "automatic" and recorded.data["appetite"]["version"] == "1"
    project.refresh_from_db()
    assert project.status == Project.Status.ASSESSED and not project.records.exists()

    # The GP approver finds it on the home page and signs through a confirmation page.
    approver = User.objects.get(username="gp-records-approver")
    client.force_login(approver)
    sign_off = SignOff.objects.get(project=project, organisation__name="GP records")
    assert f"/sign-offs/{sign_off.pk}/" in client.get("/").content.decode()
    data = {
        "outcome": "approve_with_conditions",
        "reason": "Fine with an extra check.",
        "conditions": "Send us the output log monthly.",
    }
    confirm = client.post(f"/sign-offs/{sign_off.pk}/", data)
    assert confirm.status_code == 200 and "cannot be changed" in confirm.content.decode()
    assert SignOff.objects.get(pk=sign_off.pk).status == "pending"  # nothing recorded before confirming
    done = client.post(f"/sign-offs/{sign_off.pk}/", {**data, "confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == f"/projects/{project.pk}/"
    sign_off.refresh_from_db()
    assert (sign_off.status, sign_off.decided_by) == ("approved_with_conditions", approver)
    assert sign_off.conditions == [{"text": "Send us the output log monthly.", "blocking": False}]
    assert AuditEvent.objects.get(action="signoff.decided").actor_id == approver.pk
    assert not project.records.exists()

    # The panel decides for Census and education, the last custodian: the record is issued.
    record = _panel_decides(project)
    assert record is not None and record.outcome == "approve_with_conditions"
    project.refresh_from_db()
    assert project.status == Project.Status.DECIDED
    statuses = {s["custodian"]: (s["status"], s["by_panel"]) for s in record.snapshot["sign_offs"]}
    assert statuses == {
        "GP records": ("approved_with_conditions", False),
        "Met and pollution grid": ("approved", False),
        "Census and education": ("approved", True),
    }
    client.force_login(User.objects.get(username="auditor"))
    page = client.get(f"/records/{record.number}/").content.decode()
    assert 'data-custodian="GP records" data-status="approved_with_conditions"' in page
    assert "Send us the output log monthly." in page


def test_when_every_custodian_approves_automatically_the_record_needs_no_panel(example_project, client):
    project = _project(example_project, dict.fromkeys(NAMES, AUTOMATIC))
    project.refresh_from_db()
    record = project.records.get()
    assert (record.outcome, record.decision, project.status) == ("approve", None, Project.Status.DECIDED)
    assert record.snapshot["review"] is None and len(record.snapshot["sign_offs"]) == 3
    client.force_login(User.objects.get(username="auditor"))
    page = client.get(f"/records/{record.number}/").content.decode()
    assert "no approval panel was needed" in page
    send = client.get(f"/projects/{project.pk}/")
    assert send.status_code == 200


def test_a_declining_appetite_stops_the_project_and_says_which_custodian_and_why(example_project, client):
    project = _project(example_project, {"GP records": DECLINE_ABOVE_2, "Met and pollution grid": AUTOMATIC})
    project.refresh_from_db()
    record = project.records.get()
    assert record.outcome == "reject" and project.status == Project.Status.DECIDED
    client.force_login(project.coordinator)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'data-custodian="GP records" data-route="decline" data-status="declined"' in page
    assert "above tier 2" in page  # the appetite's reason, in words
    # Census and education's panel sign-off is moot: nothing more goes to a panel.
    assert SignOff.objects.get(organisation__name="Census and education").reason.startswith("Not needed")


def test_an_approver_who_declines_stops_the_project_and_nothing_goes_to_the_panel(example_project):
    project = _project(example_project, {"GP records": REVIEW})
    sign_off = SignOff.objects.get(project=project, organisation__name="GP records")
    record = signoff_decide(
        sign_off=sign_off,
        approver=User.objects.get(username="gp-records-approver"),
        outcome="decline",
        reason="Too identifiable for us.",
    )
    assert record.outcome == "reject"
    with pytest.raises(Exception, match="decided|panel"):
        review_send(project=Project.objects.get(pk=project.pk), panel=Panel.objects.get(), actor=project.coordinator)


def test_only_the_custodians_approvers_sign_and_only_once(example_project, client):
    project = _project(example_project, {"GP records": REVIEW})
    sign_off = SignOff.objects.get(project=project, organisation__name="GP records")
    for username in ("met-and-pollution-grid-approver", "custodian", "coordinator"):
        client.force_login(User.objects.get(username=username))
        assert client.get(f"/sign-offs/{sign_off.pk}/").status_code == 404, username
    approver = User.objects.get(username="gp-records-approver")
    signoff_decide(sign_off=sign_off, approver=approver, outcome="approve", reason="Fine.")
    with pytest.raises(Exception, match="already signed off"):
        signoff_decide(sign_off=sign_off, approver=approver, outcome="decline", reason="Changed my mind.")


def test_a_reason_is_required_and_bad_input_keeps_what_was_typed(example_project, client):
    project = _project(example_project, {"GP records": REVIEW})
    sign_off = SignOff.objects.get(project=project, organisation__name="GP records")
    client.force_login(User.objects.get(username="gp-records-approver"))
    response = client.post(f"/sign-offs/{sign_off.pk}/", {"outcome": "approve_with_conditions", "reason": "Kept"})
    page = response.content.decode()
    assert response.status_code == 400 and "needs at least one condition" in page and ">\nKept</textarea>" in page
    assert SignOff.objects.get(pk=sign_off.pk).status == "pending"


def test_without_any_appetite_the_panel_decides_for_everyone_as_before(example_project):
    project = _project(example_project, {})
    assert {route for route, _ in _sign_offs(project).values()} == {"panel"}
    record = _panel_decides(project)
    assert record.outcome == "approve" and record.decision is not None
