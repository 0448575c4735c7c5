"""GET /api/v1/notifications/ (the caller's own) and POST /api/v1/notifications/<id>/read/."""

import pytest

from assessments.models import Notification
from assessments.services.notifications import notify
from tests.api.test_api import api

pytestmark = pytest.mark.django_db


def _notify(user, kind=Notification.Kind.REFERRAL, subject="S"):
    [made] = notify(recipients=[user], kind=kind, subject=subject, body="b", url="/projects/")
    return made


def test_it_lists_only_the_callers_own_newest_first(genomics, custodian):
    older = _notify(genomics, subject="older")
    newer = _notify(genomics, kind=Notification.Kind.DECISION, subject="newer")
    _notify(custodian)
    body = api("genomics").get("/api/v1/notifications/").json()
    assert [n["id"] for n in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert first["kind"] == "decision" and first["kind_label"] == "A decision was issued"
    assert first["url"] == "/projects/" and first["read"] is False and first["read_at"] is None


def test_it_filters_unread_and_kind(genomics):
    read = _notify(genomics)
    unread = _notify(genomics, kind=Notification.Kind.DECISION)
    client = api("genomics")
    assert client.post(f"/api/v1/notifications/{read.pk}/read/").json()["read"] is True
    assert [n["id"] for n in client.get("/api/v1/notifications/?unread=true").json()["results"]] == [unread.pk]
    assert [n["id"] for n in client.get("/api/v1/notifications/?kind=referral").json()["results"]] == [read.pk]
    assert client.get("/api/v1/notifications/?kind=nonsense").status_code == 400
    assert client.get("/api/v1/notifications/?unread=maybe").status_code == 400


def test_marking_anothers_notification_read_is_not_found(genomics, custodian):
    theirs = _notify(custodian)
    assert api("genomics").post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_read_only_token_reads_but_does_not_mark(genomics):
    mine = _notify(genomics)
    client = api("genomics", read_only=True)
    assert client.get("/api/v1/notifications/").status_code == 200
    assert client.post(f"/api/v1/notifications/{mine.pk}/read/").status_code == 403


def test_it_needs_a_sign_in(db):
    assert api().get("/api/v1/notifications/").status_code in (401, 403)
