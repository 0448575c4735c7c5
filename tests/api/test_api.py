"""The REST API, endpoint by endpoint and persona by persona."""

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from assessments.models import ApiToken, AuditEvent, Project

pytestmark = pytest.mark.django_db
EXAMPLES = Path("fixtures/examples")


def token_for(username, read_only=False):
    out = io.StringIO()
    call_command("create_api_token", username, *(["--read-only"] if read_only else []), stdout=out)
    return out.getvalue().strip()


def api(username=None, read_only=False):
    client = Client()
    if username:
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token_for(username, read_only)}"
    return client


def put_json(client, url, data, **headers):
    return client.put(url, json.dumps(data), content_type="application/json", **headers)


def test_create_api_token_prints_only_the_token_and_stores_its_hash(demo):
    token = token_for("custodian")
    assert token.startswith("priam_") and "\n" not in token
    stored = ApiToken.objects.get(user__username="custodian")
    assert stored.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert AuditEvent.objects.filter(action="token.created").count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/frameworks/",
        "/api/v1/projects/",
        "/api/v1/projects/1/",
        "/api/v1/records/",
        "/api/v1/audit-events/",
        "/api/v1/projects/1/risk-profile/",
    ],
)
def test_everything_but_verification_needs_authentication(db, url):
    response = Client().get(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_or_revoked_token_is_refused(demo, login, custodian):
    assert Client(HTTP_AUTHORIZATION="Bearer priam_nope_nope").get("/api/v1/projects/").status_code == 401
    token = token_for("custodian")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/projects/").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None
    browser = login(custodian)
    browser.post(f"/accounts/tokens/{ApiToken.objects.get().pk}/revoke/")
    assert client.get("/api/v1/projects/").status_code == 401
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1


def test_session_authentication_works_for_the_browser(login, custodian, framework_v1):
    assert login(custodian).get("/api/v1/frameworks/").json()[0]["spec"] == "five-safes@1"


@pytest.mark.parametrize("name", ["E1", "E2", "E4", "E4b"])
def test_evaluate_is_identical_to_manage_py_assess(framework_v1, demo, name):
    document = (EXAMPLES / f"{name}.json").read_text()
    response = api("custodian", read_only=True).post(
        "/api/v1/evaluate/?framework=five-safes@1", document, content_type="application/json"
    )
    assert response.status_code == 200
    out = io.StringIO()
    call_command("assess", str(EXAMPLES / f"{name}.json"), stdout=out)
    assert response.content.decode() == out.getvalue().rstrip("\n")


def test_an_invalid_document_is_a_400_naming_questions_and_custodians(framework_v1, demo):
    document = json.loads((EXAMPLES / "E2.json").read_text())
    document["answers"].pop("PE4")
    document["custodians"][0]["answers"]["DA3"] = ["none", "health"]
    response = api("custodian").post("/api/v1/evaluate/", json.dumps(document), content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    errors = {(e["custodian"], e["question"]) for e in response.json()["errors"]}
    assert errors == {(None, "PE4"), ("GP records", "DA3")}


def test_text_that_is_not_json_is_a_400_problem(framework_v1, demo):
    response = api("custodian").post("/api/v1/evaluate/", "{nope", content_type="application/json")
    assert response.status_code == 400 and response.json()["title"]


def test_an_unknown_framework_version_is_a_404(framework_v1, demo):
    response = api("custodian").post(
        "/api/v1/evaluate/?framework=five-safes@9", (EXAMPLES / "E1.json").read_text(), content_type="application/json"
    )
    assert response.status_code == 404 and "five-safes@9" in response.json()["detail"]


def test_frameworks_list_and_detail_with_questions_and_rules(framework_v1, demo):
    client = api("auditor")
    assert [f["spec"] for f in client.get("/api/v1/frameworks/").json()] == ["five-safes@1"]
    detail = client.get("/api/v1/frameworks/five-safes@1/").json()
    assert len(detail["questions"]) == 35 and detail["sha256"] == framework_v1.sha256
    assert {r["id"] for r in detail["rules"]} >= {"R-DA-01", "R-C-03", "R-PE-06"}


def _new_project(client):
    return client.post(
        "/api/v1/projects/",
        json.dumps(
            {
                "title": "API project",
                "summary": "s",
                "lead_researcher": "r",
                "lead_organisation": "o",
                "purpose": "p",
                "public_benefit": "b",
                "start_date": "2027-01-01",
                "end_date": "2027-06-30",
                "custodians": ["north-thames-gp"],
            }
        ),
        content_type="application/json",
    )


def test_projects_are_created_by_coordinators_only(framework_v1, demo):
    response = _new_project(api("coordinator"))
    assert response.status_code == 201
    body = response.json()
    assert body["framework"] == "five-safes@1" and body["custodians"][0]["organisation"] == "North Thames GP Records"
    assert _new_project(api("custodian")).status_code == 403
    assert _new_project(api("coordinator", read_only=True)).status_code == 403
    assert AuditEvent.objects.filter(action="project.created").count() == 1


def test_project_creation_errors_name_the_field(framework_v1, demo):
    response = api("coordinator").post(
        "/api/v1/projects/", json.dumps({"title": "x", "custodians": ["nowhere"]}), content_type="application/json"
    )
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"custodians", "summary", "start_date"} <= fields


def test_outsiders_get_404_exactly_as_in_the_browser(framework_v1, demo):
    project_id = _new_project(api("coordinator")).json()["id"]
    assert api("outsider").get(f"/api/v1/projects/{project_id}/").status_code == 404
    assert api("outsider").get("/api/v1/projects/").json()["count"] == 0
    assert api("custodian").get(f"/api/v1/projects/{project_id}/").status_code == 200
    assert api("auditor").get(f"/api/v1/projects/{project_id}/").status_code == 200


def test_a_whole_assessment_over_http_with_etags(framework_v1, demo):
    document = json.loads((EXAMPLES / "E4.json").read_text())
    coordinator, custodian = api("coordinator"), api("custodian")
    project = _new_project(coordinator).json()
    pid, aid = project["id"], project["custodians"][0]["id"]

    read = coordinator.get(f"/api/v1/projects/{pid}/answers/")
    response = put_json(
        coordinator, f"/api/v1/projects/{pid}/answers/", {"answers": document["answers"]}, HTTP_IF_MATCH=read["ETag"]
    )
    assert response.status_code == 200 and response["ETag"] != read["ETag"]

    url = f"/api/v1/projects/{pid}/assessments/{aid}/"
    etag = custodian.get(url)["ETag"]
    answers = document["custodians"][0]["answers"]
    assert put_json(custodian, url + "answers/", {"answers": answers}).status_code == 428
    assert put_json(custodian, url + "answers/", {"answers": answers}, HTTP_IF_MATCH='"stale"').status_code == 412
    bad = put_json(
        custodian, url + "answers/", {"answers": {**answers, "DA1": "maybe", "PE1": "none"}}, HTTP_IF_MATCH=etag
    )
    assert bad.status_code == 400
    assert {(e["custodian"], e["question"]) for e in bad.json()["errors"]} == {
        ("North Thames GP Records", "DA1"),
        ("North Thames GP Records", "PE1"),
    }
    ok = put_json(custodian, url + "answers/", {"answers": answers}, HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    # Someone else's write in between makes the old ETag stale.
    assert put_json(custodian, url + "answers/", {"answers": answers}, HTTP_IF_MATCH=etag).status_code == 412
    assert put_json(coordinator, url + "answers/", {"answers": answers}, HTTP_IF_MATCH=ok["ETag"]).status_code == 404

    assert custodian.post(url + "submit/").status_code == 200
    assert custodian.post(url + "confirm/").status_code == 428
    assert custodian.post(url + "confirm/", HTTP_IF_MATCH='"old"').status_code == 412
    project_etag = custodian.get(f"/api/v1/projects/{pid}/answers/")["ETag"]
    assert custodian.post(url + "confirm/", HTTP_IF_MATCH=project_etag).status_code == 200
    profile = custodian.get(f"/api/v1/projects/{pid}/risk-profile/").json()
    assert profile["result"]["tiers"] == {"people": 0, "projects": 0, "settings": 0, "data": 2, "outputs": 0}
    assert Project.objects.get(pk=pid).status == "assessed"


def test_submitting_an_incomplete_assessment_is_a_400_listing_questions(framework_v1, demo):
    project = _new_project(api("coordinator")).json()
    response = api("custodian").post(
        f"/api/v1/projects/{project['id']}/assessments/{project['custodians'][0]['id']}/submit/"
    )
    assert response.status_code == 400
    assert "DA1" in {e["question"] for e in response.json()["errors"]}


def test_read_only_tokens_cannot_write(framework_v1, demo):
    project = _new_project(api("coordinator")).json()
    client = api("custodian", read_only=True)
    url = f"/api/v1/projects/{project['id']}/assessments/{project['custodians'][0]['id']}/"
    etag = client.get(url)["ETag"]
    response = put_json(client, url + "answers/", {"answers": {"DA1": "pseudonymised"}}, HTTP_IF_MATCH=etag)
    assert response.status_code == 403 and "read-only" in response.json()["detail"]


def test_records_list_detail_pdf_and_verify(assessed_project, issue_record):
    record = issue_record(assessed_project)
    client = api("coordinator")
    assert [r["number"] for r in client.get("/api/v1/records/").json()["results"]] == [record.number]
    detail = client.get(f"/api/v1/records/{record.number}/").json()
    assert detail["snapshot"]["decision"]["outcome"] == "approve"
    pdf = client.get(f"/api/v1/records/{record.number}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == bytes(record.pdf.data)
    assert api("outsider").get(f"/api/v1/records/{record.number}/").status_code == 404
    from django.core.files.uploadedfile import SimpleUploadedFile

    verified = Client().post("/api/v1/verify/", {"file": SimpleUploadedFile("r.pdf", pdf.content)})
    assert verified.status_code == 200
    body = verified.json()
    assert body["ok"] and body["record"] == record.number and body["superseded_by"] is None
    bad = Client().post("/api/v1/verify/", {"file": SimpleUploadedFile("r.txt", b"hello")})
    assert bad.status_code == 200 and not bad.json()["ok"] and "not a PDF" in bad.json()["summary"]


def test_verify_needs_a_file(db):
    response = Client().post("/api/v1/verify/", {})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "file"


def test_audit_events_are_for_auditors_with_filters_and_cursor_pages(framework_v1, demo):
    _new_project(api("coordinator"))
    assert api("custodian").get("/api/v1/audit-events/").status_code == 404
    client = api("auditor")
    first = client.get("/api/v1/audit-events/?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert second["results"][0]["sequence"] > first["results"][1]["sequence"]
    created = client.get("/api/v1/audit-events/?action=project.created").json()["results"]
    assert [e["action"] for e in created] == ["project.created"]
    bad = client.get("/api/v1/audit-events/?date_from=yesterday")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "date_from"


def test_the_token_page_shows_a_new_token_once(login, custodian):
    client = login(custodian)
    response = client.post("/accounts/tokens/", {"name": "TRE portal", "read_only": "on"}, follow=True)
    token = response.context["new_token"]
    assert token in response.content.decode()
    page = client.get("/accounts/tokens/").content.decode()
    assert token not in page and "TRE portal" in page and "read-only" in page


def test_token_creation_is_rate_limited(login, custodian, settings):
    from django.core.cache import cache

    cache.clear()
    settings.PRIAM_TOKEN_RATE = {"limit": 1, "window_seconds": 3600}
    client = login(custodian)
    assert client.post("/accounts/tokens/", {"name": "one"}).status_code == 302  # created: back to the page
    assert client.post("/accounts/tokens/", {"name": "two"}).status_code == 429
    assert ApiToken.objects.count() == 1


def test_the_docs_are_served_from_local_assets(db):
    html = Client().get("/api/docs/").content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "<style>" not in html and "<script>" not in html  # nothing inline: the CSP forbids it
    schema = Client().get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/evaluate/" in schema.content


@pytest.mark.parametrize(
    "method, url, body",
    [
        ("post", "/api/v1/projects/", '{"title": "a\\u0000b", "custodians": ["x\\u0000"]}'),
        ("get", "/api/v1/records/PRIAM%00/", None),
        ("get", "/api/v1/audit-events/?user=a%00b", None),
    ],
)
def test_nul_characters_are_a_400_not_a_server_error(framework_v1, demo, method, url, body):
    client = api("auditor")
    response = getattr(client, method)(url, body, content_type="application/json") if body else client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_nul_in_a_browser_form_is_a_400(login, coordinator, framework_v1):
    response = login(coordinator).post("/projects/new/", {"title": "a\x00b"})
    assert response.status_code == 400


def test_a_custodian_named_twice_is_a_400(framework_v1, demo):
    response = api("coordinator").post(
        "/api/v1/projects/",
        json.dumps(
            {
                "title": "t",
                "summary": "s",
                "lead_researcher": "r",
                "lead_organisation": "o",
                "purpose": "p",
                "public_benefit": "b",
                "start_date": "2027-01-01",
                "end_date": "2027-06-30",
                "custodians": ["north-thames-gp", "north-thames-gp"],
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "custodians"
