"""Deeply nested JSON is a 400 with problem details, never a server error."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

DEEP = "[" * 3000 + "]" * 3000
DEEP_WITH_NUL = "[" * 3000 + '"a\\u0000b"' + "]" * 3000


@pytest.fixture
def api(framework_v1, demo):
    out = io.StringIO()
    call_command("create_api_token", "custodian", stdout=out)
    # raise_request_exception=False: a RecursionError shows as the 500 a browser would get.
    return Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}", raise_request_exception=False)


@pytest.mark.parametrize("body", [DEEP, DEEP_WITH_NUL], ids=["plain", "with-nul"])
def test_it_answers_deep_json_with_a_400_problem(api, body):
    response = api.post("/api/v1/evaluate/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and "nested" in problem["detail"]


def test_it_answers_deep_json_in_a_document_with_a_400_problem(api):
    """Shallow enough for Python's parser, far deeper than any PRIAM document: refused when parsed."""
    body = '{"framework": "five-safes@1", "answers": ' + "[" * 500 + "]" * 500 + "}"
    response = api.post("/api/v1/evaluate/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "nested too deeply" in response.json()["detail"]


def test_it_still_finds_a_nul_deep_inside_ordinary_json(api):
    body = json.dumps({"a": [[[{"b": "x\x00y"}]]]})
    response = api.post("/api/v1/evaluate/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["type"].endswith("/nul")


def test_a_worked_example_still_evaluates(api):
    with open("fixtures/examples/E1.json") as document:
        response = api.post("/api/v1/evaluate/", document.read(), content_type="application/json")
    assert response.status_code == 200, response.content[:300]
