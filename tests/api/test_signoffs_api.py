"""Custodians' sign-offs over the API (custodian-criteria spec section 4): listed per revision with the
versions applied, signed by the custodian's approver with If-Match, once."""

from pathlib import Path

import pytest
import yaml
from django.test import Client

from assessments.models import AuditEvent, Membership, Organisation, Project, SignOff, User
from assessments.services.criteria import appetite_draft_save, appetite_publish, criteria_draft_save, criteria_publish
from tests.api.test_api import api, put_json
from tests.criteria.test_sign_offs import AUTOMATIC, NAMES, REVIEW, _project

pytestmark = pytest.mark.django_db
APPROVER = "gp-records-approver"


def _project_with_gp_criteria(example_project):
    """E2 with GP records' published criteria (GP-01, which E2's DA8 does not reach) and a review
    route for it; the others without either (as in tests/criteria/test_sign_offs.py)."""
    for name in NAMES:
        organisation = Organisation.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        approver = User.objects.create_user(f"{organisation.slug}-approver")
        Membership.objects.create(user=approver, organisation=organisation, approves=True)
    gp = Organisation.objects.get(name="GP records")
    text = Path("fixtures/examples/criteria/gp-records.criteria.yaml").read_text()
    draft, problems = criteria_draft_save(organisation=gp, text=text, actor=approver)
    assert problems == []
    criteria_publish(draft=draft, actor=approver)
    draft, problems = appetite_draft_save(
        organisation=gp, data={"routes": REVIEW, "otherwise": "panel"}, actor=approver
    )
    assert problems == []
    appetite_publish(draft=draft, actor=approver)
    return example_project("E2")


def _gp(project):
    return SignOff.objects.get(project=project, organisation__name="GP records")


def _sign(client, sign_off, body, etag=None):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return put_json(client, f"/api/v1/sign-offs/{sign_off.pk}/", body, **headers)


def test_the_project_lists_each_custodians_sign_off_with_its_versions_and_etag(example_project):
    project = _project(example_project, {"GP records": REVIEW, "Met and pollution grid": AUTOMATIC})
    client = api("coordinator", read_only=True)
    body = client.get(f"/api/v1/projects/{project.pk}/sign-offs/").json()
    assert (body["project"], body["revision"], body["current"]) == (project.pk, 1, True)
    assert body["evaluated_at"]
    by_name = {s["custodian"]: s for s in body["sign_offs"]}
    assert list(by_name) == sorted(NAMES)
    assert {n: (s["route"], s["status"]) for n, s in by_name.items()} == {
        "Census and education": ("panel", "pending"),
        "GP records": ("custodian_review", "pending"),
        "Met and pollution grid": ("automatic", "approved"),
    }
    met = by_name["Met and pollution grid"]
    assert met["signed_by"] is None and met["signed_at"] and not met["by_panel"]
    assert met["appetite"]["version"] == "1" and len(met["appetite"]["sha256"]) == 64
    assert met["reason"] == met["route_reason"] and met["route_reason"]
    assert by_name["Census and education"]["appetite"]["default"] is True
    assert by_name["GP records"]["criteria"] is None  # E2's custodians publish no criteria here
    for sign_off in body["sign_offs"]:
        detail = client.get(f"/api/v1/sign-offs/{sign_off['id']}/")
        assert detail["ETag"] == sign_off["etag"] and detail.json() == sign_off

    assert api("outsider").get(f"/api/v1/projects/{project.pk}/sign-offs/").status_code == 404
    assert api("outsider").get(f"/api/v1/sign-offs/{met['id']}/").status_code == 404
    assert client.get(f"/api/v1/projects/{project.pk}/sign-offs/?revision=2").status_code == 404
    bad = client.get(f"/api/v1/projects/{project.pk}/sign-offs/?revision=first")
    assert bad.status_code == 400 and [e["field"] for e in bad.json()["errors"]] == ["revision"]


def test_an_approver_signs_with_if_match_once(example_project):
    project = _project(example_project, {"GP records": REVIEW})
    sign_off = _gp(project)
    client = api(APPROVER)
    etag = client.get(f"/api/v1/sign-offs/{sign_off.pk}/")["ETag"]
    body = {"outcome": "approve_with_conditions", "reason": "Fine with a check.", "conditions": ["Monthly logs."]}

    missing = _sign(client, sign_off, body)
    assert missing.status_code == 428 and missing["Content-Type"] == "application/problem+json"
    assert _sign(client, sign_off, body, '"stale"').status_code == 412
    for bad, field in [
        ({**body, "outcome": "maybe"}, "outcome"),
        ({**body, "reason": "  "}, "reason"),
        ({**body, "conditions": []}, "conditions"),
        ({**body, "outcome": "approve"}, "conditions"),
        ({**body, "conditions": ["x" * 1001]}, "conditions.0"),
        ({"outcome": "approve"}, "reason"),
    ]:
        response = _sign(client, sign_off, bad, etag)
        assert response.status_code == 400, bad
        assert field in {e["field"] for e in response.json()["errors"]}, (bad, response.json())
    assert SignOff.objects.get(pk=sign_off.pk).status == "pending"

    done = _sign(client, sign_off, body, etag)
    assert done.status_code == 200, done.json()
    signed = done.json()["sign_off"]
    assert done.json()["record"] is None  # the panel still signs for Census and education, Met
    assert (signed["status"], signed["signed_by"], signed["reason"]) == (
        "approved_with_conditions",
        APPROVER,
        "Fine with a check.",
    )
    assert signed["conditions"] == [{"text": "Monthly logs.", "blocking": False}]
    assert done["ETag"] == signed["etag"] != etag
    assert AuditEvent.objects.get(action="signoff.decided").actor_id == User.objects.get(username=APPROVER).pk

    again = _sign(client, sign_off, {"outcome": "decline", "reason": "Changed my mind."}, done["ETag"])
    assert again.status_code == 409 and "already signed off" in again.json()["detail"]
    assert _sign(client, sign_off, body, etag).status_code == 412  # what they read has changed
    assert _sign(client, sign_off, body, "*").status_code == 409


def test_the_last_sign_off_issues_the_record_and_names_it(example_project):
    project = _project(example_project, {"GP records": REVIEW, **dict.fromkeys(NAMES[1:], AUTOMATIC)})
    sign_off = _gp(project)
    client = api(APPROVER)
    etag = client.get(f"/api/v1/sign-offs/{sign_off.pk}/")["ETag"]
    done = _sign(client, sign_off, {"outcome": "approve", "reason": "Fine."}, f'W/{etag}, "other"')
    assert done.status_code == 200
    record = Project.objects.get(pk=project.pk).records.get()
    assert done.json()["record"] == record.number and record.outcome == "approve"
    listed = client.get(f"/api/v1/projects/{project.pk}/sign-offs/").json()["sign_offs"]
    assert {s["status"] for s in listed} == {"approved"}


def test_a_decline_issues_the_record_at_once(example_project):
    project = _project(example_project, {"GP records": REVIEW})
    sign_off = _gp(project)
    client = api(APPROVER)
    etag = client.get(f"/api/v1/sign-offs/{sign_off.pk}/")["ETag"]
    done = _sign(client, sign_off, {"outcome": "decline", "reason": "Too identifiable."}, etag)
    assert done.status_code == 200 and done.json()["sign_off"]["status"] == "declined"
    assert Project.objects.get(pk=project.pk).records.get(number=done.json()["record"]).outcome == "reject"


def test_only_the_custodians_approvers_sign_and_read_only_tokens_do_not(example_project):
    project = _project(example_project, {"GP records": REVIEW, "Met and pollution grid": AUTOMATIC})
    sign_off = _gp(project)
    body = {"outcome": "approve", "reason": "Fine."}
    etag = api(APPROVER).get(f"/api/v1/sign-offs/{sign_off.pk}/")["ETag"]
    member = User.objects.create_user("gp-records-member")
    Membership.objects.create(user=member, organisation=sign_off.organisation)
    # Another custodian's approver and the GP organisation's plain member see the project, not the form.
    assert api("gp-records-member").get(f"/api/v1/sign-offs/{sign_off.pk}/").status_code == 200
    for username in ["met-and-pollution-grid-approver", "gp-records-member", "coordinator", "auditor"]:
        response = _sign(api(username), sign_off, body, etag)
        assert response.status_code == 404, username
    # An automatic sign-off has no approver, not even its own custodian's.
    met = SignOff.objects.get(project=project, organisation__name="Met and pollution grid")
    met_etag = api("coordinator").get(f"/api/v1/sign-offs/{met.pk}/")["ETag"]
    assert _sign(api("met-and-pollution-grid-approver"), met, body, met_etag).status_code == 404
    read_only = _sign(api(APPROVER, read_only=True), sign_off, body, etag)
    assert read_only.status_code == 403 and "read-only" in read_only.json()["detail"]
    assert SignOff.objects.get(pk=sign_off.pk).status == "pending"


def test_a_sign_off_of_a_replaced_revision_is_a_409_and_stays_listed_under_its_revision(example_project):
    project = _project(example_project, {"GP records": REVIEW})
    sign_off = _gp(project)
    coordinator = api("coordinator")
    read = coordinator.get(f"/api/v1/projects/{project.pk}/answers/")
    answers = {**read.json()["answers"], "PR6": 12}
    changed = put_json(
        coordinator, f"/api/v1/projects/{project.pk}/answers/", {"answers": answers}, HTTP_IF_MATCH=read["ETag"]
    )
    assert changed.status_code == 200 and Project.objects.get(pk=project.pk).revision == 2

    client = api(APPROVER)
    etag = client.get(f"/api/v1/sign-offs/{sign_off.pk}/")["ETag"]
    response = _sign(client, sign_off, {"outcome": "approve", "reason": "Fine."}, etag)
    assert response.status_code == 409 and "replaced by revision 2" in response.json()["detail"]
    current = client.get(f"/api/v1/projects/{project.pk}/sign-offs/").json()
    assert (current["revision"], current["current"], current["evaluated_at"], current["sign_offs"]) == (
        2,
        True,
        None,
        [],
    )
    older = client.get(f"/api/v1/projects/{project.pk}/sign-offs/?revision=1").json()
    assert older["current"] is False and sign_off.pk in {s["id"] for s in older["sign_offs"]}


def test_the_schema_describes_the_sign_off_endpoints(db):
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    listed = schema["paths"]["/api/v1/projects/{id}/sign-offs/"]["get"]
    assert {"200", "400", "404"} <= set(listed["responses"])
    assert "revision" in {p["name"] for p in listed["parameters"]}
    put = schema["paths"]["/api/v1/sign-offs/{id}/"]["put"]
    assert {"200", "400", "404", "409", "412", "428"} <= set(put["responses"])
    assert {"If-Match"} <= {p["name"] for p in put["parameters"] if p["in"] == "header"}
    components = schema["components"]["schemas"]
    assert {"etag", "appetite", "criteria", "by_panel", "signed_by", "route_reason"} <= set(
        components["SignOff"]["properties"]
    )
    assert set(components["SignOffDecideRequest"]["properties"]) == {"outcome", "reason", "conditions"}


def test_each_sign_off_names_the_criteria_version_applied_for_its_custodian(example_project):
    project = _project_with_gp_criteria(example_project)
    listed = api("auditor").get(f"/api/v1/projects/{project.pk}/sign-offs/").json()["sign_offs"]
    by_name = {s["custodian"]: s for s in listed}
    gp = by_name["GP records"]
    assert gp["route"] == "custodian_review"
    assert (gp["criteria"]["custodian"], gp["criteria"]["version"], len(gp["criteria"]["sha256"])) == (
        "GP records",
        "1",
        64,
    )
    assert gp["appetite"]["version"] == "1" and gp["appetite"]["default"] is False
    assert by_name["Census and education"]["criteria"] is None
