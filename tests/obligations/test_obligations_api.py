"""/api/v1/obligations/: the same policy as the pages, with filters and the custodian's actions."""

import pytest

from assessments.models import AuditEvent, Obligation
from tests.api.test_api import api

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "custodian", "genomics", "chair", "panel", "auditor", "admin", "outsider"]
# E1's custodians are Cambridge BRC (the coordinator's) and Genomics England; the panel saw it.
SEES_E1 = {"coordinator", "genomics", "chair", "panel", "auditor", "admin"}


@pytest.mark.parametrize("username", PERSONAS)
def test_each_persona_reads_the_obligations_of_projects_it_sees(approved, username):
    project, _ = approved
    ethics = Obligation.objects.get(project=project, blocking=True)
    client = api(username, read_only=True)
    listed = client.get("/api/v1/obligations/").json()["results"]
    assert ({o["id"] for o in listed} == {ethics.pk, ethics.pk + 1}) == (username in SEES_E1)
    detail = client.get(f"/api/v1/obligations/{ethics.pk}/")
    assert detail.status_code == (200 if username in SEES_E1 else 404)
    if detail.status_code == 200:
        body = detail.json()
        assert (body["blocking"], body["owner"], body["checker"], body["status"]) == (True, "coordinator", None, "open")


def test_filters_by_project_status_and_owner_and_refuses_bad_values(approved):
    project, _ = approved
    client = api("coordinator", read_only=True)
    assert len(client.get(f"/api/v1/obligations/?project={project.pk}&owner=coordinator").json()["results"]) == 2
    assert client.get("/api/v1/obligations/?status=met").json()["results"] == []
    bad = client.get("/api/v1/obligations/?status=done")
    assert bad.status_code == 400 and "status" in bad.content.decode()


def test_the_owning_custodian_signs_off_through_the_api_and_others_are_refused(approved):
    project, _ = approved
    ethics = Obligation.objects.get(project=project, blocking=True)
    url = f"/api/v1/obligations/{ethics.pk}/"
    refused = api("coordinator").post(url, {"action": "sign_off"}, content_type="application/json")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    missing = api("genomics").post(url, {"action": "waive", "note": ""}, content_type="application/json")
    assert missing.status_code == 400 and "waived" in missing.json()["detail"]
    done = api("genomics").post(url, {"action": "sign_off", "note": "Seen."}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "met" and done.json()["signed_off_by"] == "genomics"
    assert AuditEvent.objects.filter(action="obligation.met", actor="genomics").count() == 1
    again = api("genomics").post(url, {"action": "sign_off"}, content_type="application/json")
    assert again.status_code == 409
    read_only = api("genomics", read_only=True).post(url, {"action": "sign_off"}, content_type="application/json")
    assert read_only.status_code in (403, 405)
