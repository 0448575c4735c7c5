"""GET/POST /api/v1/projects/<id>/comments/: the same policy and the same service as the pages."""

import json

import pytest
from django.test import Client

from assessments.models import Comment, Notification
from assessments.services.comments import comment_post
from tests.api.test_api import token_for
from tests.comments.conftest import member_of

pytestmark = pytest.mark.django_db


def _client(username, read_only=False):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username, read_only=read_only)}")


def _post(client, project, body):
    return client.post(f"/api/v1/projects/{project.pk}/comments/", json.dumps(body), content_type="application/json")


def test_it_lists_every_thread_oldest_first_and_filters_by_question(e2, coordinator):
    assessment, gp = member_of(e2, "GP records")
    comment_post(project=e2, user=coordinator, text=f"Start, @{gp.username}.")
    comment_post(project=e2, user=gp, text="On DA2.", question="DA2", assessment=assessment)
    client = _client(gp.username, read_only=True)
    everything = client.get(f"/api/v1/projects/{e2.pk}/comments/").json()
    assert everything["count"] == 2
    first, second = everything["results"]
    assert (first["question"], first["assessment"], first["custodian"], first["role"]) == (
        "",
        None,
        None,
        "Coordinator",
    )
    assert first["mentions"] == [gp.username] and first["author"] == "coordinator"
    assert (second["question"], second["assessment"], second["custodian"]) == ("DA2", assessment.pk, "GP records")
    assert [c["text"] for c in client.get(f"/api/v1/projects/{e2.pk}/comments/?question=DA2").json()["results"]] == [
        "On DA2."
    ]
    assert [c["text"] for c in client.get(f"/api/v1/projects/{e2.pk}/comments/?question=").json()["results"]] == [
        f"Start, @{gp.username}."
    ]


def test_posting_creates_the_comment_notifies_and_says_who_was_not_notified(e2):
    assessment, gp = member_of(e2, "GP records")
    response = _post(
        _client("coordinator"),
        e2,
        {"text": f"@{gp.username} and @outsider: is DA2 final?", "question": "DA2", "assessment": assessment.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["not_notified"] == ["outsider"] and body["mentions"] == [gp.username]
    assert body["custodian"] == "GP records"
    assert Comment.objects.get(pk=body["id"]).assessment == assessment
    assert Notification.objects.filter(recipient=gp, kind__in=["mention", "comment"]).get().kind == "mention"


@pytest.mark.parametrize(
    ("username", "status"),
    [("coordinator", 201), ("auditor", 403), ("admin", 403), ("outsider", 404), ("custodian", 404)],
)
def test_who_may_post(e2, username, status):
    response = _post(_client(username), e2, {"text": "Hello"})
    assert response.status_code == status, response.content
    if status != 201:
        assert response["Content-Type"] == "application/problem+json"
    assert Comment.objects.exists() == (status == 201)


def test_a_read_only_token_cannot_post(e2):
    assert _post(_client("coordinator", read_only=True), e2, {"text": "Hello"}).status_code == 403


def test_refusals_name_the_field(e2, assessed_project):
    client = _client("coordinator")
    unknown = _post(client, e2, {"text": "?", "question": "ZZ1"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "question" and "ZZ1" in unknown.json()["detail"]
    long = _post(client, e2, {"text": "x" * 5001})
    assert long.status_code == 400 and long.json()["errors"][0]["field"] == "text"
    assert "5,000" in long.json()["detail"]
    elsewhere = assessed_project.assessments.first()
    other = _post(client, e2, {"text": "x", "question": "DA2", "assessment": elsewhere.pk})
    assert other.status_code == 400 and other.json()["errors"][0]["field"] == "assessment"
    assert not Comment.objects.exists()
