"""Organisations, and their custodians' criteria and risk appetites, read over the API."""

import json
from pathlib import Path

import pytest
import yaml
from django.test import Client

from assessments import engine
from assessments.engine.criteria import criteria_sha256
from assessments.models import Membership, Organisation, User
from assessments.selectors.frameworks import engine_framework, framework_default
from assessments.services.criteria import (
    appetite_draft_save,
    appetite_publish,
    criteria_draft_save,
    criteria_publish,
)
from tests.api.test_api import api

pytestmark = pytest.mark.django_db
EXAMPLES = Path("fixtures/examples/criteria")
GP = "api-gp-records"  # of its own: the demo publishes criteria for its GP records
GP_RULES = (EXAMPLES / "gp-records.criteria.yaml").read_text()
GP_APPETITE = json.loads((EXAMPLES / "gp-records.appetite.json").read_text())

ENDPOINTS = [
    "/api/v1/organisations/",
    f"/api/v1/organisations/{GP}/criteria/",
    f"/api/v1/organisations/{GP}/criteria/1/",
    f"/api/v1/organisations/{GP}/appetite/",
    f"/api/v1/organisations/{GP}/appetite/1/",
]


def publish_gp_versions():
    """Two published criteria versions and one appetite for GP records, and a draft of each;
    the `custodian` persona is a member."""
    organisation = Organisation.objects.create(slug=GP, name="API GP records", kind=Organisation.Kind.NHS_TRUST)
    author = User.objects.get(username="custodian")
    Membership.objects.create(user=author, organisation=organisation, manages_criteria=True)
    for note, text in [("First set", GP_RULES), ("Lower threshold", GP_RULES.replace("1000000", "500000"))]:
        draft, problems = criteria_draft_save(organisation=organisation, text=text, actor=author, note=note)
        assert problems == []
        criteria_publish(draft=draft, actor=author)
    criteria_draft_save(organisation=organisation, text="- id: unfinished", actor=author, note="Work in progress")
    draft, problems = appetite_draft_save(organisation=organisation, data=GP_APPETITE, actor=author, note="Ours")
    assert problems == []
    appetite_publish(draft=draft, actor=author)
    appetite_draft_save(organisation=organisation, data={"routes": []}, actor=author)
    return organisation


@pytest.fixture
def gp_versions(demo):
    return publish_gp_versions()


def test_organisations_are_listed_by_name_with_slug_and_kind(demo):
    body = api("outsider", read_only=True).get("/api/v1/organisations/").json()
    assert body["count"] == Organisation.objects.count()
    assert {"slug": "cambridge-brc", "name": "Cambridge BRC", "kind": "tre"} in body["results"]
    names = [o["name"] for o in body["results"]]
    assert names == sorted(names)


def test_published_criteria_newest_first_and_the_draft_only_for_its_readers(gp_versions):
    url = f"/api/v1/organisations/{GP}/criteria/"
    outsider = api("outsider", read_only=True).get(url).json()
    assert [(v["number"], v["status"]) for v in outsider["results"]] == [(2, "published"), (1, "published")]
    assert outsider["results"][1]["note"] == "First set"
    assert outsider["results"][1]["framework"] == "five-safes@1"
    assert outsider["results"][1]["published_by"] == "custodian"
    assert "text" not in outsider["results"][0] and "data" not in outsider["results"][0]
    for username in ["custodian", "auditor", "admin"]:
        listed = api(username, read_only=True).get(url).json()["results"]
        assert [(v["number"], v["status"]) for v in listed] == [(None, "draft"), (2, "published"), (1, "published")]
        assert listed[0]["sha256"] == "" and listed[0]["published_by"] is None


def test_a_published_criteria_version_in_full(gp_versions):
    body = api("outsider", read_only=True).get(f"/api/v1/organisations/{GP}/criteria/1/").json()
    stored = gp_versions.criteria_versions.get(number=1)
    assert body["number"] == 1 and body["status"] == "published" and body["framework"] == "five-safes@1"
    assert body["sha256"] == stored.sha256 == criteria_sha256(body["data"])
    assert body["data"]["id"] == GP and body["data"]["version"] == "1"
    assert [r["id"] for r in body["data"]["rules"]] == ["GP-01"]
    assert body["text"] == GP_RULES and body["note"] == "First set"
    assert body["published_by"] == "custodian" and body["published_at"]


def test_a_published_appetite_with_its_plain_english_description(gp_versions):
    body = api("genomics", read_only=True).get(f"/api/v1/organisations/{GP}/appetite/1/").json()
    assert body["data"] == {**GP_APPETITE, "id": GP, "version": "1"} and len(body["sha256"]) == 64
    framework = engine_framework(framework_default())
    assert body["description"] == engine.describe_appetite(framework, engine.cached_appetite(framework, body["data"]))
    assert body["description"].startswith("Tier 0–1: ")
    listed = api("genomics", read_only=True).get(f"/api/v1/organisations/{GP}/appetite/").json()["results"]
    assert [(v["number"], v["status"], v["note"]) for v in listed] == [(1, "published", "Ours")]
    assert "data" not in listed[0]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/organisations/nowhere/criteria/",
        "/api/v1/organisations/nowhere/criteria/1/",
        "/api/v1/organisations/nowhere/appetite/",
        "/api/v1/organisations/nowhere/appetite/1/",
        f"/api/v1/organisations/{GP}/criteria/3/",
        f"/api/v1/organisations/{GP}/criteria/0/",
        f"/api/v1/organisations/{GP}/appetite/2/",
        f"/api/v1/organisations/{GP}/criteria/99999999999999999999999/",
        f"/api/v1/organisations/{GP}/appetite/99999999999999999999999/",
    ],
)
def test_unknown_organisations_and_versions_are_404_problems(gp_versions, url):
    response = api("admin", read_only=True).get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_an_organisation_without_versions_lists_none(demo):
    body = api("coordinator").get("/api/v1/organisations/cambridge-brc/criteria/").json()
    assert (body["count"], body["results"]) == (0, [])


def test_version_lists_are_paginated(gp_versions):
    client = api("outsider", read_only=True)
    first = client.get(f"/api/v1/organisations/{GP}/criteria/?page_size=1").json()
    assert first["count"] == 2 and [v["number"] for v in first["results"]] == [2]
    second = client.get(first["next"]).json()
    assert [v["number"] for v in second["results"]] == [1] and second["next"] is None


@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_callers_get_401(gp_versions, url):
    response = Client().get(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_schema_describes_every_criteria_endpoint(db):
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    for url in ENDPOINTS:
        path = url.replace(GP, "{slug}").replace("/1/", "/{number}/")
        assert "200" in schema["paths"][path]["get"]["responses"], path
    criteria = schema["components"]["schemas"]["CriteriaVersion"]["properties"]
    assert {"number", "framework", "sha256", "published_at", "published_by", "note", "data", "text"} <= set(criteria)
    assert {"data", "sha256", "description"} <= set(schema["components"]["schemas"]["AppetiteVersion"]["properties"])
